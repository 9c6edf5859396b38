"""What authentication and partner scoping cost (not a test: prints figures).

Runs the real app in-process (Starlette TestClient, embedded store in a temp folder, the
seed stories plus a synthetic graph so the scope predicates have work to do) and times,
in one run, the point lookup and John Smith's customer 360 as: dev anonymous (no
credential), an admin API key, and a partner API key of ABC Electronics (John's store: he
is its customer, so the partner sees him, by name) — plus the raw store running the
admin's and the partner's compiled statements directly. Medians and ratios are what count
on a shared machine. Usage: .venv/bin/python scripts/bench_access.py [requests]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.app import create_app  # noqa: E402
from api.settings import load_settings  # noqa: E402
from graph.access import Access, Role  # noqa: E402
from graph.cypher.scope import Scope  # noqa: E402
from seeds.loader import load  # noqa: E402
from seeds.stories import build  # noqa: E402
from seeds.synthetic import SyntheticSpec, generate_into  # noqa: E402
from tests.capture import CapturingStore  # noqa: E402
from tests.credentials import LOCAL, bearer, mint_key  # noqa: E402
from tests.documents import CUSTOMER_360  # noqa: E402

POINT = '{ party(id: "person:john-smith") { name } }'
PARTNER_OF = "company:abc-electronics"
C360_VARIABLES = {"id": "person:john-smith", "withFeedback": True, "skipSegments": False, "after": None}


def timed(call: Any, n: int) -> float:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp), **{f"rate_limit_{r}": 0 for r in
                                                          ("admin", "partner", "anonymous")})
        with TestClient(create_app(settings), base_url=LOCAL) as client:
            store = client.app.state.store  # type: ignore[attr-defined]
            client.portal.call(generate_into, store, SyntheticSpec(people=20_000, companies=2_000, products=4_000,  # type: ignore[union-attr]
                                                                   orders=40_000, seed=5))
            client.portal.call(load, store, build())  # type: ignore[union-attr]
            admin, partner = mint_key(client, Role.ADMIN), mint_key(client, Role.PARTNER, company=PARTNER_OF)

            def post(query: str, headers: dict[str, str], variables: dict[str, Any] | None = None) -> Any:
                def call() -> None:
                    body = client.post("/graphql", json={"query": query, "variables": variables}, headers=headers).json()
                    assert not body.get("errors"), body["errors"]
                return call

            def raw(query: str, access: Access, variables: dict[str, Any] | None = None) -> Any:
                """The statement the API sends for ``query`` as ``access``, run on the store directly."""
                from schema import build_schema
                from schema.context import Context

                capture = CapturingStore(store.dialect)
                compiler = client.app.state.compiler.scoped(Scope(access))  # type: ignore[attr-defined]
                asyncio.run(build_schema().execute(query, variable_values=variables,
                                                   context_value=Context(capture, compiler, access=access)))
                text, params = capture.captured[0]
                return lambda: client.portal.call(store.read, text, params)  # type: ignore[union-attr]

            as_admin, as_partner = Access(Role.ADMIN), Access(Role.PARTNER, company_id=PARTNER_OF)
            rows = []
            for label, query, variables in (("point lookup", POINT, None), ("customer 360", CUSTOMER_360, C360_VARIABLES)):
                for _ in range(20):  # warm up
                    post(query, bearer(admin), variables)()
                figures = {
                    "anonymous (dev)": timed(post(query, {}, variables), n),
                    "admin key": timed(post(query, bearer(admin), variables), n),
                    "partner key": timed(post(query, bearer(partner), variables), n),
                    "raw, admin statement": timed(raw(query, as_admin, variables), n),
                    "raw, partner statement": timed(raw(query, as_partner, variables), n),
                }
                rows.append((label, figures))
            print(f"{n} requests each, medians in ms (20k people, 2k companies, 40k orders + the seed stories)")
            for label, figures in rows:
                print(f"\n{label}")
                for what, ms in figures.items():
                    print(f"  {what:24} {ms:7.2f}")
                print(f"  partner / admin through the API: {figures['partner key'] / figures['admin key']:.2f}x; "
                      f"partner / admin statement on the store: "
                      f"{figures['raw, partner statement'] / figures['raw, admin statement']:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
