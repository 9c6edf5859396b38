// Neo4j's own Cypher parser and semantic analysis, as a line-oriented service for the
// test suite: one JSON request per line in ({"query", "parameters"}), one JSON answer
// per line out ({"diagnostics": [{severity, message, line, character}]}).
import { createInterface } from 'node:readline';
import { lintCypherQuery } from '@neo4j-cypher/language-support';

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let answer;
  try {
    const { query, parameters } = JSON.parse(line);
    const { diagnostics } = lintCypherQuery(query, { parameters: parameters ?? {} });
    answer = {
      diagnostics: diagnostics.map((d) => ({
        severity: d.severity === 1 ? 'error' : d.severity === 2 ? 'warning' : 'info',
        message: d.message,
        line: d.range?.start?.line,
        character: d.range?.start?.character,
      })),
    };
  } catch (err) {
    answer = { diagnostics: [{ severity: 'error', message: `linter failed: ${err}` }] };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}
