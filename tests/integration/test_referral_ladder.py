"""recordReferral's cycle check stays cheap on graphs with exponentially many paths: a
two-wide referral "ladder" (each party refers both parties of the next layer) 30 layers
deep has 2^30 paths from top to bottom; the check enumerated them and blocked every write."""

from __future__ import annotations

import time

import pytest

from graph.mutations import service
from graph.mutations.errors import MutationError
from graph.store import Store

LAYERS = 30


async def build_ladder(store: Store) -> None:
    await service.create_node(store, "Company", {"id": "company:left", "name": "Left"})
    await service.create_node(store, "Company", {"id": "company:right", "name": "Right"})
    for layer in range(LAYERS + 1):
        for side in range(2):
            await service.create_node(store, "Person", {"id": f"person:l{layer}-{side}", "name": f"L{layer}/{side}"})
    for layer in range(LAYERS):
        for side in range(2):
            for target in range(2):  # each party is referred once per company: by both of the layer above
                await service.record_referral(store, {
                    "referrerId": f"person:l{layer}-{side}", "referredId": f"person:l{layer + 1}-{target}",
                    "companyId": ("company:left", "company:right")[side]})


async def test_the_cycle_check_on_a_referral_ladder_is_quick_and_right(empty_store: Store) -> None:
    await build_ladder(empty_store)
    assert (await empty_store.read("MATCH ()-[r:REFERRED]->() RETURN count(r) AS c"))[0]["c"] == 4 * LAYERS

    started = time.monotonic()
    with pytest.raises(MutationError) as refused:  # the bottom referring the top closes a 31-long cycle
        await service.record_referral(empty_store, {"referrerId": f"person:l{LAYERS}-1", "referredId": "person:l0-0"})
    assert refused.value.code == "REFERRAL_CYCLE" and refused.value.problems[0].field == "referredId"
    assert time.monotonic() - started < 5

    await service.create_node(empty_store, "Person", {"id": "person:outsider", "name": "Outsider"})
    started = time.monotonic()  # no cycle: the search visits the whole ladder from its top and finds nothing
    made = await service.record_referral(empty_store, {"referrerId": "person:outsider", "referredId": "person:l0-0"})
    assert made["referredId"] == "person:l0-0"
    assert time.monotonic() - started < 5
    started = time.monotonic()  # ... and now the bottom cannot refer the outsider
    with pytest.raises(MutationError) as refused:
        await service.record_referral(empty_store, {"referrerId": f"person:l{LAYERS}-0", "referredId": "person:outsider"})
    assert refused.value.code == "REFERRAL_CYCLE"
    assert time.monotonic() - started < 5


async def test_a_cycle_thousands_of_referrals_long_is_found(empty_store: Store) -> None:
    """The search is breadth-first, so its depth bound (MAX_REFERRAL_DEPTH) can be far above
    any real chain: a chain of 3,000 referrals closed at its ends is refused."""
    n = 3000
    await empty_store.write("UNWIND range(0, $n) AS i CREATE (:Person:Party:Entity {id: 'person:c' + toString(i), "
                            "name: 'C' + toString(i)})", {"n": n})
    await empty_store.write("UNWIND range(0, $n - 1) AS i MATCH (a:Entity {id: 'person:c' + toString(i)}) "
                            "MATCH (b:Entity {id: 'person:c' + toString(i + 1)}) "
                            "CREATE (a)-[:REFERRED {status: 'converted'}]->(b)", {"n": n})
    started = time.monotonic()
    with pytest.raises(MutationError) as refused:
        await service.record_referral(empty_store, {"referrerId": f"person:c{n}", "referredId": "person:c0"})
    assert refused.value.code == "REFERRAL_CYCLE"
    assert time.monotonic() - started < 5
