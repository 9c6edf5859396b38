"""OpenTelemetry: a span per request, continuing the caller's traceparent, and a child span
per store statement named without its values; recorded by the SDK's in-memory exporter."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from starlette.testclient import TestClient

from api import tracing
from api.app import create_app
from api.settings import load_settings
from tests.credentials import LOCAL

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
LOOKUP = 'query Lookup($id: ID!) { party(id: $id) { name orders(first: 2) { totalCount } } }'


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracing.use_provider(provider)
    try:
        yield memory
    finally:
        tracing.use_provider(None)


def test_request_and_statement_spans(tmp_path: Path, exporter: InMemorySpanExporter) -> None:
    with TestClient(create_app(load_settings(data_dir=tmp_path, analytics_max_staleness=0)),
                    base_url=LOCAL) as client:
        exporter.clear()
        response = client.post("/graphql", json={"query": LOOKUP, "variables": {"id": "person:secret-value"}},
                               headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"})
        assert response.status_code == 200 and response.json()["data"] == {"party": None}
        untraced = client.post("/graphql", json={"query": "{ __typename }"})
        assert untraced.status_code == 200
    spans = exporter.get_finished_spans()
    server = [s for s in spans if s.kind is SpanKind.SERVER]
    first = next(s for s in server if s.attributes.get("graphql.operation.name") == "Lookup")  # type: ignore[union-attr]
    assert first.name == "POST /graphql"
    assert f"{first.context.trace_id:032x}" == TRACE_ID  # the caller's trace goes on
    assert first.parent is not None and f"{first.parent.span_id:016x}" == PARENT_ID
    assert first.attributes["http.response.status_code"] == 200  # type: ignore[index]
    assert first.attributes["crmgraph.statements"] == 1  # type: ignore[index]
    children = [s for s in spans if s.parent is not None and s.parent.span_id == first.context.span_id]
    assert len(children) == 1
    statement = children[0]
    assert statement.kind is SpanKind.CLIENT and statement.name.startswith("read ")
    assert statement.attributes["db.system.name"] == "falkordb"  # type: ignore[index]
    assert statement.start_time >= first.start_time and statement.end_time <= first.end_time  # type: ignore[operator]
    for span in spans:  # names and attributes, never parameter values
        assert "secret-value" not in span.name
        assert not any("secret-value" in str(v) for v in (span.attributes or {}).values())
    # a request without traceparent starts a trace of its own
    other = next(s for s in server if s is not first and s.attributes.get("graphql.operation.name") is None)  # type: ignore[union-attr]
    assert f"{other.context.trace_id:032x}" != TRACE_ID and other.parent is None


def test_off_without_an_endpoint_and_on_with_one() -> None:
    code = ("import api.tracing as t; print(t.configure_from_environment(), t.enabled())")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    off = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert off.stdout.split() == ["False", "False"], off.stderr
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4318"  # nothing listens: spans are dropped
    on = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert on.stdout.split() == ["True", "True"], on.stderr
