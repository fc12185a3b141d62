// Drives the reference graphql-ws client (with the ws WebSocket implementation) for
// tests/test_subscriptions.py. Commands arrive on stdin and reports leave on stdout, one JSON
// object per line:
//
//   {"op": "client", "client": "a", "url": "ws://...", "connectionParams": {...}, "retry": true, "lazy": false}
//   {"op": "subscribe", "client": "a", "id": "s1", "query": "...", "variables": {...}}
//   {"op": "unsubscribe", "id": "s1"}
//   {"op": "dispose", "client": "a"}
//
// Reports: {"client": "a", "event": "connected" | "closed" | "error", "code", "reason", ...}
// and {"id": "s1", "event": "next" | "error" | "complete", "payload" | "errors" | "close"}.
import { createInterface } from "node:readline";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const clients = new Map();
const subscriptions = new Map();

function report(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

function describeError(error) {
  if (Array.isArray(error)) return { errors: error };
  if (error && typeof error.code === "number") return { close: { code: error.code, reason: String(error.reason ?? "") } };
  return { message: String(error?.message ?? error) };
}

function newClient({ client: name, url, connectionParams, retry = false, lazy = false }) {
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: connectionParams ?? undefined,
    lazy,
    // Retry on any close (4403 included, so a test can see it refused again) when asked to;
    // quickly, so that tests need not wait through the default backoff.
    retryAttempts: retry ? 50 : 0,
    shouldRetry: () => retry,
    retryWait: () => new Promise((resolve) => setTimeout(resolve, 200)),
    on: {
      connected: () => report({ client: name, event: "connected" }),
      closed: (event) => report({ client: name, event: "closed", code: event?.code, reason: String(event?.reason ?? "") }),
      error: (error) => report({ client: name, event: "error", ...describeError(error) }),
    },
  });
  clients.set(name, client);
}

function subscribe({ client: name, id, query, variables }) {
  const client = clients.get(name);
  const unsubscribe = client.subscribe(
    { query, variables: variables ?? {} },
    {
      next: (payload) => report({ id, event: "next", payload }),
      error: (error) => report({ id, event: "error", ...describeError(error) }),
      complete: () => report({ id, event: "complete" }),
    },
  );
  subscriptions.set(id, unsubscribe);
}

const handlers = {
  client: newClient,
  subscribe,
  unsubscribe: ({ id }) => subscriptions.get(id)?.(),
  dispose: async ({ client: name }) => {
    await clients.get(name)?.dispose();
    report({ client: name, event: "disposed" });
  },
};

createInterface({ input: process.stdin }).on("line", async (line) => {
  if (!line.trim()) return;
  const command = JSON.parse(line);
  try {
    await handlers[command.op](command);
  } catch (error) {
    report({ event: "driver-error", op: command.op, message: String(error?.stack ?? error) });
  }
}).on("close", () => {
  for (const client of clients.values()) client.dispose();
  process.exit(0);
});

report({ event: "ready" });
