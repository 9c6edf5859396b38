"""The embedded store's loading state, read from ``INFO persistence``.

A Redis server loading its data (the snapshot part of the append-only file, then its
tail) answers most commands with ``-LOADING`` but still answers ``INFO``, with how far
it has got (``loading_loaded_bytes`` of ``loading_total_bytes``, an ETA). The service
waits for it instead of giving up, and reports the progress in ``/readyz`` and its log.
"""

from __future__ import annotations

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

    def as_json(self) -> dict[str, Any]:
        return {"percent": round(self.percent, 1), "loadedBytes": self.loaded_bytes,
                "totalBytes": self.total_bytes, "etaSeconds": self.eta_seconds,
                "startedAt": self.started_at}

    def describe(self) -> str:
        eta = f", about {self.eta_seconds} s left" if self.eta_seconds is not None else ""
        return (f"{self.percent:.0f}% ({self.loaded_bytes / 1e6:,.0f} of "
                f"{self.total_bytes / 1e6:,.0f} MB){eta}")


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
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(socket_path))
            sock.sendall(b"INFO persistence\r\n")
            text = _read_bulk(sock)
    except (OSError, ValueError):
        return Probe("down")
    if text is None:
        return Probe("down")
    loading = loading_from_info(parse_info(text))
    return Probe("loading", loading) if loading else Probe("up")


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
