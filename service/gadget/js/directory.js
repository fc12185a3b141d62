// The contact directory (CDESK -> Administration -> Contacts): "New contact" in the top
// right corner (choose the customer, then the contact form), a search box, an advanced
// filter choosing the attributes to search in, sorting by clicking a column header, an Edit
// action on every row, and paging through the list with cursors.

import { graphql } from './api.js';
import { tellChanged } from './changes.js';
import { openContactForm } from './contacts.js';
import { pickCustomer } from './customer-picker.js';
import { MAX_TEXT_LENGTH, announce, aside, checkbox, h, newId, searchIcon } from './dom.js';
import { t } from './i18n.js';
import * as ops from './operations.js';

const PAGE_SIZE = 10;
const SEARCH_FIELDS = ['SALUTATION', 'FIRST_NAME', 'LAST_NAME', 'TITLE', 'EMAIL', 'PHONE'];

/** Text that wraps between words only: a browser also wraps after a hyphen, which would
 *  show "Jørgensen-" and "Løvås" on two lines. */
function words(text) {
  const parts = String(text || '').split(/(\s+)/);
  return parts.map((part) => (/^\s+$/.test(part) || !part.includes('-') ? part : h('span', { class: 'word' }, part)));
}

// Columns: heading key, ContactOrderField, how a cell shows a contact.
const COLUMNS = [
  { key: 'name', order: 'LAST_NAME', cell: (c) => words(c.displayName) },
  // Addresses and numbers never wrap: half an address is no address.
  { key: 'email', order: 'EMAIL', nowrap: true, cell: (c) => c.email || h('span', { class: 'warning-inline' }, t('noEmail')) },
  { key: 'phone', order: 'PHONE', nowrap: true, cell: (c) => c.phone || '' },
  {
    key: 'customer',
    order: 'CUSTOMER',
    cell: (c) =>
      c.customer ? h('a', { href: `#/customer/${encodeURIComponent(c.customer.id)}?tab=contacts` }, words(c.customer.displayName)) : '',
  },
  { key: 'role', order: 'ROLE', cell: (c) => t(`role_${c.role}`) },
  { key: 'reminderContact', order: 'REMINDER_CONTACT', cell: (c) => (c.reminderContact ? t('yes') : t('no')) },
  { key: 'ownerColumn', order: 'OWNER', cell: (c) => words(c.owner) },
];

export function render(main, ctx) {
  const canWrite = ctx.viewer.role === 'ADMIN' || ctx.viewer.role === 'AGENT';
  const state = { search: '', searchIn: [], order: { field: 'LAST_NAME', direction: 'ASC' }, cursors: [null], page: 0 };

  const searchId = newId('directory-search');
  const searchInput = h('input', { id: searchId, type: 'search', name: 'search', maxlength: MAX_TEXT_LENGTH, autocomplete: 'off' });
  const boxes = SEARCH_FIELDS.map((f) => checkbox({ name: `in-${f}`, label: t(`searchField_${f}`) }));
  const advanced = h(
    'fieldset',
    { class: 'advanced', id: 'advanced-filter', hidden: true },
    h('legend', {}, t('searchIn')),
    h('div', { class: 'checks' }, boxes.map((b) => b.row)),
  );
  const advancedToggle = h(
    'button',
    {
      type: 'button',
      class: 'btn icon',
      'aria-expanded': 'false',
      'aria-controls': 'advanced-filter',
      dataset: { action: 'advanced' },
      onclick: () => {
        advanced.hidden = !advanced.hidden;
        advancedToggle.setAttribute('aria-expanded', String(!advanced.hidden));
        if (!advanced.hidden) boxes[0].input.focus();
      },
    },
    searchIcon(),
    t('advancedFilter'),
  );
  const table = h('table', { class: 'directory', id: 'directory' });
  const caption = h('caption', { class: 'visually-hidden' }, t('contactDirectory'));
  const summary = h('p', { class: 'count', id: 'directory-summary', 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', class: 'btn', dataset: { action: 'previous' }, onclick: () => go(-1) }, t('previousPage'));
  const next = h('button', { type: 'button', class: 'btn', dataset: { action: 'next' }, onclick: () => go(1) }, t('nextPage'));
  const pageLabel = h('span', { class: 'page' });

  const headerRow = () =>
    h(
      'tr',
      {},
      COLUMNS.map((col) => {
        const active = state.order.field === col.order;
        const sort = active ? (state.order.direction === 'ASC' ? 'ascending' : 'descending') : null;
        return h(
          'th',
          { scope: 'col', 'aria-sort': sort, dataset: { column: col.order } },
          h(
            'button',
            {
              type: 'button',
              class: 'sort',
              onclick: () => {
                state.order =
                  active && state.order.direction === 'ASC' ? { field: col.order, direction: 'DESC' } : { field: col.order, direction: 'ASC' };
                restart();
              },
            },
            t(col.key),
            h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, active ? (state.order.direction === 'ASC' ? ' ▲' : ' ▼') : ''),
          ),
        );
      }),
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('actions'))),
    );

  let latest = 0; // answers to superseded requests (typing fast, double clicks) are dropped
  const load = async () => {
    const request = ++latest;
    const filter = {};
    if (state.search) filter.search = state.search;
    if (state.search && state.searchIn.length) filter.searchIn = state.searchIn;
    let data;
    try {
      data = await graphql(ops.DIRECTORY, {
        filter,
        orderBy: state.order,
        first: PAGE_SIZE,
        after: state.cursors[state.page],
      });
    } catch (err) {
      if (request === latest) ctx.failed(err);
      return;
    }
    if (request !== latest) return;
    const { totalCount, pageInfo, edges } = data.contacts;
    state.cursors[state.page + 1] = pageInfo.hasNextPage ? pageInfo.endCursor : undefined;
    const rows = edges.map(({ node: contact }) =>
      h(
        'tr',
        { dataset: { contactId: contact.id } },
        COLUMNS.map((col, i) =>
          h(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : null, class: col.nowrap ? 'nowrap' : null, dataset: { label: t(col.key) } }, col.cell(contact)),
        ),
        h(
          'td',
          { class: 'row-actions' },
          canWrite
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'btn link',
                  dataset: { action: 'edit' },
                  onclick: async () => {
                    const full = (await graphql(ops.CONTACT, { id: contact.id })).contact;
                    if (full && (await openContactForm({ contact: full, customerName: full.customer && full.customer.displayName }))) {
                      if (full.customer) tellChanged(full.customer.id);
                      await load();
                    }
                  },
                },
                t('edit'),
                aside(`: ${contact.displayName}`),
              )
            : null,
        ),
      ),
    );
    table.replaceChildren(
      caption,
      h('thead', {}, headerRow()),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: COLUMNS.length + 1, class: 'empty' }, t('noContactsFound')))),
    );
    const pages = Math.max(1, Math.ceil(totalCount / PAGE_SIZE));
    summary.textContent = t('contactsFound', { count: totalCount });
    pageLabel.textContent = t('pageOf', { page: state.page + 1, pages });
    prev.disabled = state.page === 0;
    next.disabled = !pageInfo.hasNextPage;
  };

  function restart() {
    state.cursors = [null];
    state.page = 0;
    const focused = document.activeElement && document.activeElement.closest('th');
    const column = focused && focused.dataset.column;
    load().then(() => {
      // Keep the keyboard on the header just clicked (the table was redrawn).
      if (column) table.querySelector(`th[data-column="${column}"] button`).focus();
    });
  }

  async function go(step) {
    state.page = Math.max(0, state.page + step);
    await load();
    const pressed = step > 0 ? next : prev;
    (pressed.disabled ? (step > 0 ? prev : next) : pressed).focus();
  }

  // "New contact" (seed 004, top right corner): whose contact first, then the contact form.
  const newContact = canWrite
    ? h(
        'button',
        {
          type: 'button',
          class: 'btn primary',
          dataset: { action: 'new-contact' },
          onclick: async () => {
            const customer = await pickCustomer({ title: t('newContactFor') });
            if (!customer) return;
            const saved = await openContactForm({
              customerId: customer.id,
              customerName: customer.displayName,
              role: 'ADDITIONAL',
              title: t('newContact'),
            });
            if (!saved) return;
            tellChanged(customer.id);
            await load();
            announce(t('contactAddedTo', { name: customer.displayName }));
          },
        },
        t('newContact'),
      )
    : null;

  let debounce = null;
  const form = h(
    'form',
    {
      class: 'directory-search',
      role: 'search',
      onsubmit: (event) => {
        event.preventDefault();
        clearTimeout(debounce);
        state.search = searchInput.value.trim();
        state.searchIn = SEARCH_FIELDS.filter((_, i) => boxes[i].input.checked);
        restart();
      },
    },
    h('div', { class: 'inline-form' }, h('label', { for: searchId }, t('searchContacts')), searchInput, h('button', { type: 'submit', class: 'btn primary' }, t('search')), advancedToggle),
    advanced,
  );
  searchInput.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => form.requestSubmit(), 400);
  });
  for (const box of boxes) box.input.addEventListener('change', () => form.requestSubmit());

  main.replaceChildren(
    h(
      'section',
      { class: 'screen directory-screen', 'aria-labelledby': 'directory-title' },
      h('div', { class: 'screen-head spread' }, h('h2', { id: 'directory-title' }, t('contactDirectory')), newContact),
      form,
      summary,
      h('div', { class: 'table-wrap' }, table),
      h('nav', { class: 'pager', 'aria-label': t('pages') }, prev, pageLabel, next),
    ),
  );
  load();
  return () => clearTimeout(debounce);
}
