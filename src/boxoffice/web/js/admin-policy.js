// Admin: a waiting line's admission policy form, shared by the house line's form and a concert
// line's: filled from a policy, it tells which fields were changed since (the PUT sends only those).

import { fromLocalInput, toLocalInput } from './format.js';

const NUMBER_FIELDS = ['max_active', 'admit_per_minute', 'active_ttl_seconds', 'claim_seconds'];

/**
 * A policy form (the house line's or a concert line's): filled from a policy, it tells the fields
 * changed since.
 */
export function policyForm(form) {
  const input = (name) => form.elements.namedItem(name);
  let loaded = null;
  input('opens_none').addEventListener('change', (event) => {
    input('opens_at').disabled = event.target.checked;
  });
  const changes = () => {
    const body = {};
    for (const name of NUMBER_FIELDS) {
      const text = input(name).value.trim();
      if (text === '' || Number(text) === Number(loaded?.[name])) continue;
      body[name] = Number(text);
    }
    const none = input('opens_none').checked;
    const typed = input('opens_at').value;
    const opensAt = none || !typed ? null : fromLocalInput(typed);
    if (wholeSeconds(opensAt) !== wholeSeconds(loaded?.opens_at) && (none || typed)) body.opens_at = opensAt;
    return body;
  };
  return {
    changes,
    isLoaded: () => loaded !== null,
    isDirty: () => Object.keys(changes()).length > 0,
    forget: () => { loaded = null; },
    fill(policy) {
      loaded = policy;
      for (const name of NUMBER_FIELDS) input(name).value = policy[name] ?? '';
      input('opens_at').value = policy.opens_at ? toLocalInput(policy.opens_at) : '';
      input('opens_none').checked = !policy.opens_at;
      input('opens_at').disabled = !policy.opens_at;
    },
  };
}

function wholeSeconds(iso) {
  return iso ? Math.floor(Date.parse(iso) / 1000) : null;
}
