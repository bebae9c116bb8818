// The wallet: balance in the header and in the wallet panel, and the top-up form. A top-up sends an
// Idempotency-Key; after a failure with no clear answer (network, busy) the same key is sent again,
// so a retried top-up can never charge twice. The key waits in the tab's session (session.pendingTopUp:
// {key, amount}), so a retry after a reload sends it too.

import { newIdempotencyKey, request } from './api.js';
import { $, busy, formValues } from './dom.js';
import { invalid } from './errors.js';
import { clearError, showError } from './feedback.js';
import { currency, fractionDigits, fromMinorUnits, money, setCurrency, toMinorUnits } from './format.js';
import { credentials, session } from './session.js';

let balance = null;
const listeners = new Set();

export function currentBalance() {
  return balance;
}

/** Run `listener(balance)` after every change of the known balance. */
export function onBalanceChange(listener) {
  listeners.add(listener);
}

/** Fetch the balance and show it everywhere. */
export async function refreshWallet() {
  const wallet = await request('/wallet', credentials());
  setCurrency(wallet.currency);
  setBalance(wallet.balance);
  return wallet;
}

function setBalance(value) {
  balance = Number(value);
  $('#wallet-balance').textContent = money(balance);
  $('#wallet-panel-balance').textContent = money(balance);
  $('#topup-currency').textContent = currency();
  const step = 1 / 10 ** fractionDigits();
  $('#topup-amount').step = String(step);
  $('#topup-amount').min = String(step);
  for (const listener of listeners) listener(balance);
}

/** Put the amount still missing into the top-up form and take the keyboard there. */
export function suggestTopUp(missingAmount) {
  const input = $('#topup-amount');
  if (missingAmount > 0) {
    input.value = String(fromMinorUnits(missingAmount));
    $('#topup-result').textContent = `You need ${money(missingAmount)} more: top up, then pay again.`;
  }
  input.focus();
  input.select();
}

export function initWalletPanel() {
  const form = $('#topup-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    topUp(form);
  });
  for (const preset of form.querySelectorAll('.preset')) {
    preset.addEventListener('click', () => {
      const input = $('#topup-amount');
      const current = Number(input.value) || 0;
      input.value = String(current + fromMinorUnits(Number(preset.dataset.amount), 'KRW'));
      input.focus();
    });
  }
}

async function topUp(form) {
  const amount = toMinorUnits(formValues(form).amount);
  if (!Number.isInteger(amount) || amount <= 0) {
    showError(invalid({ amount: 'enter an amount above zero' }), { form });
    return;
  }
  clearError();
  const pending = session.pendingTopUp;
  if (pending && pending.amount !== amount) {
    // Another amount after a top-up with no clear answer: that one may have gone through, and
    // its key cannot carry another amount. The fan sees the balance first, then sends anew.
    session.pendingTopUp = null;
    await busy($('#topup-submit'), async () => {
      const shown = await refreshWallet().then((wallet) => money(wallet.balance), () => null);
      $('#topup-result').textContent = 'Your last top-up got no answer and may have gone through'
        + `${shown ? `: your balance is now ${shown}` : ''}. Top up again if it is still needed.`;
    });
    return;
  }
  const { key } = pending ?? { key: newIdempotencyKey() };
  session.pendingTopUp = { key, amount };
  await busy($('#topup-submit'), async () => {
    try {
      const charge = await request('/wallet/charges', {
        ...credentials(), method: 'POST', json: { amount }, idempotencyKey: key,
      });
      session.pendingTopUp = null;
      setBalance(charge.balance);
      $('#topup-result').textContent = `Added ${money(charge.amount)}. New balance: ${money(charge.balance)}.`;
      form.reset();
    } catch (error) {
      // A clear "no": a new try is a new request.
      if (error.status >= 400 && error.status < 500) session.pendingTopUp = null;
      const unclear = error.code === 'NETWORK_ERROR' ? {
        message: 'Cannot reach boxoffice, so your top-up may or may not have gone through. Check your '
          + 'connection, then try again: you will not be charged twice.',
      } : {};
      showError(error, { form, retry: () => topUp(form), ...unclear });
    }
  });
}
