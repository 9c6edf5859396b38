#!/usr/bin/env python3
"""CPU microseconds of this process per request (the store's own time aside): the ASGI app
called in a loop, in process, no sockets (so no uvicorn), beside the bare Starlette endpoint
of ``scripts/bench_api.py``.

    .venv/bin/python scripts/bench_front_door.py                # prod settings, admin key
    .venv/bin/python scripts/bench_front_door.py --code /tmp/main-export   # another checkout
    .venv/bin/python scripts/bench_front_door.py --profile out.prof        # cProfile of the typename loop

The app runs as in ``crmgraph serve``: prod mode, the embedded store (started here), the
multiprocess metrics folder, rate limits off (as the bench's admin). Requests are sent one
after another, with a turn of the event loop after each; the figure is the median of
``--rounds`` loops of ``-n`` requests, in CPU time of this process (the machine is shared).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
CASES = {"typename": "{ __typename }", "point lookup": '{ party(id: "person:john-smith") { name } }'}


def scope_for(body: bytes, key: str) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": "/graphql", "raw_path": b"/graphql", "query_string": b"",
            "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
            "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), (b"accept", b"*/*"),
                        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                        (b"authorization", f"Bearer {key}".encode())]}


async def call(app: Any, body: bytes, key: str) -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []
    done = False

    async def receive() -> dict[str, Any]:
        nonlocal done
        if done:
            await asyncio.sleep(3600)
        done = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope_for(body, key), receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def loop(app: Any, document: str, key: str, n: int, rounds: int) -> float:
    body = orjson.dumps({"query": document})
    status, answer = await call(app, body, key)
    if status != 200 or b'"errors"' in answer:
        raise SystemExit(f"{document}: {status} {answer[:300]!r}")
    figures = []
    for _ in range(rounds):
        began = time.process_time()
        for _ in range(n):
            await call(app, body, key)
            await asyncio.sleep(0)  # a turn of the loop per request, as a server gives (batched metrics flush)
        figures.append((time.process_time() - began) / n * 1e6)
    return statistics.median(figures)


async def main_async(args: argparse.Namespace) -> None:
    from scripts.bare_starlette import app as bare

    from api.app import create_app
    from api.settings import load_settings
    from graph.access import Role
    from graph.keys import key_store_for, load_pepper, new_key
    from seeds.loader import load
    from seeds.stories import build

    app = create_app(load_settings(), tune_gc=True)
    async with app.router.lifespan_context(app):
        while not app.state.startup.ready.is_set():
            await asyncio.sleep(0.05)
        settings = app.state.settings
        key, record = new_key(load_pepper(settings.key_pepper.get_secret_value() or None, settings.data_dir),
                              Role.ADMIN, name="bench")
        await key_store_for(app.state.store).put(record)
        await load(app.state.store, build())
        print(f"bare Starlette   {await loop(bare, CASES['typename'], key, args.n, args.rounds):6.1f} us a request")
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
            await loop(app, CASES[args.profile_case], key, args.n, 1)
            profiler.disable()
            profiler.dump_stats(args.profile)
        for name, document in CASES.items():
            if args.only and args.only not in name:
                continue
            print(f"{name:16} {await loop(app, document, key, args.n, args.rounds):6.1f} us a request")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default=None)
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose app is measured")
    parser.add_argument("--profile", default=None, help="write a cProfile of one loop of --profile-case here")
    parser.add_argument("--profile-case", default="typename", choices=list(CASES))
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="crmgraph-front-door-")
    os.environ.update({"CRMGRAPH_MODE": "prod", "CRMGRAPH_DATA_DIR": f"{tmp}/data", "CRMGRAPH_RATE_LIMIT_ADMIN": "0",
                       "PROMETHEUS_MULTIPROC_DIR": f"{tmp}/metrics"})
    os.makedirs(f"{tmp}/metrics")
    sys.path[:0] = [str(args.code.resolve()), str(ROOT)]
    try:
        asyncio.run(main_async(args))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
