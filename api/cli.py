"""The ``crmgraph`` command: serve, seed, import, export, keys, export-schema."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from graph.money import CURRENCIES
from rich.console import Console

from api.settings import Mode, Settings, SettingsError, load_settings
from graph.embedded import EmbeddedFalkorDB, EmbeddedStoreError, answers_ping

app = typer.Typer(help="crmgraph: a GraphQL API over a customer relationship graph.",
                  no_args_is_help=True, add_completion=False)
console = Console(stderr=True)


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


def cli_actor() -> str:
    """Who runs the command line, for the audit trail."""
    import getpass

    return f"cli:{getpass.getuser()}"


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (CRMGRAPH_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port (CRMGRAPH_PORT).")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Embedded store folder.")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="API worker processes (default: 1 in dev; in prod one per CPU, less one "
                     "for the embedded store).")] = None,
    seed: Annotated[bool, typer.Option(help="Load the seed stories first (idempotent).")] = False,
) -> None:
    """Run the API. Without CRMGRAPH_DATABASE_URI it starts the embedded FalkorDB."""
    import logging

    import uvicorn

    from api import metrics_dir

    settings = _settings(host=host, port=port, data_dir=data_dir)
    # Before anything imports prometheus-client: every process of this serve (workers, the
    # store's supervisor here) writes its samples to one folder; a scrape adds them up.
    samples, ours = metrics_dir.prepare()
    from api import metrics
    from api.app import STORE_SOCKET_ENV
    from api.logs import configure_logging, uvicorn_log_config
    from api.ratelimit import WORKERS_ENV
    from graph.supervisor import StoreSupervisor

    configure_logging(settings.json_logs)
    say = _announcer(settings.json_logs)
    embedded: EmbeddedFalkorDB | None = None
    supervisor: StoreSupervisor | None = None
    if settings.embedded:
        # One store for every worker: this process owns it, workers reach it by socket.
        # The HTTP workers start while it loads its data (a big graph takes a while):
        # they answer /readyz 503 with the progress until it has, and this process logs it.
        embedded = EmbeddedFalkorDB(settings.data_dir, settings.store_start_timeout,
                                    settings.store_server_arguments())
        try:
            os.environ[STORE_SOCKET_ENV] = str(embedded.start(wait_loaded=False))
        except EmbeddedStoreError as exc:
            _fail(str(exc))
        _watch_loading(embedded)
        # If the store dies under the running service, it is started again (with backoff)
        # while the service answers STORE_UNAVAILABLE and /readyz 503.
        supervisor = StoreSupervisor(embedded, on_change=metrics.store_running)
        supervisor.start()
    try:
        if seed:
            counts = asyncio.run(_seed(settings))
            say(f"seed data loaded: {counts['nodes']} nodes, {counts['relationships']} relationships")
        say(f"crmgraph on {'embedded FalkorDB' if embedded else settings.database_uri}")
        if settings.mode is not Mode.PROD:
            say(f"GraphiQL: [bold]http://{settings.host}:{settings.port}/graphql[/bold]")
        say(f"explorer: [bold]http://{settings.host}:{settings.port}/explore[/bold]")
        # uvicorn shuts down gracefully, then re-raises the signal it caught; with these
        # handlers that ends here as a normal exit, so the store below is stopped in order.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, _stop_requested)
        extra: dict[str, Any] = {"log_config": uvicorn_log_config(True)} if settings.json_logs else {}
        workers = workers or default_workers(settings.mode, settings.embedded)
        os.environ[WORKERS_ENV] = str(workers)  # sizes the workers' rate-limit leases (api.ratelimit)
        try:
            uvicorn.run("api.app:serve_app", factory=True, host=settings.host, port=settings.port,
                        workers=workers, log_level="info",
                        loop="uvloop", http="httptools",
                        # One line per request costs ~10 % of a small request's time:
                        # prod logs only what the service itself reports.
                        access_log=settings.mode is not Mode.PROD,
                        # uvicorn kills a worker that does not answer its parent within this
                        # long, starting up included; at 5 s (its default) a loaded 2-core
                        # machine had a starting worker killed (6 s to boot at load 10).
                        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS, **extra)
        except _StopRequested:
            pass
    finally:
        if supervisor is not None:
            supervisor.stop()
        if ours:
            metrics_dir.remove(samples)


def _announcer(json_lines: bool) -> Any:
    """Start-up lines: rich text on the terminal, or log records when logs are JSON lines."""
    import logging
    import re

    if not json_lines:
        return console.print
    log = logging.getLogger("crmgraph")
    return lambda text: log.info(re.sub(r"\[/?bold\]", "", text))


WORKER_HEALTHCHECK_SECONDS = 30


def _watch_loading(embedded: EmbeddedFalkorDB) -> None:
    """Log the store's loading progress from a thread until it has loaded (or failed)."""
    import logging
    import threading
    import time

    from graph.connect import ProgressLog

    log = logging.getLogger("crmgraph.store")

    def watch() -> None:
        started = time.monotonic()
        progress = ProgressLog()
        try:
            embedded.wait_loaded(progress)
        except EmbeddedStoreError as exc:
            log.error("the embedded store did not load its data: %s", exc)
            return
        if progress.seen:
            log.warning("the embedded store loaded its data in %.1f s", time.monotonic() - started)

    threading.Thread(target=watch, name="store-loading", daemon=True).start()


def default_workers(mode: Mode, embedded: bool = True) -> int:
    """One worker in dev (a debugger, one log). In prod one per CPU this process may use,
    less one for the embedded store, which runs its statements on the same cores: on two
    cores one worker answered store-backed requests 7-57 % faster than two (the store spent
    half the CPU a statement, the worker a fifth less) and held a third of the memory,
    while a request that asks the store nothing ran at half the rate (README, "Workers and
    the store's core")."""
    if mode is not Mode.PROD:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, cpus - 1 if embedded else cpus)


class _StopRequested(Exception):
    """SIGINT or SIGTERM after uvicorn's own graceful shutdown."""


def _stop_requested(signum: int, _frame: object) -> None:
    raise _StopRequested(signum)


async def _seed(settings: Settings, synthetic: dict[str, Any] | None = None) -> dict[str, int]:
    from api.app import STORE_SOCKET_ENV
    from graph.connect import open_store
    from seeds.loader import load
    from seeds.stories import build

    async with open_store(
        neo4j_uri=settings.database_uri, neo4j_user=settings.database_user,
        neo4j_password=settings.database_password.get_secret_value(),
        neo4j_database=settings.database_name, falkordb_socket=os.environ.get(STORE_SOCKET_ENV),
        data_dir=settings.data_dir, graph_name=settings.graph_name,
        start_timeout=settings.store_start_timeout, server_args=settings.store_server_arguments(),
    ) as store:
        if synthetic is not None:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            from seeds.synthetic import SyntheticSpec, generate_into

            columns = (TextColumn("synthetic graph"), BarColumn(), TextColumn("{task.completed:,} rows"),
                       TextColumn("{task.fields[rate]:,.0f} rows/s"), TimeElapsedColumn())
            with Progress(*columns, console=console) as bar:
                task = bar.add_task("rows", total=None, rate=0.0)

                def progress(done: int, total: int) -> None:
                    elapsed = bar.tasks[task].elapsed or 1e-9
                    bar.update(task, completed=done, total=total, rate=done / elapsed)

                # GRAPH.BULK needs the store to itself: only when this process started it
                # (it holds the data folder's lock), and the graph is empty.
                owned = settings.embedded and os.environ.get(STORE_SOCKET_ENV) is None
                return await generate_into(store, SyntheticSpec(**synthetic), progress,
                                           bulk=None if owned else False)
        return await load(store, build())


@app.command("seed")
def seed_command(
    data_dir: Annotated[Path | None, typer.Option(help="Embedded store folder.")] = None,
    synthetic: Annotated[bool, typer.Option(help="Generate a synthetic graph instead.")] = False,
    people: Annotated[int, typer.Option(min=0, help="Synthetic: people.")] = 10_000,
    companies: Annotated[int, typer.Option(min=0, help="Synthetic: companies.")] = 1_000,
    products: Annotated[int, typer.Option(min=0, help="Synthetic: products.")] = 2_000,
    orders: Annotated[int, typer.Option(min=0, help="Synthetic: orders.")] = 30_000,
    interactions: Annotated[int | None, typer.Option(min=0, help="Synthetic: interactions (default: one a person).")] = None,
    random_seed: Annotated[int, typer.Option("--random-seed", help="Synthetic: random seed.")] = 42,
    currencies: Annotated[str | None, typer.Option(help=(
        "Synthetic: comma-separated ISO 4217 codes of the orders' currencies, e.g. USD,EUR,JPY "
        "(default: the base currency only); monthly exchange rates are generated for them."))] = None,
) -> None:
    """Load the seed stories (idempotent), or a deterministic synthetic graph."""
    settings = _settings(data_dir=data_dir)
    codes = tuple(c.strip().upper() for c in currencies.split(",") if c.strip()) if currencies else (settings.base_currency,)
    unknown = [c for c in codes if c not in CURRENCIES]
    if unknown:
        _fail(f"--currencies: not ISO 4217 codes this service knows: {', '.join(unknown)}")
    spec = dict(people=people, companies=companies, products=products, orders=orders,
                interactions=interactions, seed=random_seed, currencies=codes) if synthetic else None
    try:
        counts = asyncio.run(_seed(settings, spec))
    except EmbeddedStoreError as exc:
        _fail(str(exc))
    console.print(f"loaded {counts['nodes']} nodes and {counts['relationships']} relationships")


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON Lines or CSV file.")],
    format: Annotated[str | None, typer.Option(help="jsonl or csv (default: from the file name).")] = None,
    kind: Annotated[str | None, typer.Option(help="CSV: the node kind or relationship type of its rows.")] = None,
    report: Annotated[Path | None, typer.Option(help="Where rejected rows go (default FILE.rejected.jsonl).")] = None,
    batch: Annotated[int, typer.Option(min=1, max=50_000, help="Rows per write statement.")] = 5000,
    data_dir: Annotated[Path | None, typer.Option(help="Embedded store folder.")] = None,
    bulk: Annotated[bool, typer.Option(help=(
        "Into an empty embedded store that this command starts: load with GRAPH.BULK (the rows "
        "held in memory until then). --no-bulk upserts batch by batch, in flat memory."))] = True,
) -> None:
    """Import nodes and relationships (upserts by id: safe to run again). See docs/import.md."""
    from graph.io.importer import Source

    settings = _settings(data_dir=data_dir)
    fmt = format or ("csv" if file.suffix.lower() == ".csv" else "jsonl")
    if fmt not in ("jsonl", "csv"):
        _fail("--format is jsonl or csv")
    source = Source(file, fmt, kind)  # type: ignore[arg-type]
    report_path = report or file.with_name(file.name + ".rejected.jsonl")
    asyncio.run(_import(settings, source, report_path, batch, bulk))


async def _import(settings: Settings, source: Any, report_path: Path, batch: int, bulk: bool = True) -> None:
    import resource

    import orjson
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from api.metrics import ImportProgress, process_exiting
    from graph.audit import Audit, auditing
    from graph.io.importer import Importer
    from graph.io.rows import RowError

    total = _count_lines(source.path)
    columns = (TextColumn("{task.fields[phase]}"), BarColumn(), TextColumn("{task.fields[written]:,} written"),
               TextColumn("{task.fields[rate]:,.0f} rows/s"), TextColumn("{task.fields[rejected]:,} rejected"),
               TimeElapsedColumn())
    with report_path.open("wb") as sink, Progress(*columns, console=console) as bar:
        task = bar.add_task("import", total=2 * total, phase="nodes", written=0, rate=0.0, rejected=0)
        shown = 0

        def rejected(error: RowError) -> None:
            nonlocal shown
            sink.write(orjson.dumps({"line": error.line, "reason": error.reason}) + b"\n")
            if shown < 20:
                bar.console.print(f"[yellow]rejected[/yellow] line {error.line}: {error.reason}")
                shown += 1

        async with _open(settings) as store:
            # A first import into an empty embedded store goes through GRAPH.BULK, which
            # needs the store to itself: only when this process started it (as seed).
            from api.app import STORE_SOCKET_ENV

            owned = settings.embedded and os.environ.get(STORE_SOCKET_ENV) is None
            importer = Importer(store, batch, rejected, bulk=None if owned and bulk else False)
            # Counters on /metrics of a serve sharing PROMETHEUS_MULTIPROC_DIR (docs/operations.md)
            counted = ImportProgress()

            def progress(rep: Any) -> None:
                elapsed = bar.tasks[task].elapsed or 1e-9
                bar.update(task, completed=importer.seen, phase=rep.phase, written=rep.written,
                           rate=rep.written / elapsed, rejected=rep.rejected)
                counted(rep.phase, rep.written, rep.rejected)

            importer.on_progress = progress
            try:
                with auditing(Audit(cli_actor(), "import")), counted:
                    result = await importer.run(source)
            except (KeyboardInterrupt, asyncio.CancelledError):
                rep = importer.report
                console.print(f"[red]interrupted[/red] in the {rep.phase} pass near line {rep.last_line}: "
                              f"{rep.written:,} rows written, {rep.rejected:,} rejected. Every batch is "
                              "written whole or not at all; run the same command again to finish.")
                raise typer.Exit(130) from None
            finally:
                process_exiting()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(f"imported {source.path.name}: {result.lines:,} lines, {result.written:,} rows written, "
                  f"{result.rejected:,} rejected (listed in {report_path}); peak memory {peak:.0f} MB")


def _count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
    return max(count, 1)


def _open(settings: Settings) -> Any:
    from api.app import STORE_SOCKET_ENV
    from graph.connect import open_store

    return open_store(
        neo4j_uri=settings.database_uri, neo4j_user=settings.database_user,
        neo4j_password=settings.database_password.get_secret_value(),
        neo4j_database=settings.database_name, falkordb_socket=os.environ.get(STORE_SOCKET_ENV),
        data_dir=settings.data_dir, graph_name=settings.graph_name,
        start_timeout=settings.store_start_timeout, server_args=settings.store_server_arguments())


@app.command("export")
def export_command(
    output: Annotated[Path | None, typer.Option("-o", "--output", help=(
        "File (default: stdout); for --format neo4j-admin, the folder of the CSV set."))] = None,
    company: Annotated[str | None, typer.Option(help="Only this company's neighbourhood.")] = None,
    depth: Annotated[int, typer.Option(min=0, max=3, help="Neighbourhood: hops from the company.")] = 1,
    format: Annotated[str, typer.Option(help=(
        "jsonl (what `crmgraph import` reads) or neo4j-admin (a CSV set and import.sh for "
        "`neo4j-admin database import full`)."))] = "jsonl",
    data_dir: Annotated[Path | None, typer.Option(help="Embedded store folder.")] = None,
) -> None:
    """Write the graph as JSON Lines that `crmgraph import` reads back to the same graph,
    or as a neo4j-admin import CSV set (a bulk initial load into Neo4j)."""
    if format not in ("jsonl", "neo4j-admin"):
        _fail("--format is jsonl or neo4j-admin")
    if format == "neo4j-admin" and output is None:
        _fail("--format neo4j-admin writes a folder of files: give it with --output")
    settings = _settings(data_dir=data_dir)
    asyncio.run(_export(settings, output, company, depth, format))


async def _export(settings: Settings, output: Path | None, company: str | None, depth: int,
                  format: str = "jsonl") -> None:
    import orjson

    from graph.io.exporter import export_lines, neighbourhood

    async with _open(settings) as store:
        scope = await neighbourhood(store, company, depth) if company else None
        if company and not scope:
            _fail(f"no company with id {company}")
        if format == "neo4j-admin":
            from graph.bulk.neo4j_admin import write_csv_set

            assert output is not None
            counts = await write_csv_set(export_lines(store, scope), output)
            console.print(f"wrote {sum(counts.values()):,} rows in {len(counts)} CSV files and "
                          f"{output / 'import.sh'} (run it with Neo4j stopped)")
            return
        sink = output.open("wb") if output else sys.stdout.buffer
        count = 0
        try:
            async for line in export_lines(store, scope):
                sink.write(orjson.dumps(line) + b"\n")
                count += 1
        finally:
            if output:
                sink.close()
    console.print(f"exported {count:,} lines")


keys_app = typer.Typer(help="API keys: create (shown once), list, revoke. See docs/security.md.",
                       no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _keys_store(settings: Settings) -> Any:
    """The store the keys live in: a running service's embedded store if there is one."""
    from api.app import STORE_SOCKET_ENV
    from graph.connect import open_store
    from graph.embedded import SOCKET_NAME

    socket_path = os.environ.get(STORE_SOCKET_ENV)
    running = settings.data_dir.resolve() / SOCKET_NAME
    if settings.embedded and socket_path is None and answers_ping(running):
        socket_path = str(running)  # `crmgraph serve` owns the folder: use its store
    return open_store(
        neo4j_uri=settings.database_uri, neo4j_user=settings.database_user,
        neo4j_password=settings.database_password.get_secret_value(),
        neo4j_database=settings.database_name, falkordb_socket=socket_path,
        data_dir=settings.data_dir, graph_name=settings.graph_name,
        start_timeout=settings.store_start_timeout, server_args=settings.store_server_arguments())



def _expiry(text: str | None) -> Any:
    from datetime import UTC, datetime

    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        _fail(f"--expires {text!r}: expected a date (2027-01-31) or an ISO date-time")
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if when <= datetime.now(UTC):
        _fail(f"--expires {text!r} is in the past")
    return when


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin, editor, analyst or partner.")],
    company: Annotated[str | None, typer.Option(help="Partner keys: the company id they are scoped to.")] = None,
    name: Annotated[str, typer.Option(help="Who or what the key is for (shown in `keys list`).")] = "",
    expires: Annotated[str | None, typer.Option(help="Expiry: a date (00:00 UTC) or an ISO date-time.")] = None,
    scope_depth: Annotated[int, typer.Option(min=0, max=10, help="Partner keys: SUPPLIES hops in scope.")] = 2,
    data_dir: Annotated[Path | None, typer.Option(help="Embedded store folder.")] = None,
) -> None:
    """Create a key and print it once on stdout; only its keyed hash is stored."""
    from graph.access import Role

    if role not in {r.value for r in Role}:
        _fail(f"--role {role!r}: one of {', '.join(r.value for r in Role)}")
    if (role == Role.PARTNER) != (company is not None):
        _fail("--company is required for partner keys and only for them")
    settings = _settings(data_dir=data_dir)
    key = asyncio.run(_create_key(settings, Role(role), company, name, _expiry(expires), scope_depth))
    sys.stdout.write(key + "\n")
    console.print("[yellow]this key is shown once:[/yellow] store it now; `crmgraph keys revoke "
                  f"{key.split('_')[1]}` ends it")


async def _create_key(settings: Settings, role: Any, company: str | None, name: str, expires: Any,
                      scope_depth: int) -> str:
    from graph.audit import Audit, auditing
    from graph.keys import key_store_for, load_pepper, new_key

    pepper = load_pepper(settings.key_pepper.get_secret_value() or None, settings.data_dir)
    async with _keys_store(settings) as store:
        if company is not None and not await store.read(
                "MATCH (c:Entity {id: $id}) WHERE c:Company RETURN c.id AS id", {"id": company}):
            _fail(f"--company {company!r}: no company with that id")
        key, record = new_key(pepper, role, name=name, company_id=company, scope_depth=scope_depth,
                              expires=expires)
        with auditing(Audit(cli_actor(), "keys.create")):
            await key_store_for(store).put(record)
    return key


@keys_app.command("list")
def keys_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line.")] = False,
    data_dir: Annotated[Path | None, typer.Option(help="Embedded store folder.")] = None,
) -> None:
    """Every key: id, name, role, company, created, last used, expiry, revoked (never the key)."""
    import orjson
    from rich.table import Table

    settings = _settings(data_dir=data_dir)
    records = asyncio.run(_all_keys(settings))
    rows = [{"id": r.id, "name": r.name, "role": r.role.value, "company": r.company_id,
             "scope_depth": r.scope_depth, "created": _when(r.created), "last_used": _when(r.last_used),
             "expires": _when(r.expires), "revoked": _when(r.revoked)} for r in records]
    if as_json:
        for row in rows:
            sys.stdout.write(orjson.dumps(row).decode() + "\n")
        return
    table = Table(*[c.replace("_", " ") for c in rows[0]] if rows else ["no keys"])
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    Console().print(table)


def _when(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


async def _all_keys(settings: Settings) -> list[Any]:
    from graph.keys import key_store_for

    async with _keys_store(settings) as store:
        return await key_store_for(store).all()


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (`keys list`; the part after crm_).")],
    data_dir: Annotated[Path | None, typer.Option(help="Embedded store folder.")] = None,
) -> None:
    """Revoke a key: every worker refuses it from the next request on (each confirms it dropped the key)."""
    from graph.key_events import KeyChangeUnconfirmed

    settings = _settings(data_dir=data_dir)
    try:
        found, confirmed = asyncio.run(_revoke(settings, key_id))
    except KeyChangeUnconfirmed as exc:
        _fail(str(exc))
    if not found:
        _fail(f"no key with id {key_id}")
    told = "" if confirmed is None else f"; {confirmed} API worker(s) confirmed they dropped it from their cache"
    console.print(f"revoked key {key_id}{told}")


async def _revoke(settings: Settings, key_id: str) -> tuple[bool, int | None]:
    from graph.audit import Audit, auditing
    from graph.keys import key_store_for

    async with _keys_store(settings) as store:
        keys = key_store_for(store)
        with auditing(Audit(cli_actor(), "keys.revoke")):
            return await keys.revoke(key_id), keys.confirmed


@app.command()
def doctor(
    data_dir: Annotated[Path | None, typer.Option(help="Embedded store folder.")] = None,
    fix: Annotated[bool, typer.Option(help="Create missing constraints and indexes, then check again.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per check on stdout.")] = False,
) -> None:
    """Check settings, store (reachable, version, constraints and indexes), keys and disk; say what to fix."""
    import orjson
    from rich.table import Table

    from api.doctor import Check, exit_code, run

    try:
        settings = load_settings(**({"data_dir": data_dir} if data_dir else {}))
    except SettingsError as exc:
        checks = [Check("settings", "fail", str(exc), "correct the variables named (see README, Configuration)")]
    else:
        checks = asyncio.run(run(settings, fix=fix))
    if as_json:
        for check in checks:
            sys.stdout.write(orjson.dumps(check.__dict__).decode() + "\n")
    else:
        marks = {"ok": "[green]ok[/green]", "warn": "[yellow]warn[/yellow]", "fail": "[red]FAIL[/red]"}
        table = Table("check", "", "found", "to fix", title="crmgraph doctor")
        for check in checks:
            table.add_row(check.name, marks[check.status], check.found, check.fix)
        Console().print(table)
        failed = sum(c.status == "fail" for c in checks)
        warned = sum(c.status == "warn" for c in checks)
        console.print("[green]healthy[/green]" if not failed and not warned else
                      f"{failed} problem(s), {warned} warning(s)")
    raise typer.Exit(exit_code(checks))


@app.command("export-schema")
def export_schema(
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File (default: stdout).")] = None,
) -> None:
    """Print the GraphQL schema (SDL)."""
    from schema import build_schema

    sdl = str(build_schema()) + "\n"
    if output is None:
        sys.stdout.write(sdl)
    else:
        output.write_text(sdl)


analytics_app = typer.Typer(help="Analytics snapshots: the whole-base figures the API reads.",
                            no_args_is_help=True)
app.add_typer(analytics_app, name="analytics")


@analytics_app.command("refresh")
def analytics_refresh(
    data_dir: Annotated[Path | None, typer.Option(help="Embedded store folder.")] = None,
    recount: Annotated[bool, typer.Option(help="Count the referral cohort counters from scratch again and "
                                               "check every name's sort key (every write keeps both exact; "
                                               "this repairs them after writes made around the service).")] = False,
) -> None:
    """Recompute every analytics snapshot now (RFM boundaries and segments, referral cohorts)."""
    from graph.analytics.refresher import force_refresh

    settings = _settings(data_dir=data_dir)

    async def run() -> dict[str, float]:
        async with _open(settings) as store:
            return await force_refresh(store, recount=recount)

    try:
        took = asyncio.run(run())
    except TimeoutError as exc:
        _fail(str(exc))
    for kind, seconds in took.items():
        console.print(f"{kind}: refreshed in {seconds:.2f} s")


if __name__ == "__main__":  # pragma: no cover
    app()


@app.command("audit")
def audit_command(
    since: Annotated[str | None, typer.Option(help="Only events at or after this ISO date or time.")] = None,
    key: Annotated[str | None, typer.Option(help="Only writes made with this API key id.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only this actor (key:ID, sub:SUBJECT, cli:USER).")] = None,
    id: Annotated[str | None, typer.Option("--id", help="Only writes that named this node id.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Most events to show.")] = 50,
    data_dir: Annotated[Path | None, typer.Option(help="Embedded store folder.")] = None,
) -> None:
    """Show the audit trail: who wrote what, newest first."""
    from datetime import UTC, datetime

    from rich.table import Table

    from graph.audit import read_audit

    settings = _settings(data_dir=data_dir)
    since_ms = None
    if since:
        try:
            moment = datetime.fromisoformat(since)
        except ValueError:
            _fail(f"--since: not an ISO date or time: {since!r}")
        since_ms = int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp() * 1000)
    if key and actor:
        _fail("give --key or --actor, not both")
    who = f"key:{key}" if key else actor

    async def read() -> Any:
        async with _open(settings) as store:
            return await read_audit(store, first=limit, since_ms=since_ms, actor=who, touched=id)

    page = asyncio.run(read())
    table = Table("at", "actor", "operation", "ids")
    for ev in page.events:
        shown = ", ".join(ev.ids[:5]) + (f" … ({ev.id_count} in all)" if ev.id_count > 5 else "")
        table.add_row(datetime.fromtimestamp(ev.at / 1000, UTC).isoformat(timespec="seconds"),
                      ev.actor, ev.operation, shown)
    Console().print(table)
    if page.has_next_page:
        console.print(f"(more than {limit} events; narrow with --since, --key or --id, or raise --limit)")
