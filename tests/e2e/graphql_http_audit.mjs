// graphql-http's audit of a GraphQL-over-HTTP server (https://graphql.github.io/graphql-over-http/),
// run against a live server. Usage: node graphql_http_audit.mjs <url>
// CRMGRAPH_AUDIT_AUTHORIZATION, when set, is sent as the Authorization header of every request.
// Prints one JSON object: {ok, warn, error, results: [{id, name, status, reason}]}.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
const authorization = process.env.CRMGRAPH_AUDIT_AUTHORIZATION;

function fetchFn(input, init = {}) {
  if (!authorization) return fetch(input, init);
  const headers = new Headers(init.headers ?? {});
  headers.set('authorization', authorization);
  return fetch(input, { ...init, headers });
}

const results = [];
for (const audit of serverAudits({ url, fetchFn })) {
  const result = await audit.fn();
  results.push({ id: audit.id, name: audit.name, status: result.status, reason: result.reason ?? null });
}
const count = (status) => results.filter((r) => r.status === status).length;
process.stdout.write(JSON.stringify({ ok: count('ok'), warn: count('warn'), error: count('error'), results }) + '\n');
