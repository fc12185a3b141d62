// The customer management pane (activities without a customer, each with Create; finding
// a customer) and a customer's page (details, activities, the contacts tab).

import { graphql } from './api.js';
import { renderContactsTab } from './contacts.js';
import { openCustomerForm } from './customer-form.js';
import { MAX_TEXT_LENGTH, aside, formatTime, h, newId } from './dom.js';
import { t } from './i18n.js';
import * as ops from './operations.js';

const channelLabel = (channel) => t(`channel_${channel}`);

/** "Svobodová, Eva" and "Eva Svobodová" -> first and last name, as the service splits them. */
function splitName(name) {
  if (!name) return {};
  if (name.includes(',')) {
    const [last, first] = name.split(',', 2).map((s) => s.trim());
    return { firstName: first, lastName: last };
  }
  const parts = name.trim().split(/\s+/);
  return parts.length > 1 ? { firstName: parts.slice(0, -1).join(' '), lastName: parts.at(-1) } : { lastName: parts[0] };
}

function senderLine(sender) {
  return sender.name || sender.email || sender.phone || t('unknownSender');
}

export function renderPane(main, ctx) {
  const activities = h('ul', { class: 'rows', id: 'unassociated' });
  const searchId = newId('customer-search');
  const searchInput = h('input', { id: searchId, type: 'search', name: 'search', maxlength: MAX_TEXT_LENGTH, autocomplete: 'off' });
  const results = h('ul', { class: 'rows', id: 'customer-results', 'aria-live': 'polite' });

  const createFor = (activity) => {
    const sender = activity ? activity.sender : {};
    openCustomerForm({
      title: t('customerInformation'),
      about: activity
        ? t('formFor', { channel: channelLabel(activity.channel), name: senderLine(sender), time: formatTime(activity.occurredAt) })
        : null,
      prefill: activity ? { ...splitName(sender.name), email: sender.email, phone: sender.phone } : {},
      dismissLabel: 'cancel',
      onDismiss: async () => true, // Cancel creates nothing: nothing was sent.
      submit: async (input, confirm) =>
        (await graphql(ops.CREATE_CUSTOMER, { input, activityId: activity ? activity.id : null, confirm })).createCustomer,
      onCreated: (payload) => {
        const query = activity ? `?created=${encodeURIComponent(activity.id)}` : '?created=';
        ctx.navigate(`#/customer/${encodeURIComponent(payload.customer.id)}${query}`);
      },
      onPick: async (customer) => {
        if (!activity) {
          ctx.navigate(`#/customer/${encodeURIComponent(customer.id)}`);
          return true;
        }
        const result = (await graphql(ops.ASSOCIATE, { activityId: activity.id, customerId: customer.id })).associateActivity;
        if (result.__typename !== 'AssociateActivitySuccess') throw new Error(result.message);
        ctx.navigate(`#/customer/${encodeURIComponent(customer.id)}?associated=${encodeURIComponent(activity.id)}`);
        return true;
      },
    });
  };

  const loadActivities = async () => {
    try {
      const data = await graphql(ops.UNASSOCIATED, { first: 50 });
      const items = data.activities.edges.map((e) => e.node);
      activities.replaceChildren(
        ...(items.length
          ? items.map((activity) =>
              h(
                'li',
                { class: 'row', dataset: { activityId: activity.id } },
                h(
                  'span',
                  { class: 'row-main' },
                  h('strong', {}, senderLine(activity.sender)),
                  h('span', { class: 'meta' }, `${channelLabel(activity.channel)} · ${formatTime(activity.occurredAt)}`),
                ),
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn primary',
                    dataset: { action: 'create' },
                    onclick: () => createFor(activity),
                  },
                  t('create'),
                  aside(`: ${channelLabel(activity.channel)}, ${senderLine(activity.sender)}`),
                ),
              ),
            )
          : [h('li', { class: 'empty' }, t('noUnassociated'))]),
      );
    } catch (err) {
      ctx.failed(err);
    }
  };

  const search = async () => {
    try {
      const data = await graphql(ops.SEARCH_CUSTOMERS, { search: searchInput.value.trim() || null, first: 20 });
      const items = data.customers.edges.map((e) => e.node);
      results.replaceChildren(
        ...(items.length
          ? items.map((c) =>
              h(
                'li',
                { class: 'row' },
                h('a', { href: `#/customer/${encodeURIComponent(c.id)}` }, c.displayName),
                h('span', { class: 'meta' }, [c.emails[0] && c.emails[0].address, c.phones[0] && c.phones[0].number].filter(Boolean).join(' · ')),
              ),
            )
          : [h('li', { class: 'empty' }, t('noCustomersFound'))]),
      );
    } catch (err) {
      ctx.failed(err);
    }
  };

  main.replaceChildren(
    h(
      'section',
      { class: 'screen', 'aria-labelledby': 'pane-title' },
      h('h2', { id: 'pane-title' }, t('customerManagement')),
      h(
        'section',
        { 'aria-labelledby': 'unassociated-title' },
        h('h3', { id: 'unassociated-title' }, t('unassociatedActivities')),
        h('p', { class: 'hint' }, t('unassociatedHint')),
        activities,
      ),
      h(
        'section',
        { 'aria-labelledby': 'find-title' },
        h('h3', { id: 'find-title' }, t('findCustomer')),
        h(
          'form',
          {
            class: 'inline-form',
            role: 'search',
            onsubmit: (event) => {
              event.preventDefault();
              search();
            },
          },
          h('label', { for: searchId }, t('searchCustomers')),
          searchInput,
          h('button', { type: 'submit', class: 'btn' }, t('search')),
          h('button', { type: 'button', class: 'btn', dataset: { action: 'new-customer' }, onclick: () => createFor(null) }, t('newCustomer')),
        ),
        results,
      ),
    ),
  );
  loadActivities();
  search();
  return () => {};
}

export function renderCustomer(main, ctx, id, params) {
  const tabs = [
    { key: 'activities', label: t('activities') },
    { key: 'contacts', label: t('contacts') },
  ];
  let current = params.get('tab') === 'contacts' ? 'contacts' : 'activities';
  const panel = h('div', { class: 'tab-panel', role: 'tabpanel', id: 'customer-tab-panel', tabindex: '0' });
  const tabButtons = tabs.map((tab) =>
    h(
      'button',
      {
        type: 'button',
        role: 'tab',
        id: `tab-${tab.key}`,
        'aria-controls': 'customer-tab-panel',
        dataset: { tab: tab.key },
        onclick: () => select(tab.key, true),
        onkeydown: (event) => {
          if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
          const i = tabs.findIndex((x) => x.key === tab.key);
          const next = tabs[(i + (event.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
          select(next.key, true);
          document.getElementById(`tab-${next.key}`).focus();
        },
      },
      tab.label,
    ),
  );

  let customer = null;
  const heading = h('h2', { id: 'customer-title' }, '…');
  const details = h('dl', { class: 'details' });
  const notice = h('div', { class: 'notice', role: 'status', hidden: true });

  const load = async () => {
    try {
      const data = await graphql(ops.CUSTOMER, { id });
      customer = data.customer;
    } catch (err) {
      ctx.failed(err);
      return;
    }
    if (!customer) {
      main.replaceChildren(h('section', { class: 'screen' }, h('h2', {}, t('customerNotFound'))));
      return;
    }
    heading.textContent = customer.displayName;
    const address = customer.address
      ? [customer.address.street, customer.address.postcode, customer.address.city, customer.address.country].filter(Boolean).join(', ')
      : '';
    const rows = [
      [t('firstName'), customer.firstName],
      [t('lastName'), customer.lastName],
      [t('organizationName'), customer.organizationName],
      [t('email'), customer.emails.map((e) => e.address).join(', ')],
      [t('phone'), customer.phones.map((p) => p.number).join(', ')],
      [t('address'), address],
      [t('externalId'), customer.externalId],
    ].filter(([, value]) => value);
    details.replaceChildren(...rows.flatMap(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]));
    const created = params.get('created');
    const associated = params.get('associated');
    const highlighted = created || associated;
    if (created !== null || associated) {
      const activity = customer.activities.edges.map((e) => e.node).find((a) => a.id === highlighted);
      notice.textContent = activity
        ? t(created !== null ? 'createdWithActivity' : 'associatedWithActivity', {
            name: customer.displayName,
            channel: channelLabel(activity.channel),
          })
        : t('createdCustomer', { name: customer.displayName });
      notice.hidden = false;
    }
    select(current, false);
  };

  function select(key, userChose) {
    current = key;
    for (const button of tabButtons) {
      const on = button.dataset.tab === key;
      button.setAttribute('aria-selected', String(on));
      button.tabIndex = on ? 0 : -1;
    }
    panel.setAttribute('aria-labelledby', `tab-${key}`);
    if (userChose) history.replaceState(null, '', `#/customer/${encodeURIComponent(id)}?tab=${key}`);
    if (!customer) return;
    if (key === 'activities') drawActivities();
    else renderContactsTab(panel, ctx, customer, load);
  }

  function drawActivities() {
    const highlighted = params.get('created') || params.get('associated');
    const items = customer.activities.edges.map((e) => e.node);
    panel.replaceChildren(
      h('h3', { class: 'visually-hidden' }, t('activities')),
      items.length
        ? h(
            'ul',
            { class: 'rows', id: 'customer-activities' },
            items.map((a) =>
              h(
                'li',
                { class: `row${a.id === highlighted ? ' highlight' : ''}`, dataset: { activityId: a.id } },
                h('span', { class: 'row-main' }, h('strong', {}, channelLabel(a.channel)), h('span', { class: 'meta' }, formatTime(a.occurredAt))),
                a.subject ? h('span', {}, a.subject) : null,
              ),
            ),
          )
        : h('p', { class: 'empty' }, t('noActivities')),
    );
  }

  main.replaceChildren(
    h(
      'section',
      { class: 'screen customer', 'aria-labelledby': 'customer-title' },
      heading,
      notice,
      details,
      h('div', { class: 'tablist', role: 'tablist', 'aria-label': t('customerSections') }, tabButtons),
      panel,
    ),
  );
  load();
  return () => {};
}
