"""API keys: how they are made, hashed and kept in the store.

A key reads ``crm_<id>_<secret>``: the id (12 hex digits) finds the record directly, the
secret (32 random bytes, url-safe base64) is never stored. The record holds
``HMAC-SHA256(pepper, key)``: keys are high-entropy, so a fast keyed hash is right (a
password hash would cost milliseconds on every request and protect nothing more); the
pepper lives outside the store, so a copy of the store alone cannot check guesses.

Keys live in the store itself, so every worker and every restart sees the same keys and a
revocation holds on the next request:

- FalkorDB (a Redis server): one hash per key, ``crmgraph:key:<id>``, and the set
  ``crmgraph:keys`` of ids; persisted by the same append-only file as the graph.
- Neo4j: one ``(:ApiKey {keyId, ...})`` node per key, outside the ``Entity`` label so no
  query of the API can reach it; a worker keeps a verified key at most a second.

Workers keep verified keys for a few seconds (``graph.key_cache``); on FalkorDB every key
change is announced to them and waits for their confirmation (``graph.key_events``).
"""

from __future__ import annotations

import contextlib
import hmac
import os
import re
import secrets
import time
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graph import key_events
from graph.audit import AUDIT_EVENT, Write, event_params
from graph.audit import current as current_audit
from graph.access import DEFAULT_SCOPE_DEPTH, Access, Role
from graph.key_cache import KeyCache
from graph.key_events import KeyChangeListener
from graph.store import Store

PREFIX = "crm_"
PEPPER_FILE = "key-pepper"
_KEY = re.compile(r"^crm_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
LAST_USED_EVERY = 60.0  # seconds: ``last used`` is written at most this often per key and worker


class InvalidKeyError(ValueError):
    """A key that cannot be used; ``reason`` is safe to show to the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ApiKey:
    """A key's record: everything but the secret."""

    id: str
    role: Role
    hash: str
    created: datetime
    name: str = ""
    company_id: str | None = None
    scope_depth: int = DEFAULT_SCOPE_DEPTH
    expires: datetime | None = None
    revoked: datetime | None = None
    last_used: datetime | None = None

    def access(self) -> Access:
        return Access(self.role, company_id=self.company_id, scope_depth=self.scope_depth,
                      key_id=self.id, subject=self.name or None)

    def to_fields(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in asdict(self).items():
            if value is None:
                continue
            out[name] = value.isoformat() if isinstance(value, datetime) else str(value)
        return out

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> ApiKey:
        def when(name: str) -> datetime | None:
            value = fields.get(name)
            return datetime.fromisoformat(value) if value else None

        return cls(id=fields["id"], role=Role(fields["role"]), hash=fields["hash"],
                   created=when("created") or datetime.fromtimestamp(0, UTC),
                   name=fields.get("name") or "", company_id=fields.get("company_id") or None,
                   scope_depth=int(fields.get("scope_depth") or DEFAULT_SCOPE_DEPTH),
                   expires=when("expires"), revoked=when("revoked"), last_used=when("last_used"))


def now() -> datetime:
    return datetime.now(UTC)


def load_pepper(configured: str | None, data_dir: Path) -> bytes:
    """The HMAC key: the setting if given, else ``<data_dir>/key-pepper``, made once (0600).

    Several workers may start at once: the file is written aside and linked into place,
    so every one of them ends up reading the same complete pepper.
    """
    if configured:
        return configured.encode()
    path = data_dir / PEPPER_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        aside = data_dir / f".{PEPPER_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_hex(32).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(FileExistsError):
            os.link(aside, path)
        aside.unlink()
    pepper = path.read_bytes().strip()
    if len(pepper) < 32:
        raise RuntimeError(f"{path} is shorter than 32 bytes: delete it (every key becomes invalid) or set "
                           "CRMGRAPH_KEY_PEPPER")
    return pepper


def digest(pepper: bytes, key: str) -> str:
    return hmac.digest(pepper, key.encode(), "sha256").hex()  # one C call: hmac.new's object is ~3x dearer


def new_key(pepper: bytes, role: Role, *, name: str = "", company_id: str | None = None,
            scope_depth: int = DEFAULT_SCOPE_DEPTH, expires: datetime | None = None) -> tuple[str, ApiKey]:
    """A fresh key (shown once) and the record to store."""
    key_id = secrets.token_hex(6)
    key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    record = ApiKey(id=key_id, role=role, hash=digest(pepper, key), created=now(), name=name,
                    company_id=company_id, scope_depth=scope_depth, expires=expires)
    return key, record


def key_id_of(key: str) -> str | None:
    """The id part of a well-formed key, else None."""
    match = _KEY.match(key)
    return match.group(1) if match else None


_DUMMY_HASH = "0" * 64


def check(pepper: bytes, key: str, record: ApiKey | None, at: datetime | None = None, *,
          presented: str | None = None) -> ApiKey:
    """The record if ``key`` matches it and it is usable now; else InvalidKeyError with the reason.

    An unknown id and a wrong secret take the same time and give the same answer.
    ``presented``: ``digest(pepper, key)`` when the caller has it already.
    """
    expected = record.hash if record is not None else _DUMMY_HASH
    if not hmac.compare_digest(presented or digest(pepper, key), expected) or record is None:
        raise InvalidKeyError("invalid API key")
    if record.revoked is not None:
        raise InvalidKeyError("API key revoked")
    if record.expires is not None and record.expires <= (at or now()):
        raise InvalidKeyError("API key expired")
    return record


class KeyStore(ABC):
    """Where key records live (the port; adapters below)."""

    announces_changes = False
    """Whether key changes reach every worker's cache (``announce``, ``listener``)."""

    def __init__(self) -> None:
        self._touched: dict[str, float] = {}
        self.confirmed: int | None = None  # workers that confirmed the last announced change

    @abstractmethod
    async def put(self, record: ApiKey) -> None: ...

    @abstractmethod
    async def get(self, key_id: str) -> ApiKey | None: ...

    @abstractmethod
    async def all(self) -> list[ApiKey]: ...

    @abstractmethod
    async def _set(self, key_id: str, field: str, value: str) -> bool:
        """Set one field of an existing record; False when there is none."""

    async def revoke(self, key_id: str) -> bool:
        """Revoke in the store, then announce it (again, if revoked already: a retry)."""
        record = await self.get(key_id)
        if record is None:
            return False
        if record.revoked is None:
            await self._set(key_id, "revoked", now().isoformat())
        await self.announce(key_id)
        return True

    async def announce(self, key_id: str) -> None:
        """Tell the workers' key caches that ``key_id`` changed; every change of a record calls it.
        Without a channel (Neo4j) caches keep a key at most a second: nothing to do."""
        self.confirmed = None

    def listener(self, cache: KeyCache) -> KeyChangeListener | None:
        """What keeps ``cache`` told of key changes in a worker (a task to run), if anything can."""
        return None

    def use_due(self, key_id: str) -> bool:
        """Whether a use of ``key_id`` is to be written now: at most once a minute per key in this process."""
        clock = time.monotonic()
        if clock - self._touched.get(key_id, -LAST_USED_EVERY) < LAST_USED_EVERY:
            return False
        self._touched[key_id] = clock
        return True

    async def record_use(self, key_id: str) -> None:
        await self._set(key_id, "last_used", now().isoformat())

    async def touch(self, key_id: str) -> None:
        """Record a use, at most once a minute per key in this process."""
        if self.use_due(key_id):
            await self.record_use(key_id)


class RedisKeyStore(KeyStore):
    """Keys as Redis hashes beside the graph (the embedded FalkorDB is a Redis server)."""

    announces_changes = True

    def __init__(self, redis: Any, graph_command: Any = None, socket_path: str | None = None) -> None:
        super().__init__()
        self._redis = redis
        self._graph_command = graph_command  # FalkorDBStore.command: audit events in the same MULTI
        self._socket_path = socket_path  # for a worker's subscription to key changes

    async def announce(self, key_id: str) -> None:
        self.confirmed = await key_events.announce(self._redis, key_id)

    def listener(self, cache: KeyCache) -> KeyChangeListener | None:
        # Without the socket there is no subscription: the cache then stays suspended (off).
        return KeyChangeListener(self._socket_path, self._redis, cache) if self._socket_path else None

    def _audited(self, pipe: Any, key_id: str) -> None:
        """Queue the audit event of a key change in the same transaction as the change."""
        audit = current_audit()
        if audit is not None and self._graph_command is not None:
            pipe.execute_command(*self._graph_command(AUDIT_EVENT, event_params(audit, [key_id])))

    @staticmethod
    def _name(key_id: str) -> str:
        return f"crmgraph:key:{key_id}"

    async def put(self, record: ApiKey) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(self._name(record.id), mapping=record.to_fields())
        pipe.sadd("crmgraph:keys", record.id)
        self._audited(pipe, record.id)
        await pipe.execute()

    async def get(self, key_id: str) -> ApiKey | None:
        fields = await self._redis.hgetall(self._name(key_id))
        return ApiKey.from_fields(_text(fields)) if fields else None

    async def all(self) -> list[ApiKey]:
        ids = sorted(_text_one(i) for i in await self._redis.smembers("crmgraph:keys"))
        records = [await self.get(i) for i in ids]
        return [r for r in records if r is not None]

    async def _set(self, key_id: str, field: str, value: str) -> bool:
        # Only on an existing record: a revoke racing nothing must not create a stub.
        script = "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) " \
                 "return 1 end return 0"
        pipe = self._redis.pipeline(transaction=True)
        pipe.eval(script, 1, self._name(key_id), field, value)
        if field == "revoked":
            self._audited(pipe, key_id)
        return bool((await pipe.execute())[0])


def _text_one(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _text(fields: dict[Any, Any]) -> dict[str, str]:
    return {_text_one(k): _text_one(v) for k, v in fields.items()}


_NEO4J_FIELDS = ("id", "role", "hash", "created", "name", "company_id", "scope_depth", "expires",
                 "revoked", "last_used")
_NEO4J_PROPS = {"id": "keyId", "company_id": "companyId", "scope_depth": "scopeDepth",
                "last_used": "lastUsed"}


class GraphKeyStore(KeyStore):
    """Keys as ``(:ApiKey)`` nodes (Neo4j), never labelled ``Entity``.

    Read on every call: the workers' key caches keep verified keys (at most 1 s here, no
    channel announces changes), so a revocation holds everywhere within a second.
    """

    def __init__(self, store: Store) -> None:
        super().__init__()
        self._store = store

    CONSTRAINT = "CREATE CONSTRAINT apikey_keyid_unique IF NOT EXISTS FOR (k:ApiKey) REQUIRE k.keyId IS UNIQUE"

    async def put(self, record: ApiKey) -> None:
        if self._store.dialect.name == "neo4j":  # made with the first key: lookups by id use its index
            await self._store.write(self.CONSTRAINT)
        props = {_NEO4J_PROPS.get(k, k): v for k, v in record.to_fields().items()}
        await self._store.write(Write("CREATE (k:ApiKey) SET k = $props\nRETURN k.keyId AS keyId", "true"),
                                {"props": props, "id": record.id})  # audited with the key's id

    async def get(self, key_id: str) -> ApiKey | None:
        rows = await self._store.read("MATCH (k:ApiKey {keyId: $id}) RETURN properties(k) AS p", {"id": key_id})
        return _from_props(rows[0]["p"]) if rows else None

    async def all(self) -> list[ApiKey]:
        rows = await self._store.read("MATCH (k:ApiKey) RETURN properties(k) AS p ORDER BY k.keyId")
        return [_from_props(row["p"]) for row in rows]

    async def _set(self, key_id: str, field: str, value: str) -> bool:
        prop = _NEO4J_PROPS.get(field, field)
        if prop not in ("revoked", "lastUsed"):
            raise ValueError(f"not a settable key field: {field}")
        rows = await self._store.write(Write(f"MATCH (k:ApiKey {{keyId: $id}}) SET k.{prop} = $value\n"
                                             "RETURN k.keyId AS keyId", "true"), {"id": key_id, "value": value})
        return bool(rows)


def _from_props(props: dict[str, Any]) -> ApiKey:
    reverse = {v: k for k, v in _NEO4J_PROPS.items()}
    return ApiKey.from_fields({reverse.get(k, k): v for k, v in props.items() if reverse.get(k, k) in _NEO4J_FIELDS})


def key_store_for(store: Store) -> KeyStore:
    """The key store that lives with ``store``."""
    redis = getattr(store, "redis", None)
    if redis is not None:
        return RedisKeyStore(redis, getattr(store, "command", None), getattr(store, "socket_path", None))
    return GraphKeyStore(store)


__all__ = ["ApiKey", "GraphKeyStore", "InvalidKeyError", "KeyStore", "RedisKeyStore", "check", "key_id_of",
           "key_store_for", "load_pepper", "new_key"]
