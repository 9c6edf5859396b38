"""The fairness limiter: caps per client and in total, a bounded queue, bounded waits."""

from __future__ import annotations

import asyncio

import pytest

from api.concurrency import Caps, ConcurrencyLimiter, Overloaded


async def hold(limiter: ConcurrencyLimiter, key: str, release: asyncio.Event, log: list[str]) -> str:
    try:
        async with limiter.slot(key):
            log.append(f"in {key}")
            await release.wait()
        return "ran"
    except Overloaded as exc:
        return exc.reason


async def test_a_client_over_its_cap_queues_then_is_refused_while_others_still_run() -> None:
    limiter = ConcurrencyLimiter(Caps(per_client=2, total=10, per_client_queue=2, queue_wait=5))
    release, log = asyncio.Event(), []
    heavy = [asyncio.create_task(hold(limiter, "a", release, log)) for _ in range(10)]
    await asyncio.sleep(0.05)
    assert log == ["in a", "in a"]  # two run, two wait, six are refused at once
    done = [t.result() for t in heavy if t.done()]
    assert len(done) == 6 and all("queue full" in r for r in done)
    other = await asyncio.wait_for(hold(limiter, "b", _set(), log), 1)
    assert other == "ran"  # another client is not behind client a's queue
    release.set()
    results = await asyncio.gather(*heavy)
    assert results.count("ran") == 4
    assert limiter.snapshot() == {"active": 0, "waiting": 0, "clients": 0}  # nothing left behind


def _set() -> asyncio.Event:
    event = asyncio.Event()
    event.set()
    return event


async def test_a_wait_is_bounded() -> None:
    limiter = ConcurrencyLimiter(Caps(per_client=1, per_client_queue=5, queue_wait=0.2))
    release, log = asyncio.Event(), []
    first = asyncio.create_task(hold(limiter, "a", release, log))
    await asyncio.sleep(0.01)
    start = asyncio.get_running_loop().time()
    assert "wait over" in await hold(limiter, "a", _set(), log)
    assert 0.15 < asyncio.get_running_loop().time() - start < 2
    release.set()
    assert await first == "ran"
    assert limiter.snapshot()["active"] == 0


async def test_the_total_cap_holds_across_clients() -> None:
    limiter = ConcurrencyLimiter(Caps(per_client=5, total=3, total_queue=1, queue_wait=5))
    release, log = asyncio.Event(), []
    tasks = [asyncio.create_task(hold(limiter, f"c{i}", release, log)) for i in range(6)]
    await asyncio.sleep(0.05)
    assert len(log) == 3
    refused = [t.result() for t in tasks if t.done()]
    assert len(refused) == 2 and all("capacity" in r for r in refused)
    release.set()
    assert (await asyncio.gather(*tasks)).count("ran") == 4
    assert limiter.snapshot() == {"active": 0, "waiting": 0, "clients": 0}


async def test_a_cancelled_waiter_gives_its_place_back() -> None:
    limiter = ConcurrencyLimiter(Caps(per_client=1, per_client_queue=1, queue_wait=5))
    release, log = asyncio.Event(), []
    first = asyncio.create_task(hold(limiter, "a", release, log))
    await asyncio.sleep(0.01)
    waiting = asyncio.create_task(hold(limiter, "a", _set(), log))
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release.set()
    assert await first == "ran"
    assert await hold(limiter, "a", _set(), log) == "ran"
    assert limiter.snapshot() == {"active": 0, "waiting": 0, "clients": 0}


async def test_try_enter_takes_free_slots_at_once_and_never_jumps_the_queue() -> None:
    limiter = ConcurrencyLimiter(Caps(per_client=2, total=3, per_client_queue=4, queue_wait=5))
    assert limiter.try_enter("a") and limiter.try_enter("a")
    assert not limiter.try_enter("a")  # a's cap: nothing taken
    assert limiter.snapshot() == {"active": 2, "waiting": 0, "clients": 1}
    release, log = asyncio.Event(), []
    waiting = asyncio.create_task(hold(limiter, "a", release, log))
    await asyncio.sleep(0.02)
    assert log == [] and limiter.snapshot()["waiting"] == 1
    assert limiter.try_enter("b")  # the process has a slot left for another client
    assert not limiter.try_enter("c")  # now full
    limiter.leave("a")  # the waiter gets a's slot, not a newcomer
    await asyncio.sleep(0.02)
    assert log == ["in a"]
    assert not limiter.try_enter("a")
    release.set()
    assert await waiting == "ran"
    limiter.leave("a")
    limiter.leave("b")
    assert limiter.snapshot() == {"active": 0, "waiting": 0, "clients": 0}
