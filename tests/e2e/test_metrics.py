"""`/metrics`: scraped after real requests, in-process and through `crmgraph serve --workers 2`.

Counters in one test process are shared by every app the suite starts, so in-process
checks compare a scrape before with a scrape after.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from api.app import create_app
from api.metrics import FLUSH_SECONDS
from api.settings import load_settings
from graph.access import Role
from tests.credentials import LOCAL, bearer, mint_key
from tests.e2e.test_keys_serve import create
from tests.e2e.test_serve import Service, services  # noqa: F401 - fixture

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
LOOKUP = 'query Lookup { party(id: "person:john-smith") { name } }'
BAD_ID = 'query BadId { party(id: "not an id") { name } }'
INVALID = "query Invalid { nope }"


def parse(text: str) -> Samples:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """Sum over every series of ``name`` whose labels include ``labels``."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= ls)


@contextmanager
def app(tmp_path: Path, **settings: object) -> Iterator[TestClient]:
    with TestClient(create_app(load_settings(data_dir=tmp_path, **settings)), base_url=LOCAL) as client:
        yield client


def scrape(client: TestClient, headers: dict[str, str] | None = None) -> Samples:
    response = client.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse(response.text)


def test_counters_and_histograms_after_requests(tmp_path: Path) -> None:
    with app(tmp_path) as client:
        from seeds.loader import load
        from seeds.stories import build

        client.portal.call(load, client.app.state.store, build())  # type: ignore[attr-defined,union-attr]
        before = scrape(client)
        for _ in range(3):
            assert client.post("/graphql", json={"query": LOOKUP}).json()["data"] == {
                "party": {"name": "John Smith"}}
        assert client.post("/graphql", json={"query": BAD_ID}).json()["errors"][0]["extensions"]["code"] == "INVALID_ID"
        assert client.post("/graphql", json={"query": INVALID}).json()["errors"][0]["extensions"]["code"] == \
            "GRAPHQL_VALIDATION_FAILED"
        assert "graphiql" in client.get("/graphql", headers={"accept": "text/html"}).text.lower()  # not counted
        after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("crmgraph_requests_total", operation="Lookup", outcome="ok", code="none") == 3
    assert total(after, "crmgraph_requests_total") - total(before, "crmgraph_requests_total") == 5
    assert delta("crmgraph_requests_total", operation="BadId", outcome="partial", code="INVALID_ID") == 1
    assert delta("crmgraph_requests_total", operation="Invalid", outcome="error",
                 code="GRAPHQL_VALIDATION_FAILED") == 1
    assert delta("crmgraph_request_errors_total", operation="BadId", code="INVALID_ID") == 1
    # latency histogram per operation: 3 observations, cumulative buckets ending at +Inf
    assert delta("crmgraph_request_duration_seconds_count", operation="Lookup") == 3
    assert delta("crmgraph_request_duration_seconds_sum", operation="Lookup") > 0
    buckets = sorted(((float(dict(ls)["le"]), v) for (n, ls), v in after.items()
                      if n == "crmgraph_request_duration_seconds_bucket" and dict(ls)["operation"] == "Lookup"))
    assert buckets[-1] == (float("inf"), value(after, "crmgraph_request_duration_seconds_count", operation="Lookup"))
    assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:], strict=False))
    # the store: one statement per lookup (the bad id and the bad document send none)
    assert delta("crmgraph_request_statements_count") == 5
    assert delta("crmgraph_request_statements_sum") == 3
    reads = total(after, "crmgraph_store_statements_total", kind="read", outcome="ok") - \
        total(before, "crmgraph_store_statements_total", kind="read", outcome="ok")
    assert reads >= 3
    assert total(after, "crmgraph_store_statement_duration_seconds_count", kind="read") - \
        total(before, "crmgraph_store_statement_duration_seconds_count", kind="read") == reads
    assert total(after, "crmgraph_store_rows_returned_total") - total(before, "crmgraph_store_rows_returned_total") >= 3
    names = {dict(ls)["statement"] for (n, ls) in after if n == "crmgraph_store_statements_total"}
    assert all(name.split(" ")[0] in ("read", "write") for name in names), names
    assert not any("john" in name for name in names)  # names, never values
    assert value(after, "crmgraph_requests_in_flight") == 0
    assert value(after, "crmgraph_store_up") == 1


def test_who_may_scrape(tmp_path: Path) -> None:
    with app(tmp_path, mode="prod", metrics_token="scrape-me-0123456789") as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers=bearer(mint_key(client, Role.ANALYST))).status_code == 403
        assert client.get("/metrics", headers=bearer(mint_key(client))).status_code == 200  # admin
        assert client.get("/metrics", headers=bearer("scrape-me-0123456789")).status_code == 200
        assert client.get("/metrics", headers=bearer("scrape-me-wrong")).status_code == 401
        # the scrape token opens /metrics only
        assert client.post("/graphql", json={"query": "{ __typename }"},
                           headers=bearer("scrape-me-0123456789")).status_code == 401
    with app(tmp_path, mode="dev", host="0.0.0.0") as client:  # dev off loopback: never anonymous
        assert client.get("/metrics").status_code == 401


def test_import_progress_counters(tmp_path: Path) -> None:
    from api.metrics import ImportProgress
    from graph.io.importer import Importer, Source

    lines = [{"node": "Person", "id": f"person:m{i}", "name": f"M {i}"} for i in range(7)]
    lines.append({"node": "Person", "id": "not an id", "name": "bad"})
    source = tmp_path / "people.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with app(tmp_path / "data") as client:
        before = scrape(client)
        counted = ImportProgress()
        importer = Importer(client.app.state.store, 3,  # type: ignore[attr-defined]
                            on_progress=lambda r: counted(r.phase, r.written, r.rejected))
        with counted:
            assert value(scrape(client), "crmgraph_imports_running") == 1
            report = client.portal.call(importer.run, Source(source))  # type: ignore[union-attr]
        after = scrape(client)
    assert (report.written, report.rejected) == (7, 1)
    assert value(after, "crmgraph_import_rows_total", phase="nodes", result="written") - \
        value(before, "crmgraph_import_rows_total", phase="nodes", result="written") == 7
    assert value(after, "crmgraph_import_rows_total", phase="nodes", result="rejected") - \
        value(before, "crmgraph_import_rows_total", phase="nodes", result="rejected") == 1
    assert value(after, "crmgraph_imports_running") == 0


@pytest.mark.e2e
def test_workers_share_one_set_of_metrics(tmp_path: Path, services: list[Service]) -> None:  # noqa: F811
    token = "prometheus-scrape-token-42"
    service = Service(tmp_path, "--workers", "2", "--seed",
                      env={"CRMGRAPH_MODE": "prod", "CRMGRAPH_METRICS_TOKEN": token})
    services.append(service)
    service.wait_ready()
    key = create(tmp_path, "--role", "analyst", "--name", "metrics")
    for _ in range(10):  # fresh connections: both workers answer some
        response = httpx.post(service.url + "/graphql", json={"query": LOOKUP},
                              headers={"authorization": f"Bearer {key}"}, timeout=30)
        assert response.status_code == 200
    time.sleep(4 * FLUSH_SECONDS)  # each worker writes its samples within FLUSH_SECONDS
    for _ in range(6):  # whichever worker answers the scrape counts every worker's requests
        response = httpx.get(service.url + "/metrics", headers={"authorization": f"Bearer {token}"}, timeout=30)
        assert response.status_code == 200
        samples = parse(response.text)
        assert value(samples, "crmgraph_requests_total", operation="Lookup", outcome="ok", code="none") == 10
        assert value(samples, "crmgraph_request_duration_seconds_count", operation="Lookup") == 10
        assert value(samples, "crmgraph_embedded_store_running") == 1  # from the supervisor, in serve
        assert value(samples, "crmgraph_store_up") == 1
    assert httpx.get(service.url + "/metrics", timeout=30).status_code == 401
    assert healthcheck(service.port) == 0  # the container's HEALTHCHECK
    code, out = service.stop()
    assert code == 0, out
    assert healthcheck(service.port) == 1


def healthcheck(port: int) -> int:
    env = {**os.environ, "CRMGRAPH_PORT": str(port)}
    return subprocess.run([sys.executable, "-m", "api.healthcheck"], env=env, timeout=30).returncode


@pytest.mark.e2e
def test_an_import_beside_serve_shows_on_its_metrics(tmp_path: Path, services: list[Service]) -> None:  # noqa: F811
    samples_dir = tmp_path / "samples"
    service = Service(tmp_path / "data", env={"PROMETHEUS_MULTIPROC_DIR": str(samples_dir)})
    services.append(service)
    service.wait_ready()
    source = tmp_path / "people.jsonl"
    source.write_text("".join(json.dumps({"node": "Person", "id": f"person:i{i}", "name": f"I {i}"}) + "\n"
                              for i in range(25)) + '{"node": "Person", "id": "bad id"}\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMGRAPH_")}
    env.update({"PROMETHEUS_MULTIPROC_DIR": str(samples_dir), "CRMGRAPH_DATA_DIR": str(tmp_path / "data"),
                "CRMGRAPH_STORE_SOCKET": str(tmp_path / "data" / "falkordb.sock")})
    from tests.e2e.test_serve import CRMGRAPH

    result = subprocess.run([CRMGRAPH, "import", str(source), "--batch", "10"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    samples = parse(httpx.get(service.url + "/metrics", timeout=30).text)  # dev on loopback: open
    assert value(samples, "crmgraph_import_rows_total", phase="nodes", result="written") == 25
    assert value(samples, "crmgraph_import_rows_total", phase="nodes", result="rejected") == 1
    assert value(samples, "crmgraph_imports_running") == 0
    code, out = service.stop()
    assert code == 0, out
    assert samples_dir.exists()  # the operator's folder stays (emptied at the next start)
