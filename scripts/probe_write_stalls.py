"""What one write during a long read does to every other read, sent straight to the
store or through ``Store.write``, which holds it back while a read runs long.

    .venv/bin/python scripts/probe_write_stalls.py            # a ~1 s scan, 3 rounds
    .venv/bin/python scripts/probe_write_stalls.py --scan 3000000 --rounds 5

Starts the embedded FalkorDB in a temporary folder. Each round, four clients send small
reads without pause; 0.2 s in, a long read starts (an ``UNWIND`` scan of ``--scan`` values,
standing in for an analytics snapshot's whole-base statement); 0.2 s later one small write
is sent. FalkorDB runs a write only once every running read has finished, and waits for
them holding the server's global lock: sent straight to the store ("direct": as a write
from another process would come), the write stops every read until the scan ends.
Through ``Store.write`` it waits in the process instead, whether the scan was declared
long (``Store.long_read``: what the analytics refresher does) or is watched (a client's
query running past ``LONG_READ_SECONDS``). Prints, per mode, the median over rounds of
the small reads' p50, p99 and max, and the write's latency.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graph.embedded import EmbeddedFalkorDB  # noqa: E402
from graph.falkordb_store import FalkorDBStore  # noqa: E402

SCAN = "UNWIND range(1, $n) AS i WITH i WHERE i % 7 = 0 RETURN count(i) AS n"
READ = "MATCH (p:StallProbe {id: 'read'}) RETURN p.id AS id"
WRITE = "MATCH (p:StallProbe {id: 'write'}) SET p.at = $at"


MODES = {"direct": "sent straight to the store", "declared": "held: the scan declared long",
         "watched": "held: the scan watched"}


async def one_round(store: FalkorDBStore, scan: int, mode: str) -> tuple[list[float], float, float]:
    """Small reads' latencies (s) during the round, the write's and the scan's."""
    latencies: list[float] = []
    done = asyncio.Event()

    async def reader() -> None:
        while not done.is_set():
            began = time.perf_counter()
            await store.read(READ)
            latencies.append(time.perf_counter() - began)

    async def long_read() -> float:
        began = time.perf_counter()
        async with AsyncExitStack() as stack:
            if mode == "declared":
                await stack.enter_async_context(store.long_read())
            await store.read(SCAN, {"n": scan})
        return time.perf_counter() - began

    async def write() -> float:
        await asyncio.sleep(0.4)
        began = time.perf_counter()
        if mode == "direct":
            await store.redis.execute_command("GRAPH.QUERY", store.graph_name, f"CYPHER at={time.time()} {WRITE}")
        else:
            await store.write(WRITE, {"at": time.time()})
        return time.perf_counter() - began

    readers = [asyncio.create_task(reader()) for _ in range(4)]
    await asyncio.sleep(0.2)
    scan_task = asyncio.create_task(long_read())
    write_seconds = await write()
    scan_seconds = await scan_task
    await asyncio.sleep(0.2)
    done.set()
    await asyncio.gather(*readers)
    return latencies, write_seconds, scan_seconds


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scan", type=int, default=6_000_000, help="values the long read scans (~1 s for 6M here)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    console = Console(width=120)
    with tempfile.TemporaryDirectory(prefix="crmgraph-stalls-") as folder:
        server = EmbeddedFalkorDB(Path(folder))
        server.start()
        store = FalkorDBStore(str(server.socket_path), "crm", 16, read_timeout=60, write_timeout=60)
        try:
            await store.write("CREATE (:StallProbe {id: 'read'}), (:StallProbe {id: 'write'})")
            await store.read(SCAN, {"n": 1000})
            rows: dict[str, list[tuple[float, float, float, float, float]]] = {mode: [] for mode in MODES}
            for round_ in range(args.rounds):
                for mode in list(MODES) if round_ % 2 == 0 else list(MODES)[::-1]:
                    latencies, write_s, scan_s = await one_round(store, args.scan, mode)
                    latencies.sort()
                    rows[mode].append((latencies[len(latencies) // 2], latencies[int(len(latencies) * .99)],
                                       latencies[-1], write_s, scan_s))
                    console.print(f"round {round_ + 1} {mode}: reads max {latencies[-1] * 1e3:.1f} ms, "
                                  f"write {write_s * 1e3:.1f} ms, scan {scan_s * 1e3:.0f} ms")
        finally:
            await store.close()
            server.stop()
    table = Table(title=f"small reads while a {args.scan:,}-value scan runs and one write arrives "
                        f"(medians of {args.rounds} rounds)")
    for column in ("write", "reads p50 ms", "reads p99 ms", "reads max ms", "write ms", "scan ms"):
        table.add_column(column, justify="left" if column == "write" else "right")
    for mode, figures in rows.items():
        medians = [statistics.median(f[i] for f in figures) * 1e3 for i in range(5)]
        table.add_row(MODES[mode],
                      *(f"{m:.2f}" if i < 2 else f"{m:.0f}" for i, m in enumerate(medians)))
    console.print(table)


if __name__ == "__main__":
    asyncio.run(main())
