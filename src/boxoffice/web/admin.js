// Entry point of the admin page: asks for the admin key (kept in sessionStorage, sent as
// X-Admin-Key), checks it against GET /admin/queue, then opens the live board and the catalog and
// waiting-room tools (each concert listed by the catalog shows its line).

import { request } from './js/api.js';
import { initBoard, watchBoard } from './js/admin-board.js';
import { initCatalogAdmin, loadConcerts } from './js/admin-catalog.js';
import { initLinesAdmin, showConcertLines, watchLines } from './js/admin-lines.js';
import { initQueueAdmin, watchQueue } from './js/admin-queue.js';
import { $, busy, isAbort } from './js/dom.js';
import { invalid } from './js/errors.js';
import { clearError, setActionHandlers, showError } from './js/feedback.js';

const KEY_NAME = 'boxoffice.adminKey';
let watching = null;

const adminKey = () => sessionStorage.getItem(KEY_NAME);

setActionHandlers({ 'admin-key': askForKey }, { immediate: ['admin-key'] });

function askForKey() {
  sessionStorage.removeItem(KEY_NAME);
  watching?.abort();
  $('#admin-panel').hidden = true;
  $('#admin-forget').hidden = true;
  $('#admin-login').hidden = false;
  $('#admin-key').value = '';
  $('#admin-key').focus();
}

async function tryKey(key) {
  clearError();
  try {
    await request('/admin/queue', { adminKey: key });
  } catch (error) {
    if (error.code === 'ADMIN_UNAUTHORIZED') sessionStorage.removeItem(KEY_NAME);
    showError(error, { retry: () => tryKey(key) });
    return;
  }
  sessionStorage.setItem(KEY_NAME, key);
  openPanel();
}

function openPanel() {
  $('#admin-login').hidden = true;
  $('#admin-panel').hidden = false;
  $('#admin-forget').hidden = false;
  $('#queue-heading').focus();
  watching = new AbortController();
  watchQueue(watching.signal, adminKey);
  watchLines(watching.signal, adminKey);
  watchBoard(watching.signal, adminKey);
  loadConcerts();
}

$('#admin-key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = $('#admin-key').value;
  if (!key) {
    showError(invalid({ key: 'enter the admin key' }), { form: $('#admin-key-form') });
    return;
  }
  busy($('#admin-key-submit'), () => tryKey(key));
});
$('#admin-forget').addEventListener('click', askForKey);

window.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  if (!isAbort(event.reason)) showError(event.reason);
});

initCatalogAdmin(adminKey, { onConcerts: (concerts) => showConcertLines(concerts, adminKey) });
initQueueAdmin(adminKey);
initLinesAdmin(adminKey);
initBoard();
if (adminKey()) openPanel();
