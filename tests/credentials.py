"""Helpers for tests that need credentials: API keys minted straight into the app's store."""

from __future__ import annotations

from datetime import datetime

from starlette.testclient import TestClient

from graph.access import Role
from graph.keys import key_store_for, load_pepper, new_key

LOCAL = "http://127.0.0.1"  # the Host the app serves by default (TestClient's own is refused)


def mint_key(client: TestClient, role: Role | str = Role.ADMIN, *, company: str | None = None,
             expires: datetime | None = None, name: str = "test") -> str:
    """A new key for the running app ``client`` wraps; returns the key text."""
    app = client.app
    settings = app.state.settings  # type: ignore[attr-defined]
    pepper = load_pepper(settings.key_pepper.get_secret_value() or None, settings.data_dir)
    key, record = new_key(pepper, Role(role), name=name, company_id=company, expires=expires)
    client.portal.call(key_store_for(app.state.store).put, record)  # type: ignore[attr-defined,union-attr]
    return key


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}
