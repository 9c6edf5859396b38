"""``graph.falkordb_answer`` decodes the store's real answers exactly as the ``falkordb`` client does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from falkordb.asyncio.query_result import QueryResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.exceptions import ResponseError

from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_answer import NeedsClient, records, rows
from graph.falkordb_store import FalkorDBStore
from graph.falkordb_wire import pack

SCALARS = [
    "RETURN null AS nothing, 'Zoë 東京 \\u00e9' AS text, '' AS empty, 42 AS answer, -9007199254740993 AS big",
    "RETURN true AS yes, false AS no, 0.1 AS tenth, -1.5e300 AS huge, 1.0 / 3 AS third, 3 / 2 AS quotient",
    "RETURN [1, 'two', [3.0, [null, false]], {four: 4}] AS nested, [] AS none",
    "RETURN {b: 1, a: {c: [1, 2], d: null}, `odd key`: 'x'} AS map, {} AS blank",
    "RETURN point({latitude: 52.52, longitude: 13.405}) AS here",
    "RETURN vecf32([1.5, -2.25, 0]) AS vector",
    "RETURN localdatetime('2024-02-29T12:34:56') AS moment, date('2024-02-29') AS day, localtime('12:34:56') AS clock",
    "MATCH (n:Probe) RETURN n.name AS name, n.age AS age, labels(n) AS labels, properties(n) AS props ORDER BY n.name",
    "MATCH (n:Probe) RETURN n {.name, .age, kind: 'probe'} AS probe ORDER BY probe.name",
    "MATCH (n:Probe) RETURN count(n) AS c, collect(n.name) AS names, sum(n.age) AS total, avg(n.age) AS mean",
    "MATCH (n:Probe) WHERE n.name = 'nobody' RETURN n.name AS name",
    "CREATE (:Scratch {at: 1}) WITH 1 AS one MATCH (s:Scratch) DELETE s",  # statistics only
]
NEEDS_CLIENT = [
    "MATCH (n:Probe) RETURN n ORDER BY n.name",
    "MATCH (:Probe)-[r:KNOWS]->(:Probe) RETURN r",
    "MATCH p = (:Probe)-[:KNOWS]->(:Probe) RETURN p",
    "RETURN duration({days: 3, hours: 4}) AS span",
]


@pytest.fixture
async def store(falkordb_server: EmbeddedFalkorDB) -> AsyncIterator[FalkorDBStore]:
    store = FalkorDBStore(str(falkordb_server.socket_path), "answers")
    await store.write("MATCH (n) DETACH DELETE n")
    await store.write("CREATE (a:Probe {name: 'Ann', age: 41})-[:KNOWS {since: 2020}]->"
                      "(:Probe {name: 'Bo', age: 7, tags: ['x', 'y'], score: 0.25})")
    try:
        yield store
    finally:
        await store.close()


async def _answer(store: FalkorDBStore, statement: str, params: dict[str, Any] | None = None) -> Any:
    text = store._graph._build_params_header(params) + statement
    return await store._wire.execute(pack("GRAPH.QUERY", store.graph_name, text, "--compact"))


async def _by_client(store: FalkorDBStore, answer: Any) -> list[dict[str, Any]]:
    result = QueryResult(store._graph)
    await result.parse(answer)
    return records(result.header, result.result_set)


@pytest.mark.parametrize("statement", SCALARS)
async def test_rows_are_the_clients_rows(store: FalkorDBStore, statement: str) -> None:
    answer = await _answer(store, statement)
    ours, theirs = rows(answer), await _by_client(store, answer)
    assert ours == theirs
    assert [list(r) for r in ours] == [list(r) for r in theirs]  # column and key order too


@pytest.mark.parametrize("statement", NEEDS_CLIENT)
async def test_nodes_edges_paths_and_durations_go_to_the_client(store: FalkorDBStore, statement: str) -> None:
    with pytest.raises(NeedsClient):
        rows(await _answer(store, statement))
    assert await store.read(statement) == await _by_client(store, await _answer(store, statement))


async def test_an_answer_ending_in_an_error_goes_to_the_client_which_raises_it(store: FalkorDBStore) -> None:
    """FalkorDB 4.16 answers a runtime error on its own (the wire raises it); a store that
    reports it after the rows, as the client allows for, still gets the client's error."""
    with pytest.raises(ResponseError, match="Division by zero"):
        await _answer(store, "MATCH (n:Probe) RETURN n.age / 0 AS x")
    answer = [[[1, "x"]], [[[3, 1]]], ResponseError("Division by zero")]
    with pytest.raises(NeedsClient):
        rows(answer)
    with pytest.raises(ResponseError, match="Division by zero"):
        await _by_client(store, answer)


_KEYS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20),  # what inputs may hold
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12)


async def test_any_parameter_comes_back_as_the_client_reads_it(falkordb_server: EmbeddedFalkorDB) -> None:
    socket = str(falkordb_server.socket_path)

    @settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(_VALUES)
    def attempt(value: Any) -> None:
        async def go() -> tuple[Any, Any]:
            store = FalkorDBStore(socket, "answers")
            try:
                answer = await _answer(store, "RETURN $v AS v", {"v": value})
                return rows(answer), await _by_client(store, answer)
            finally:
                await store.close()

        ours, theirs = asyncio.run(go())
        assert ours == theirs

    await asyncio.to_thread(attempt)
