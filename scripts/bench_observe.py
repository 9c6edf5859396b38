"""What the bookkeeping of metrics, traces and request records costs, per statement and per
request, in one process and in the multiprocess mode ``crmgraph serve`` uses.

    .venv/bin/python scripts/bench_observe.py            # both modes, each in a fresh process
    .venv/bin/python scripts/bench_observe.py --mode mp  # one

Tracing off (the default); a statement itself takes milliseconds on the embedded store.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time


def measure(mode: str, n: int) -> None:
    if mode == "mp":
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bench-observe-")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from api import metrics, tracing
    from api.observe import RequestObserver, RequestRecord, count_statement
    from graph.store import StatementEvent

    event = StatementEvent("read Person", False, "falkordb", time.time_ns(), 0.002, 3, "ok")
    began = time.perf_counter()
    for _ in range(n):
        count_statement(event)
        metrics.record_statement(event)
        tracing.record_statement(event)
    per_statement = (time.perf_counter() - began) / n * 1e6
    record = RequestRecord("POST", "/graphql", operation="Lookup", executed=True, has_data=True, statements=1)
    began = time.perf_counter()
    for _ in range(n):
        RequestObserver._count(record, 0.004)
    per_request = (time.perf_counter() - began) / n * 1e6
    print(f"{mode:6} per statement {per_statement:5.1f} us   per request {per_request:5.1f} us   ({n:,} each)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["single", "mp"])
    parser.add_argument("-n", type=int, default=50_000)
    args = parser.parse_args()
    if args.mode:
        measure(args.mode, args.n)
        return
    for mode in ("single", "mp"):
        subprocess.run([sys.executable, __file__, "--mode", mode, "-n", str(args.n)], check=True)


if __name__ == "__main__":
    main()
