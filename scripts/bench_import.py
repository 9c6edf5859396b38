#!/usr/bin/env python3
"""Import throughput and memory: generated JSON Lines files of 100k and 1M rows, each
imported by `crmgraph import` into a fresh embedded store, through GRAPH.BULK (a first
import) and as upserts (``--no-bulk``, the path of a graph with data).

    .venv/bin/python scripts/bench_import.py            # 100k and 1M rows
    .venv/bin/python scripts/bench_import.py --sizes 20000 100000 --paths bulk

Prints rows/s and the importer's peak memory for each: the upsert path's memory stays
flat as the file grows (it streams); the bulk path holds the rows until the load.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import orjson
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seeds.synthetic import SyntheticSpec, import_lines  # noqa: E402

console = Console(width=150)
CRMGRAPH = str(Path(sys.executable).with_name("crmgraph"))


def spec_for(rows: int) -> SyntheticSpec:
    """A synthetic graph of about ``rows`` import lines (about 3.3 lines per order)."""
    orders = max(rows // 5, 1)
    return SyntheticSpec(people=orders // 2, companies=max(orders // 40, 20), products=max(orders // 20, 40),
                         orders=orders, interactions=orders // 4, seed=1)


def write_file(path: Path, rows: int) -> int:
    written = 0
    with path.open("wb") as out:
        for line in import_lines(spec_for(rows)):
            out.write(orjson.dumps(line) + b"\n")
            written += 1
            if written >= rows:
                break
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--work", type=Path, default=ROOT / "data" / "bench-import")
    parser.add_argument("--paths", nargs="+", choices=("bulk", "upserts"), default=["bulk", "upserts"])
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    table = Table(title="crmgraph import into the embedded store")
    for column in ("path", "rows", "file MB", "seconds", "rows/s", "written", "rejected", "importer peak MB"):
        table.add_column(column, justify="right")
    for size in args.sizes:
        file = args.work / f"rows-{size}.jsonl"
        if not file.exists():
            console.print(f"writing {file.name} ...")
            write_file(file, size)
        for path in args.paths:
            table.add_row(path, *run(file, size, args.work / f"db-{size}", path == "bulk"))
    console.print(table)


def run(file: Path, size: int, data: Path, bulk: bool) -> list[str]:
    subprocess.run(["rm", "-rf", str(data)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMGRAPH_")}
    env["CRMGRAPH_DATA_DIR"] = str(data)
    started = time.perf_counter()
    done = subprocess.run([CRMGRAPH, "import", str(file), "--bulk" if bulk else "--no-bulk"], env=env,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    summary = " ".join(done.stderr.split())
    if done.returncode != 0:
        raise SystemExit(summary[-2000:])
    match = re.search(r"([\d,]+) rows written, ([\d,]+) rejected.*peak memory (\d+) MB", summary)
    if match is None:
        raise SystemExit(f"unexpected output: {summary[-500:]}")
    written, rejected, peak = (int(match.group(i).replace(",", "")) for i in (1, 2, 3))
    subprocess.run(["rm", "-rf", str(data)], check=True)
    return [f"{size:,}", f"{file.stat().st_size / 1e6:.0f}", f"{elapsed:.1f}", f"{size / elapsed:,.0f}",
            f"{written:,}", f"{rejected:,}", f"{peak}"]


if __name__ == "__main__":
    main()
