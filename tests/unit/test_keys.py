"""API keys: format, keyed hash, the checks a key must pass, the pepper file."""

from __future__ import annotations

import stat
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from graph.access import Role
from graph.keys import ApiKey, InvalidKeyError, check, digest, key_id_of, load_pepper, new_key

PEPPER = b"p" * 64


def test_a_new_key_has_the_prefix_an_id_and_a_long_secret_and_only_its_hash_is_kept() -> None:
    key, record = new_key(PEPPER, Role.PARTNER, name="acme portal", company_id="company:acme", scope_depth=3)
    assert key.startswith("crm_") and key_id_of(key) == record.id
    assert len(key.split("_", 2)[2]) == 43  # 32 random bytes
    assert key not in str(record.to_fields()) and key.split("_", 2)[2] not in str(record.to_fields())
    assert record.hash == digest(PEPPER, key) and len(record.hash) == 64
    assert ApiKey.from_fields(record.to_fields()) == record
    access = record.access()
    assert (access.role, access.company_id, access.scope_depth, access.key_id) == (
        Role.PARTNER, "company:acme", 3, record.id)
    assert new_key(PEPPER, Role.ADMIN)[0] != new_key(PEPPER, Role.ADMIN)[0]


def test_check_accepts_the_key_and_refuses_wrong_unknown_revoked_and_expired() -> None:
    key, record = new_key(PEPPER, Role.EDITOR)
    assert check(PEPPER, key, record) == record
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    for bad, rec in ((tampered, record), (key, None)):
        with pytest.raises(InvalidKeyError, match="invalid API key"):
            check(PEPPER, bad, rec)
    with pytest.raises(InvalidKeyError, match="invalid API key"):
        check(b"q" * 64, key, record)  # another pepper: another hash
    with pytest.raises(InvalidKeyError, match="revoked"):
        check(PEPPER, key, replace(record, revoked=datetime.now(UTC)))
    with pytest.raises(InvalidKeyError, match="expired"):
        check(PEPPER, key, replace(record, expires=datetime.now(UTC) - timedelta(seconds=1)))
    assert check(PEPPER, key, replace(record, expires=datetime.now(UTC) + timedelta(days=1)))


@pytest.mark.parametrize("text", ["", "crm_", "crm_abc_def", "CRM_0123456789ab_" + "a" * 43,
                                  "crm_0123456789ab_" + "a" * 42, "crm_0123456789ab_" + "a" * 43 + "'",
                                  "crm_0123456789AB_" + "a" * 43])
def test_malformed_keys_have_no_id(text: str) -> None:
    assert key_id_of(text) is None


def test_the_pepper_file_is_made_once_private_and_then_reused(tmp_path: Path) -> None:
    first = load_pepper(None, tmp_path / "data")
    path = tmp_path / "data" / "key-pepper"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 64 and load_pepper(None, tmp_path / "data") == first
    assert [p.name for p in path.parent.iterdir()] == ["key-pepper"]  # nothing left aside
    assert load_pepper("from-settings", tmp_path / "data") == b"from-settings"
    path.write_text("short")
    with pytest.raises(RuntimeError, match="shorter than 32"):
        load_pepper(None, tmp_path / "data")
