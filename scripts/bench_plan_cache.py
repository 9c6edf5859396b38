#!/usr/bin/env python3
"""Statements a second when more statement texts are in use than the store keeps plans for.

    .venv/bin/python scripts/bench_plan_cache.py                 # 10 and 100 texts, 4 s each
    .venv/bin/python scripts/bench_plan_cache.py --texts 10,100,300 --seconds 6

Starts two embedded stores side by side, one with FalkorDB's default plan cache (25 per
thread) and one with ours (``graph.embedded.PLAN_CACHE_SIZE``), writes the same 20,000
people into each, then sends point lookups from ``--connections`` concurrent callers
through ``FalkorDBStore``, cycling through ``--texts`` different statement texts (the same
lookup, each returning one differently named extra column: what different selections make
of one root field). Prints q/s per store and the ratio, per number of texts, one after the
other in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph.embedded import PLAN_CACHE_SIZE, EmbeddedFalkorDB  # noqa: E402
from graph.falkordb_store import FalkorDBStore  # noqa: E402

FALKORDB_DEFAULT = 25
PEOPLE = 20_000


async def rate(store: FalkorDBStore, texts: int, connections: int, seconds: float) -> float:
    statements = [f"MATCH (x:Entity {{id: $id}})\nRETURN x {{.id, .name, extra{k}: x.age}} AS node\nLIMIT 1"
                  for k in range(texts)]
    done = 0
    stop = time.perf_counter() + seconds

    async def caller(start: int) -> None:
        nonlocal done
        i = start
        while time.perf_counter() < stop:
            await store.read(statements[i % texts], {"id": f"p{i % PEOPLE}"})
            done += 1
            i += 7
    began = time.perf_counter()
    await asyncio.gather(*(caller(j) for j in range(connections)))
    return done / (time.perf_counter() - began)


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="crmgraph-plan-cache-") as tmp:
        servers = {size: EmbeddedFalkorDB(Path(tmp) / str(size), plan_cache=size)
                   for size in (FALKORDB_DEFAULT, PLAN_CACHE_SIZE)}
        stores = {}
        try:
            for size, server in servers.items():
                server.start()
                store = stores[size] = FalkorDBStore(str(server.socket_path), "bench", args.connections)
                await store.write("CREATE INDEX FOR (n:Entity) ON (n.id)")
                await store.write("UNWIND range(0, $n - 1) AS i "
                                  "CREATE (:Entity:Person {id: 'p' + toString(i), name: 'n' + toString(i), age: i % 90})",
                                  {"n": PEOPLE})
            print(f"{args.connections} callers, {args.seconds:g} s a line; plans kept per store thread: "
                  f"{FALKORDB_DEFAULT} (FalkorDB's default) and {PLAN_CACHE_SIZE} (ours)")
            for texts in (int(t) for t in args.texts.split(",")):
                figures = {size: await rate(store, texts, args.connections, args.seconds)
                           for size, store in stores.items()}
                print(f"{texts:5} texts: {figures[FALKORDB_DEFAULT]:9,.0f} q/s with {FALKORDB_DEFAULT} plans, "
                      f"{figures[PLAN_CACHE_SIZE]:9,.0f} with {PLAN_CACHE_SIZE} "
                      f"({figures[PLAN_CACHE_SIZE] / figures[FALKORDB_DEFAULT]:.2f} x)")
        finally:
            for store in stores.values():
                await store.close()
            for server in servers.values():
                server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", default="10,100")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=4.0)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
