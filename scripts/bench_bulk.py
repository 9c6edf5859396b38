#!/usr/bin/env python3
"""Initial load: crmgraph's GRAPH.BULK path beside the store's own speed, in one run.

    .venv/bin/pip install -e '.[bench]'     # falkordb-bulk-loader, for the comparison
    .venv/bin/python scripts/bench_bulk.py --people 100000
    .venv/bin/python scripts/bench_bulk.py --people 1000000     # 1M people / 3M orders

One synthetic graph (``seeds.synthetic``: N people, N/10 companies, N/5 products, 3N
orders, N interactions), each load into a fresh embedded store:

1. ``generate``: the parts made and encoded for GRAPH.BULK, no store (``--workers``);
2. ``crmgraph seed --synthetic``'s path (``generate_into(bulk=True)``): parts made in
   worker processes while the store loads the ones before, then the unique constraint
   and every index of ``graph.model`` built over the loaded graph and waited for, the
   log rewritten, the exchange rates written, the referral cohort counters counted;
3. ``raw GRAPH.BULK``: the same commands, encoded beforehand, sent to the store with
   nothing else to do (the store's own speed on this graph), then the same schema
   (GRAPH.BULK and the schema timed apart);
4. ``falkordb-bulk-loader``: the same graph as CSV (typed headers; writing it is timed
   apart), loaded by the package's ``falkordb-bulk-insert --enforce-schema`` with the
   same indexes (``-i``; it has no unique constraints), until they are OPERATIONAL (it
   returns before the store has built them); skipped with --no-csv.

Prints seconds, rows/s and the store's memory for each, and checks every load built a
graph of the same size.
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

from graph.bulk.new_graph import build_new_graph  # noqa: E402
from graph.connect import open_store  # noqa: E402
from graph.embedded import EmbeddedFalkorDB  # noqa: E402
from graph.model import INDEXES, NODE_KINDS, REL_KINDS, PropType  # noqa: E402
from seeds.synthetic import Generator, SyntheticSpec, default_workers, generate_into, send_parts  # noqa: E402

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
        if kind == "rate":
            continue
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


def sizes(socket_path: Path, graph: str) -> tuple[int, int, float]:
    """Nodes, relationships (Entity graph only) and the store's used memory in MB."""
    client = redis.Redis(unix_socket_path=str(socket_path), decode_responses=True)
    nodes = client.execute_command("GRAPH.RO_QUERY", graph, "MATCH (n:Entity) RETURN count(n)")[1][0][0]
    rels = client.execute_command("GRAPH.RO_QUERY", graph, "MATCH ()-[r]->() RETURN count(r)")[1][0][0]
    memory = client.info("memory")["used_memory"] / 1e6
    client.close()
    return int(nodes), int(rels), memory


def generate_only(spec: SyntheticSpec, workers: int) -> tuple[float, list[Any]]:
    started = time.perf_counter()
    parts = list(Generator(spec).bulk_parts(workers))
    return time.perf_counter() - started, parts


async def ours(spec: SyntheticSpec, data: Path, workers: int) -> dict[str, Any]:
    shutil.rmtree(data, ignore_errors=True)
    async with open_store(data_dir=data, start_timeout=600) as store:
        started = time.perf_counter()
        await generate_into(store, spec, bulk=True, workers=workers)
        took = time.perf_counter() - started
        socket = Path(store.socket_path)  # type: ignore[attr-defined]
        nodes, rels, memory = sizes(socket, store.graph_name)  # type: ignore[attr-defined]
    return {"seconds": took, "nodes": nodes, "rels": rels, "memory": memory}


async def raw_commands(parts: list[Any], data: Path) -> dict[str, Any]:
    """The pre-encoded parts as GRAPH.BULK commands, then the same schema build."""
    shutil.rmtree(data, ignore_errors=True)
    async with open_store(data_dir=data, start_timeout=600) as store:
        marks: dict[str, float] = {}
        started = time.perf_counter()

        def load(client: Any) -> dict[str, int]:
            counts = send_parts(parts, client, store.graph_name)  # type: ignore[attr-defined]
            marks["bulk"] = time.perf_counter() - started
            return counts

        await build_new_graph(store, load)  # type: ignore[arg-type]
        took = time.perf_counter() - started
        nodes, rels, memory = sizes(Path(store.socket_path), store.graph_name)  # type: ignore[attr-defined]
    return {"seconds": took, "bulk": marks["bulk"], "schema": took - marks["bulk"], "nodes": nodes, "rels": rels,
            "memory": memory}


def raw_loader(args: list[str], data: Path) -> dict[str, Any]:
    shutil.rmtree(data, ignore_errors=True)
    indexes = [arg for spec in INDEXES if spec.label in NODE_KINDS or spec.label == "Entity"
               for arg in ("-i", f"{spec.label}:{spec.prop}")]
    with EmbeddedFalkorDB(data, start_timeout=600) as server:
        # As for ours: no automatic log rewrite mid-load (FalkorDB 4.16 hangs when one
        # starts during a 1M-party GRAPH.BULK; the loader then times out).
        client = redis.Redis(unix_socket_path=str(server.socket_path))
        client.config_set("auto-aof-rewrite-percentage", 0)
        client.close()
        started = time.perf_counter()
        subprocess.run([LOADER, "raw", "-u", f"unix://{server.socket_path}", "--enforce-schema", *args, *indexes],
                       check=True, stdout=subprocess.DEVNULL)
        # It returns before FalkorDB has built the indexes (in the background): wait for
        # them, as ours does, so time and memory are for the same finished graph.
        client = redis.Redis(unix_socket_path=str(server.socket_path), decode_responses=True)
        while any(row[-1] != "OPERATIONAL" for row in client.execute_command(
                "GRAPH.RO_QUERY", "raw", "CALL db.indexes() YIELD label, status RETURN label, status")[1]):
            time.sleep(0.2)
        client.close()
        took = time.perf_counter() - started
        nodes, rels, memory = sizes(server.socket_path, "raw")
    return {"seconds": took, "nodes": nodes, "rels": rels, "memory": memory}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=None, help="generator processes (default: by size)")
    parser.add_argument("--no-csv", action="store_true", help="skip the falkordb-bulk-loader comparison")
    parser.add_argument("--data-root", type=Path, default=Path("/tmp/crmgraph-bench-bulk"))
    args = parser.parse_args()
    n = args.people
    spec = SyntheticSpec(people=n, companies=max(n // 10, 10), products=max(n // 5, 20), orders=3 * n)
    workers = default_workers(spec) if args.workers is None else args.workers
    print(f"{spec.people:,} people, {spec.companies:,} companies, {spec.products:,} products, {spec.orders:,} "
          f"orders; {workers} generator processes")
    sized: list[tuple[int, int]] = []

    def line(name: str, seconds: float, total: int, memory: float | None = None) -> None:
        shown = f"{memory:,.0f} MB" if memory is not None else ""
        print(f"{name:72s} {seconds:8.1f} s  {total:>12,} rows  {total / seconds:>10,.0f} rows/s  {shown}", flush=True)

    gen_seconds, parts = generate_only(spec, workers)
    line("generate + encode (no store)", gen_seconds, sum(t.count for part in parts for t in part))
    raw = asyncio.run(raw_commands(parts, args.data_root / "raw-bulk"))
    del parts
    line("raw GRAPH.BULK, pre-encoded commands + the same schema", raw["seconds"], raw["nodes"] + raw["rels"],
         raw["memory"])
    line("  of which GRAPH.BULK", raw["bulk"], raw["nodes"] + raw["rels"])
    line("  of which constraint + indexes + log rewrite", raw["schema"], raw["nodes"] + raw["rels"])
    shutil.rmtree(args.data_root / "raw-bulk", ignore_errors=True)
    mine = asyncio.run(ours(spec, args.data_root / "ours", workers))
    line("crmgraph seed --synthetic path (parts, GRAPH.BULK, schema, rates, cohorts)", mine["seconds"],
         mine["nodes"] + mine["rels"], mine["memory"])
    shutil.rmtree(args.data_root / "ours", ignore_errors=True)
    sized += [(mine["nodes"], mine["rels"]), (raw["nodes"], raw["rels"])]
    if not args.no_csv:
        started = time.perf_counter()
        loader_args, csv_rows = write_csv(spec, args.data_root / "csv")
        line("writing the CSV for falkordb-bulk-loader", time.perf_counter() - started, csv_rows)
        try:
            loaded = raw_loader(loader_args, args.data_root / "loader")
        except subprocess.CalledProcessError as exc:
            print(f"falkordb-bulk-insert failed: {exc}", flush=True)
        else:
            line("falkordb-bulk-insert on that CSV (+ the same indexes, built)", loaded["seconds"],
                 loaded["nodes"] + loaded["rels"], loaded["memory"])
            sized.append((loaded["nodes"], loaded["rels"]))
        shutil.rmtree(args.data_root / "csv", ignore_errors=True)
        shutil.rmtree(args.data_root / "loader", ignore_errors=True)
    print(f"nodes / relationships: {sized}")
    if len(set(sized)) != 1:
        raise SystemExit("the loads built graphs of different sizes")


if __name__ == "__main__":
    main()
