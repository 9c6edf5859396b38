"""What credentials and rate limits cost per request (not a test: prints figures).

Runs the real app in-process (Starlette TestClient, embedded store in a temp folder) and
times `{ __typename }` with: dev anonymous (no key lookup), an API key (from the worker's
key cache after the first request; HMAC, rate-limit script), an HS256 JWT, and an RS256 JWT (verify only); then the
parts on their own. Usage: .venv/bin/python scripts/bench_auth.py [requests]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.app import create_app  # noqa: E402
from api.settings import load_settings  # noqa: E402
from graph.access import Role  # noqa: E402
from graph.keys import check, new_key  # noqa: E402
from tests.credentials import LOCAL, bearer, mint_key  # noqa: E402
from tests.jwt_keys import AUDIENCE, ISSUER, SECRET, hs256  # noqa: E402

PING = {"query": "{ __typename }"}


def timed(client: TestClient, headers: dict[str, str], n: int) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.post("/graphql", json=PING, headers=headers)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)]


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp), jwt_secret=SECRET, jwt_issuer=ISSUER, jwt_audience=AUDIENCE,
                                 rate_limit_admin=10**9, rate_limit_anonymous=10**9,
                                 rate_limit_analyst=10**9)
        with TestClient(create_app(settings), base_url=LOCAL) as client:
            key = mint_key(client, Role.ADMIN)
            token = hs256(role="analyst", exp=int(time.time()) + 3600)
            timed(client, {}, 50)  # warm up
            for label, headers in (("dev, anonymous", {}), ("API key", bearer(key)), ("JWT HS256", bearer(token))):
                p50, p95 = timed(client, headers, n)
                print(f"{label:16} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  ({n} requests)")
            guard = client.app.state.guard  # type: ignore[attr-defined]

            cache = guard.authenticator.key_cache

            async def uncached() -> object:
                cache.drop(key.split("_")[1])
                return await guard.authenticator.resolve(bearer(key))

            async def parts() -> None:
                for label, call in (
                        ("resolve API key (cached: HMAC)", lambda: guard.authenticator.resolve(bearer(key))),
                        ("resolve API key (store read + HMAC)", uncached),
                        ("resolve JWT HS256", lambda: guard.authenticator.resolve(bearer(token))),
                        ("rate-limit token (Lua script)", lambda: guard.limiter.take("key:bench", 10**9))):
                    start = time.perf_counter()
                    for _ in range(2000):
                        await call()
                    print(f"{label:38} {(time.perf_counter() - start) / 2000 * 1e6:7.0f} µs")

            client.portal.call(parts)  # type: ignore[union-attr]
    pepper = b"p" * 64
    text, record = new_key(pepper, Role.ADMIN)
    start = time.perf_counter()
    for _ in range(10_000):
        check(pepper, text, record)
    print(f"HMAC-SHA256 check of a key: {(time.perf_counter() - start) / 10_000 * 1e6:.1f} µs "
          "(no password hash: keys are 256-bit random)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
