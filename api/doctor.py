"""``crmgraph doctor``: is this installation able to serve, and if not, what to fix.

Checks, in order, each with a status (ok, warn, fail), what was found and what to do:
the settings; the store (reachable, its product and version); the model's unique
constraints and indexes; the key store (the pepper, usable keys); the embedded store's
free disk. A failing check makes the command exit 1. ``--fix`` creates missing
constraints and indexes (what ``serve`` does at start-up) and checks again.

The store is reached the way the service reaches it: Neo4j by its URI; the embedded
store through the socket of a running ``serve`` when one answers, else by starting it on
the data folder for the check (and stopping it after). Every step has a deadline, so a
store that does not answer is reported, not waited for.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from api.settings import LOOPBACK_HOSTS, Mode, Settings
from graph.embedded import SOCKET_NAME, EmbeddedFalkorDB, EmbeddedStoreError, answers_ping
from graph.model import INDEXES
from graph.store import Store

Status = Literal["ok", "warn", "fail"]
DEADLINE = 10.0  # seconds for any one step against the store
NEO4J_OLDEST = (5, 26)
LOW_DISK_BYTES = 1 << 30


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    found: str
    fix: str = ""


class StoreDown(RuntimeError):
    """The store could not be reached; the message says how it failed."""


async def run(settings: Settings, *, fix: bool = False) -> list[Check]:
    checks = settings_checks(settings)
    try:
        async with reach_store(settings) as (store, how):
            version = await asyncio.wait_for(store.server_version(), DEADLINE)
            checks.append(version_check(version, how))
            checks.append(await schema_check(store, fix))
            checks.extend(await key_checks(settings, store))
    except (StoreDown, EmbeddedStoreError, TimeoutError, OSError) as exc:
        checks.append(Check("store", "fail", f"not reachable: {exc or type(exc).__name__}", store_fix(settings)))
    except Exception as exc:  # noqa: BLE001 - any driver error: report it, do not crash the doctor
        checks.append(Check("store", "fail", f"{type(exc).__name__}: {exc}", store_fix(settings)))
    if settings.embedded:
        checks.append(disk_check(settings))
    return checks


def settings_checks(s: Settings) -> list[Check]:
    out = [Check("settings", "ok", f"{s.mode.value} mode, {'embedded FalkorDB in ' + str(s.data_dir.resolve()) if s.embedded else s.database_uri}, listening on {s.host}:{s.port}")]
    loopback = s.on_loopback
    if s.mode is Mode.DEV and not loopback:
        out.append(Check("mode", "warn", f"dev mode bound to {s.host}: GraphiQL on, credentials required",
                         "set CRMGRAPH_MODE=prod for a service others reach"))
    if not loopback and not s.allowed_hosts:
        out.append(Check("allowed hosts", "warn", "CRMGRAPH_ALLOWED_HOSTS is empty: only loopback Host headers "
                         "are served", "set CRMGRAPH_ALLOWED_HOSTS to the names clients use (and Prometheus)"))
    if not s.embedded and not s.key_pepper.get_secret_value():
        out.append(Check("key pepper", "warn", "CRMGRAPH_KEY_PEPPER unset with Neo4j: each API host makes its own",
                         "set CRMGRAPH_KEY_PEPPER to one secret shared by every API host"))
    if s.mode is Mode.PROD:
        out.append(Check("metrics", "ok", "/metrics: admins and the CRMGRAPH_METRICS_TOKEN bearer"
                         if s.metrics_token.get_secret_value() else "/metrics: admin credentials only",
                         "" if s.metrics_token.get_secret_value() else
                         "set CRMGRAPH_METRICS_TOKEN to let Prometheus scrape without an admin key"))
    if any(os.environ.get(v) for v in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        try:
            import opentelemetry.exporter.otlp.proto.http  # noqa: F401
            out.append(Check("traces", "ok", "OTLP endpoint configured: spans are exported"))
        except ImportError:
            out.append(Check("traces", "warn", "OTLP endpoint configured but OpenTelemetry is not installed",
                             "pip install 'crmgraph[otel]'"))
    return out


@asynccontextmanager
async def reach_store(settings: Settings) -> AsyncIterator[tuple[Store, str]]:
    if not settings.embedded:
        from graph.neo4j_store import Neo4jStore

        neo = Neo4jStore(settings.database_uri or "", settings.database_user,
                         settings.database_password.get_secret_value(), settings.database_name)
        try:
            await asyncio.wait_for(neo.start(), DEADLINE)
            yield neo, f"at {settings.database_uri}"
        finally:
            await neo.close()
        return
    from graph.falkordb_store import FalkorDBStore

    socket = settings.data_dir.resolve() / SOCKET_NAME
    started: EmbeddedFalkorDB | None = None
    how = "a running crmgraph serve's store"
    if not await asyncio.to_thread(answers_ping, socket, 2.0):
        started = EmbeddedFalkorDB(settings.data_dir, min(settings.store_start_timeout, DEADLINE))
        try:
            await asyncio.to_thread(started.start)  # fails at once if a serve holds the folder
        except EmbeddedStoreError as exc:
            raise StoreDown(f"{exc}; and its store does not answer on {socket}") from None
        how = "started for this check (no serve running)"
    store = FalkorDBStore(str(socket), settings.graph_name, 2)
    try:
        yield store, how
    finally:
        await store.close()
        if started is not None:
            await asyncio.to_thread(started.stop)



def store_fix(settings: Settings) -> str:
    if settings.embedded:
        return (f"if a serve runs on {settings.data_dir}, its supervisor restarts the store: see "
                f"{settings.data_dir / 'falkordb.log'}; else run `crmgraph serve`")
    return "check CRMGRAPH_DATABASE_URI, the credentials, and that Neo4j runs and is reachable from here"


def version_check(version: str, how: str) -> Check:
    found = f"{version}, {how}"
    if version.startswith("Neo4j"):
        try:
            numbers = tuple(int(p) for p in version.split()[2 if version.startswith("Neo4j Kernel") else 1]
                            .split(".")[:2])
        except (ValueError, IndexError):
            return Check("store", "warn", found, "could not read the version: Neo4j 5.26 LTS or 2025.x is supported")
        if numbers < NEO4J_OLDEST:
            return Check("store", "fail", found, "upgrade to Neo4j 5.26 LTS or 2025.x")
    return Check("store", "ok", found)


async def schema_check(store: Store, fix: bool) -> Check:
    missing = await _missing(store)
    if missing and fix:
        await store.ensure_schema()
        fixed = len(missing)
        missing = await _missing(store)
        if not missing:
            return Check("constraints and indexes", "ok", f"created {fixed} missing; all {len(INDEXES)} present")
    if missing:
        return Check("constraints and indexes", "fail", "missing: " + ", ".join(missing),
                     "run `crmgraph doctor --fix` (or restart `crmgraph serve`, which creates them at start-up)")
    return Check("constraints and indexes", "ok", f"all {len(INDEXES)} present")


async def _missing(store: Store) -> list[str]:
    present = await asyncio.wait_for(store.schema_present(), DEADLINE)
    out = []
    for spec in INDEXES:
        ok = (spec.label, spec.prop, True) in present if spec.unique else \
            bool({(spec.label, spec.prop, False), (spec.label, spec.prop, True)} & present)
        if not ok:
            out.append(f"{'unique ' if spec.unique else ''}{spec.label}.{spec.prop}")
    return out


async def key_checks(settings: Settings, store: Store) -> list[Check]:
    from graph.keys import PEPPER_FILE, key_store_for

    out: list[Check] = []
    if not settings.key_pepper.get_secret_value():
        path = settings.data_dir / PEPPER_FILE
        if not path.exists():
            out.append(Check("key pepper", "ok", f"{path} does not exist yet: made at the first start"))
        elif path.stat().st_mode & 0o077:
            out.append(Check("key pepper", "fail", f"{path} is readable by others ({oct(path.stat().st_mode & 0o777)})",
                             f"chmod 600 {path}"))
        elif len(path.read_bytes().strip()) < 32:
            out.append(Check("key pepper", "fail", f"{path} is shorter than 32 bytes",
                             "delete it (every key becomes invalid) or set CRMGRAPH_KEY_PEPPER"))
        else:
            out.append(Check("key pepper", "ok", f"{path} (0600)"))
    keys = await asyncio.wait_for(key_store_for(store).all(), DEADLINE)
    now = datetime.now(UTC)
    usable = [k for k in keys if k.revoked is None and (k.expires is None or k.expires > now)]
    admins = sum(1 for k in usable if k.role.value == "admin")
    found = f"{len(usable)} usable API keys ({admins} admin), {len(keys) - len(usable)} revoked or expired"
    if settings.mode is Mode.PROD and not usable and not settings.jwt_enabled:
        # the service itself is sound (a fresh deployment has no key yet): a warning
        out.append(Check("keys", "warn", found + "; no JWTs configured: nobody can call the API yet",
                         "crmgraph keys create --role admin --name operator"))
    else:
        out.append(Check("keys", "ok", found + ("; JWTs accepted" if settings.jwt_enabled else "")))
    return out


def disk_check(settings: Settings) -> Check:
    folder = settings.data_dir if settings.data_dir.exists() else settings.data_dir.resolve().parent
    free = shutil.disk_usage(folder).free
    floor = int(settings.store_min_free_mb * 1024 * 1024)
    found = f"{free / 2**20:,.0f} MB free on {folder} (writes stop below {settings.store_min_free_mb:g} MB)"
    if floor and free < floor:
        return Check("disk", "fail", found + ": writes are refused now (STORE_READ_ONLY)",
                     "free space on that disk or move CRMGRAPH_DATA_DIR")
    if free < max(LOW_DISK_BYTES, 4 * floor):
        return Check("disk", "warn", found, "free space soon: an append-only-file rewrite needs about the data's size")
    if not os.access(folder, os.W_OK):
        return Check("disk", "fail", f"{folder} is not writable", "fix the folder's owner or permissions")
    return Check("disk", "ok", found)


def exit_code(checks: list[Check]) -> int:
    return 1 if any(c.status == "fail" for c in checks) else 0
