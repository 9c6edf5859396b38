#!/usr/bin/env python3
"""Traversal latency through the API vs. the same Cypher run directly, on a synthetic graph.

    .venv/bin/python scripts/bench_traversals.py                # 100k parties, ~1M relationships
    .venv/bin/python scripts/bench_traversals.py --people 2000 --companies 200 --orders 4000 --repeat 5

The graph is generated once into --data-dir (reused on later runs with the same sizes).
`crmgraph serve` runs in prod (with an admin key of its own) as a subprocess on a loopback
port; each traversal is asked for over HTTP at depths 2, 4 and 6, then the statement the API compiles for it (captured through the
same schema and compiler, as ``scripts/bench_api.py`` does) is sent straight to the same
FalkorDB server. It prints p50/p95 of both and their ratio (API / direct). One request at a
time through httpx, whose own cost is in the API's figure: ``scripts/bench_api.py --graph``
measures the same graph with wrk, at any concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph.falkordb_store import FalkorDBStore  # noqa: E402
from scripts.bench_api import compiled_statements  # noqa: E402

console = Console(width=150)
CRMGRAPH = str(Path(sys.executable).with_name("crmgraph"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_graph(args: argparse.Namespace) -> None:
    marker = args.data_dir / "bench-spec.json"
    spec = {k: getattr(args, k) for k in ("people", "companies", "products", "orders", "interactions")}
    if marker.exists() and json.loads(marker.read_text()) == spec:
        console.print(f"reusing the graph in {args.data_dir}")
        return
    subprocess.run(["rm", "-rf", str(args.data_dir)], check=True)
    started = time.perf_counter()
    subprocess.run([CRMGRAPH, "seed", "--synthetic", "--data-dir", str(args.data_dir),
                    *sum(([f"--{k}", str(v)] for k, v in spec.items()), [])], check=True)
    console.print(f"generated in {time.perf_counter() - started:.1f} s")
    marker.write_text(json.dumps(spec))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


Case = tuple[str, str, dict[str, Any]]  # name, GraphQL, variables


def cases(depth: int, people: int, companies: int) -> list[Case]:
    raw, retail = "syn:company:0", f"syn:company:{companies - 1}"
    top, leaf = "syn:person:0", f"syn:person:{people - 1}"
    return [
        ("supplyChain down", "query($id: ID!, $d: Int!) { supplyChain(companyId: $id, direction: DOWNSTREAM, "
         "maxDepth: $d) { truncated nodes { tier node { id } } edges { from to } } }", {"id": raw, "d": depth}),
        ("supplyChain up", "query($id: ID!, $d: Int!) { supplyChain(companyId: $id, direction: UPSTREAM, "
         "maxDepth: $d) { truncated nodes { tier node { id } } edges { from to } } }", {"id": retail, "d": depth}),
        ("indirectCustomers", "query($id: ID!, $d: Int!) { indirectCustomers(companyId: $id, maxDepth: $d) "
         "{ totalCustomers totalRevenue { amount currency } intermediaries { revenue { amount currency } customers { revenue { amount currency } party { id } } } } }",
         {"id": raw, "d": depth}),
        ("disruptionImpact", "query($id: ID!, $d: Int!) { disruptionImpact(companyId: $id, maxDepth: $d, "
         "from: \"2025-11-01T00:00:00Z\", to: \"2026-11-01T00:00:00Z\") { revenueAtRisk { amount currency } openOrderCount "
         "companies { tier company { id } } } }", {"id": raw, "d": depth}),
        ("referralTree", "query($id: ID!, $d: Int!) { referralTree(partyId: $id, maxDepth: $d) { truncated "
         "nodes { generation party { id } } generations { invited converted revenue { amount currency } } } }", {"id": top, "d": depth}),
        ("referralChain", "query($id: ID!, $d: Int!) { referralChain(partyId: $id, maxDepth: $d) "
         "{ referrers { generation party { id } } } }", {"id": leaf, "d": depth}),
        ("shortestPath", "query($a: ID!, $b: ID!, $d: Int!) { shortestPath(from: $a, to: $b, maxDepth: $d, "
         "types: [REFERRED, WORKS_FOR]) { length } }", {"a": leaf, "b": top, "d": depth}),
    ]


async def measure(args: argparse.Namespace, url: str, socket_path: Path, key: str) -> tuple[list[list[str]], float]:
    """The rows of the table, and the client's own round trip (p50 ms of GET /healthz)."""
    store = FalkorDBStore(str(socket_path))
    store.read_timeout = 120
    rows: list[list[str]] = []
    async with httpx.AsyncClient(timeout=120, headers={"authorization": f"Bearer {key}"}) as client:
        floor = []
        for _ in range(200):
            started = time.perf_counter()
            await client.get(url.replace("/graphql", "/healthz"))
            floor.append((time.perf_counter() - started) * 1000)
        for depth in (2, 4, 6):
            for name, document, variables in cases(depth, args.people, args.companies):
                api, direct = [], []
                [(text, params)] = await compiled_statements(socket_path, document, variables)  # one root field
                for i in range(args.repeat + 1):
                    started = time.perf_counter()
                    response = await client.post(url, json={"query": document, "variables": variables})
                    elapsed = time.perf_counter() - started
                    body = response.json()
                    if body.get("errors"):
                        raise SystemExit(f"{name} depth {depth}: {body['errors']}")
                    started = time.perf_counter()
                    await store.read(text, params)
                    direct_elapsed = time.perf_counter() - started
                    if i:  # the first round warms caches and the query plan cache
                        api.append(elapsed * 1000)
                        direct.append(direct_elapsed * 1000)
                p50a, p95a, p50d, p95d = (percentile(api, .5), percentile(api, .95),
                                          percentile(direct, .5), percentile(direct, .95))
                rows.append([name, str(depth), f"{p50a:.1f}", f"{p95a:.1f}", f"{p50d:.1f}", f"{p95d:.1f}",
                             f"{p50a / p50d:.2f}" if p50d else "-"])
    await store.close()
    return rows, percentile(floor, .5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data" / "bench")
    parser.add_argument("--people", type=int, default=95_000)
    parser.add_argument("--companies", type=int, default=5_000)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--interactions", type=int, default=150_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    ensure_graph(args)
    port = free_port()
    env = {**os.environ, "CRMGRAPH_PORT": str(port), "CRMGRAPH_DATA_DIR": str(args.data_dir),
           "CRMGRAPH_QUERY_TIMEOUT": "120", "CRMGRAPH_MODE": "prod", "CRMGRAPH_RATE_LIMIT_ADMIN": "0"}
    server = subprocess.Popen([CRMGRAPH, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the service did not start")
            time.sleep(0.2)
        key = subprocess.run([CRMGRAPH, "keys", "create", "--role", "admin", "--name", "bench-traversals"], env=env,
                             capture_output=True, text=True, check=True).stdout.strip()  # prod: credentials on
        rows, floor = asyncio.run(measure(args, f"http://127.0.0.1:{port}/graphql", args.data_dir / "falkordb.sock", key))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
    table = Table(title=f"traversals, {args.repeat} runs each (ms)")
    for column in ("traversal", "depth", "API p50", "API p95", "Cypher p50", "Cypher p95", "API/Cypher p50"):
        table.add_column(column, justify="left" if column == "traversal" else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(f"httpx's own round trip (GET /healthz, no GraphQL, no key check): p50 {floor:.2f} ms; it is in "
                  "every API figure above (scripts/bench_api.py --graph measures with wrk instead)")


if __name__ == "__main__":
    main()
