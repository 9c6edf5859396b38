"""Keep the embedded store running: if it dies, start it again on the same folder.

The service stays up meanwhile; statements answer ``STORE_UNAVAILABLE`` and ``/readyz``
503 until the store answers again, and the client pool reconnects by itself (a dead
connection is replaced when it is next checked out). Nothing acknowledged is lost: the
store acknowledges a write only after ``appendfsync always`` put it on disk, and the
restart replays that log.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from graph.embedded import EmbeddedFalkorDB, EmbeddedStoreError

log = logging.getLogger("crmgraph.store")

BACKOFF = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
"""Seconds before each restart attempt; the last repeats."""


class StoreSupervisor:
    """Watches one started ``EmbeddedFalkorDB`` from a thread and restarts it when it dies.

    The thread lives as long as the supervision: the store is started from it with a
    parent-death signal, which the kernel sends when the *thread* that started it ends.
    """

    def __init__(self, store: EmbeddedFalkorDB, backoff: Sequence[float] = BACKOFF,
                 on_change: Callable[[bool, bool], None] = lambda _running, _restarted: None) -> None:
        self.store = store
        self.backoff = tuple(backoff)
        self.restarts = 0
        self.on_change = on_change  # (running, restarted): for metrics; must not raise
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # a restart and stop() never overlap
        self._thread = threading.Thread(target=self._watch, name="store-supervisor", daemon=True)

    def start(self) -> None:
        self.on_change(self.store.alive(), False)
        self._thread.start()

    def stop(self) -> None:
        """Stop supervising, then stop the store (in order, so its log is flushed)."""
        self._stopping.set()
        with self._lock:
            self.store.stop()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(5)

    def _watch(self) -> None:
        while not self._stopping.is_set():
            proc = self.store.process
            if proc is None:
                return
            code = proc.wait()
            if self._stopping.is_set() or self.store.process is not proc:
                return  # a stop we asked for
            log.warning("the embedded store (FalkorDB, pid %d) exited with code %s; restarting it on %s, "
                        "answering STORE_UNAVAILABLE meanwhile. Its log: %s",
                        proc.pid, code, self.store.data_dir, self.store.log_path)
            self.on_change(False, False)
            self._restart(time.monotonic())

    def _restart(self, since: float) -> None:
        attempt = 0
        while True:
            if self._stopping.wait(self.backoff[min(attempt, len(self.backoff) - 1)]):
                return
            attempt += 1
            with self._lock:
                if self._stopping.is_set():
                    return
                try:
                    self.store.restart()
                except EmbeddedStoreError as exc:
                    if attempt == 1 or attempt % 10 == 0:  # say it, without a line per attempt
                        log.warning("the embedded store did not start again (attempt %d), retrying: %s",
                                    attempt, exc)
                    continue
            self.restarts += 1
            self.on_change(True, True)
            log.warning("the embedded store is back after %.1f s (attempt %d)", time.monotonic() - since, attempt)
            return
