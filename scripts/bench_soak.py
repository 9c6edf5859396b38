"""Soak (not a test: prints figures): minutes at 80 % of the measured capacity of a
mid-weight query, with a hostile request mixed in every few seconds.

Starts `crmgraph serve --seed` on a free loopback port (temp data folder), measures the
capacity of John Smith's customer 360 with a closed loop, then sends it open-loop at 80 %
of that rate for the given duration while, every `--hostile-every` seconds, one of issue
8's hostile requests goes in. Prints per-minute throughput, p50/p99, errors by code, the
hostile requests' answers and times, and the RSS of the API and of the store over time.

Usage: .venv/bin/python scripts/bench_soak.py [--seconds 600] [--hostile-every 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.documents import CUSTOMER_360  # noqa: E402

IN_FLIGHT = 32
VARIABLES = {"id": "person:john-smith", "withFeedback": True, "skipSegments": False, "after": None}
NAME = {"name": {"eq": "x"}}


def nested_not(levels: int) -> dict[str, Any]:
    f: dict[str, Any] = NAME
    for _ in range(levels):
        f = {"NOT": {"AND": [f, NAME]}}
    return f


def deep(levels: int) -> str:
    return '{"AND": [' * levels + '{"name": {"eq": "x"}}' + "]}" * levels


def body_of(payload: dict[str, Any]) -> str:
    """The request body; json.dumps escapes a lone surrogate as \\ud800 (httpx would refuse it)."""
    return json.dumps(payload).replace('"DEEP"', deep(2000))


HOSTILE: list[tuple[str, dict[str, Any]]] = [
    ("NOT/AND filter 9 deep", {"query": "query($f: PersonFilter) { people(filter: $f) { totalCount } }",
                               "variables": {"f": nested_not(9)}}),
    ("OR of 40,000 branches", {"query": "query($f: PersonFilter) { people(filter: $f) { totalCount } }",
                               "variables": {"f": {"OR": [{"name": {"eq": f"n{i}"}} for i in range(40_000)]}}}),
    ("in: 1,000,000 ids", {"query": "query($f: PersonFilter) { people(filter: $f) { totalCount } }",
                           "variables": {"f": {"id": {"in": [f"p:{i}" for i in range(1_000_000)]}}}}),
    ("30 aliases of a heavy field", {"query": "{ " + " ".join(
        f'a{i}: indirectCustomers(companyId: "company:xyz-manufacturing", maxDepth: 10) {{ totalCustomers }}'
        for i in range(30)) + " }"}),
    ("filter nested 2,000 deep", {"query": "query($f: PersonFilter) { people(filter: $f) { totalCount } }",
                                  "variables": {"f": "DEEP"}}),  # spliced in as text: json.dumps would recurse
    ("NUL and lone surrogate", {"query": "query($f: PersonFilter) { people(filter: $f) { totalCount } }",
                                "variables": {"f": {"name": {"eq": "a\x00b\ud800"}}}}),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree(pid: int) -> dict[str, int]:
    """The API worker and the store under `serve`."""
    out = subprocess.run(["ps", "-eo", "pid,ppid,comm"], capture_output=True, text=True).stdout.split("\n")[1:]
    children = defaultdict(list)
    names = {}
    for line in out:
        parts = line.split(None, 2)
        if len(parts) == 3:
            children[int(parts[1])].append(int(parts[0]))
            names[int(parts[0])] = parts[2]
    found = {"api": pid}
    stack = list(children[pid])
    while stack:
        p = stack.pop()
        if "redis" in names.get(p, ""):
            found["store"] = p
        stack += children[p]
    return found


async def main(seconds: float, hostile_every: float) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data = tempfile.mkdtemp(prefix="soak-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMGRAPH_")}
    env |= {"CRMGRAPH_PORT": str(port), "CRMGRAPH_DATA_DIR": data, "CRMGRAPH_RATE_LIMIT_ANONYMOUS": "0",
            "CRMGRAPH_CONCURRENCY_PER_CLIENT": "16"}
    crmgraph = str(Path(sys.executable).with_name("crmgraph"))
    proc = subprocess.Popen([crmgraph, "serve", "--seed"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=httpx.Limits(max_connections=IN_FLIGHT)) as http, \
                httpx.AsyncClient(base_url=url, timeout=60) as hostile_http:
            for _ in range(600):
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
            body = {"query": CUSTOMER_360, "variables": VARIABLES}

            async def one() -> tuple[float, str]:
                start = time.perf_counter()
                try:
                    r = await http.post("/graphql", json=body)
                    errors = r.json().get("errors") if r.headers.get("content-type", "").startswith("application") else None
                    code = "ok" if r.status_code == 200 and not errors else (
                        (errors or [{}])[0].get("extensions", {}).get("code") or f"http {r.status_code}")
                except httpx.HTTPError as exc:
                    code = type(exc).__name__
                return (time.perf_counter() - start) * 1000, code

            # Capacity: a closed loop of 8 for 15 s.
            done, stop_at = 0, time.monotonic() + 15

            async def loop() -> None:
                nonlocal done
                while time.monotonic() < stop_at:
                    await one()
                    done += 1

            await asyncio.gather(*(loop() for _ in range(8)))
            capacity = done / 15
            rate = 0.8 * capacity
            print(f"capacity of customer 360: {capacity:.0f} req/s; soaking at {rate:.0f} req/s for {seconds:.0f} s, "
                  f"a hostile request every {hostile_every:g} s")
            pids = tree(proc.pid)
            samples: list[tuple[float, float, str]] = []
            hostile: list[tuple[str, int, str, float]] = []
            memory: list[tuple[float, float, float]] = []
            tasks: set[asyncio.Task[Any]] = set()
            began = time.monotonic()

            in_flight = 0
            skipped = 0

            async def timed_one() -> None:
                nonlocal in_flight
                in_flight += 1
                try:
                    ms, code = await one()
                finally:
                    in_flight -= 1
                samples.append((time.monotonic() - began, ms, code))

            async def attack(i: int) -> None:
                name, payload = HOSTILE[i % len(HOSTILE)]
                start = time.perf_counter()
                try:
                    r = await hostile_http.post("/graphql", content=body_of(payload),
                                                headers={"content-type": "application/json"})
                    try:
                        errors = r.json().get("errors") or []
                    except ValueError:
                        errors = [{"extensions": {"code": "not JSON"}}]
                    code = errors[0].get("extensions", {}).get("code", "?") if errors else "answered"
                    status = r.status_code
                except httpx.HTTPError as exc:
                    status, code = 0, type(exc).__name__
                hostile.append((name, status, code, (time.perf_counter() - start) * 1000))

            next_hostile, i, k = began, 0, 0
            while (now := time.monotonic()) - began < seconds:
                while k < (now - began) * rate:
                    k += 1
                    if in_flight >= IN_FLIGHT:  # open loop: the client does not queue behind a slow server
                        skipped += 1
                        continue
                    task = asyncio.create_task(timed_one())
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                if now >= next_hostile:
                    task = asyncio.create_task(attack(i))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                    i += 1
                    next_hostile += hostile_every
                if not memory or now - began - memory[-1][0] >= 10:
                    memory.append((now - began, rss_mb(pids["api"]), rss_mb(pids.get("store", 0))))
                await asyncio.sleep(0.005)
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)

    print(f"\nsent {len(samples)}, not sent because {IN_FLIGHT} were already in flight: {skipped}")
    print("\nminute  requests  p50 ms  p99 ms  errors")
    by_minute: dict[int, list[tuple[float, str]]] = defaultdict(list)
    for at, ms, code in samples:
        by_minute[int(at // 60)].append((ms, code))
    for minute, rows in sorted(by_minute.items()):
        times = sorted(ms for ms, _ in rows)
        errors = Counter(code for _, code in rows if code != "ok")
        print(f"{minute:6}  {len(rows):8}  {statistics.median(times):6.1f}  {times[int(len(times) * 0.99)]:6.1f}  "
              f"{dict(errors) or '-'}")
    times = sorted(ms for _, ms, _ in samples)
    print(f"\nall: {len(samples)} requests, p50 {statistics.median(times):.1f} ms, "
          f"p99 {times[int(len(times) * 0.99)]:.1f} ms, errors {dict(Counter(c for *_, c in samples if c != 'ok')) or 0}")
    print("\nhostile requests: answer (count, median ms, max ms)")
    grouped: dict[tuple[str, int, str], list[float]] = defaultdict(list)
    for name, status, code, ms in hostile:
        grouped[(name, status, code)].append(ms)
    for (name, status, code), ms in sorted(grouped.items()):
        print(f"  {name:30} HTTP {status} {code:22} x{len(ms):<4} {statistics.median(ms):8.1f} {max(ms):8.1f}")
    print("\nRSS MB over time (s, API worker tree root, store)")
    for at, api, store in memory[:: max(1, len(memory) // 12)] + memory[-1:]:
        print(f"  {at:6.0f}  {api:7.1f}  {store:7.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--hostile-every", type=float, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.hostile_every))
