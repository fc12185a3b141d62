// The customer information form (seeds: "Informace o zákazníkovi", "Datenformular des
// Kunden"): opened pre-filled from an open-list entry, or from an activity in the customer
// management pane. Create saves; the open list's Close asks whether to Discard, the pane's
// Cancel creates nothing. Existing customers the caller may be are offered to pick instead,
// each with what tells them apart. The same form edits a customer (Save).

import { RequestError } from './api.js';
import { t } from './i18n.js';
import { MAX_TEXT_LENGTH, aside, field, formErrorBox, h, openDialog, phoneHint, showPayloadErrors } from './dom.js';

/** CustomerInput from the form: empty fields are left out (nothing to save). */
function toInput(f) {
  const v = (name) => f[name].input.value.trim();
  const input = {};
  for (const name of ['firstName', 'lastName', 'organizationName', 'externalId']) if (v(name)) input[name] = v(name);
  if (v('email')) input.emails = [{ address: v('email') }];
  if (v('phone')) input.phones = [{ number: v('phone') }];
  const address = {};
  for (const part of ['street', 'city', 'postcode', 'country']) if (v(part)) address[part] = v(part);
  if (Object.keys(address).length) input.address = address;
  return input;
}

const REASON_FIELDS = ['phone', 'email', 'name', 'firstName', 'lastName', 'organizationName'];

/** "Phone (exact match)": which identifier matched and how, in the page's language. */
function reasonText(reason) {
  const what = REASON_FIELDS.includes(reason.field) ? t(`reasonField_${reason.field}`) : reason.field;
  return `${what} (${t(reason.method === 'EXACT' ? 'matchExact' : 'matchSimilar')})`;
}

/** What tells look-alike customers apart: organisation, phone, email, and why they matched. */
function candidateDetails(candidate) {
  const c = candidate.customer;
  const facts = [
    c.organizationName && c.organizationName !== c.displayName ? c.organizationName : null,
    (c.phones || []).map((p) => p.number).join(', '),
    (c.emails || []).map((e) => e.address).join(', '),
  ].filter(Boolean);
  const reasons = (candidate.reasons || []).map(reasonText);
  return [
    facts.length ? h('span', { class: 'candidate-facts' }, facts.map((fact) => h('span', { class: 'fact' }, fact))) : null,
    reasons.length ? h('span', { class: 'reasons' }, t('matchedOn', { reasons: reasons.join(', ') })) : null,
  ];
}

/** CustomerInput for an update: only what the agent changed. An emptied field is sent as
 *  null, which clears it; the first email and phone are edited, the others kept. */
function changes(f, before) {
  const v = (name) => f[name].input.value.trim();
  const input = {};
  for (const name of ['firstName', 'lastName', 'organizationName', 'externalId']) {
    if (v(name) !== (before[name] || '')) input[name] = v(name) || null;
  }
  if (v('email') !== (before.email || '')) {
    const rest = (before.emails || []).slice(1).map((e) => ({ address: e.address }));
    input.emails = v('email') ? [{ address: v('email') }, ...rest] : rest;
  }
  if (v('phone') !== (before.phone || '')) {
    const rest = (before.phones || []).slice(1).map((p) => ({ number: p.number }));
    input.phones = v('phone') ? [{ number: v('phone') }, ...rest] : rest;
  }
  const parts = ['street', 'city', 'postcode', 'country'];
  if (parts.some((part) => v(part) !== (before[part] || ''))) {
    input.address = Object.fromEntries(parts.map((part) => [part, v(part) || null]));
    if (before.region) input.address.region = before.region; // not on the form: kept as it is
  }
  return input;
}

function candidateList(candidates, onPick) {
  return h(
    'ul',
    { class: 'candidates' },
    candidates
      .filter((c) => c.customer)
      .map((c) =>
        h(
          'li',
          { dataset: { candidate: c.customer.id } },
          h(
            'div',
            { class: 'candidate-main' },
            h('span', { class: 'candidate-name' }, c.customer.displayName),
            h('span', { class: 'score' }, t('matchScore', { score: Math.round(c.score * 100) })),
            candidateDetails(c),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'btn',
              dataset: { pick: c.customer.id },
              onclick: () => onPick(c.customer),
            },
            t('pickCustomer'),
            aside(`: ${c.customer.displayName}`),
          ),
        ),
      ),
  );
}

/**
 * Opens the form. Options:
 *   title, prefill {firstName, lastName, organizationName, email, phone, street, city,
 *   postcode, country, externalId}, about (a line saying which activity it is for),
 *   candidates (MatchCandidate list),
 *   submit(input, confirmNotDuplicate) -> the mutation's payload (must throw RequestError
 *     for request failures), onCreated(payload), onPick(customer) -> Promise,
 *   dismissLabel ('close' or 'cancel'), onDismiss(form) -> Promise<boolean> (true: close),
 *   submitLabel ('create', or 'save' when editing), changedOnly (send only what changed:
 *     a field emptied is sent as null, which clears it).
 */
export function openCustomerForm(options) {
  const { title, prefill = {}, about = null, candidates = [], submit, onCreated, onPick, dismissLabel, onDismiss } = options;
  const { submitLabel = 'create', changedOnly = false } = options;
  const value = (name) => prefill[name] ?? '';
  const f = {
    firstName: field({ name: 'firstName', label: t('firstName'), value: value('firstName'), autocomplete: 'off' }),
    lastName: field({ name: 'lastName', label: t('lastName'), value: value('lastName') }),
    organizationName: field({ name: 'organizationName', label: t('organizationName'), value: value('organizationName') }),
    email: field({ name: 'email', label: t('email'), type: 'email', value: value('email'), inputmode: 'email' }),
    phone: field({ name: 'phone', label: t('phone'), type: 'tel', value: value('phone'), hint: phoneHint(), inputmode: 'tel' }),
    street: field({ name: 'street', label: t('street'), value: value('street') }),
    city: field({ name: 'city', label: t('city'), value: value('city') }),
    postcode: field({ name: 'postcode', label: t('postcode'), value: value('postcode') }),
    country: field({ name: 'country', label: t('country'), value: value('country') }),
    externalId: field({ name: 'externalId', label: t('externalId'), value: value('externalId') }),
  };
  // API field paths (docs/errors.md, "Field paths") -> the input they concern.
  const byPath = {
    firstName: f.firstName,
    lastName: f.lastName,
    organizationName: f.organizationName,
    externalId: f.externalId,
    emails: f.email,
    'emails[0].address': f.email,
    'emails[0].label': f.email,
    phones: f.phone,
    'phones[0].number': f.phone,
    'phones[0].label': f.phone,
    'address.street': f.street,
    'address.city': f.city,
    'address.postcode': f.postcode,
    'address.country': f.country,
  };
  const formError = formErrorBox();
  const duplicateBox = h('div', { class: 'duplicates', hidden: true });
  const createButton = h('button', { type: 'submit', class: 'btn primary', dataset: { action: submitLabel } }, t(submitLabel));
  const dismissButton = h(
    'button',
    { type: 'button', class: 'btn', dataset: { action: dismissLabel } },
    t(dismissLabel),
  );

  let dlg;
  let busy = false;
  const pick = async (customer) => {
    if (busy) return;
    busy = true;
    try {
      if ((await onPick(customer)) !== false) dlg.close();
    } catch (err) {
      formError.textContent = err instanceof RequestError ? err.message : String(err);
      formError.hidden = false;
    } finally {
      busy = false;
    }
  };

  const send = async (confirm) => {
    if (busy) return;
    busy = true;
    createButton.disabled = true;
    duplicateBox.hidden = true;
    try {
      const payload = await submit(changedOnly ? changes(f, prefill) : toInput(f), confirm);
      switch (payload.__typename) {
        case 'CreateCustomerSuccess':
        case 'CreateCustomerFromOpenListSuccess':
        case 'UpdateCustomerSuccess':
        case 'VersionConflictError':
          dlg.close();
          onCreated(payload);
          return;
        case 'AlreadyResolvedError':
          dlg.close();
          onCreated(payload);
          return;
        case 'DuplicateSuspectedError':
          showPayloadErrors(payload, byPath, formError);
          duplicateBox.replaceChildren(
            h('p', {}, t('duplicatesFound')),
            candidateList(payload.candidates, pick),
            h('button', { type: 'button', class: 'btn', onclick: () => send(true) }, t('createAnyway')),
          );
          duplicateBox.hidden = false;
          return;
        default:
          showPayloadErrors(payload, byPath, formError);
      }
    } catch (err) {
      formError.textContent = err instanceof RequestError ? err.message : String(err);
      formError.hidden = false;
      formError.focus();
    } finally {
      busy = false;
      createButton.disabled = false;
    }
  };

  const form = h(
    'form',
    {
      class: 'customer-form',
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        send(false);
      },
    },
    about ? h('p', { class: 'about' }, about) : null,
    candidates.length
      ? h(
          'section',
          { class: 'candidates-box', 'aria-label': t('possibleMatches') },
          h('h3', {}, t('possibleMatches')),
          h('p', { class: 'hint' }, t('possibleMatchesHint')),
          candidateList(candidates, pick),
        )
      : null,
    h('p', { class: 'hint' }, t('fieldLimit', { limit: MAX_TEXT_LENGTH })),
    formError,
    h(
      'fieldset',
      {},
      h('legend', {}, t('nameAndContact')),
      f.firstName.row,
      f.lastName.row,
      f.organizationName.row,
      f.email.row,
      f.phone.row,
    ),
    h('fieldset', {}, h('legend', {}, t('address')), f.street.row, f.city.row, f.postcode.row, f.country.row),
    f.externalId.row,
    duplicateBox,
    // Sticky: Create and Close stay in sight however long the form is.
    h('div', { class: 'actions sticky-actions' }, createButton, dismissButton),
  );

  const dismiss = async () => {
    if (await onDismiss(form)) dlg.close();
  };
  dismissButton.addEventListener('click', dismiss);
  dlg = openDialog({ title, body: form, onEscape: dismiss, className: 'wide' });
  return { dialog: dlg.dialog, fields: f, close: dlg.close };
}
