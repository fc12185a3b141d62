// Live updates over GraphQL subscriptions: a small client of the graphql-transport-ws
// protocol (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md) on the
// service's /graphql URL. The protocol is small enough that a hand-written client keeps the
// gadget free of a build step:
//
//   client -> connection_init {payload: {authorization: "Bearer ...", acceptLanguage: "cs"}}
//   server -> connection_ack
//   client -> subscribe {id, payload: {query, variables}}
//   server -> next {id, payload: {data}} ... | error {id, payload: [errors]} | complete {id}
//   either -> ping / pong (answer a ping with a pong)
//
// When the service cannot subscribe (no WebSocket, the subscription is refused, the socket
// drops), `subscribe` falls back to polling: `onFallback` runs every `pollSeconds` until a
// new connection has been acknowledged and the subscription accepted again.

import { GRAPHQL_URL, token } from './api.js';
import { locale } from './i18n.js';

const PROTOCOL = 'graphql-transport-ws';
const ACK_TIMEOUT_MS = 5000;
const ACCEPT_GRACE_MS = 800;
const MAX_RETRY_MS = 30000;

function socketUrl() {
  const url = new URL(GRAPHQL_URL);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

let nextId = 1;

/**
 * Subscribe to one operation. Returns {stop()}.
 *   onData(data)     each `next` payload's data
 *   onFallback()     re-query what the subscription would have told (called at once when
 *                    falling back, then every pollSeconds while there is no subscription)
 *   onMode(mode)     'connecting' | 'subscription' | 'polling'
 */
export function subscribe({ query, variables = {}, onData, onFallback, onMode = () => {}, pollSeconds = 5 }) {
  let socket = null;
  let stopped = false;
  let retryMs = 1000;
  let retryTimer = null;
  let pollTimer = null;
  let ackTimer = null;
  let acceptTimer = null;
  let mode = null;
  const id = String(nextId++);

  const setMode = (value) => {
    if (mode !== value) {
      mode = value;
      onMode(value);
    }
  };

  const startPolling = () => {
    if (stopped || pollTimer) return;
    setMode('polling');
    onFallback();
    pollTimer = setInterval(() => {
      if (!document.hidden) onFallback();
    }, pollSeconds * 1000);
  };

  const stopPolling = () => {
    clearInterval(pollTimer);
    pollTimer = null;
  };

  const reconnectLater = () => {
    if (stopped || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect();
    }, retryMs);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  };

  const giveUp = (retry) => {
    clearTimeout(ackTimer);
    clearTimeout(acceptTimer);
    if (socket) {
      socket.onclose = null;
      socket.onerror = null;
      socket.onmessage = null;
      try {
        socket.close(1000);
      } catch {
        /* already closed */
      }
      socket = null;
    }
    startPolling();
    if (retry) reconnectLater();
  };

  function connect() {
    if (stopped) return;
    if (typeof WebSocket === 'undefined') {
      startPolling();
      return;
    }
    if (!pollTimer) setMode('connecting');
    let ws;
    try {
      ws = new WebSocket(socketUrl(), PROTOCOL);
    } catch {
      giveUp(true);
      return;
    }
    socket = ws;
    ws.onopen = () => {
      // The page's language, which may not be the browser's (?lang=): the handshake's own
      // Accept-Language header is the browser's.
      const payload = { acceptLanguage: locale() };
      if (token()) payload.authorization = `Bearer ${token()}`;
      ws.send(JSON.stringify({ type: 'connection_init', payload }));
      ackTimer = setTimeout(() => giveUp(true), ACK_TIMEOUT_MS);
    };
    ws.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      switch (message.type) {
        case 'connection_ack':
          clearTimeout(ackTimer);
          ackTimer = null;
          ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
          // graphql-transport-ws says nothing after an accepted subscribe until the first
          // event, while a refused one gets `error` at once: silence for a moment means
          // accepted.
          acceptTimer = setTimeout(() => live(ws), ACCEPT_GRACE_MS);
          break;
        case 'next':
          if (message.id !== id) break;
          live(ws);
          if (message.payload && message.payload.data) onData(message.payload.data);
          break;
        case 'error':
          // The service does not know this subscription (or refuses it): poll, and do not
          // retry a request that will be refused again.
          if (message.id === id) giveUp(false);
          break;
        case 'complete':
          if (message.id === id) giveUp(true);
          break;
        case 'ping':
          ws.send(JSON.stringify({ type: 'pong' }));
          break;
        default:
          break;
      }
    };
    ws.onerror = () => {};
    ws.onclose = () => {
      socket = null;
      giveUp(true);
    };
  }

  function live(ws) {
    clearTimeout(acceptTimer);
    if (ws !== socket || mode === 'subscription') return;
    stopPolling();
    retryMs = 1000;
    setMode('subscription');
    // Whatever happened before the subscription started (or while the socket was down) is
    // fetched once; from now on the events tell.
    onFallback();
  }

  connect();
  return {
    stop() {
      stopped = true;
      clearTimeout(acceptTimer);
      clearTimeout(retryTimer);
      clearTimeout(ackTimer);
      stopPolling();
      if (socket) {
        socket.onclose = null;
        try {
          socket.send(JSON.stringify({ id, type: 'complete' }));
          socket.close(1000);
        } catch {
          /* already closed */
        }
      }
    },
  };
}
