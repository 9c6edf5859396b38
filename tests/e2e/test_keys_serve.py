"""Key lifecycle through `crmgraph serve --workers 2` in prod mode, keys made by the CLI.

Every request goes on a fresh connection, so the two workers share them; the shared rate
limit proves the workers see one bucket (separate buckets would let every request pass).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import pytest

from tests.e2e.test_serve import CRMGRAPH, Service, services  # noqa: F401 - fixture
from tests.jwt_keys import AUDIENCE, ISSUER, OTHER_RSA_KEY, jwks_server, rs256

pytestmark = pytest.mark.e2e
PING = {"query": "{ __typename }"}


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    with jwks_server() as url:
        yield url


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMGRAPH_")}
    env["CRMGRAPH_DATA_DIR"] = str(data_dir)
    return subprocess.run([CRMGRAPH, "keys", *args], env=env, capture_output=True, text=True, timeout=120)


def create(data_dir: Path, *args: str) -> str:
    result = cli(data_dir, "create", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def statuses(service: Service, headers: dict[str, str], n: int = 12) -> list[int]:
    return [httpx.post(service.url + "/graphql", json=PING, headers=headers, timeout=30).status_code
            for _ in range(n)]


def test_key_lifecycle_across_two_workers(tmp_path: Path, services: list[Service], jwks_url: str) -> None:  # noqa: F811
    env = {"CRMGRAPH_MODE": "prod", "CRMGRAPH_JWT_JWKS_URL": jwks_url, "CRMGRAPH_JWT_ISSUER": ISSUER,
           "CRMGRAPH_JWT_AUDIENCE": AUDIENCE, "CRMGRAPH_RATE_LIMIT_EDITOR": "5"}
    service = Service(tmp_path, "--workers", "2", env=env)
    services.append(service)
    service.wait_ready()
    assert statuses(service, {}, 4) == [401] * 4

    key = create(tmp_path, "--role", "analyst", "--name", "e2e")
    key_id = key.split("_")[1]
    assert statuses(service, {"authorization": f"Bearer {key}"}) == [200] * 12
    assert statuses(service, {"x-api-key": key}, 2) == [200] * 2
    assert statuses(service, {"authorization": f"Bearer crm_{key_id}_{'A' * 43}"}, 2) == [401] * 2

    listed = [orjson.loads(line) for line in cli(tmp_path, "list", "--json").stdout.splitlines()]
    assert [(k["id"], k["role"], k["name"]) for k in listed] == [(key_id, "analyst", "e2e")]
    assert listed[0]["last_used"] is not None and listed[0]["revoked"] is None
    assert key.split("_", 2)[2] not in cli(tmp_path, "list").stdout

    revoked = cli(tmp_path, "revoke", key_id)
    assert revoked.returncode == 0, revoked.stderr
    assert "2 API worker(s) confirmed" in " ".join(revoked.stderr.split()), revoked.stderr  # both workers listen
    refused = [httpx.post(service.url + "/graphql", json=PING, headers={"authorization": f"Bearer {key}"})
               for _ in range(12)]
    assert [r.status_code for r in refused] == [401] * 12
    assert all("API key revoked" in r.headers["www-authenticate"] for r in refused)

    soon = (datetime.now(UTC) + timedelta(seconds=10)).isoformat()  # the CLI takes a few seconds
    expiring = create(tmp_path, "--role", "admin", "--expires", soon)
    assert statuses(service, {"x-api-key": expiring}, 2) == [200] * 2
    time.sleep(max(0.0, (datetime.fromisoformat(soon) - datetime.now(UTC)).total_seconds()) + 0.2)
    expired = httpx.post(service.url + "/graphql", json=PING, headers={"x-api-key": expiring})
    assert expired.status_code == 401 and "API key expired" in expired.headers["www-authenticate"]

    # JWTs checked against the identity provider's JWKS (a loopback server here).
    assert statuses(service, {"authorization": f"Bearer {rs256(role='analyst')}"}, 4) == [200] * 4
    bad = httpx.post(service.url + "/graphql", json=PING,
                     headers={"authorization": f"Bearer {rs256(key=OTHER_RSA_KEY)}"})
    assert bad.status_code == 401 and "signature" in bad.headers["www-authenticate"]

    # One bucket for both workers: 5 requests pass, the sixth is refused wherever it lands.
    editor = create(tmp_path, "--role", "editor")
    assert statuses(service, {"x-api-key": editor}, 6) == [200] * 5 + [429]

    code, out = service.stop()
    assert code == 0, out
    assert "every /graphql request needs an API key" in out


def test_keys_cli_refuses_bad_input(tmp_path: Path) -> None:
    assert "--company" in cli(tmp_path, "create", "--role", "partner").stderr
    assert "one of admin" in cli(tmp_path, "create", "--role", "root").stderr
    assert "in the past" in cli(tmp_path, "create", "--role", "admin", "--expires", "2001-01-01").stderr
    assert "no company" in cli(tmp_path, "create", "--role", "partner", "--company", "company:none").stderr
    assert cli(tmp_path, "revoke", "000000000000").returncode == 1
