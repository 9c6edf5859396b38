"""The embedded store's loading state, read from ``INFO persistence``.

A Redis server loading its data (the snapshot part of the append-only file, then its
tail) answers most commands with ``-LOADING`` but still answers ``INFO``, with how far
it has got (``loading_loaded_bytes`` of ``loading_total_bytes``, an ETA). The service
waits for it instead of giving up, and reports the progress in ``/readyz`` and its log.

FalkorDB does not keep its indexes in the snapshot: it builds them again as it loads
(at 1M parties, two thirds of the load). Started with ``DELAY_INDEXING`` it builds them
after the load instead, answering meanwhile; until the index behind the unique ids is
built (``Entity.id``: a duplicate id could slip past a half-built one) the store still
counts as loading, in a second phase: ``"indexing"``, counted in nodes.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Loading:
    """How far a loading store has got."""

    loaded_bytes: int
    total_bytes: int
    percent: float
    eta_seconds: int | None
    started_at: int  # epoch seconds
    phase: str = "reading"
    """``reading`` its files (bytes), or ``indexing``: building the indexes behind its
    unique constraints (``loaded_bytes``/``total_bytes`` then count nodes)."""

    def as_json(self) -> dict[str, Any]:
        if self.phase == INDEXING:
            return {"phase": self.phase, "percent": round(self.percent, 1), "indexedNodes": self.loaded_bytes,
                    "totalNodes": self.total_bytes}
        return {"phase": self.phase, "percent": round(self.percent, 1), "loadedBytes": self.loaded_bytes,
                "totalBytes": self.total_bytes, "etaSeconds": self.eta_seconds,
                "startedAt": self.started_at}

    def describe(self) -> str:
        if self.phase == INDEXING:
            return (f"building the id index: {self.percent:.0f}% ({self.loaded_bytes:,} of "
                    f"{self.total_bytes:,} nodes)")
        eta = f", about {self.eta_seconds} s left" if self.eta_seconds is not None else ""
        return (f"{self.percent:.0f}% ({self.loaded_bytes / 1e6:,.0f} of "
                f"{self.total_bytes / 1e6:,.0f} MB){eta}")


INDEXING = "indexing"
_PROGRESS = re.compile(r"(\d+)\s*/\s*(\d+)")


def indexing(statuses: list[str]) -> Loading | None:
    """The indexing phase from the ``status`` of the indexes it waits for (FalkorDB says
    ``[Indexing] 335687/5300000: UNDER CONSTRUCTION``), or ``None`` when all are built."""
    pending = [s for s in statuses if s != "OPERATIONAL"]
    if not pending:
        return None
    done = total = 0
    for status in pending:
        found = _PROGRESS.search(status)
        if found:
            done, total = done + int(found[1]), total + int(found[2])
    return Loading(loaded_bytes=done, total_bytes=total, percent=100.0 * done / total if total else 0.0,
                   eta_seconds=None, started_at=0, phase=INDEXING)


def loading_from_info(info: dict[str, Any]) -> Loading | None:
    """The progress in an ``INFO persistence`` answer, or ``None`` when not loading."""
    if not int(info.get("loading", 0) or 0):
        return None
    eta = int(info.get("loading_eta_seconds", -1) or -1)
    return Loading(loaded_bytes=int(info.get("loading_loaded_bytes", 0) or 0),
                   total_bytes=int(info.get("loading_total_bytes", 0) or 0),
                   percent=float(info.get("loading_loaded_perc", 0.0) or 0.0),
                   eta_seconds=eta if eta >= 0 else None,
                   started_at=int(info.get("loading_start_time", 0) or 0))


def parse_info(text: str) -> dict[str, str]:
    """``key:value`` lines of an INFO answer."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and not key.startswith("#"):
            fields[key.strip()] = value.strip()
    return fields


class Probe:
    """One look at a store on a unix socket: ``"down"``, ``"loading"`` or ``"up"``."""

    def __init__(self, state: str, loading: Loading | None = None) -> None:
        self.state = state
        self.loading = loading


def probe(socket_path: Path, timeout: float = 1.0) -> Probe:
    """Ask the store for ``INFO persistence`` over a fresh connection (sync, no client)."""
    info = persistence(socket_path, timeout)
    if info is None:
        return Probe("down")
    loading = loading_from_info(info)
    return Probe("loading", loading) if loading else Probe("up")


def persistence(socket_path: Path, timeout: float = 1.0) -> dict[str, str] | None:
    """``INFO persistence`` over a fresh connection, or ``None`` when it does not answer."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(socket_path))
            sock.sendall(b"INFO persistence\r\n")
            text = _read_bulk(sock)
    except (OSError, ValueError):
        return None
    return None if text is None else parse_info(text)


def _read_bulk(sock: socket.socket) -> str | None:
    """Read one RESP bulk string (``$<len>\\r\\n<data>\\r\\n``); ``None`` for an error reply."""
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ValueError("connection closed")
        data += chunk
    head, _, rest = data.partition(b"\r\n")
    if not head.startswith(b"$"):
        return None  # -LOADING or another error: INFO itself is answered while loading
    size = int(head[1:])
    while len(rest) < size:
        chunk = sock.recv(65536)
        if not chunk:
            raise ValueError("connection closed")
        rest += chunk
    return rest[:size].decode(errors="replace")
