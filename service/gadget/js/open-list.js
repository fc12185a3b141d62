// The open list: the caller first (the latest screen pop, headed and timed, above everything),
// then the pending new customers waiting for the agent, newest or oldest first as the agent
// chooses, updated live. Each entry shows the seeds' display rule (name, else email, else
// phone, else "Unknown customer", which the service applies in the page's language).
// Clicking one opens the customer information form.

import { graphql } from './api.js';
import { openCustomerForm } from './customer-form.js';
import { announce, ask, formatTime, h, newId, showAlert } from './dom.js';
import { t } from './i18n.js';
import { subscribe } from './live.js';
import * as ops from './operations.js';

/** The open list the viewer works on: an agent's own; everyone's for other staff. */
export function agentIdOf(viewer) {
  return viewer.role === 'AGENT' ? viewer.id : null;
}

function channelLabel(channel) {
  return t(`channel_${channel}`);
}

const ORDER_KEY = 'customer-context.open-list-order';

/** The agent's choice, kept in this browser: 'newest' (the default) or 'oldest' first. */
function savedOrder() {
  try {
    return localStorage.getItem(ORDER_KEY) === 'oldest' ? 'oldest' : 'newest';
  } catch {
    return 'newest';
  }
}

export function render(main, ctx) {
  const agentId = agentIdOf(ctx.viewer);
  const entries = new Map(); // id -> entry
  // Entries resolved while a re-read of the list was on its way: they never reopen, so an
  // older answer that still lists them must not bring them back.
  const gone = new Set();
  const list = h('ul', { class: 'entries', id: 'open-list', 'aria-describedby': 'open-list-count' });
  const count = h('p', { class: 'count', id: 'open-list-count' });
  const liveBadge = h('span', { class: 'live-badge', id: 'live-mode', dataset: { live: 'connecting' } }, t('liveConnecting'));
  // The caller: the latest screen pop, then the few before it.
  const caller = h('div', { class: 'caller-body', id: 'current-caller' }, h('p', { class: 'empty' }, t('noCallerYet')));
  const pops = h('ul', { class: 'screen-pops', 'aria-label': t('earlierCallers') });
  const popItems = [];
  let order = savedOrder();
  const orderId = newId('order');
  const orderSelect = h(
    'select',
    {
      id: orderId,
      name: 'order',
      dataset: { action: 'order' },
      onchange: () => {
        order = orderSelect.value === 'oldest' ? 'oldest' : 'newest';
        try {
          localStorage.setItem(ORDER_KEY, order);
        } catch {
          /* private mode: the choice lasts as long as the page */
        }
        draw();
      },
    },
    h('option', { value: 'newest', selected: order === 'newest' }, t('newestFirst')),
    h('option', { value: 'oldest', selected: order === 'oldest' }, t('oldestFirst')),
  );

  main.replaceChildren(
    h(
      'section',
      { class: 'screen open-list', 'aria-labelledby': 'open-list-title' },
      h('div', { class: 'screen-head' }, h('h2', { id: 'open-list-title' }, t('openList')), liveBadge),
      h(
        'section',
        { class: 'caller', 'aria-labelledby': 'caller-title' },
        h('h3', { id: 'caller-title' }, t('currentCaller')),
        caller,
        pops,
      ),
      h(
        'section',
        { class: 'waiting', 'aria-labelledby': 'waiting-title' },
        h(
          'div',
          { class: 'screen-head spread' },
          h('h3', { id: 'waiting-title' }, t('waitingTitle')),
          h('div', { class: 'field inline' }, h('label', { for: orderId }, t('order')), orderSelect),
        ),
        h('p', { class: 'hint' }, t('openListHint')),
        count,
        list,
      ),
    ),
  );

  // Rows by entry id. The list is updated in place, never rebuilt: a redraw while the agent
  // is on an entry (or has its form open) must not take the keyboard focus away.
  const rows = new Map();

  const entryContent = (entry) => {
    const activity = entry.activity || {};
    return [
      h('span', { class: 'entry-name' }, entry.displayName),
      h(
        'span',
        { class: 'entry-meta' },
        `${channelLabel(activity.channel)} · ${formatTime(activity.occurredAt)}`,
        activity.subject ? ` · ${activity.subject}` : '',
      ),
      // The same sender got in touch again while waiting: one entry, its activities counted.
      entry.activityCount > 1 ? h('span', { class: 'badge entry-activities' }, t('entryActivities', { count: entry.activityCount })) : null,
      entry.candidates && entry.candidates.length
        ? h('span', { class: 'badge' }, t('possibleMatchesCount', { count: entry.candidates.length }))
        : null,
    ].filter(Boolean);
  };

  const draw = () => {
    const items = [...entries.values()].filter((e) => e.status === 'OPEN');
    // createdAt is the service's clock: the same order whichever way an entry arrived.
    items.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    if (order === 'newest') items.reverse();
    count.textContent = items.length ? t('waitingCount', { count: items.length }) : t('openListEmpty');
    const wanted = new Set(items.map((e) => e.id));
    for (const [id, row] of rows) {
      if (!wanted.has(id)) {
        row.li.remove();
        rows.delete(id);
      }
    }
    let previous = null;
    for (const entry of items) {
      let row = rows.get(entry.id);
      if (row) {
        row.entry = entry;
        row.button.replaceChildren(...entryContent(entry));
      } else {
        row = { entry };
        row.button = h(
          'button',
          { type: 'button', class: 'entry', dataset: { entryId: entry.id }, onclick: () => openEntry(row.entry) },
          entryContent(entry),
        );
        row.li = h('li', {}, row.button);
        rows.set(entry.id, row);
      }
      const expected = previous ? previous.nextSibling : list.firstChild;
      if (row.li !== expected) list.insertBefore(row.li, expected);
      previous = row.li;
    }
  };

  const load = async () => {
    try {
      const data = await graphql(ops.OPEN_LIST, { agentId, first: 100 });
      entries.clear();
      for (const edge of data.openList.edges) if (!gone.has(edge.node.id)) entries.set(edge.node.id, edge.node);
      draw();
    } catch (err) {
      ctx.failed(err);
    }
  };

  const remove = (id) => {
    gone.add(id);
    entries.delete(id);
    draw();
  };

  async function openEntry(entry) {
    // The candidates' details (phone, email, organisation, why they matched) come with the
    // form, not with the list.
    let candidates = [];
    if (entry.candidates && entry.candidates.length) {
      try {
        const found = (await graphql(ops.ENTRY_CANDIDATES, { id: entry.id })).openListEntry;
        candidates = found ? found.candidates : [];
      } catch (err) {
        ctx.failed(err);
      }
    }
    const activity = entry.activity || {};
    const sender = activity.sender || {};
    openCustomerForm({
      title: t('customerInformation'),
      about: t('formFor', { channel: channelLabel(activity.channel), name: entry.displayName, time: formatTime(activity.occurredAt) }),
      prefill: {
        firstName: entry.prefill.firstName,
        lastName: entry.prefill.lastName,
        email: entry.prefill.email,
        phone: entry.prefill.phone,
      },
      candidates,
      dismissLabel: 'close',
      submit: async (input, confirm) =>
        (await graphql(ops.CREATE_FROM_OPEN_LIST, { entryId: entry.id, input, confirm })).createCustomerFromOpenList,
      onCreated: (payload) => {
        remove(entry.id);
        const customer = payload.customer || (payload.entry && payload.entry.customer);
        if (payload.__typename === 'AlreadyResolvedError') announce(t('alreadyResolved'));
        if (customer) ctx.navigate(`#/customer/${encodeURIComponent(customer.id)}?created=${encodeURIComponent(activity.id)}`);
      },
      onPick: async (customer) => {
        const result = (await graphql(ops.ASSOCIATE, { activityId: activity.id, customerId: customer.id })).associateActivity;
        if (result.__typename !== 'AssociateActivitySuccess') {
          showAlert(result.message);
          return false;
        }
        remove(entry.id);
        ctx.navigate(`#/customer/${encodeURIComponent(customer.id)}?associated=${encodeURIComponent(activity.id)}`);
        return true;
      },
      onDismiss: async () => {
        const choice = await ask({
          title: t('discardTitle'),
          message: t('discardMessage', { name: entry.displayName }),
          choices: [
            { label: t('discard'), value: 'discard', danger: true, action: 'discard' },
            { label: t('keepOnList'), value: 'keep', action: 'keep' },
            { label: t('backToForm'), value: null, focus: true, action: 'back' },
          ],
        });
        if (choice === 'keep') return true;
        if (choice !== 'discard') return false;
        try {
          const result = (await graphql(ops.DISCARD, { entryId: entry.id })).discardOpenListEntry;
          if (result.__typename === 'DiscardOpenListEntrySuccess' || result.__typename === 'AlreadyResolvedError') {
            remove(entry.id);
            announce(t('discarded', { name: entry.displayName }));
            return true;
          }
          showAlert(result.message);
        } catch (err) {
          ctx.failed(err);
        }
        return true;
      },
    });
  }

  const setMode = (mode) => {
    liveBadge.dataset.live = mode;
    liveBadge.textContent = { connecting: t('liveConnecting'), subscription: t('liveOn'), polling: t('livePolling') }[mode];
  };

  const openListFeed = subscribe({
    query: ops.OPEN_LIST_CHANGED,
    variables: { agentId },
    onMode: setMode,
    onFallback: load,
    onData: ({ openListChanged }) => {
      const { change, entry } = openListChanged;
      if ((change === 'ADDED' || change === 'JOINED') && entry.status === 'OPEN') {
        entries.set(entry.id, entry);
        announce(t(change === 'ADDED' ? 'newEntry' : 'entryJoined', { name: entry.displayName }));
      } else {
        gone.add(entry.id);
        entries.delete(entry.id);
      }
      draw();
    },
  });

  // The screen pop: every activity recorded for this agent, as it arrives. A recognised
  // caller links to the customer; a new one opens the entry's form.
  const popContent = (pop) => {
    const activity = pop.activity;
    const name = pop.customer ? pop.customer.displayName : pop.openListEntry ? pop.openListEntry.displayName : t('unknownSender');
    const who = pop.customer
      ? h('a', { href: `#/customer/${encodeURIComponent(pop.customer.id)}`, class: 'caller-name' }, name)
      : pop.openListEntry
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn link caller-name',
              dataset: { popEntryId: pop.openListEntry.id, action: 'open-entry' },
              onclick: () => {
                const entry = entries.get(pop.openListEntry.id);
                if (entry) openEntry(entry);
              },
            },
            name,
          )
        : h('span', { class: 'caller-name' }, name);
    const time = h('time', { datetime: activity.occurredAt }, formatTime(activity.occurredAt));
    return [
      who,
      h('span', { class: 'meta' }, channelLabel(activity.channel), ' · ', time),
      h('span', { class: 'caller-status' }, t(pop.customer ? 'callerRecognised' : pop.openListEntry ? 'callerNew' : 'callerUnknown')),
      pop.customer && pop.customer.organizationName && pop.customer.organizationName !== name
        ? h('span', { class: 'meta' }, pop.customer.organizationName)
        : null,
    ];
  };

  const showPop = (pop) => {
    popItems.unshift(pop);
    popItems.length = Math.min(popItems.length, 5);
    caller.replaceChildren(h('p', { class: 'caller-line', dataset: { activityId: pop.activity.id } }, popContent(pop)));
    pops.replaceChildren(...popItems.slice(1).map((p) => h('li', { dataset: { activityId: p.activity.id } }, popContent(p))));
  };

  const screenPops = subscribe({
    query: ops.ACTIVITY_RECORDED,
    variables: { agentId },
    onFallback: () => {},
    onData: ({ activityRecorded }) => {
      showPop(activityRecorded);
      const name = activityRecorded.customer ? activityRecorded.customer.displayName : activityRecorded.openListEntry?.displayName;
      if (activityRecorded.customer) {
        announce(t('recognised', { channel: channelLabel(activityRecorded.activity.channel), name }));
      }
    },
  });

  load();
  return () => {
    openListFeed.stop();
    screenPops.stop();
  };
}
