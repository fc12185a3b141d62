// Telling open screens that a customer changed. The service has no subscription for
// customer changes, so a screen learns of them two ways: from this browser's other tabs at
// once (BroadcastChannel, said by the tab that saved), and from everyone else by asking for
// the record's version every few seconds while the screen is visible.

import { graphql } from './api.js';

const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('customer-context');
const POLL_SECONDS = 5;

/** This tab changed customer `id` (or its contacts): the other tabs showing it reload. */
export function tellChanged(id) {
  if (channel) channel.postMessage({ customer: id });
}

/**
 * Calls onChanged() when customer `id` changes elsewhere: at once when another tab says so,
 * else when `fingerprint(query's customer)` differs from what it was. Returns {stop()}.
 */
export function onChange({ id, query, fingerprint, onChanged }) {
  let last = null;
  let stopped = false;
  const check = async () => {
    if (stopped || document.hidden) return;
    let data;
    try {
      data = await graphql(query, { id });
    } catch {
      return; // a failed poll says nothing; the next one asks again
    }
    const now = fingerprint(data.customer);
    if (last !== null && now !== last && !stopped) onChanged();
    last = now;
  };
  const listener = (event) => {
    if (event.data && event.data.customer === id) {
      onChanged();
      check();
    }
  };
  if (channel) channel.addEventListener('message', listener);
  check();
  const timer = setInterval(check, POLL_SECONDS * 1000);
  return {
    /** The screen reloaded after its own change: that is not news. */
    async settle() {
      last = null;
      await check();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      if (channel) channel.removeEventListener('message', listener);
    },
  };
}
