"""The audit trail: every mutation and import batch records who made it, in the same
statement as the write; refused writes record nothing; admins read it through GraphQL."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
import strawberry

from graph.access import Access, Role
from graph.audit import AUDIT_LABEL, Audit, auditing, read_audit
from graph.io.importer import Importer, Source
from graph.store import Store
from tests.conftest import GraphQLClient

EDITOR = Access(Role.EDITOR, key_id="k-editor")
ADMIN = Access(Role.ADMIN, subject="ops@example.com")


async def count(store: Store, query: str) -> int:
    return (await store.read(query))[0]["n"]


async def test_each_mutation_records_its_actor_operation_and_ids(empty_store: Store, schema: strawberry.Schema) -> None:
    client = GraphQLClient(schema, empty_store)
    await client.data('mutation { createCompany(input: {id: "c:1", name: "Acme"}) { id } }', access=EDITOR)
    await client.data('mutation { createPerson(input: {id: "p:1", name: "Ann"}) { id } }', access=ADMIN)
    await client.data('mutation { linkWorksFor(input: {personId: "p:1", companyId: "c:1"}) { __typename } }',
                      access=EDITOR)
    page = await read_audit(empty_store)
    got = [(e.actor, e.operation, e.ids) for e in page.events]
    assert got == [("key:k-editor", "linkWorksFor", ["p:1", "c:1"]),
                   ("sub:ops@example.com", "createPerson", ["p:1"]),
                   ("key:k-editor", "createCompany", ["c:1"])]
    assert not page.has_next_page


async def test_a_refused_write_records_nothing(empty_store: Store, schema: strawberry.Schema) -> None:
    client = GraphQLClient(schema, empty_store)
    await client.data('mutation { createCompany(input: {id: "c:1", name: "Acme"}) { id } }', access=EDITOR)
    result = await client.execute('mutation { createCompany(input: {id: "c:1", name: "Again"}) { id } }',
                                  access=EDITOR)
    assert result.errors and result.errors[0].extensions["code"] == "DUPLICATE_ID"
    forbidden = await client.execute('mutation { deleteCompany(id: "c:1") }', access=EDITOR)
    assert forbidden.errors[0].extensions["code"] == "FORBIDDEN"
    assert await count(empty_store, f"MATCH (e:{AUDIT_LABEL}) RETURN count(e) AS n") == 1
    assert await count(empty_store, "MATCH (c:Company) RETURN count(c) AS n") == 1


async def test_a_write_whose_audit_record_fails_does_not_land(empty_store: Store, schema: strawberry.Schema,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The event id is unique: forcing a clash makes the audit CREATE fail, and with it
    the whole statement — the person is not created."""
    client = GraphQLClient(schema, empty_store)
    fixed = uuid.UUID(int=7)
    monkeypatch.setattr(uuid, "uuid4", lambda: fixed)
    await client.data('mutation { createPerson(input: {id: "p:1", name: "Ann"}) { id } }', access=ADMIN)
    result = await client.execute('mutation { createPerson(input: {id: "p:2", name: "Bob"}) { id } }', access=ADMIN)
    assert result.errors
    assert await count(empty_store, "MATCH (p:Person) RETURN count(p) AS n") == 1
    assert await count(empty_store, f"MATCH (e:{AUDIT_LABEL}) RETURN count(e) AS n") == 1


async def test_audit_events_are_not_graph_data(empty_store: Store, schema: strawberry.Schema) -> None:
    client = GraphQLClient(schema, empty_store)
    await client.data('mutation { createPerson(input: {id: "p:1", name: "Ann"}) { id } }', access=ADMIN)
    data = await client.data("{ parties { totalCount } people { totalCount } }", access=ADMIN)
    assert data == {"parties": {"totalCount": 1}, "people": {"totalCount": 1}}


async def test_admins_page_through_the_log_and_others_may_not(empty_store: Store, schema: strawberry.Schema) -> None:
    client = GraphQLClient(schema, empty_store)
    for i in range(7):
        await client.data(f'mutation {{ createPerson(input: {{id: "p:{i}", name: "P{i}"}}) {{ id }} }}',
                          access=EDITOR if i % 2 else ADMIN)
    query = """query($after: String, $actor: String, $touched: ID) {
      auditLog(first: 3, after: $after, actor: $actor, touched: $touched) {
        edges { cursor node { actor operation ids idCount at } } pageInfo { hasNextPage endCursor } } }"""
    seen, after = [], None
    while True:
        page = (await client.data(query, {"after": after}, access=ADMIN))["auditLog"]
        seen += [e["node"]["ids"][0] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == [f"p:{i}" for i in range(7)] and len(set(seen)) == 7
    mine = (await client.data(query, {"actor": "key:k-editor"}, access=ADMIN))["auditLog"]["edges"]
    assert {e["node"]["ids"][0] for e in mine} == {"p:1", "p:3", "p:5"}
    one = (await client.data(query, {"touched": "p:4"}, access=ADMIN))["auditLog"]["edges"]
    assert [e["node"]["operation"] for e in one] == ["createPerson"]
    for role in (Role.EDITOR, Role.ANALYST, Role.PARTNER):
        result = await client.execute(query, access=Access(role, company_id="p:0"))
        assert result.errors[0].extensions["code"] == "FORBIDDEN"


async def test_an_import_records_its_batches(empty_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    rows = [{"node": "Company", "id": f"c:{i}", "name": f"C{i}"} for i in range(5)]
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    with auditing(Audit("cli:tester", "import")):
        report = await Importer(empty_store, 2, lambda _e: None).run(Source(path))
    assert report.written == 5
    page = await read_audit(empty_store)
    assert {e.operation for e in page.events} == {"import"} and {e.actor for e in page.events} == {"cli:tester"}
    assert sorted(i for e in page.events for i in e.ids) == sorted(r["id"] for r in rows)


@pytest.mark.parametrize("kind", ["redis", "graph"])
async def test_key_changes_are_audited_with_the_change(empty_store: Store, kind: str) -> None:
    """A key kept beside the graph (Redis hash, in one MULTI with its event) or in it
    (an ApiKey node, in the same statement): creation and revocation are on the trail."""
    from graph.keys import GraphKeyStore, RedisKeyStore, new_key

    if kind == "redis":
        if getattr(empty_store, "redis", None) is None:
            pytest.skip("keys live in Redis only beside the embedded FalkorDB")
        keys: Any = RedisKeyStore(empty_store.redis, empty_store.command)  # type: ignore[attr-defined]
    else:
        keys = GraphKeyStore(empty_store)
    _, record = new_key(b"pepper", Role.PARTNER, name="portal", company_id="c:1")
    with auditing(Audit("cli:ops", "keys.create")):
        await keys.put(record)
    with auditing(Audit("cli:ops", "keys.revoke")):
        assert await keys.revoke(record.id)
    await keys.touch(record.id)  # a use is not a change: not audited
    page = await read_audit(empty_store)
    assert [(e.operation, e.ids, e.actor) for e in page.events] == [
        ("keys.revoke", [record.id], "cli:ops"), ("keys.create", [record.id], "cli:ops")]
