// Runs graphql-http's GraphQL-over-HTTP server audits against a running service and prints
// the results as JSON on standard output (tests/test_graphql_over_http.py reads them).
//
//   node audit.mjs http://127.0.0.1:8000/graphql
//
// Output: {"results": [{"id", "name", "status", "reason"?, "response"?}], "counts": {...}}
// where status is ok, notice (a MAY not met), warn (a SHOULD not met) or error (a MUST
// not met), and response shows the status code and body the server answered with.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}

const results = [];
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  const entry = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    entry.reason = result.reason;
    let body = '';
    try {
      body = await result.response.text();
    } catch {
      // the audit already read it
    }
    entry.response = {
      status: result.response.status,
      contentType: result.response.headers.get('content-type'),
      body: body.slice(0, 500),
    };
  }
  results.push(entry);
}

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const { status } of results) counts[status] += 1;
process.stdout.write(JSON.stringify({ results, counts }, null, 2) + '\n');
