// Choosing a customer in a dialog, searching as the agent types (the directory's "New
// contact" first asks whose contact it is). Resolves with {id, displayName} or null.

import { graphql } from './api.js';
import { MAX_TEXT_LENGTH, h, newId, openDialog } from './dom.js';
import { t } from './i18n.js';
import * as ops from './operations.js';

const RESULTS = 8;

function facts(customer) {
  return [customer.emails[0] && customer.emails[0].address, customer.phones[0] && customer.phones[0].number].filter(Boolean).join(' · ');
}

export function pickCustomer({ title }) {
  return new Promise((resolve) => {
    const searchId = newId('pick-customer');
    const input = h('input', { id: searchId, type: 'search', name: 'customer-search', maxlength: MAX_TEXT_LENGTH, autocomplete: 'off' });
    const results = h('ul', { class: 'rows picker-results', id: newId('pick-results') });
    const status = h('p', { class: 'count', 'aria-live': 'polite' });
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    let dlg;
    let latest = 0; // an answer to a superseded search (typing on) is dropped
    let debounce = null;
    const done = (customer) => {
      clearTimeout(debounce);
      latest += 1;
      dlg.close();
      resolve(customer);
    };
    const search = async () => {
      const request = ++latest;
      let data;
      try {
        data = await graphql(ops.SEARCH_CUSTOMERS, { search: input.value.trim() || null, first: RESULTS });
      } catch (err) {
        if (request !== latest) return;
        error.textContent = err.message;
        error.hidden = false;
        return;
      }
      if (request !== latest) return;
      error.hidden = true;
      const items = data.customers.edges.map((e) => e.node);
      status.textContent = items.length ? t('customersFound', { count: data.customers.totalCount }) : t('noCustomersFound');
      results.replaceChildren(
        ...items.map((c) =>
          h(
            'li',
            { class: 'row', dataset: { customerId: c.id } },
            h('span', { class: 'row-main' }, h('strong', {}, c.displayName), h('span', { class: 'meta' }, facts(c))),
            h(
              'button',
              { type: 'button', class: 'btn', dataset: { pick: c.id }, onclick: () => done({ id: c.id, displayName: c.displayName }) },
              t('pickCustomer'),
              h('span', { class: 'visually-hidden' }, `: ${c.displayName}`),
            ),
          ),
        ),
      );
    };
    input.addEventListener('input', () => {
      clearTimeout(debounce);
      debounce = setTimeout(search, 250);
    });
    const body = h(
      'form',
      {
        class: 'picker',
        role: 'search',
        novalidate: true,
        onsubmit: (event) => {
          event.preventDefault();
          clearTimeout(debounce);
          search();
        },
      },
      h('p', { class: 'hint' }, t('pickCustomerHint')),
      h('div', { class: 'field' }, h('label', { for: searchId }, t('searchCustomers')), input),
      error,
      status,
      results,
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', dataset: { action: 'cancel' }, onclick: () => done(null) }, t('cancel'))),
    );
    dlg = openDialog({ title, body, className: 'wide', onEscape: () => done(null) });
    search();
  });
}
