// GraphQL over HTTP, exactly as a partner's frontend calls the service: POST /graphql with
// the bearer token (if any) and the page's language, so that server messages and the
// "Unknown customer" display name come back in the language the page shows.

import { locale } from './i18n.js';

const TOKEN_KEY = 'customer-context.token';

/** Where the service is: the page is served by it, so /graphql on the same origin, unless
 *  the embedding page says otherwise with <html data-graphql-url="https://...">. */
export const GRAPHQL_URL = new URL(
  document.documentElement.dataset.graphqlUrl || '/graphql',
  window.location.href,
).href;

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** The request was refused as a whole: 401 (sign in again) or a top-level GraphQL error. */
export class RequestError extends Error {
  constructor(message, { status = 200, code = null, requestId = null } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

/** Runs one operation and returns its `data`; throws RequestError for a 401 or any
 *  top-level error (payload errors of mutations are data, handled by the screens). */
export async function graphql(query, variables = {}) {
  const headers = {
    'Content-Type': 'application/json',
    Accept: 'application/graphql-response+json, application/json;q=0.9',
    'Accept-Language': locale(),
  };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  let response;
  try {
    response = await fetch(GRAPHQL_URL, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  } catch (err) {
    throw new RequestError(err.message, { status: 0, code: 'NETWORK' });
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    throw new RequestError(`HTTP ${response.status}`, { status: response.status });
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    const ext = first.extensions || {};
    throw new RequestError(first.message, {
      status: response.status,
      code: ext.code || null,
      requestId: ext.requestId || response.headers.get('X-Request-Id'),
    });
  }
  return body.data;
}
