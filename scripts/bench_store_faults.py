#!/usr/bin/env python3
"""How long the service is unready when its embedded store is killed, and what writers see.

    .venv/bin/python scripts/bench_store_faults.py --kills 5

Starts `crmgraph serve` on a loopback port in a temporary data folder, keeps three
writers creating people, kills the store with SIGKILL `--kills` times, and reports per
kill the time /readyz answered 503 (until 200 again), and overall the writes
acknowledged, the STORE_UNAVAILABLE answers and whether every acknowledged write is there.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.e2e.test_store_faults import Serve, Writers  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crmfault") as folder:
        service = Serve(Path(folder) / "data", Path(folder) / "serve.log")
        try:
            service.wait_ready()
            outages: list[float] = []
            with Writers(service, "person:bench-") as writers, httpx.Client() as probe:
                for _ in range(args.kills):
                    writers.wait_for(len(writers.acknowledged) + 50)
                    os.kill(service.store_pid(), signal.SIGKILL)
                    down = None
                    while True:
                        state = service.ready(probe)
                        now = time.monotonic()
                        if state != 200 and down is None:
                            down = now
                        if state == 200 and down is not None:
                            outages.append(now - down)
                            break
                        time.sleep(0.005)
            kept = writers.acknowledged <= service.ids("person:bench-")
            print(f"kills: {args.kills}; unready per kill: "
                  f"median {statistics.median(outages):.2f} s, max {max(outages):.2f} s")
            print(f"writes acknowledged: {len(writers.acknowledged)}; refused: {writers.codes}; "
                  f"every acknowledged write present: {kept}")
        finally:
            service.stop()


if __name__ == "__main__":
    main()
