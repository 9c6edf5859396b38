#!/usr/bin/env python3
"""One client floods the service with heavy requests; how long does another client wait?

    .venv/bin/python scripts/bench_fairness.py                 # 2k people, 20 s per run
    .venv/bin/python scripts/bench_fairness.py --seconds 10 --flood 32

The app runs in this process with its real lifespan and embedded FalkorDB (httpx's ASGI
transport, one client address per client). Client A keeps ``--flood`` heavy requests in
flight; client B asks for one party at a time. Run twice: with the default fairness caps,
and with caps so high they never bite. Prints B's latency (p50/p99/max) and what A got.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from api.settings import load_settings  # noqa: E402
from seeds.synthetic import SyntheticSpec, generate_into  # noqa: E402

HEAVY = "{ people(first: 100) { nodes { id orders(first: 20) { nodes { id items(first: 10) { nodes { id } } } } } } }"
TRIVIAL = '{ party(id: "syn:person:1") { name } }'


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


async def run(data_dir: Path, seconds: float, flood: int, seed: bool, **caps: Any) -> dict[str, Any]:
    app = create_app(load_settings(data_dir=data_dir, rate_limit_anonymous=0, **caps))  # caps, not rates
    async with app.router.lifespan_context(app):
        if seed:
            await generate_into(app.state.store, SyntheticSpec(people=2000, companies=200, products=300,
                                                               orders=6000, interactions=0))
        a = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.0.0.1", 1)),
                              base_url="http://127.0.0.1", timeout=120)  # a served Host
        b = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.0.0.2", 1)),
                              base_url="http://127.0.0.1", timeout=120)  # a served Host
        stop = time.monotonic() + seconds
        counts = {"ok": 0, "overloaded": 0, "other": 0}

        async def flooder() -> None:
            while time.monotonic() < stop:
                r = await a.post("/graphql", json={"query": HEAVY})
                key = "ok" if r.status_code == 200 and "errors" not in r.json() else \
                    "overloaded" if r.status_code == 503 else "other"
                counts[key] += 1
                if r.status_code == 503:
                    await asyncio.sleep(float(r.headers.get("retry-after", "1")) / 10)

        latencies: list[float] = []

        async def other() -> None:
            await asyncio.sleep(1)  # let the flood build up
            while time.monotonic() < stop:
                start = time.monotonic()
                r = await b.post("/graphql", json={"query": TRIVIAL})
                assert r.status_code == 200, r.text
                latencies.append((time.monotonic() - start) * 1000)
                await asyncio.sleep(0.05)

        await asyncio.gather(other(), *(flooder() for _ in range(flood)))
        await a.aclose()
        await b.aclose()
    return {"b_p50": statistics.median(latencies), "b_p99": pct(latencies, 0.99), "b_max": max(latencies),
            "b_n": len(latencies), **{f"a_{k}": v for k, v in counts.items()}}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--flood", type=int, default=16, help="heavy requests client A keeps in flight")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        data = Path(tmp)
        capped = await run(data, args.seconds, args.flood, True)
        open_ = await run(data, args.seconds, args.flood, False, concurrency_per_client=1000,
                          concurrency_total=1000, queue_per_client=1000, queue_total=1000)
    for name, r in (("default caps", capped), ("no caps", open_)):
        print(f"{name:>12}: B p50 {r['b_p50']:.0f} ms, p99 {r['b_p99']:.0f} ms, max {r['b_max']:.0f} ms "
              f"({r['b_n']} requests); A ok {r['a_ok']}, overloaded {r['a_overloaded']}, other {r['a_other']}")


if __name__ == "__main__":
    asyncio.run(main())
