#!/usr/bin/env python3
"""Server memory over many requests: is it flat after warm-up?

    .venv/bin/python scripts/bench_memory.py --requests 100000

Starts ``crmgraph serve --seed`` in prod (its default workers, an admin key of its own,
rate limit off as in ``bench_api.py``) and sends requests with wrk at 16 connections: a
rotation of the customer 360, the point lookup, the filtered page, ``{ __typename }``
and a lookup whose ``$id`` variable changes with every request (so the fast path's
per-document variants are created and evicted all the time). It prints the API
processes' resident memory (the store not counted) at start, after the warm-up (the
first tenth of the requests) and after every further tenth, and the growth from the
warm-up to the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench_api import BIN, CUSTOMER_360, free_port, rss_mb, wait_ready  # noqa: E402

FIXED = [
    CUSTOMER_360,
    '{ party(id: "person:john-smith") { name } }',
    '{ people(first: 10, filter: {city: {eq: "Chicago"}}, orderBy: [{field: NAME}]) '
    "{ totalCount edges { cursor node { name age city } } pageInfo { hasNextPage } } }",
    "{ __typename }",
]
CHANGING = "query($id: ID!) { party(id: $id) { name orders(first: 3) { totalCount } } }"


def lua(key: str) -> str:
    bodies = ", ".join(json.dumps(json.dumps({"query": d})) for d in FIXED)
    return f"""
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer {key}"
local bodies = {{{bodies}}}
local n = 0
request = function()
  n = n + 1
  local body
  if n % 5 == 0 then
    body = string.format('{{"query": {json.dumps(CHANGING)}, "variables": {{"id": "person:p%d"}}}}', n)
  else
    body = bodies[(n % 4) + 1]
  end
  return wrk.format(nil, nil, nil, body)
end
"""


def run(wrk: str, url: str, script: Path, seconds: int) -> int:
    out = subprocess.run([wrk, "-t2", "-c16", f"-d{seconds}s", "-s", str(script), url], capture_output=True,
                         text=True, check=True).stdout
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if bad:
        print(f"  {bad.group(1)} non-2xx answers")
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100_000)
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if not wrk:
        raise SystemExit("needs wrk (apt-get install wrk)")
    tmp = Path(tempfile.mkdtemp(prefix="crmgraph-memory-"))
    port = free_port()
    env = {**os.environ, "CRMGRAPH_PORT": str(port), "CRMGRAPH_DATA_DIR": str(tmp / "data"),
           "CRMGRAPH_MODE": "prod", "CRMGRAPH_RATE_LIMIT_ADMIN": "0", "PYTHONPATH": str(ROOT),
           "CRMGRAPH_CONCURRENCY_PER_CLIENT": "16", "CRMGRAPH_QUEUE_PER_CLIENT": "16"}
    server = subprocess.Popen([str(BIN / "python"), "-m", "api.cli", "serve", "--seed"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=(tmp / "serve.log").open("wb"))
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", server)
        key = subprocess.run([str(BIN / "python"), "-m", "api.cli", "keys", "create", "--role", "admin", "--name",
                              "memory"], env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        script = tmp / "mix.lua"
        script.write_text(lua(key))
        url = f"http://127.0.0.1:{port}/graphql"
        print(f"start: {rss_mb(server.pid):.1f} MB")
        tenth = args.requests // 10
        probe = run(wrk, url, script, 5)
        rate = max(probe / 5, 1.0)
        done = probe
        while done < tenth:
            done += run(wrk, url, script, max(1, round((tenth - done) / rate)))
        warm, warm_done = rss_mb(server.pid), done
        print(f"after warm-up ({done:,} requests): {warm:.1f} MB")
        while done < args.requests:
            done += run(wrk, url, script, max(1, round(min(tenth, args.requests - done) / rate)))
            print(f"after {done:,} requests: {rss_mb(server.pid):.1f} MB")
        end = rss_mb(server.pid)
        print(f"growth from warm-up to the end: {end - warm:+.1f} MB over {done - warm_done:,} requests ({done:,} in all)")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
