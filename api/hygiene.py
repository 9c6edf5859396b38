"""Browser-facing hygiene: only configured hosts, CORS only for configured origins, and no
schema hints in prod errors."""

from __future__ import annotations

import re
from typing import Any

from starlette.middleware.cors import CORSMiddleware
from starlette._utils import parse_host_header
from starlette.middleware.trustedhost import TrustedHostMiddleware

from api.settings import LOOPBACK_HOSTS, Settings

OPEN_PATHS = ("/healthz", "/readyz")  # probes use whatever Host they like; nothing to leak there
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def allowed_hosts(settings: Settings) -> list[str]:
    """Configured hosts; by default the loopback names, plus the bind address if specific."""
    if settings.allowed_hosts:
        return settings.allowed_hosts
    hosts = [*LOOPBACK_HOSTS, "[::1]"]
    if settings.host not in ("0.0.0.0", "::", "") and settings.host not in hosts:
        hosts.append(settings.host)
    return hosts


class HostCheck:
    """Refuse (400) a request whose Host is not allowed: closes DNS rebinding."""

    MEMO = 64  # Host values seen allowed, answered without parsing them again

    def __init__(self, app: Any, hosts: list[str]) -> None:
        self.app = app
        self.checked = TrustedHostMiddleware(app, allowed_hosts=hosts, www_redirect=False)
        self.allowed: set[bytes] = set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket") and scope["path"] not in OPEN_PATHS and not self.passes(scope):
            await self.checked(scope, receive, send)  # Starlette's check answers the refusal
            return
        await self.app(scope, receive, send)

    def passes(self, scope: Any) -> bool:
        """Whether the request's Host is allowed (else ``checked`` answers the refusal)."""
        host = _host(scope)
        if host is None or host not in self.allowed:
            if host is None or not self._allows(host):
                return False
            if len(self.allowed) < self.MEMO:
                self.allowed.add(host)
        return True

    def _allows(self, raw: bytes) -> bool:
        """``TrustedHostMiddleware``'s rule for one Host value."""
        parsed = parse_host_header(raw.decode("latin-1"))
        if parsed is None:
            return False
        if self.checked.allow_any:
            return True
        host = parsed.host.lower()
        return any(host == p or (p.startswith("*") and host.endswith(p[1:])) for p in self.checked.allowed_hosts)


def _host(scope: Any) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"host":
            return value  # type: ignore[no-any-return]  # the first, as Starlette's Headers.get
    return None


def without_suggestions(message: str) -> str:
    """``Cannot query field 'persn' on type 'Query'. Did you mean 'person'?`` -> the first sentence."""
    return _SUGGESTION.sub("", message)


def strip_suggestions(result: dict[str, Any]) -> dict[str, Any]:
    for error in result.get("errors") or []:
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            error["message"] = without_suggestions(error["message"])
    return result


def cors(app: Any, settings: Settings) -> CORSMiddleware | None:
    """CORS only for configured origins."""
    if not settings.cors_origins:
        return None
    return CORSMiddleware(
        app, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
        allow_headers=["authorization", "content-type", "x-api-key"],
        expose_headers=["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after"])
