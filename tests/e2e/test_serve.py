"""End to end: `crmgraph serve` as a subprocess, queried over HTTP on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.documents import CUSTOMER_360

pytestmark = pytest.mark.e2e
CRMGRAPH = str(Path(sys.executable).with_name("crmgraph"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    def __init__(self, data_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {k: v for k, v in os.environ.items() if not k.startswith("CRMGRAPH_")}
        environ.update({"CRMGRAPH_PORT": str(self.port), "CRMGRAPH_DATA_DIR": str(data_dir)}, **(env or {}))
        self.proc = subprocess.Popen([CRMGRAPH, "serve", *args], env=environ, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited early:\n{self.proc.stdout.read()}")  # type: ignore[union-attr]
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError("serve did not become ready")

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            out, _ = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        return self.proc.returncode, out


@pytest.fixture
def services() -> Iterator[list[Service]]:
    started: list[Service] = []
    try:
        yield started
    finally:
        for service in started:
            if service.proc.poll() is None:
                # SIGTERM first: a SIGKILLed serve leaves its uvicorn workers running (orphans
                # holding the port), since they are spawned processes without a death signal
                service.proc.terminate()
                try:
                    service.proc.communicate(timeout=30)  # drains its output pipe meanwhile
                except subprocess.TimeoutExpired:
                    service.proc.kill()
                    service.proc.wait()


def query(service: Service, document: str, variables: dict[str, object]) -> dict:
    response = httpx.post(service.url + "/graphql", json={"query": document, "variables": variables}, timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


JOHN = {"id": "person:john-smith", "withFeedback": True, "skipSegments": False}


def john_360(service: Service) -> dict:
    customer = query(service, CUSTOMER_360, JOHN)["customer"]
    laptop = next(e["node"] for e in customer["orders"]["edges"] if e["node"]["id"] == "order:abc-1001")
    assert laptop["seller"]["name"] == "ABC Electronics"
    assert {e["node"]["category"] for e in laptop["items"]["edges"]} == {"laptop", "warranty"}
    assert {e["node"]["name"] for e in customer["referralsMade"]["edges"]} == {
        "Emily Chen", "David Lee", "Michael Brown", "Sarah Johnson", "Priya Patel"}
    return customer


def test_serve_query_stop_restart_same_data(tmp_path: Path, services: list[Service]) -> None:
    first = Service(tmp_path, "--seed")
    services.append(first)
    first.wait_ready()
    assert httpx.get(first.url + "/healthz").json() == {"status": "ok"}
    assert "graphiql" in httpx.get(first.url + "/graphql", headers={"accept": "text/html"}).text.lower()
    before = john_360(first)
    code, out = first.stop(signal.SIGTERM)
    assert code == 0, out
    assert "GraphiQL: http://127.0.0.1" in out
    assert not (tmp_path / "falkordb.sock").exists()  # the store stopped with the service

    second = Service(tmp_path)  # no --seed: what it serves is what the first one stored
    services.append(second)
    second.wait_ready()
    assert john_360(second) == before
    code, out = second.stop(signal.SIGINT)  # Ctrl-C
    assert code == 0, out


def test_second_serve_on_the_same_data_folder_fails_clearly(tmp_path: Path, services: list[Service]) -> None:
    first = Service(tmp_path)
    services.append(first)
    first.wait_ready()
    second = Service(tmp_path)
    services.append(second)
    code, out = second.proc.wait(60), second.proc.stdout.read()  # type: ignore[union-attr]
    assert code == 1
    assert "is in use by pid" in out
    assert httpx.get(first.url + "/readyz").status_code == 200  # the first one is untouched


def test_bad_setting_names_the_variable(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMGRAPH_")}
    env.update(CRMGRAPH_PORT="eighty", CRMGRAPH_DATA_DIR=str(tmp_path))
    result = subprocess.run([CRMGRAPH, "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "CRMGRAPH_PORT" in result.stderr


def test_workers_share_one_embedded_store(tmp_path: Path, services: list[Service]) -> None:
    service = Service(tmp_path, "--seed", "--workers", "2")
    services.append(service)
    service.wait_ready()
    for _ in range(6):  # spread over both workers
        john_360(service)
    stores = subprocess.run(["pgrep", "-f", f"unixsocket {tmp_path}|{tmp_path}/falkordb.sock"],
                            capture_output=True, text=True).stdout.split()
    assert len(stores) == 1
    code, out = service.stop()
    assert code == 0, out
