// The customer management pane (finding a customer first; activities without a customer,
// with Create where the agent may take them) and a customer's page (details and Edit,
// activities page by page, the contacts tab), kept current while it is open.

import { graphql } from './api.js';
import { renderContactsTab } from './contacts.js';
import { openCustomerForm } from './customer-form.js';
import { MAX_TEXT_LENGTH, announce, aside, formatTime, h, newId, showAlert } from './dom.js';
import { t } from './i18n.js';
import { onChange, tellChanged } from './changes.js';
import * as ops from './operations.js';

const ACTIVITIES_PAGE = 10;

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

/** Whether the viewer may give this activity a customer: the service refuses (FORBIDDEN) an
 *  activity still waiting on another agent's open list, so Create is not offered there. An
 *  entry the viewer may not see is another agent's. */
function mayTake(viewer, activity) {
  if (viewer.role !== 'ADMIN' && viewer.role !== 'AGENT') return false;
  if (viewer.role === 'ADMIN') return true;
  const entry = activity.openListEntry;
  if (entry) return entry.status !== 'OPEN' || !entry.agentId || entry.agentId === viewer.id;
  return !activity.agentId || activity.agentId === viewer.id;
}

export function renderPane(main, ctx) {
  const canWrite = ctx.viewer.role === 'ADMIN' || ctx.viewer.role === 'AGENT';
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
                mayTake(ctx.viewer, activity)
                  ? h(
                      'button',
                      {
                        type: 'button',
                        class: 'btn',
                        dataset: { action: 'create' },
                        onclick: () => createFor(activity),
                      },
                      t('create'),
                      aside(`: ${channelLabel(activity.channel)}, ${senderLine(activity.sender)}`),
                    )
                  : h('span', { class: 'meta', dataset: { note: 'other-agent' } }, t('onAgentsList', { agent: activity.agentId || '' })),
              ),
            )
          : [h('li', { class: 'empty' }, t('noUnassociated'))]),
      );
    } catch (err) {
      ctx.failed(err);
    }
  };

  let latest = 0; // an answer to a superseded search (typing on) is dropped
  const search = async () => {
    const request = ++latest;
    try {
      const data = await graphql(ops.SEARCH_CUSTOMERS, { search: searchInput.value.trim() || null, first: 20 });
      if (request !== latest) return;
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
      // Finding a customer comes first: it is what an agent on a call needs most.
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
          h('button', { type: 'submit', class: 'btn primary' }, t('search')),
          canWrite
            ? h('button', { type: 'button', class: 'btn', dataset: { action: 'new-customer' }, onclick: () => createFor(null) }, t('newCustomer'))
            : null,
        ),
        results,
      ),
      h(
        'section',
        { 'aria-labelledby': 'unassociated-title' },
        h('h3', { id: 'unassociated-title' }, t('unassociatedActivities')),
        h('p', { class: 'hint' }, t('unassociatedHint')),
        activities,
      ),
    ),
  );
  let debounce = null;
  searchInput.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(search, 300);
  });
  loadActivities();
  search();
  return () => clearTimeout(debounce);
}

export function renderCustomer(main, ctx, id, params) {
  const tabs = [
    { key: 'activities', label: t('activities') },
    { key: 'contacts', label: t('contacts') },
  ];
  const canWrite = ctx.viewer.role === 'ADMIN' || ctx.viewer.role === 'AGENT';
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
  let activityPages = null; // {items, pageInfo, totalCount}: pages shown so far
  let activitiesShown = ACTIVITIES_PAGE;
  let stopped = false;
  const heading = h('h2', { id: 'customer-title' }, '…');
  const editButton = canWrite
    ? h('button', { type: 'button', class: 'btn', dataset: { action: 'edit-customer' }, onclick: () => edit() }, t('editCustomer'))
    : null;
  const details = h('dl', { class: 'details' });
  const notice = h('div', { class: 'notice', role: 'status', hidden: true });

  const load = async () => {
    let data;
    try {
      data = await graphql(ops.CUSTOMER, { id, activities: Math.min(100, activitiesShown) });
    } catch (err) {
      ctx.failed(err);
      return;
    }
    if (stopped) return;
    customer = data.customer;
    if (!customer) {
      main.replaceChildren(h('section', { class: 'screen' }, h('h2', {}, t('customerNotFound'))));
      return;
    }
    const a = customer.activities;
    activityPages = { items: a.edges.map((e) => e.node), pageInfo: a.pageInfo, totalCount: a.totalCount };
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
      const activity = activityPages.items.find((x) => x.id === highlighted);
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

  // Someone else (another tab, another agent) changed this customer, its contacts or its
  // activities: show it as it is now.
  const watch = onChange({
    id,
    query: ops.CUSTOMER_VERSION,
    fingerprint: (c) => (c ? [c.version, c.main.totalCount, c.additional.totalCount, c.activities.totalCount].join(':') : 'gone'),
    onChanged: () => {
      if (!document.querySelector('dialog[open]')) load();
    },
  });

  /** Reloads after a change made here, and tells the other open screens. */
  const changed = async () => {
    tellChanged(id);
    await load();
    await watch.settle();
  };

  function edit() {
    if (!customer) return;
    const before = {
      firstName: customer.firstName,
      lastName: customer.lastName,
      organizationName: customer.organizationName,
      email: customer.emails[0]?.address,
      emails: customer.emails,
      phone: customer.phones[0]?.number,
      phones: customer.phones,
      externalId: customer.externalId,
      ...(customer.address || {}),
    };
    const version = customer.version;
    openCustomerForm({
      title: t('editCustomerTitle', { name: customer.displayName }),
      prefill: before,
      submitLabel: 'save',
      changedOnly: true,
      dismissLabel: 'cancel',
      onDismiss: async () => true,
      submit: async (input) => (await graphql(ops.UPDATE_CUSTOMER, { id, expectedVersion: version, input })).updateCustomer,
      onCreated: async (payload) => {
        if (payload.__typename === 'VersionConflictError') {
          // Saved by someone else meanwhile: nothing was overwritten. Say so, show it as it is.
          showAlert(payload.message);
        } else {
          announce(t('customerSaved', { name: payload.customer.displayName }));
        }
        await changed();
        if (editButton) editButton.focus();
      },
      onPick: async () => true,
    });
  }

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
    else renderContactsTab(panel, ctx, customer, changed);
  }

  async function more() {
    const { pageInfo } = activityPages;
    let data;
    try {
      data = await graphql(ops.CUSTOMER_ACTIVITIES, { id, first: ACTIVITIES_PAGE, after: pageInfo.endCursor });
    } catch (err) {
      ctx.failed(err);
      return;
    }
    if (!data.customer) return;
    const page = data.customer.activities;
    const first = activityPages.items.length;
    activityPages = {
      items: [...activityPages.items, ...page.edges.map((e) => e.node)],
      pageInfo: page.pageInfo,
      totalCount: page.totalCount,
    };
    activitiesShown = activityPages.items.length;
    drawActivities();
    // The keyboard goes on to the first activity just shown.
    const added = panel.querySelectorAll('#customer-activities > li')[first];
    if (added) added.focus();
  }

  function drawActivities() {
    const highlighted = params.get('created') || params.get('associated');
    const { items, pageInfo, totalCount } = activityPages;
    panel.replaceChildren(
      h('h3', { class: 'visually-hidden' }, t('activities')),
      items.length
        ? h(
            'ul',
            { class: 'rows activities', id: 'customer-activities' },
            items.map((a) =>
              h(
                'li',
                { class: `activity${a.id === highlighted ? ' highlight' : ''}`, dataset: { activityId: a.id }, tabindex: '-1' },
                h(
                  'div',
                  { class: 'activity-head' },
                  h('strong', {}, t(`activityKind_${a.direction}`, { channel: channelLabel(a.channel) })),
                  h('span', { class: 'meta' }, formatTime(a.occurredAt)),
                  a.agentId ? h('span', { class: 'meta', dataset: { agent: a.agentId } }, t('handledBy', { agent: a.agentId })) : null,
                ),
                a.subject ? h('p', { class: 'activity-subject' }, a.subject) : null,
                a.text ? h('p', { class: 'activity-text' }, a.text) : null,
              ),
            ),
          )
        : h('p', { class: 'empty' }, t('noActivities')),
      items.length
        ? h(
            'div',
            { class: 'pager' },
            h('span', { class: 'count', id: 'activities-count' }, t('activitiesShown', { shown: items.length, count: totalCount })),
            pageInfo.hasNextPage
              ? h('button', { type: 'button', class: 'btn', dataset: { action: 'more-activities' }, onclick: more }, t('olderActivities'))
              : null,
          )
        : null,
    );
  }

  main.replaceChildren(
    h(
      'section',
      { class: 'screen customer', 'aria-labelledby': 'customer-title' },
      h('div', { class: 'screen-head' }, heading, editButton),
      notice,
      details,
      h('div', { class: 'tablist', role: 'tablist', 'aria-label': t('customerSections') }, tabButtons),
      panel,
    ),
  );
  load();
  return () => {
    stopped = true;
    watch.stop();
  };
}
