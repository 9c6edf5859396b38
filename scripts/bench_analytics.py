#!/usr/bin/env python3
"""Analytics latency from scratch vs. from a snapshot, on a synthetic graph, in one run.

    .venv/bin/python scripts/bench_analytics.py                 # 100k people, 300k orders
    .venv/bin/python scripts/bench_analytics.py --people 2000 --companies 200 --products 400 --orders 6000

The graph is generated once into --data-dir (reused on later runs with the same sizes).
Each GraphQL document runs in-process through the real schema, compiler and embedded
FalkorDB: first with every figure computed from scratch (``fresh: true``: the cost { amount currency }
before snapshots), then after one refresh, from the snapshot. It prints p50/p95 of
``party { rfm }``, a page of 50 parties with ``rfm``, ``segmentSummary`` and
``referralStats``, and how long the refresh took. Then the referral cohort counters
(``graph.analytics.cohorts``): ``referralStats`` from the counters against the same read
from the snapshot, and the cost they add to a write — ``recordReferral`` and
``recordOrder`` through the mutation service, alternately with and without the counters
moved (the latter is the statement as it was before), p50 of each in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph.analytics import cohorts  # noqa: E402
from graph.analytics.refresher import force_refresh  # noqa: E402
from graph.analytics.snapshots import latest  # noqa: E402
from graph.analytics.state import KINDS, SnapshotState  # noqa: E402
from graph.cypher.compiler import Compiler  # noqa: E402
from graph.cypher.dialect import FALKORDB  # noqa: E402
from graph.embedded import EmbeddedFalkorDB  # noqa: E402
from graph.falkordb_store import FalkorDBStore  # noqa: E402
from graph.mutations import service  # noqa: E402
from graph.mutations.errors import MutationError  # noqa: E402
from schema import build_schema  # noqa: E402
from schema.context import Context  # noqa: E402
from seeds.synthetic import SyntheticSpec, generate_into  # noqa: E402

console = Console(width=140)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def documents(people: int, rng: random.Random) -> dict[str, Any]:
    def one(fresh: bool) -> str:
        arg = "(fresh: true)" if fresh else ""
        return f'{{ party(id: "syn:person:{rng.randrange(people)}") {{ rfm{arg} {{ score segment }} }} }}'

    def page(fresh: bool) -> str:
        arg = "(fresh: true)" if fresh else ""
        return f"{{ parties(first: 50) {{ edges {{ node {{ id rfm{arg} {{ score segment }} }} }} }} }}"

    def segments(fresh: bool) -> str:
        return f"{{ segmentSummary{'(fresh: true)' if fresh else ''} {{ segment customers revenue {{ amount currency }} }} }}"

    def stats(fresh: bool) -> str:
        return f"{{ referralStats{'(fresh: true)' if fresh else ''} {{ month invites kFactor }} }}"

    def bare_page(_fresh: bool) -> str:
        return "{ parties(first: 50) { edges { node { id } } } }"

    return {"party { rfm }": one, "parties(first: 50) { rfm }": page,
            "parties(first: 50), no rfm (the page's own cost)": bare_page, "segmentSummary": segments,
            "referralStats": stats}


async def timed(schema: Any, context: Context, document: str) -> float:
    started = time.perf_counter()
    result = await schema.execute(document, context_value=context)
    took = time.perf_counter() - started
    if result.errors:
        raise SystemExit(f"{document}: {result.errors[0]}")
    return took * 1000


async def run(args: argparse.Namespace) -> None:
    spec = SyntheticSpec(people=args.people, companies=args.companies, products=args.products, orders=args.orders)
    server = EmbeddedFalkorDB(args.data_dir, start_timeout=600)
    server.start()
    try:
        store = FalkorDBStore(str(server.socket_path), "crm", read_timeout=120, write_timeout=120)
        marker = args.data_dir / "bench-analytics-spec.json"
        wanted = {"people": spec.people, "companies": spec.companies, "products": spec.products, "orders": spec.orders}
        if not marker.exists() or json.loads(marker.read_text()) != wanted:
            started = time.perf_counter()
            await store.ensure_schema()
            await store.clear()
            await generate_into(store, spec)
            marker.write_text(json.dumps(wanted))
            console.print(f"generated {spec.people:,} people, {spec.orders:,} orders in "
                          f"{time.perf_counter() - started:.1f} s")
        await store.ensure_schema()
        schema = build_schema()
        state = SnapshotState(max_staleness=3600)
        context = Context(store, Compiler(FALKORDB, analytics=state))
        docs = documents(spec.people, random.Random(1))
        rows: dict[str, dict[str, list[float]]] = {name: {} for name in docs}
        for name, make in docs.items():  # before: from scratch
            rows[name]["fresh"] = [await timed(schema, context, make(True)) for _ in range(args.fresh_repeat)]
            console.print(f"fresh   {name}: p50 {percentile(rows[name]['fresh'], 0.5):.1f} ms")
        took = await force_refresh(store, "bench")
        for kind in KINDS:
            found = await latest(store, kind, values=False)
            assert found is not None
            state.note(kind, found[0])
        for name, make in docs.items():  # after: from the snapshot
            rows[name]["snapshot"] = [await timed(schema, context, make(False)) for _ in range(args.repeat)]
            console.print(f"snapshot {name}: p50 {percentile(rows[name]['snapshot'], 0.5):.1f} ms")
        table = Table("request", "fresh p50 ms", "fresh p95 ms", "snapshot p50 ms", "snapshot p95 ms", "speed-up (p50)",
                      title=f"{spec.people:,} people, {spec.companies:,} companies, {spec.orders:,} orders")
        for name, cols in rows.items():
            f50, s50 = percentile(cols["fresh"], 0.5), percentile(cols["snapshot"], 0.5)
            table.add_row(name, f"{f50:.1f}", f"{percentile(cols['fresh'], 0.95):.1f}", f"{s50:.1f}",
                          f"{percentile(cols['snapshot'], 0.95):.1f}", f"{f50 / s50:.0f}x")
        console.print(table)
        console.print("refresh: " + ", ".join(f"{kind} {seconds:.2f} s" for kind, seconds in took.items()))
        await bench_counters(store, schema, context, spec, args)
        await store.close()
    finally:
        server.stop()


async def bench_counters(store: FalkorDBStore, schema: Any, context: Context, spec: SyntheticSpec,
                         args: argparse.Namespace) -> None:
    """referralStats from the counters vs. from the snapshot, and the write cost they add."""
    stats = "{ referralStats { month invites kFactor averageDaysToConvert snapshot { live } } }"
    reads: dict[str, list[float]] = {"counters": [], "snapshot": []}
    for _ in range(args.repeat):  # alternately, so both see the same machine
        reads["counters"].append(await timed(schema, context, stats))
        await cohorts.invalidate(store)  # not built: the read takes the snapshot, as before
        reads["snapshot"].append(await timed(schema, context, stats))
        await store.write("MERGE (k:CohortCountsBuilt {name: $name}) SET k.builtAt = 0", {"name": cohorts.BUILT_NAME})
    rng = random.Random(2)
    writes: dict[str, dict[str, list[float]]] = {"recordReferral": {"with": [], "without": []},
                                                 "recordOrder": {"with": [], "without": []}}
    now = time.time()
    refused = 0
    run_id = f"{int(now)}"
    for i in range(args.writes):
        for mode in ("with", "without") if i % 2 else ("without", "with"):
            a, b = rng.randrange(spec.people), rng.randrange(spec.people)
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - rng.randrange(700 * 86400)))
            referral = {"referrerId": f"syn:person:{a}", "referredId": f"syn:person:{b}", "at": at,
                        "status": rng.choice(["invited", "converted"])}
            order = {"id": f"bench:order:{run_id}:{mode}:{i}", "customerId": f"syn:person:{b}",
                     "sellerId": f"syn:company:{rng.randrange(spec.companies)}", "placedAt": at,
                     "items": [{"productId": f"syn:product:{rng.randrange(spec.products)}", "qty": 1,
                                "unitPrice": "10.00"}]}
            for name, call in (("recordReferral", service.record_referral), ("recordOrder", service.record_order)):
                data = referral if name == "recordReferral" else order
                started = time.perf_counter()
                try:
                    if mode == "with":
                        await call(store, data)
                    else:
                        with cohorts.suspended():
                            await call(store, data)
                except MutationError as exc:
                    refused += 1  # a cycle or an already referred party: refused, not timed
                    if args.verbose:
                        console.print(f"{name} refused: {exc}")
                    continue
                writes[name][mode].append((time.perf_counter() - started) * 1000)
    began = time.perf_counter()
    months = await cohorts.build(store)  # the writes made without the counters: count them again
    rebuilt = time.perf_counter() - began
    table = Table("request", "p50 ms", "p95 ms", "n", title="referral cohort counters")
    for name, values in reads.items():
        table.add_row(f"referralStats from the {name}", f"{percentile(values, 0.5):.1f}",
                      f"{percentile(values, 0.95):.1f}", str(len(values)))
    for name, modes in writes.items():
        for mode, values in modes.items():
            table.add_row(f"{name} {mode} the counters", f"{percentile(values, 0.5):.1f}",
                          f"{percentile(values, 0.95):.1f}", str(len(values)))
    console.print(table)
    for name, modes in writes.items():
        w, wo = percentile(modes["with"], 0.5), percentile(modes["without"], 0.5)
        console.print(f"{name}: the counters add {w - wo:+.1f} ms at p50 ({w / wo:.2f}x)")
    console.print(f"counting every counter from scratch: {rebuilt:.2f} s ({months} months); "
                  f"{refused} referrals refused (cycle or already referred)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--companies", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=50, help="requests per case from the snapshot")
    parser.add_argument("--fresh-repeat", type=int, default=10, help="requests per case from scratch")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--writes", type=int, default=200, help="writes of each kind, with and without counters")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/crmgraph-bench-analytics"))
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
