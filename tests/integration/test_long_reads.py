"""A long read holds this process's writes back (``Store.long_read``): on FalkorDB a write
waits for every running read while holding the server's global lock, so one sent during
a whole-base scan stalled every other statement until the scan ended. Reads go on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from graph.analytics import snapshots
from graph.analytics.state import RFM
from graph.store import Store

PROBE = "CREATE (:LongReadProbe {id: $id})"
COUNT = "MATCH (p:LongReadProbe) RETURN count(p) AS n"


async def _probes(store: Store) -> int:
    return int((await store.read(COUNT))[0]["n"])


async def test_a_write_waits_for_the_long_read_and_reads_go_on(empty_store: Store) -> None:
    store = empty_store
    sent: list[str] = []
    stop = store.add_listener(lambda query, _params: sent.append(query))
    try:
        async with store.long_read():
            write = asyncio.create_task(store.write(PROBE, {"id": "a"}))
            await asyncio.sleep(0.05)
            if not store.writes_stall_reads:  # Neo4j: writes do not wait for reads there
                await write
                assert await _probes(store) == 1
                return
            assert store.writes_held and not write.done()
            assert PROBE not in sent  # held here, not queued in the store
            assert await _probes(store) == 0  # a read is answered meanwhile
        await write
    finally:
        stop()
    assert not store.writes_held
    assert sent.index(PROBE) > sent.index(COUNT)
    assert await _probes(store) == 1


async def test_nested_long_reads_hold_writes_until_the_last_ends(empty_store: Store) -> None:
    store = empty_store
    if not store.writes_stall_reads:
        pytest.skip("this store's writes do not wait for reads")
    outer_done = asyncio.Event()

    async def outer() -> None:
        async with store.long_read():
            await outer_done.wait()

    holder = asyncio.create_task(outer())
    await asyncio.sleep(0)
    async with store.long_read():
        write = asyncio.create_task(store.write(PROBE, {"id": "b"}))
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)
    assert not write.done() and store.writes_held  # the outer read still runs
    outer_done.set()
    await holder
    await write
    assert await _probes(store) == 1


async def test_a_failed_long_read_lets_writes_go(empty_store: Store) -> None:
    store = empty_store
    with pytest.raises(RuntimeError):
        async with store.long_read():
            raise RuntimeError("the scan failed")
    assert not store.writes_held
    await asyncio.wait_for(store.write(PROBE, {"id": "c"}), timeout=10)
    assert await _probes(store) == 1


async def test_a_write_inside_a_long_read_is_refused_not_left_waiting(empty_store: Store) -> None:
    store = empty_store
    if not store.writes_stall_reads:
        pytest.skip("this store's writes do not wait for reads")

    async def write_inside() -> None:
        async with store.long_read():
            await store.write(PROBE, {"id": "f"})

    with pytest.raises(RuntimeError, match="its own read"):
        await asyncio.wait_for(write_inside(), timeout=10)  # one task: the read's and the write's
    assert not store.writes_held
    assert await _probes(store) == 0


async def test_a_snapshot_refresh_computes_inside_a_long_read(empty_store: Store,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    store = empty_store
    held: list[bool] = []
    compute = snapshots.COMPUTE[RFM]

    async def watched(s: Store) -> snapshots.Values:
        held.append(s.writes_held)
        return await compute(s)

    monkeypatch.setitem(snapshots.COMPUTE, RFM, watched)
    await snapshots.refresh_kind(store, RFM)  # its snapshot write comes after the scan
    assert held == [store.writes_stall_reads]
    assert not store.writes_held


SCAN = "UNWIND range(1, $n) AS i WITH i WHERE i % 7 = 0 RETURN count(i) AS n"


@asynccontextmanager
async def _scan_running(store: Store) -> AsyncIterator[tuple[asyncio.Task[list[dict[str, object]]], list[bool]]]:
    """A client's heavy read running (not declared long: it runs past LONG_READ_SECONDS),
    and, for each write of PROBE the store is sent meanwhile, whether the scan still ran."""
    if not store.writes_stall_reads:
        pytest.skip("this store's writes do not wait for reads")
    await store.write(PROBE, {"id": "warm"})
    scan = asyncio.create_task(store.read(SCAN, {"n": 4_000_000}))
    await asyncio.sleep(0.05)
    assert not scan.done(), "the scan should outlast the wait: make it longer"
    sent_while_scanning: list[bool] = []
    stop = store.add_listener(lambda query, _params: sent_while_scanning.append(not scan.done())
                              if query == PROBE else None)
    try:
        yield scan, sent_while_scanning
    finally:
        stop()
        await scan
    assert await _probes(store) == 2


async def test_a_write_waits_for_a_read_running_long(empty_store: Store) -> None:
    """Not declared: a read running past LONG_READ_SECONDS holds this process's writes;
    short reads are answered meanwhile."""
    store = empty_store
    async with _scan_running(store) as (_scan, sent_while_scanning):
        assert store.writes_held
        write = asyncio.create_task(store.write(PROBE, {"id": "d"}))
        await asyncio.sleep(0.02)
        assert not write.done() and sent_while_scanning == []
        assert await _probes(store) == 1  # answered while the write waits
        await write
        assert sent_while_scanning == [False]  # the write reached the store after the scan


async def test_a_write_waits_for_long_reads_no_longer_than_the_hold(empty_store: Store,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Reads that keep running long must not starve writes: past WRITE_HOLD_SECONDS the
    write goes (and waits in the store as before)."""
    monkeypatch.setattr("graph.store.WRITE_HOLD_SECONDS", 0.05)
    async with _scan_running(empty_store) as (_scan, sent_while_scanning):
        await empty_store.write(PROBE, {"id": "e"})
        assert sent_while_scanning == [True]  # sent after the hold, the scan still running
