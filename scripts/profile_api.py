#!/usr/bin/env python3
"""Where a request's time goes: py-spy on the API worker under wrk load.

    .venv/bin/python scripts/profile_api.py --only "customer 360" --duration 15
    .venv/bin/python scripts/profile_api.py --graph data/bench --only "supplyChain up d6"

Starts ``crmgraph serve --seed`` in prod with one worker (so the worker is one process to
sample) and an admin key, loads it with wrk (16 connections) with one of
``scripts/bench_api.py``'s documents, and records it with ``py-spy record`` (from PyPI,
``pip install py-spy``; sampling another process needs ptrace rights, e.g. root). Prints
the share of samples in each part of the stack (a sample counts once for the first
matching part, from the innermost frame out) and writes the raw collapsed stacks beside.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench_api import BIN, cases, free_port, graph_cases, wait_ready  # noqa: E402

PARTS = [  # (part, substrings of a frame "function (file)"), innermost matching frame wins
    ("FalkorDB/redis client and reply parser", ("redis/", "falkordb/")),
    ("graphql-core validation", ("graphql/validation",)),
    ("graphql-core parsing", ("graphql/language",)),
    ("graphql-core execution", ("graphql/execution", "graphql/pyutils")),
    ("our fast path (completion)", ("schema/fastpath.py",)),
    ("our compiling and decoding", ("graph/cypher/",)),
    ("our selection reading and types", ("schema/selection.py", "schema/types.py", "schema/query.py",
                                         "schema/inputs.py", "schema/analytics.py")),
    ("our cost estimate and limits", ("schema/cost.py", "graph/cost.py", "schema/document_cache.py",
                                      "schema/permissions.py", "schema/error_codes.py")),
    ("strawberry (view, extensions, result)", ("strawberry/",)),
    ("our HTTP middlewares and gate", ("api/",)),
    ("starlette", ("starlette/",)),
    ("uvicorn and the event loop", ("uvicorn/", "asyncio/", "uvloop", "httptools")),
]


def classify(stack: str) -> str:
    frames = stack.split(";")
    for frame in reversed(frames):
        for part, needles in PARTS:
            if any(n in frame for n in needles):
                return part
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="customer 360", help="a bench_api.py case name")
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--out", default=None, help="collapsed stacks file (default: a temporary one)")
    parser.add_argument("--graph", type=Path, default=None, metavar="DIR",
                        help="serve the synthetic graph in DIR and take the case from its traversals "
                             "(as scripts/bench_api.py --graph)")
    args = parser.parse_args()
    choices = cases() if args.graph is None else graph_cases(json.loads((args.graph / "bench-spec.json").read_text()))
    case = next(c for c in choices if args.only in c.name)
    spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    wrk = shutil.which("wrk")
    if not spy or not wrk:
        raise SystemExit("needs py-spy (pip install py-spy) and wrk (apt-get install wrk)")
    tmp = Path(tempfile.mkdtemp(prefix="crmgraph-profile-"))
    port = free_port()
    data = args.graph.resolve() if args.graph is not None else tmp / "data"
    env = {**os.environ, "CRMGRAPH_PORT": str(port), "CRMGRAPH_DATA_DIR": str(data),
           "CRMGRAPH_MODE": "prod", "CRMGRAPH_RATE_LIMIT_ADMIN": "0", "PYTHONPATH": str(ROOT),
           "CRMGRAPH_CONCURRENCY_PER_CLIENT": str(args.connections),
           "CRMGRAPH_QUEUE_PER_CLIENT": str(args.connections)}
    seed = [] if args.graph is not None else ["--seed"]
    server = subprocess.Popen([str(BIN / "python"), "-m", "api.cli", "serve", *seed, "--workers", "1"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=(tmp / "serve.log").open("wb"))
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", server)
        key = subprocess.run([str(BIN / "python"), "-m", "api.cli", "keys", "create", "--role", "admin", "--name",
                              "profile"], env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        script = tmp / "post.lua"
        script.write_text('wrk.method = "POST"\nwrk.headers["content-type"] = "application/json"\n'
                          f'wrk.headers["authorization"] = "Bearer {key}"\n'
                          f"wrk.body = {json.dumps(json.dumps({'query': case.document}))}\n")
        url = f"http://127.0.0.1:{port}/graphql"
        load = subprocess.Popen([wrk, "-t2", f"-c{args.connections}", f"-d{args.duration + 4}s", "-s", str(script),
                                 url], stdout=subprocess.PIPE, text=True)
        time.sleep(2)
        out = Path(args.out) if args.out else tmp / "stacks.txt"
        subprocess.run([spy, "record", "--pid", str(server.pid), "--duration", str(args.duration), "--rate", "200",
                        "--format", "raw", "--nonblocking", "-o", str(out)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(load.communicate()[0].strip().splitlines()[-2])  # Requests/sec
        counts: collections.Counter[str] = collections.Counter()
        for line in out.read_text().splitlines():
            stack, _, n = line.rpartition(" ")
            if "epoll_wait" in stack or "select (selectors.py" in stack or "_run_once" in stack.split(";")[-1]:
                continue  # idle: waiting for the network, not work
            counts[classify(stack)] += int(n)
        total = sum(counts.values()) or 1
        print(f"{case.name}: {total} busy samples")
        for part, n in counts.most_common():
            print(f"  {100 * n / total:5.1f} %  {part}")
        print(f"stacks: {out}")
    finally:
        server.terminate()
        server.wait(60)
        if not args.out:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
