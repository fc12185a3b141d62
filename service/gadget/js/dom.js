// Small DOM helpers: element building, labelled form fields with their error slots,
// modal dialogs that keep and give back focus, and the page's status and alert regions.

import { t } from './i18n.js';

/** h('button', {class: 'x', onclick}, 'text', child, ...) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'text') el.textContent = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === '') continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let uid = 0;
export const newId = (prefix) => `${prefix}-${++uid}`;

/** The limit the API states for every text field (the `limits` query; FIELD_TOO_LONG).
 * 2,000 until the service has said (main.js asks it with the viewer). */
export let MAX_TEXT_LENGTH = 2000;

export function setTextLimit(limit) {
  if (Number.isInteger(limit) && limit > 0) MAX_TEXT_LENGTH = limit;
}

/** The region whose national phone numbers the service accepts (limits.phoneRegion). */
export let PHONE_REGION = 'CZ';

export function setPhoneRegion(region) {
  if (typeof region === 'string' && /^[A-Z]{2}$/.test(region)) PHONE_REGION = region;
}

// A real-looking number of each region, international and as dialled at home, for the phone
// hint: a hint showing another country's national form would promise what fails.
const PHONE_EXAMPLES = {
  CZ: ['+420 601 123 456', '601 123 456'],
  SK: ['+421 912 123 456', '0912 123 456'],
  DE: ['+49 30 1234567', '030 1234567'],
  AT: ['+43 664 1234567', '0664 1234567'],
  NO: ['+47 412 34 567', '412 34 567'],
  RS: ['+381 60 1234567', '060 1234567'],
  PL: ['+48 512 345 678', '512 345 678'],
  GB: ['+44 7400 123456', '07400 123456'],
  US: ['+1 201 555 0123', '(201) 555-0123'],
};

/** The phone field's hint, following the service's default region. */
export function phoneHint() {
  const example = PHONE_EXAMPLES[PHONE_REGION];
  if (!example) return t('phoneHintInternational', { international: '+420 601 123 456' });
  return t('phoneHint', { international: example[0], national: example[1] });
}

/**
 * A labelled input with a hint and an error slot, both tied to it by aria-describedby.
 * Returns {row, input, showError(message), clearError()}.
 */
export function field({ name, label, type = 'text', value = '', hint = null, autocomplete = 'off', inputmode = null }) {
  const id = newId(`f-${name}`);
  const input = h('input', {
    id,
    name,
    type,
    value: value ?? '',
    maxlength: MAX_TEXT_LENGTH,
    autocomplete,
    inputmode,
  });
  const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  const errorEl = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  const describe = () =>
    [hintEl && hintEl.id, !errorEl.hidden && errorEl.id].filter(Boolean).join(' ') || null;
  const update = () => {
    const value = describe();
    if (value) input.setAttribute('aria-describedby', value);
    else input.removeAttribute('aria-describedby');
  };
  update();
  const row = h('div', { class: 'field', dataset: { field: name } }, h('label', { for: id }, label), input, hintEl, errorEl);
  return {
    row,
    input,
    hintEl,
    showError(message) {
      errorEl.textContent = message;
      errorEl.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      update();
    },
    clearError() {
      errorEl.textContent = '';
      errorEl.hidden = true;
      input.removeAttribute('aria-invalid');
      update();
    },
  };
}

/** Words for screen readers only: a button's visible text stays the start of its name
 *  (WCAG 2.5.3), the rest says which row it acts on. */
export function aside(text) {
  return h('span', { class: 'visually-hidden' }, text);
}

export function checkbox({ name, label, checked = false }) {
  const id = newId(`f-${name}`);
  const input = h('input', { id, name, type: 'checkbox', checked });
  const row = h('div', { class: 'field check', dataset: { field: name } }, input, h('label', { for: id }, label));
  return { row, input };
}

/**
 * Shows payload errors (UserError and InvalidInputError.errors) next to the fields they
 * name. `fields` maps an API field path (e.g. `emails[0].address`) to a field(); errors for
 * no known field go to `formError`. Returns true if anything was shown. Focuses the first
 * field in error, so a keyboard or screen-reader user lands on it.
 */
export function showPayloadErrors(payload, fields, formError) {
  for (const f of Object.values(fields)) f.clearError();
  formError.hidden = true;
  formError.textContent = '';
  const problems = payload.errors && payload.errors.length ? payload.errors : [payload];
  const general = [];
  let first = null;
  for (const problem of problems) {
    const target = problem.field && fields[problem.field];
    if (target) {
      // Beside a labelled field, the words without the API's path (emails[0].address).
      target.showError(problem.fieldMessage || problem.message);
      first = first || target;
    } else {
      general.push(problem.message);
    }
  }
  if (general.length) {
    formError.textContent = general.join(' ');
    formError.hidden = false;
  }
  if (first) first.input.focus();
  else if (general.length) formError.focus();
  return Boolean(first || general.length);
}

export function formErrorBox() {
  return h('div', { class: 'form-error', role: 'alert', tabindex: '-1', hidden: true });
}

// -- dialogs -----------------------------------------------------------------------------

/**
 * A modal dialog (native <dialog>: focus stays inside, the page behind is inert). Escape
 * runs `onEscape` (default: close). Focus goes to the first field or button and back to
 * what had it when the dialog closes.
 */
export function openDialog({ title, body, actions = [], onEscape = null, className = '' }) {
  const returnFocus = document.activeElement;
  const titleId = newId('dlg-title');
  const dialog = h(
    'dialog',
    { class: `dialog ${className}`, 'aria-labelledby': titleId },
    h('h2', { id: titleId }, title),
    body,
    actions.length ? h('div', { class: 'actions' }, actions) : null,
  );
  const close = () => {
    if (dialog.open) dialog.close();
    dialog.remove();
    if (returnFocus && returnFocus.isConnected) returnFocus.focus();
  };
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault();
    if (onEscape) onEscape();
    else close();
  });
  document.body.append(dialog);
  dialog.showModal();
  const first =
    dialog.querySelector('input:not([type=hidden]):not([disabled]):not([readonly]), select, textarea') ||
    dialog.querySelector('button:not([disabled])');
  if (first) first.focus();
  return { dialog, close };
}

/** Asks a question; resolves with the value of the button chosen (null on Escape). */
export function ask({ title, message, choices }) {
  return new Promise((resolve) => {
    let dlg;
    const buttons = choices.map(({ label, value, primary, danger, action }) =>
      h(
        'button',
        {
          type: 'button',
          class: ['btn', primary ? 'primary' : '', danger ? 'danger' : ''].join(' ').trim(),
          dataset: action ? { action } : {},
          onclick: () => {
            dlg.close();
            resolve(value);
          },
        },
        label,
      ),
    );
    dlg = openDialog({
      title,
      body: h('p', { class: 'message' }, message),
      actions: buttons,
      className: 'confirm',
      onEscape: () => {
        dlg.close();
        resolve(null);
      },
    });
    const preferred = choices.findIndex((choice) => choice.focus);
    if (preferred >= 0) buttons[preferred].focus();
  });
}

// -- page-wide messages --------------------------------------------------------------------

export function announce(message) {
  const status = document.getElementById('status');
  status.textContent = '';
  // A change of text is what screen readers announce; the timeout makes a repeated
  // message a change too.
  setTimeout(() => {
    status.textContent = message;
  }, 50);
}

export function showAlert(message) {
  const alert = document.getElementById('alert');
  alert.replaceChildren(
    h('span', {}, message),
    h('button', { type: 'button', class: 'btn link', onclick: () => (alert.hidden = true) }, t('dismiss')),
  );
  alert.hidden = false;
}

export function clearAlert() {
  document.getElementById('alert').hidden = true;
}

/** A decorative magnifying glass (the seed's advanced-filter symbol), as SVG so that it
 *  needs no icon font. */
export function searchIcon() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 20 20');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'icon');
  const circle = document.createElementNS(ns, 'circle');
  for (const [k, v] of Object.entries({ cx: 8, cy: 8, r: 5.5, fill: 'none', stroke: 'currentColor', 'stroke-width': 2 })) circle.setAttribute(k, v);
  const handle = document.createElementNS(ns, 'path');
  for (const [k, v] of Object.entries({ d: 'M12.5 12.5 18 18', stroke: 'currentColor', 'stroke-width': 2.5, 'stroke-linecap': 'round' })) handle.setAttribute(k, v);
  svg.append(circle, handle);
  return svg;
}

export function formatTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  // The browser's own variant of the page's language (en-GB, de-AT) formats dates its way.
  const lang = document.documentElement.lang;
  const own = (navigator.languages || []).find((tag) => tag.split('-')[0] === lang.split('-')[0]);
  return new Intl.DateTimeFormat(own || lang, { dateStyle: 'short', timeStyle: 'short' }).format(date);
}
