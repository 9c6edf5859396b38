"""The Neo4j key store's statements pass Neo4j's own front end."""

from __future__ import annotations

from graph.access import Role
from graph.cypher.dialect import NEO4J
from graph.keys import GraphKeyStore, new_key
from tests.capture import CapturingStore
from tests.cypher_lint import CypherLinter


async def test_key_store_statements_are_valid_neo4j(cypher_linter: CypherLinter) -> None:
    store = CapturingStore(NEO4J)
    keys = GraphKeyStore(store)
    _, record = new_key(b"p" * 64, Role.PARTNER, company_id="company:acme")
    await keys.put(record)
    await keys.get(record.id)
    await keys.all()
    await keys.touch(record.id)
    await keys._set(record.id, "revoked", "2030-01-01T00:00:00+00:00")
    assert len(store.captured) == 6 and store.captured[0][0] == GraphKeyStore.CONSTRAINT
    for text, params in store.captured:
        cypher_linter.assert_valid("CYPHER 5 " + text, params)
