#!/usr/bin/env python3
"""Initial load: crmgraph's GRAPH.BULK path beside the raw falkordb-bulk-loader, in one run.

    .venv/bin/pip install -e '.[bench]'     # falkordb-bulk-loader, for the comparison
    .venv/bin/python scripts/bench_bulk.py --people 100000
    .venv/bin/python scripts/bench_bulk.py --people 1000000     # 1M people / 3M orders

One synthetic graph (``seeds.synthetic``: N people, N/10 companies, N/5 products, 3N
orders, N interactions) is loaded three ways, each into a fresh embedded store:

1. ``upserts`` (only with --upserts; slow): the statement path a live graph uses;
2. ``crmgraph bulk``: ``seed --synthetic``'s path, from the generator straight into
   ``GRAPH.BULK``, then the unique constraint and every index of ``graph.model`` built
   over the loaded graph, then the log rewritten as a snapshot;
3. ``falkordb-bulk-loader``: the same graph written first as CSV (typed headers,
   ``--enforce-schema``; writing them is timed apart), loaded by the package's own
   ``falkordb-bulk-insert`` with the same indexes (``-i``; it has no unique constraints).

Prints rows, seconds and rows/s for each, and checks both bulk graphs hold the same
number of nodes and relationships.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph.connect import open_store  # noqa: E402
from graph.embedded import EmbeddedFalkorDB  # noqa: E402
from graph.model import INDEXES, NODE_KINDS, REL_KINDS, PropType  # noqa: E402
from seeds.synthetic import Generator, SyntheticSpec, generate_into  # noqa: E402

LOADER = str(Path(sys.executable).with_name("falkordb-bulk-insert"))
_CSV_TYPES = {PropType.INT: "INT", PropType.FLOAT: "DOUBLE", PropType.BOOL: "BOOLEAN",
              PropType.DATETIME: "INT", PropType.STRING_LIST: "ARRAY"}


def csv_type(value_type: PropType) -> str:
    return _CSV_TYPES.get(value_type, "STRING")


def write_csv(spec: SyntheticSpec, folder: Path) -> tuple[list[str], int]:
    """The graph as falkordb-bulk-loader CSV (typed headers); returns its arguments and rows."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, tuple[Any, Any, list[str]]] = {}
    args: list[str] = []
    rows = 0
    for kind, name, batch in Generator(spec).batches():
        if name not in files:
            path = folder / f"{name}.csv"
            handle = path.open("w", newline="")
            writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL, escapechar="\\")
            if kind == "node":
                props = [p for p in NODE_KINDS[name].props if p.name != "id"]
                writer.writerow(["id:ID(e)", *(f"{p.name}:{csv_type(p.type)}" for p in props)])
                args += ["-N", ":".join(NODE_KINDS[name].labels), str(path)]
            else:
                props = list(REL_KINDS[name].props)
                writer.writerow([":START_ID(e)", ":END_ID(e)", *(f"{p.name}:{csv_type(p.type)}" for p in props)])
                args += ["-R", name, str(path)]
            files[name] = (handle, writer, [p.name for p in props])
        _, writer, names = files[name]
        for row in batch:
            values = row["props"]
            cells = [_cell(values.get(n)) for n in names]
            writer.writerow([row["id"], *cells] if kind == "node" else [row["start"], row["end"], *cells])
        rows += len(batch)
    for handle, _, _ in files.values():
        handle.close()
    return args, rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return repr(value)
    return str(value)


def counts(socket_path: Path, graph: str) -> tuple[int, int]:
    client = redis.Redis(unix_socket_path=str(socket_path), decode_responses=True)
    nodes = client.execute_command("GRAPH.RO_QUERY", graph, "MATCH (n) RETURN count(n)")[1][0][0]
    rels = client.execute_command("GRAPH.RO_QUERY", graph, "MATCH ()-[r]->() RETURN count(r)")[1][0][0]
    client.close()
    return int(nodes), int(rels)


async def ours(spec: SyntheticSpec, data: Path, bulk: bool) -> tuple[float, tuple[int, int]]:
    shutil.rmtree(data, ignore_errors=True)
    started = time.perf_counter()
    async with open_store(data_dir=data) as store:
        await generate_into(store, spec, bulk=bulk)
    took = time.perf_counter() - started
    with EmbeddedFalkorDB(data, start_timeout=600) as server:
        return took, counts(server.socket_path, "crm")


def raw(args: list[str], data: Path) -> tuple[float, tuple[int, int]]:
    shutil.rmtree(data, ignore_errors=True)
    indexes = [arg for spec in INDEXES if spec.label in NODE_KINDS or spec.label == "Entity"
               for arg in ("-i", f"{spec.label}:{spec.prop}")]
    with EmbeddedFalkorDB(data, start_timeout=600) as server:
        started = time.perf_counter()
        subprocess.run([LOADER, "raw", "-u", f"unix://{server.socket_path}", "--enforce-schema", *args, *indexes],
                       check=True, stdout=subprocess.DEVNULL)
        took = time.perf_counter() - started
        return took, counts(server.socket_path, "raw")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--upserts", action="store_true", help="also time the upsert path (slow)")
    parser.add_argument("--data-root", type=Path, default=Path("/tmp/crmgraph-bench-bulk"))
    args = parser.parse_args()
    n = args.people
    spec = SyntheticSpec(people=n, companies=max(n // 10, 10), products=max(n // 5, 20), orders=3 * n)
    print(f"{spec.people:,} people, {spec.companies:,} companies, {spec.products:,} products, {spec.orders:,} orders")
    results = []
    if args.upserts:
        took, (nodes, rels) = asyncio.run(ours(spec, args.data_root / "upserts", bulk=False))
        results.append(("upserts (statements)", took, nodes + rels))
    took, (nodes, rels) = asyncio.run(ours(spec, args.data_root / "ours", bulk=True))
    results.append(("crmgraph bulk (generator -> GRAPH.BULK, + constraint, indexes, log rewrite)", took, nodes + rels))
    ours_counts = (nodes, rels)
    started = time.perf_counter()
    loader_args, rows = write_csv(spec, args.data_root / "csv")
    results.append(("  writing the CSV for the raw loader", time.perf_counter() - started, rows))
    took, raw_counts = raw(loader_args, args.data_root / "raw")
    results.append(("falkordb-bulk-loader on that CSV (+ the same indexes)", took, sum(raw_counts)))
    for name, seconds, total in results:
        print(f"{name:80s} {seconds:8.1f} s  {total:>12,} rows  {total / seconds:>10,.0f} rows/s")
    print(f"nodes / relationships: crmgraph {ours_counts}, raw loader {raw_counts}")
    if ours_counts != raw_counts:
        raise SystemExit("the two bulk loads built graphs of different sizes")


if __name__ == "__main__":
    main()
