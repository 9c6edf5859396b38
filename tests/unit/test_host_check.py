"""The Host check: Starlette's rule, with allowed Host values memoised."""

from __future__ import annotations

from typing import Any

from api.hygiene import HostCheck


async def _status(check: HostCheck, host: bytes | None, path: str = "/graphql") -> int:
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    check.app = app
    check.checked.app = app
    headers = [(b"host", host)] if host is not None else []
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": headers, "scheme": "http", "server": ("127.0.0.1", 80), "root_path": ""}
    await check(scope, receive, send)
    return int(sent[0]["status"])


async def test_allowed_hosts_pass_and_are_remembered_others_are_refused() -> None:
    check = HostCheck(None, ["127.0.0.1", "localhost", "*.example.com"])
    for _ in range(2):
        assert await _status(check, b"127.0.0.1:8000") == 200
        assert await _status(check, b"LOCALHOST") == 200
        assert await _status(check, b"api.example.com") == 200
    assert check.allowed == {b"127.0.0.1:8000", b"LOCALHOST", b"api.example.com"}
    assert await _status(check, b"evil.test") == 400
    assert await _status(check, b"example.com.evil.test") == 400
    assert await _status(check, None) == 400
    assert await _status(check, b"evil.test", "/healthz") == 200  # probes use any Host
    assert b"evil.test" not in check.allowed


async def test_the_memo_is_bounded() -> None:
    check = HostCheck(None, ["*"])
    for i in range(HostCheck.MEMO + 10):
        assert await _status(check, f"h{i}.test".encode()) == 200
    assert len(check.allowed) == HostCheck.MEMO
