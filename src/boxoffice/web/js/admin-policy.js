// Admin: a waiting line's admission policy form, shared by the house line's form and a concert
// line's: its fields (one copy, from admin.html's template), filled from a policy, tell which were
// changed since (the PUT sends only those). A form the admin has touched is not filled again by a
// refresh until it is saved: an unticked box or a half-typed time changes no value yet, and a
// refill took them back.

import { fromLocalInput, toLocalInput } from './format.js';

const NUMBER_FIELDS = ['max_active', 'admit_per_minute', 'active_ttl_seconds', 'claim_seconds'];

/**
 * A policy form (the house line's or a concert line's): filled from a policy, it tells the fields
 * changed since.
 */
export function policyForm(form) {
  placeFields(form);
  const input = (name) => form.elements.namedItem(name);
  let loaded = null;
  let touched = false;
  for (const type of ['input', 'change']) form.addEventListener(type, () => { touched = true; });
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
    isDirty: () => touched || Object.keys(changes()).length > 0,
    forget: () => { loaded = null; },
    fill(policy) {
      loaded = policy;
      touched = false;
      for (const name of NUMBER_FIELDS) input(name).value = policy[name] ?? '';
      input('opens_at').value = policy.opens_at ? toLocalInput(policy.opens_at) : '';
      input('opens_none').checked = !policy.opens_at;
      input('opens_at').disabled = !policy.opens_at;
    },
  };
}

// The form's copy of the policy fields (admin.html's #policy-fields template), in its
// [data-policy-fields] slot, their ids named after the slot: policy-max-active, line-max-active...
function placeFields(form) {
  const slot = form.querySelector('[data-policy-fields]');
  const fields = document.getElementById('policy-fields').content.cloneNode(true);
  for (const element of fields.querySelectorAll('[id], [for]')) {
    for (const attribute of ['id', 'for']) {
      const value = element.getAttribute(attribute);
      if (value) element.setAttribute(attribute, value.replace('FIELD', slot.dataset.policyFields));
    }
  }
  slot.replaceWith(fields);
}

function wholeSeconds(iso) {
  return iso ? Math.floor(Date.parse(iso) / 1000) : null;
}
