#!/usr/bin/env python3
"""Scale benchmark: build synthetic graphs of growing size and time every root field on them.

    .venv/bin/python scripts/bench_scale.py                          # 10k and 100k parties
    .venv/bin/python scripts/bench_scale.py --sizes 10000,100000,1000000 --requests 20
    .venv/bin/python scripts/bench_scale.py --markdown               # the table as Markdown too

For each size N (N people, N/10 companies, N/5 products, 3N orders, N interactions;
``seeds.synthetic``), in a folder of its own under --data-root (kept and reused unless
--rebuild):

1. **build**: the graph is generated into an empty embedded store (``GRAPH.BULK``, then
   the constraints and indexes over it); seconds, and the store's memory and disk after;
2. **restart to ready**: ``crmgraph serve`` on that folder, seconds from the command to
   ``/readyz`` answering 200 (the store loads its snapshot and builds its unique-id
   index; the other indexes are built after, see ``graph.embedded``);
3. **requests**, in-process through the real schema, compiler and store, one at a time,
   ``--requests`` of each with random roots: p50 / p95 ms of every root field and the
   customer-360 document; the analytics with a warm snapshot, then right after a refresh
   (and how long a full refresh took).

Prints one table: a row per request, p50 / p95 per size. The machine is shared: read
ratios more than absolutes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph.analytics.refresher import force_refresh  # noqa: E402
from graph.analytics.snapshots import latest  # noqa: E402
from graph.analytics.state import KINDS, SnapshotState  # noqa: E402
from graph.connect import open_store  # noqa: E402
from graph.cypher.compiler import Compiler  # noqa: E402
from graph.cypher.dialect import FALKORDB  # noqa: E402
from graph.cypher.horizons import Horizons  # noqa: E402
from graph.embedded import EmbeddedFalkorDB  # noqa: E402
from graph.falkordb_store import FalkorDBStore  # noqa: E402
from schema import build_schema  # noqa: E402
from schema.context import Context  # noqa: E402
from seeds.names import PEOPLE  # noqa: E402
from seeds.synthetic import SyntheticSpec, generate_into  # noqa: E402
from tests.documents import CUSTOMER_360  # noqa: E402

console = Console(width=160)
CRMGRAPH = str(Path(sys.executable).with_name("crmgraph"))

Doc = tuple[str, dict[str, Any]]


def spec_for(size: int) -> SyntheticSpec:
    return SyntheticSpec(people=size, companies=max(size // 10, 10), products=max(size // 5, 20), orders=3 * size)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def cases(spec: SyntheticSpec, rng: random.Random) -> dict[str, Callable[[], Doc]]:
    def person() -> str:
        return f"syn:person:{rng.randrange(spec.people)}"

    def company() -> str:
        return f"syn:company:{rng.randrange(spec.companies)}"

    def raw() -> str:  # the first tier supplies everyone below it
        return f"syn:company:{rng.randrange(max(spec.companies // 12, 1))}"

    lists = "{ edges { node { id } } pageInfo { hasNextPage endCursor } }"
    return {
        "customer 360: party(id) document": lambda: (CUSTOMER_360, {"id": person(), "withFeedback": True,
                                                                     "skipSegments": False}),
        "party(id) { name }": lambda: ("query($id: ID!) { party(id: $id) { id name } }", {"id": person()}),
        "node(id)": lambda: ("query($id: ID!) { node(id: $id) { id } }", {"id": f"syn:order:{rng.randrange(spec.orders)}"}),
        "person(id)": lambda: ("query($id: ID!) { person(id: $id) { name age } }", {"id": person()}),
        "company(id) { suppliers customers }": lambda: (
            "query($id: ID!) { company(id: $id) { name suppliers { nodes { id } } "
            "customers(first: 10) { edges { orderCount node { id } } } } }", {"id": company()}),
        "product(id)": lambda: ("query($id: ID!) { product(id: $id) { name sku } }",
                                {"id": f"syn:product:{rng.randrange(spec.products)}"}),
        "order(id)": lambda: ("query($id: ID!) { order(id: $id) { placedAt items { nodes { id } } } }",
                              {"id": f"syn:order:{rng.randrange(spec.orders)}"}),
        "party { orders { totalCount } lifetimeValue }": lambda: (
            "query($id: ID!) { party(id: $id) { orders { totalCount } lifetimeValue { orderCount purchaseFrequency } } }",
            {"id": person()}),
        "people(first: 50)": lambda: ("{ people(first: 50) " + lists + " }", {}),
        "parties(first: 50)": lambda: ("{ parties(first: 50) " + lists + " }", {}),
        "companies(first: 50)": lambda: ("{ companies(first: 50) " + lists + " }", {}),
        "products(first: 50)": lambda: ("{ products(first: 50) " + lists + " }", {}),
        "orders(first: 50)": lambda: ("{ orders(first: 50) " + lists + " }", {}),
        "segments(first: 50)": lambda: ("{ segments(first: 50) " + lists + " }", {}),
        "people(filter: name startsWith)": lambda: (
            "query($p: String!) { people(first: 50, filter: {name: {startsWith: $p}}) " + lists + " }",
            {"p": rng.choice(PEOPLE)[:7]}),
        "supplyChain d3": lambda: ("query($id: ID!) { supplyChain(companyId: $id, maxDepth: 3) "
                                   "{ truncated nodes { tier node { id } } } }", {"id": raw()}),
        "indirectCustomers d3": lambda: ("query($id: ID!) { indirectCustomers(companyId: $id) "
                                         "{ totalCustomers intermediaries { orderCount } } }", {"id": raw()}),
        "disruptionImpact d3": lambda: ("query($id: ID!) { disruptionImpact(companyId: $id) "
                                        "{ openOrderCount companies { tier } } }", {"id": raw()}),
        "referralTree d3": lambda: ("query($id: ID!) { referralTree(partyId: $id) "
                                    "{ truncated nodes { generation } } }", {"id": f"syn:person:{rng.randrange(100)}"}),
        "referralChain": lambda: ("query($id: ID!) { referralChain(partyId: $id) { referrers { generation } } }",
                                  {"id": person()}),
        "shortestPath d4": lambda: ("query($a: ID!, $b: ID!) { shortestPath(from: $a, to: $b, types: [REFERRED, WORKS_FOR]) "
                                    "{ length } }", {"a": person(), "b": f"syn:person:{rng.randrange(100)}"}),
        "auditLog(first: 50)": lambda: ("{ auditLog(first: 50) { edges { node { at actor } } } }", {}),
    }


def analytics_cases(spec: SyntheticSpec, rng: random.Random) -> dict[str, Callable[[], Doc]]:
    return {
        "party { rfm }": lambda: ("query($id: ID!) { party(id: $id) { rfm { score segment } } }",
                                  {"id": f"syn:person:{rng.randrange(spec.people)}"}),
        "parties(first: 50) { rfm }": lambda: ("{ parties(first: 50) { edges { node { id rfm { score } } } } }", {}),
        "segmentSummary": lambda: ("{ segmentSummary { segment customers } }", {}),
        "referralStats": lambda: ("{ referralStats { month invites kFactor } }", {}),
    }


async def timings(schema: Any, context: Context, make: Callable[[], Doc], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        document, variables = make()
        started = time.perf_counter()
        result = await schema.execute(document, variable_values=variables, context_value=context)
        out.append((time.perf_counter() - started) * 1000)
        if result.errors:
            raise SystemExit(f"{document[:80]}: {result.errors[0]}")
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def restart_to_ready(data: Path, timeout: float = 3600) -> float:
    """Seconds from `crmgraph serve` on an existing folder to /readyz 200."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMGRAPH_")}
    env.update(CRMGRAPH_PORT=str(port), CRMGRAPH_DATA_DIR=str(data), CRMGRAPH_ANALYTICS_MAX_STALENESS="0")
    started = time.perf_counter()
    proc = subprocess.Popen([CRMGRAPH, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - started < timeout:
            if proc.poll() is not None:
                raise SystemExit(f"serve exited with {proc.returncode} on {data}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise SystemExit("serve never became ready")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in (folder / "appendonlydir").glob("*") if p.is_file())


async def build(size: int, data: Path, rebuild: bool) -> float | None:
    marker = data / "bench-scale-size"
    if not rebuild and marker.exists() and marker.read_text() == str(size):
        return None
    shutil.rmtree(data, ignore_errors=True)
    started = time.perf_counter()
    async with open_store(data_dir=data) as store:
        await generate_into(store, spec_for(size), bulk=True)
    took = time.perf_counter() - started
    marker.write_text(str(size))
    (data / "bench-scale-build-seconds").write_text(f"{took:.1f}")
    return took


async def measure(size: int, data: Path, repeat: int) -> dict[str, Any]:
    spec = spec_for(size)
    server = EmbeddedFalkorDB(data, start_timeout=600)
    server.start()
    out: dict[str, Any] = {"rows": {}}
    try:
        store = FalkorDBStore(str(server.socket_path), "crm", read_timeout=300, write_timeout=300)
        await store.ensure_schema(wait=1800)
        while await store.indexes_building():  # built after the load (graph.embedded): time requests on them
            await asyncio.sleep(1)
        memory = await store.redis.info("memory")
        out["memory"] = int(memory["used_memory"])
        out["rss"] = int(memory["used_memory_rss"])
        schema = build_schema()
        state = SnapshotState(max_staleness=86_400)
        horizons = Horizons()  # as every service worker has them (graph.cypher.horizons)
        await horizons.refresh(store)
        context = Context(store, Compiler(FALKORDB, analytics=state, horizons=horizons))
        rng = random.Random(size)
        for name, make in cases(spec, rng).items():
            out["rows"][name] = await timings(schema, context, make, repeat)
            console.print(f"  {size:,}: {name} p50 {percentile(out['rows'][name], 0.5):.1f} ms")
        # the baseline of the index windows: the same first pages sorting every row
        plain = Context(store, Compiler(FALKORDB, analytics=state))
        for listed in ("people", "parties", "orders"):
            name = f"{listed}(first: 50), every row sorted (no window)"
            out["rows"][name] = await timings(schema, plain, cases(spec, rng)[f"{listed}(first: 50)"], repeat)

        async def refresh() -> float:
            started = time.perf_counter()
            await force_refresh(store, "bench-scale")
            took = time.perf_counter() - started
            for kind in KINDS:
                found = await latest(store, kind, values=False)
                assert found is not None
                state.note(kind, found[0])
            return took

        await refresh()  # a snapshot to be warm on
        for name, make in analytics_cases(spec, rng).items():
            await timings(schema, context, make, 2)  # warm
            out["rows"][f"{name} (warm snapshot)"] = await timings(schema, context, make, repeat)
        out["refresh"] = await refresh()
        for name, make in analytics_cases(spec, rng).items():
            out["rows"][f"{name} (after a refresh)"] = await timings(schema, context, make, repeat)
        await store.close()
    finally:
        server.stop()
    return out


async def run(args: argparse.Namespace) -> None:
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, dict[str, Any]] = {}
    for size in sizes:
        data = args.data_root / f"parties-{size}"
        console.print(f"[bold]{size:,} parties[/bold] in {data}")
        built = await build(size, data, args.rebuild)
        recorded = data / "bench-scale-build-seconds"
        build_s = built if built is not None else float(recorded.read_text()) if recorded.exists() else float("nan")
        console.print(f"  build {build_s:.1f} s" + (" (recorded earlier)" if built is None else ""))
        ready = restart_to_ready(data)
        console.print(f"  restart to ready {ready:.1f} s")
        result = await measure(size, data, args.requests)
        result.update(build=build_s, ready=ready, disk=disk_bytes(data))
        results[size] = result

    table = Table("request", *(f"{s:,} p50 / p95 ms" for s in sizes),
                  title=f"one request at a time, {args.requests} per row, random roots")
    facts = [("build (s)", lambda r: f"{r['build']:.1f}"),
             ("store memory / RSS / disk (MB)", lambda r: f"{r['memory'] / 1e6:,.0f} / {r['rss'] / 1e6:,.0f} / "
                                                          f"{r['disk'] / 1e6:,.0f}"),
             ("restart to ready (s)", lambda r: f"{r['ready']:.1f}"),
             ("full analytics refresh (s)", lambda r: f"{r['refresh']:.1f}")]
    for label, show in facts:
        table.add_row(label, *(show(results[s]) for s in sizes))
    for name in results[sizes[0]]["rows"]:
        table.add_row(name, *(f"{percentile(results[s]['rows'][name], 0.5):.1f} / "
                              f"{percentile(results[s]['rows'][name], 0.95):.1f}" for s in sizes))
    console.print(table)
    if args.markdown:
        print("| request | " + " | ".join(f"{s:,} parties p50 / p95 ms" for s in sizes) + " |")
        print("|---|" + "---|" * len(sizes))
        for label, show in facts:
            print(f"| {label} | " + " | ".join(show(results[s]) for s in sizes) + " |")
        for name in results[sizes[0]]["rows"]:
            print(f"| {name} | " + " | ".join(f"{percentile(results[s]['rows'][name], 0.5):.1f} / "
                                              f"{percentile(results[s]['rows'][name], 0.95):.1f}" for s in sizes) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="parties (people) per graph, comma separated")
    parser.add_argument("--requests", type=int, default=30, help="requests per row")
    parser.add_argument("--data-root", type=Path, default=Path("/tmp/crmgraph-bench-scale"))
    parser.add_argument("--rebuild", action="store_true", help="build again even if the folder has the graph")
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
