"""Batched metrics (api.metrics.add / observe) write what prometheus-client's own
``inc`` / ``observe`` write, together, ``FLUSH_SECONDS`` after the first of them."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from api import metrics

VALUES = [0.0005, 0.001, 0.002, 0.01, 0.5, 1.0, 3.0, 0, 7]


def _pair(kind: type, **options: object) -> tuple[CollectorRegistry, object, CollectorRegistry, object]:
    batched, direct = CollectorRegistry(), CollectorRegistry()
    return (batched, kind("m", "m", ["op"], registry=batched, **options).labels("a"),
            direct, kind("m", "m", ["op"], registry=direct, **options).labels("a"))


def test_one_write_a_moment_later_holds_what_each_update_would() -> None:
    batched, histogram, direct, reference = _pair(Histogram, buckets=(0.001, 0.01, 0.1, 1.0))
    batched_counts, counter, direct_counts, reference_counter = _pair(Counter)

    async def requests() -> None:
        for value in VALUES:
            metrics.observe(histogram, value)
            metrics.add(counter, 2)
        assert generate_latest(batched) != generate_latest(direct)  # not written yet
        await asyncio.sleep(0)
        assert generate_latest(batched) != generate_latest(direct)  # nor after a turn of the loop
        await asyncio.sleep(metrics.FLUSH_SECONDS * 2)

    for value in VALUES:
        reference.observe(value)  # type: ignore[attr-defined]
        reference_counter.inc(2)  # type: ignore[attr-defined]
    asyncio.run(requests())
    assert generate_latest(batched) == generate_latest(direct)
    assert generate_latest(batched_counts) == generate_latest(direct_counts)


def test_without_a_loop_at_once_and_a_closed_loop_leaves_its_samples_to_the_next_flush() -> None:
    batched, counter, direct, reference = _pair(Counter)
    metrics.add(counter)
    reference.inc()  # type: ignore[attr-defined]
    assert generate_latest(batched) == generate_latest(direct)
    loop = asyncio.new_event_loop()

    async def add() -> None:
        metrics.add(counter)

    async def add_and_stop() -> None:
        await add()
        loop.stop()  # before the flush is due

    loop.create_task(add_and_stop())
    loop.run_forever()
    loop.close()
    assert generate_latest(batched) == generate_latest(direct)  # not written

    async def add_and_wait() -> None:
        await add()
        await asyncio.sleep(metrics.FLUSH_SECONDS * 2)

    asyncio.run(add_and_wait())
    reference.inc(2)  # type: ignore[attr-defined]
    assert generate_latest(batched) == generate_latest(direct)
