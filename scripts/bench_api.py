#!/usr/bin/env python3
"""Request rate through the API vs. the same Cypher sent straight to the store, in one run.

    .venv/bin/python scripts/bench_api.py                  # 16 connections, 5 s a line
    .venv/bin/python scripts/bench_api.py --duration 10 --connections 32 --workers 2
    .venv/bin/python scripts/bench_api.py --baseline-env CRMGRAPH_KEY_CACHE_SECONDS=0   # cache off vs on
    git archive main | tar -x -C /tmp/main && .venv/bin/python scripts/bench_api.py --baseline-code /tmp/main
    .venv/bin/python scripts/bench_api.py --workers 1 --baseline-workers 2    # one worker against two
    .venv/bin/python scripts/bench_api.py --graph data/bench --connections 1  # the 100k graph, one at a time

Starts ``crmgraph serve --seed`` (prod mode) on a free loopback port with a temporary data
folder, and a bare Starlette JSON endpoint run by uvicorn the same way (uvloop, httptools,
no access log, same workers). For each request it measures, at the same concurrency:

- **raw**: the statements the API compiles for the document, captured once, then sent
  straight to the same FalkorDB by a Python asyncio client (``falkordb``) with
  ``--connections`` in flight (``--raw-wire``: by the service's own, leaner, connections,
  ``graph.falkordb_wire``, which the API has used since it outran the ``falkordb`` client);
- **API**: the document over HTTP, by wrk (a Lua script sets the POST body). wrk comes
  from the Debian package, installed here when missing and running as root; otherwise an
  httpx asyncio load generator with the same concurrency is used (its own overhead lowers
  the figures: compare ratios within one run only).

``--graph DIR`` serves a synthetic graph already in DIR (as ``scripts/bench_traversals.py``
builds it: ``crmgraph seed --synthetic``, 100k parties by default; a baseline serves a copy)
instead of the seed stories, and measures a point lookup and the traversals from that
graph's own roots (its first raw-material company, its last retailer, its first and last
person). ``--connections 1`` then gives each request's latency alone: what the API adds to
one statement.

``--floor`` adds, per line with statements, the same statements behind a bare Starlette
endpoint (``scripts/bare_starlette.py``'s ``/floor``: one HTTP request runs them through the
service's own store adapter and answers their row counts; no GraphQL, no credentials, no
limits). Its p50 over raw's is the least any HTTP API on this stack adds to the
statements: a ratio goal below it is out of reach for the GraphQL layer.

It prints req/s, p50 and p99 of both and the API/raw rate ratio per line, and the API
server's resident memory at the start and the end. ``--cpu`` also prints, per line, the
CPU a request cost the service's workers, the store (all its threads) and wrk, and a raw
statement set the client and the store: on a machine the load saturates, the rates follow
those sums.

``--baseline`` (or ``--baseline-env NAME=VALUE``) runs a second service with other settings
beside it; each line then measures both ``--rounds`` times (default 2), alternating which
goes first, and shows the medians. On a shared machine that is not enough for heavy
lines: with the same settings on both sides, customer 360 differed by up to 20 % between
the two services. Run both ways round (the setting in this process's environment, the
other in ``--baseline-env``), with ``--rounds 4``, and compare:

    .venv/bin/python scripts/bench_api.py --baseline-env CRMGRAPH_KEY_CACHE_SECONDS=0 --rounds 4
    CRMGRAPH_KEY_CACHE_SECONDS=0 .venv/bin/python scripts/bench_api.py \
        --baseline-env CRMGRAPH_KEY_CACHE_SECONDS=30 --rounds 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph.access import ANONYMOUS_ADMIN  # noqa: E402
from graph.cypher.compiler import Compiler  # noqa: E402
from graph.falkordb_store import FalkorDBStore  # noqa: E402
from schema import build_schema  # noqa: E402
from schema.context import Context  # noqa: E402

console = Console(width=160)
BIN = Path(sys.executable).parent
WINDOW = 'from: "2025-11-01T00:00:00Z", to: "2026-11-01T00:00:00Z"'

CUSTOMER_360 = """{
  party(id: "person:john-smith") {
    name
    ... on Person { age occupation city }
    orders(first: 5) {
      totalCount
      edges { node { placedAt channel paymentMethod total { amount currency } seller { name }
                     items { edges { qty unitPrice { amount currency } node { name category } } } } }
    }
    interactions(first: 3) { nodes { channel at summary } pageInfo { hasNextPage endCursor } }
    referralsMade(filter: {edge: {status: {in: ["converted", "rewarded"]}}}) {
      edges { status node { name orders { totalCount } } }
    }
    feedback { nodes { kind rating nps text about { __typename ... on Company { name } } } }
  }
}"""


@dataclass
class Case:
    name: str
    document: str
    raw: bool = True  # has a statement to compare with


def cases() -> list[Case]:
    out = [
        Case("point lookup", '{ party(id: "person:john-smith") { name } }'),
        Case("customer 360", CUSTOMER_360),
        Case("filtered page", '{ people(first: 10, filter: {city: {eq: "Chicago"}}, orderBy: [{field: NAME}]) '
                              "{ totalCount edges { cursor node { name age city } } pageInfo { hasNextPage } } }"),
        Case("{ __typename }", "{ __typename }", raw=False),
    ]
    for depth in (2, 4, 6):
        out += [
            Case(f"supplyChain up d{depth}", f'{{ supplyChain(companyId: "company:lakeside-auto", direction: UPSTREAM, '
                 f"maxDepth: {depth}) {{ truncated nodes {{ tier node {{ id }} }} edges {{ from to }} }} }}"),
            Case(f"indirectCustomers d{depth}", f'{{ indirectCustomers(companyId: "company:xyz-manufacturing", '
                 f"maxDepth: {depth}) {{ totalCustomers totalRevenue {{ amount currency }} intermediaries {{ revenue {{ amount currency }} "
                 f"customers {{ revenue {{ amount currency }} party {{ id }} }} }} }} }}"),
            Case(f"disruptionImpact d{depth}", f'{{ disruptionImpact(companyId: "company:abc-steel", {WINDOW}, '
                 f"maxDepth: {depth}) {{ revenueAtRisk {{ amount currency }} openOrderCount companies {{ tier company {{ id }} }} }} }}"),
            Case(f"referralTree d{depth}", f'{{ referralTree(partyId: "person:john-smith", maxDepth: {depth}) '
                 f"{{ truncated nodes {{ generation party {{ id }} }} generations {{ invited converted revenue {{ amount currency }} }} }} }}"),
            Case(f"referralChain d{depth}", f'{{ referralChain(partyId: "person:anna-kowalski", maxDepth: {depth}) '
                 f"{{ referrers {{ generation party {{ id }} }} }} }}"),
            Case(f"shortestPath d{depth}", f'{{ shortestPath(from: "person:anna-kowalski", '
                 f'to: "company:brightwave-tech", maxDepth: {depth}) {{ length }} }}'),
        ]
    return out


def graph_cases(spec: dict[str, int]) -> list[Case]:
    """A synthetic graph's point lookup and traversals, from the roots
    ``scripts/bench_traversals.py`` uses (its generator's first and last ids)."""
    raw, retail = "syn:company:0", f"syn:company:{spec['companies'] - 1}"
    top, leaf = "syn:person:0", f"syn:person:{spec['people'] - 1}"
    out = [Case("point lookup", f'{{ party(id: "{leaf}") {{ name }} }}')]
    for depth in (2, 4, 6):
        out += [
            Case(f"supplyChain up d{depth}", f'{{ supplyChain(companyId: "{retail}", direction: UPSTREAM, '
                 f"maxDepth: {depth}) {{ truncated nodes {{ tier node {{ id }} }} edges {{ from to }} }} }}"),
            Case(f"supplyChain down d{depth}", f'{{ supplyChain(companyId: "{raw}", direction: DOWNSTREAM, '
                 f"maxDepth: {depth}) {{ truncated nodes {{ tier node {{ id }} }} edges {{ from to }} }} }}"),
            Case(f"indirectCustomers d{depth}", f'{{ indirectCustomers(companyId: "{raw}", maxDepth: {depth}) '
                 "{ totalCustomers totalRevenue { amount currency } intermediaries { revenue { amount currency } "
                 "customers { revenue { amount currency } party { id } } } } }"),
            Case(f"disruptionImpact d{depth}", f'{{ disruptionImpact(companyId: "{raw}", {WINDOW}, maxDepth: {depth}) '
                 "{ revenueAtRisk { amount currency } openOrderCount companies { tier company { id } } } }"),
            Case(f"referralTree d{depth}", f'{{ referralTree(partyId: "{top}", maxDepth: {depth}) '
                 "{ truncated nodes { generation party { id } } generations { invited converted "
                 "revenue { amount currency } } } }"),
            Case(f"referralChain d{depth}", f'{{ referralChain(partyId: "{leaf}", maxDepth: {depth}) '
                 "{ referrers { generation party { id } } } }"),
            Case(f"shortestPath d{depth}", f'{{ shortestPath(from: "{leaf}", to: "{top}", maxDepth: {depth}, '
                 "types: [REFERRED, WORKS_FOR]) { length } }"),
        ]
    return out


def ms(value: float) -> str:
    """A latency in ms, with the digits a sub-millisecond figure needs."""
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


@dataclass
class Figures:
    rate: float
    p50: float  # ms
    p99: float  # ms
    errors: int = 0
    requests: int = 0


def median_figures(runs: list[Figures]) -> Figures:
    def median(values: list[float]) -> float:
        ordered = sorted(values)
        middle = len(ordered) // 2
        return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2

    return Figures(median([r.rate for r in runs]), median([r.p50 for r in runs]), median([r.p99 for r in runs]),
                   sum(r.errors for r in runs))


def prod_workers() -> int:
    """What ``crmgraph serve`` starts in prod without ``--workers``."""
    try:
        from api.cli import default_workers
        from api.settings import Mode
    except ImportError:  # a checkout from before the default existed: one worker
        return 1
    try:
        return default_workers(Mode.PROD, embedded=True)
    except TypeError:  # a checkout from before the store's core was left to it
        return default_workers(Mode.PROD)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def is_store(pid: int) -> bool:
    try:
        return b"redis-server" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU of these processes (all their threads) so far."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def own_cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


class CpuSplit:
    """CPU per request of each party to a measurement: the service's workers, the store,
    and the load generator (wrk, a child of this process) or this process (the raw client)."""

    def __init__(self, server_pid: int) -> None:
        kids = children(server_pid)
        self.store = [k for k in kids if is_store(k)]
        # One worker: uvicorn serves in the serve process itself, with no worker children.
        self.workers = [w for k in kids if not is_store(k) for w in [k, *children(k)]] or [server_pid]

    def start(self) -> None:
        self._began = (cpu_seconds(self.workers), cpu_seconds(self.store),
                       own_cpu(resource.RUSAGE_CHILDREN), own_cpu(resource.RUSAGE_SELF))

    def per_request(self, requests: float) -> tuple[float, float, float, float]:
        """µs a request: workers, store, load generator, this process."""
        now = (cpu_seconds(self.workers), cpu_seconds(self.store),
               own_cpu(resource.RUSAGE_CHILDREN), own_cpu(resource.RUSAGE_SELF))
        return tuple(1e6 * (b - a) / max(requests, 1) for a, b in zip(self._began, now))  # type: ignore[return-value]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its Python children (the store is not counted)."""
    total = 0
    pids = [pid, *(child for child in children(pid) if not is_store(child))]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{url} did not come up")
        time.sleep(0.2)


# -- load generators -------------------------------------------------------------------------


def ensure_wrk() -> str | None:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        console.print("installing wrk (apt-get install -y wrk)")
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return shutil.which("wrk")
    return None


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def run_wrk(wrk: str, url: str, body: str, connections: int, duration: float, tmp: Path,
            headers: dict[str, str]) -> Figures:
    script = tmp / "post.lua"
    script.write_text('wrk.method = "POST"\n'
                      + "".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n" for k, v in headers.items())
                      + f"wrk.body = {json.dumps(body)}\n")
    threads = max(1, min(2, connections))
    out = subprocess.run([wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s",
                          "--latency", "-s", str(script), url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return Figures(rate, p50, p99, int(bad.group(1)) if bad else 0, done)


async def run_httpx(url: str, body: str, connections: int, duration: float, headers: dict[str, str]) -> Figures:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        stop = time.perf_counter() + duration

        async def loop() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                started = time.perf_counter()
                response = await client.post(url, content=body, headers=headers)
                latencies.append((time.perf_counter() - started) * 1000)
                errors += response.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    return Figures(len(latencies) / elapsed, percentile(latencies, .5), percentile(latencies, .99), errors,
                   len(latencies))


async def run_raw(socket_path: Path, statements: list[tuple[str, dict[str, Any]]], connections: int,
                  duration: float, *, wire: bool = False) -> Figures:
    """The statements one request sends, in order, by ``connections`` concurrent clients:
    through the ``falkordb`` client, or (``wire``) through the service's own connections
    (``graph.falkordb_wire``, as ``FalkorDBStore.read`` sends them)."""
    from falkordb.asyncio import FalkorDB
    from redis.asyncio import BlockingConnectionPool, UnixDomainSocketConnection

    pool = BlockingConnectionPool(connection_class=UnixDomainSocketConnection, path=str(socket_path),
                                  max_connections=connections, timeout=30, decode_responses=True)
    graph = FalkorDB(connection_pool=pool).select_graph("crm")
    store = FalkorDBStore(str(socket_path), "crm", connections)
    send = store.read if wire else graph.ro_query
    latencies: list[float] = []
    for text, params in statements:  # warm the store's plan cache
        await send(text, params)
    stop = time.perf_counter() + duration

    async def loop() -> None:
        while time.perf_counter() < stop:
            started = time.perf_counter()
            for text, params in statements:
                await send(text, params)
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    await pool.aclose()
    await store.close()
    return Figures(len(latencies) / elapsed, percentile(latencies, .5), percentile(latencies, .99), 0,
                   len(latencies))


async def compiled_statements(socket_path: Path, document: str,
                              variables: dict[str, Any] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """What the API sends to the store for ``document`` (through the same schema and compiler)."""
    store = FalkorDBStore(str(socket_path), "crm")
    sent: list[tuple[str, dict[str, Any]]] = []
    stop = store.add_listener(lambda q, p: sent.append((q, dict(p))))
    try:
        result = await build_schema(production=True).execute(
            document, variable_values=variables,
            context_value=Context(store, Compiler(store.dialect), access=ANONYMOUS_ADMIN))
        if result.errors:
            raise SystemExit(f"{document}: {result.errors}")
    finally:
        stop()
        await store.close()
    return sent


# -- the run ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per line, each side")
    parser.add_argument("--workers", type=int, default=None, help="API workers (default: serve's prod default)")
    parser.add_argument("--only", default=None, help="only cases whose name contains this (comma-separated: any of these)")
    parser.add_argument("--httpx", action="store_true", help="use the httpx load generator even if wrk exists")
    parser.add_argument("--baseline", action="store_true",
                        help="also run a second service with CRMGRAPH_FAST_PATH=false: before and after side by side")
    parser.add_argument("--rate-limit", type=int, default=0,
                        help="the admin rate limit per minute (default 0: off); e.g. 1000000000 measures the "
                             "limiter's cost (its leases) without ever refusing")
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="serve the API from this checkout (e.g. an export of main, for a before/after "
                             "with this script and the same virtualenv)")
    parser.add_argument("--baseline-code", type=Path, default=None,
                        help="serve the baseline from this checkout (e.g. an export of main; implies --baseline, "
                             "and no CRMGRAPH_FAST_PATH=false unless --baseline-env says so)")
    parser.add_argument("--baseline-env", action="append", default=[], metavar="NAME=VALUE",
                        help="the baseline service's settings instead of CRMGRAPH_FAST_PATH=false (repeatable; "
                             "implies --baseline), e.g. CRMGRAPH_KEY_CACHE_SECONDS=0")
    parser.add_argument("--baseline-workers", type=int, default=None,
                        help="the baseline service's workers, if not --workers (implies --baseline, and no "
                             "CRMGRAPH_FAST_PATH=false unless --baseline-env says so), e.g. 1 against 2")
    parser.add_argument("--rounds", type=int, default=2,
                        help="with a baseline: rounds per line, alternating which service goes first; medians shown")
    parser.add_argument("--raw-wire", action="store_true",
                        help="send the raw statements through the service's own store connections "
                             "(graph.falkordb_wire) instead of the falkordb client")
    parser.add_argument("--cpu", action="store_true",
                        help="also print the CPU each request cost the service's workers, the store and wrk, "
                             "and each raw statement the client and the store (not with a baseline)")
    parser.add_argument("--graph", type=Path, default=None, metavar="DIR",
                        help="serve the synthetic graph in DIR (built by scripts/bench_traversals.py or "
                             "`crmgraph seed --synthetic --data-dir DIR`) and measure its traversals")
    parser.add_argument("--floor", action="store_true",
                        help="also measure each line's statements behind a bare Starlette endpoint "
                             "(HTTP and the store adapter, no GraphQL): the least an API on this stack adds")
    parser.add_argument("--api-key", default=os.environ.get("CRMGRAPH_BENCH_KEY"),
                        help="sent as 'Authorization: Bearer KEY' (where prod requires credentials)")
    args = parser.parse_args()
    baseline_env = dict(item.split("=", 1) for item in args.baseline_env) or (
        {} if args.baseline_code or args.baseline_workers else {"CRMGRAPH_FAST_PATH": "false"})
    args.baseline = (args.baseline or bool(args.baseline_env) or args.baseline_code is not None
                     or args.baseline_workers is not None)
    if args.cpu and args.baseline:
        parser.error("--cpu measures one service: leave out --baseline, --baseline-env and --baseline-code")
    spec_file = args.graph / "bench-spec.json" if args.graph is not None else None
    if spec_file is not None and not spec_file.exists():
        parser.error(f"{args.graph} has no synthetic graph (no bench-spec.json): run scripts/bench_traversals.py")

    wrk = None if args.httpx else ensure_wrk()
    console.print(f"load generator: {'wrk' if wrk else 'httpx (asyncio)'}, {args.connections} connections, "
                  f"{args.duration:g} s a line")
    tmp = Path(tempfile.mkdtemp(prefix="crmgraph-bench-"))
    port, bare_port = free_port(), free_port()
    # One benchmark client is one caller: its rate limit off (unless --rate-limit) and its
    # concurrency cap at the connection count, so the figures measure the service, not the per-caller limits.
    data = args.graph.resolve() if args.graph is not None else tmp / "data"
    env = {**os.environ, "CRMGRAPH_PORT": str(port), "CRMGRAPH_DATA_DIR": str(data),
           "CRMGRAPH_MODE": "prod", "CRMGRAPH_STORE_POOL_SIZE": str(max(args.connections, 16)),
           "CRMGRAPH_RATE_LIMIT_ADMIN": str(args.rate_limit), "CRMGRAPH_RATE_LIMIT_WINDOW": "60",
           "CRMGRAPH_CONCURRENCY_PER_CLIENT": str(args.connections),
           "CRMGRAPH_QUEUE_PER_CLIENT": str(args.connections),
           # Snapshot refreshes are background scans (1.5 s every 30 s on the 100k graph) that
           # would land in random lines of either service: refreshed once, kept for 12 h.
           "CRMGRAPH_ANALYTICS_MAX_STALENESS": os.environ.get("CRMGRAPH_ANALYTICS_MAX_STALENESS", "86400")}
    workers = ["--workers", str(args.workers)] if args.workers else []
    # `python -m api.cli` from this checkout (not the installed entry point), so the script
    # measures the code beside it.
    code = args.code.resolve()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), os.environ.get("PYTHONPATH")]))
    seed = [] if args.graph is not None else ["--seed"]
    server = subprocess.Popen([str(BIN / "python"), "-m", "api.cli", "serve", *seed, *workers], env=env,
                              cwd=code, stdout=subprocess.DEVNULL, stderr=(tmp / "serve.log").open("wb"))
    floor_file = tmp / "floor.json"
    bare_env = {**os.environ, "CRMGRAPH_FLOOR_FILE": str(floor_file),
                "CRMGRAPH_FLOOR_SOCKET": str(data / "falkordb.sock"),
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    bare = subprocess.Popen(
        [str(BIN / "python"), "-m", "uvicorn", "--app-dir", str(ROOT / "scripts"), "bare_starlette:app",
         "--host", "127.0.0.1", "--port", str(bare_port), "--loop", "uvloop", "--http", "httptools",
         "--no-access-log", "--log-level", "warning", "--workers", str(args.workers or prod_workers())],
        env=bare_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_port = free_port()
    baseline = None
    if args.baseline:  # the same service with the baseline's settings, its own store and folder
        base_code = args.baseline_code.resolve() if args.baseline_code else code
        console.print(f"baseline: {base_code} " + " ".join(f"{k}={v}" for k, v in baseline_env.items())
                      + (f" --workers {args.baseline_workers}" if args.baseline_workers else ""))
        base_env = {**env, "CRMGRAPH_PORT": str(base_port), "CRMGRAPH_DATA_DIR": str(tmp / "base"),
                    "PYTHONPATH": os.pathsep.join(filter(None, [str(base_code), os.environ.get("PYTHONPATH")])),
                    **baseline_env}
        base_workers = ["--workers", str(args.baseline_workers)] if args.baseline_workers else workers
        if args.graph is not None:  # one store per folder: the baseline serves a copy of the graph
            shutil.copytree(data, tmp / "base", ignore=shutil.ignore_patterns("crmgraph.lock", "*.sock", "*.log"))
        baseline = subprocess.Popen([str(BIN / "python"), "-m", "api.cli", "serve", *seed, *base_workers],
                                    env=base_env, cwd=base_code, stdout=subprocess.DEVNULL,
                                    stderr=(tmp / "base.log").open("wb"))
    rows: list[list[str]] = []
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", server)
        if baseline is not None:
            wait_ready(f"http://127.0.0.1:{base_port}/readyz", baseline)
        wait_ready(f"http://127.0.0.1:{bare_port}/graphql", bare)
        url = f"http://127.0.0.1:{port}/graphql"
        socket_path = data / "falkordb.sock"
        rss_start = rss_mb(server.pid)
        split = CpuSplit(server.pid) if args.cpu else None
        cpu_rows: list[list[str]] = []

        headers = {"content-type": "application/json"}
        if not args.api_key:  # prod asks for credentials: an admin key of this run's own
            made = subprocess.run([str(BIN / "python"), "-m", "api.cli", "keys", "create", "--role", "admin",
                                   "--name", "bench"], env=env, cwd=code, capture_output=True, text=True, check=True)
            args.api_key = made.stdout.strip()
        headers["authorization"] = f"Bearer {args.api_key}"
        base_headers = dict(headers)
        if baseline is not None:
            made = subprocess.run([str(BIN / "python"), "-m", "api.cli", "keys", "create", "--role", "admin",
                                   "--name", "bench"], env=base_env, cwd=base_code, capture_output=True, text=True,
                                  check=True)
            base_headers["authorization"] = f"Bearer {made.stdout.strip()}"
            base_rss_start = rss_mb(baseline.pid)

        def api(document: str, target: str = url, with_headers: dict[str, str] = headers) -> Figures:
            body = json.dumps({"query": document})
            for _ in range(2):  # the first request validates and caches the document
                if httpx.post(target, content=body, headers=with_headers).status_code != 200:
                    raise SystemExit(f"{document}: not answered")
            if wrk:
                return run_wrk(wrk, target, body, args.connections, args.duration, tmp, with_headers)
            return asyncio.run(run_httpx(target, body, args.connections, args.duration, with_headers))

        for case in cases() if spec_file is None else graph_cases(json.loads(spec_file.read_text())):
            if args.only and not any(part in case.name for part in args.only.split(",")):
                continue
            raw = floor = None
            if case.raw:
                statements = asyncio.run(compiled_statements(socket_path, case.document))
                if split is not None:
                    split.start()
                raw = asyncio.run(run_raw(socket_path, statements, args.connections, args.duration,
                                          wire=args.raw_wire))
                raw_cpu = split.per_request(raw.requests) if split is not None else None
                floor_file.write_bytes(orjson.dumps(statements))
            floor_url = f"http://127.0.0.1:{bare_port}/floor" if args.floor and raw is not None else None
            before: Figures | None = None
            bare_line = raw is None and case.name == "{ __typename }"
            label = "bare Starlette" if bare_line else ""
            if baseline is None:
                if split is not None:
                    split.start()
                through = api(case.document)
                if split is not None:
                    workers, store_us, wrk_us, _ = split.per_request(through.requests)
                    cpu_rows.append([case.name, f"{workers:.0f}", f"{store_us:.0f}", f"{wrk_us:.0f}",
                                     f"{workers + store_us + wrk_us:.0f}"]
                                    + ([f"{raw_cpu[3]:.0f}", f"{raw_cpu[1]:.0f}", f"{raw_cpu[3] + raw_cpu[1]:.0f}"]
                                       if case.raw and raw_cpu is not None else ["-", "-", "-"]))
                    console.print("  CPU µs a request: " + "  ".join(cpu_rows[-1][1:]))
                if bare_line:
                    raw = api("{ __typename }", f"http://127.0.0.1:{bare_port}/graphql")
                if floor_url is not None:
                    floor = api("{ __typename }", floor_url)
            else:  # rounds alternate which service goes first (ABBA...): drifts in the
                # machine's load fall on both sides alike (and on bare Starlette, in the rounds too)
                befores: list[Figures] = []
                throughs: list[Figures] = []
                bares: list[Figures] = []
                floors: list[Figures] = []
                for round_ in range(args.rounds):
                    pair = [lambda: befores.append(api(case.document, f"http://127.0.0.1:{base_port}/graphql",
                                                       base_headers)),
                            lambda: throughs.append(api(case.document))]
                    if bare_line:
                        pair.append(lambda: bares.append(api("{ __typename }",
                                                             f"http://127.0.0.1:{bare_port}/graphql")))
                    if floor_url is not None:
                        pair.append(lambda: floors.append(api("{ __typename }", floor_url)))
                    for measure in pair if round_ % 2 == 0 else pair[::-1]:
                        measure()
                before, through = median_figures(befores), median_figures(throughs)
                raw = median_figures(bares) if bare_line else raw
                floor = median_figures(floors) if floors else None
            row = [case.name]
            if before is not None:
                row += [f"{before.rate:,.0f}", ms(before.p50), ms(before.p99),
                        f"{100 * before.rate / raw.rate:.0f} %" if raw is not None else "-"]
            row += [f"{through.rate:,.0f}", ms(through.p50), ms(through.p99),
                    f"{through.p99 / through.p50:.1f}" if through.p50 else "-"]
            if raw is not None:
                row += [f"{raw.rate:,.0f}", ms(raw.p50), ms(raw.p99),
                        f"{raw.p99 / raw.p50:.1f}" if raw.p50 else "-",
                        f"{100 * through.rate / raw.rate:.0f} %{' of ' + label if label else ''}",
                        f"{through.p50 / raw.p50:.2f} ×" if raw.p50 else "-"]
            else:
                row += ["-", "-", "-", "-", "-", "-"]
            if args.floor:
                row += ([f"{floor.rate:,.0f}", ms(floor.p50), f"{floor.p50 / raw.p50:.2f} ×"]
                        if floor is not None and raw is not None and raw.p50 else ["-", "-", "-"])
            if through.errors:
                row[0] += f" ({through.errors} errors)"
            rows.append(row)
            console.print("  ".join(row))
        rss_end = rss_mb(server.pid)
        base_rss_end = rss_mb(baseline.pid) if baseline is not None else 0.0
    finally:
        for proc in (server, bare, *([baseline] if baseline is not None else [])):
            proc.send_signal(signal.SIGTERM)
        for proc in (server, bare, *([baseline] if baseline is not None else [])):
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)

    table = Table(title=f"API vs raw statement, {args.connections} connections, {args.duration:g} s each "
                        f"({'wrk' if wrk else 'httpx'})")
    columns = ["request"]
    if args.baseline:
        columns += ["before req/s", "before p50", "before p99", "before / raw"]
    columns += ["API req/s", "API p50 ms", "API p99 ms", "API p99/p50", "raw q/s", "raw p50 ms", "raw p99 ms",
                "raw p99/p50", "API / raw", "p50 API / raw"]
    if args.floor:
        columns += ["floor req/s", "floor p50 ms", "p50 floor / raw"]
    for column in columns:
        table.add_column(column, justify="left" if column == "request" else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if cpu_rows:
        cpu_table = Table(title="CPU µs per request (API) and per statement set (raw), all processes' threads")
        for column in ("request", "API workers", "store", "wrk", "API total", "raw client", "store (raw)",
                       "raw total"):
            cpu_table.add_column(column, justify="left" if column == "request" else "right")
        for row in cpu_rows:
            cpu_table.add_row(*row)
        console.print(cpu_table)
    console.print(f"API server RSS: {rss_start:.0f} MB at start, {rss_end:.0f} MB at the end")
    if args.baseline:
        console.print(f"baseline ({' '.join(f'{k}={v}' for k, v in baseline_env.items())}) RSS: "
                      f"{base_rss_start:.0f} MB at start, {base_rss_end:.0f} MB at the end")


if __name__ == "__main__":
    main()
