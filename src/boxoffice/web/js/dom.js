// Small DOM helpers shared by the fan's page and the admin page: lookup, element building,
// busy buttons, and repeating work that stops when a screen is left.

import { sleep } from './api.js';

export function $(selector, root = document) {
  return root.querySelector(selector);
}

/** Build an element: el('li', {class: 'x', id: 'y', dataset: {...}}, child, 'text', ...). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/**
 * Run `work` with `button` disabled and showing a spinner, so a request in flight is visible and
 * cannot be sent twice by a second click.
 */
export async function busy(button, work) {
  if (!button) return work();
  const wasDisabled = button.disabled;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.classList.add('is-busy');
  try {
    return await work();
  } finally {
    button.classList.remove('is-busy');
    button.removeAttribute('aria-busy');
    button.disabled = wasDisabled;
  }
}

/** Replace a list's content with a "loading" line while data is fetched. */
export function showLoading(container, text = 'Loading…') {
  container.setAttribute('aria-busy', 'true');
  const spinner = el('span', { class: 'spinner', 'aria-hidden': 'true' });
  container.replaceChildren(el('p', { class: 'loading' }, spinner, ` ${text}`));
}

export function doneLoading(container) {
  container.setAttribute('aria-busy', 'false');
}

/** Call `tick` now and every `ms` until the signal aborts or `tick` returns false. */
export async function repeat(ms, signal, tick) {
  while (!signal.aborted) {
    if ((await tick()) === false) return;
    try {
      await sleep(ms, signal);
    } catch {
      return;
    }
  }
}

/** Call `tick` every second until it returns false or the signal aborts. */
export function everySecond(signal, tick) {
  if (tick() === false) return;
  const timer = setInterval(() => {
    if (tick() === false) clearInterval(timer);
  }, 1000);
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}

export function isAbort(error) {
  return error?.name === 'AbortError';
}

/** The form's fields as a plain object of strings (untrimmed: passwords keep their spaces). */
export function formValues(form) {
  const values = {};
  for (const [name, value] of new FormData(form)) values[name] = String(value);
  return values;
}
