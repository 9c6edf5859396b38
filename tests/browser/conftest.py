"""Browser tests: Playwright drives the OS's Chromium (installed by `make install`) against
`crmgraph serve --seed` on a loopback port. One browser for the session, one service per
module; every page refuses (and records) any request that leaves the loopback address,
and collects its console errors, which each test checks.

Playwright's asyncio API, on the session's event loop: its sync API keeps a loop running
in the main thread for as long as the browser is open, which would stop every async test
that comes after."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.test_serve import Service

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CRMGRAPH_TEST_ARTIFACTS", ROOT / "test-artifacts"))
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def chromium_executable() -> str:
    """Chromium from CRMGRAPH_CHROMIUM, Debian's package, or PATH: never a download."""
    candidates = [os.environ.get("CRMGRAPH_CHROMIUM"), "/usr/lib/chromium/chromium",
                  shutil.which("chromium"), shutil.which("chromium-browser"), shutil.which("google-chrome")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail("no Chromium: run `make install` (installs Debian's chromium), or set CRMGRAPH_CHROMIUM")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=chromium_executable(), args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    svc = Service(tmp_path_factory.mktemp("browser"), "--seed")
    try:
        svc.wait_ready(120)
        yield svc
    finally:
        svc.stop()


@dataclass
class Watched:
    """A page, with what it tried to fetch outside loopback and what its console said."""

    page: object
    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    allowed_errors: tuple[str, ...] = ()

    def problems(self) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in self.allowed_errors)]


async def watch(browser: object, *, viewport: tuple[int, int] = (1400, 850)) -> Watched:
    context = await browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})  # type: ignore[attr-defined]
    page = await context.new_page()
    watched = Watched(page)

    async def route(r: object) -> None:
        url = r.request.url  # type: ignore[attr-defined]
        host = urlsplit(url).hostname or ""
        if url.startswith(("data:", "blob:", "about:")) or host in LOOPBACK:
            await r.continue_()  # type: ignore[attr-defined]
        else:
            watched.external.append(url)
            await r.abort()  # type: ignore[attr-defined]

    await context.route("**/*", route)
    page.on("console", lambda m: watched.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: watched.errors.append(f"page error: {e}"))
    return watched


@pytest.fixture
async def watched(browser: object) -> AsyncIterator[Watched]:
    w = await watch(browser)
    try:
        yield w
    finally:
        await w.page.context.close()  # type: ignore[attr-defined]
    assert w.external == [], f"requests left the machine: {w.external}"
    assert w.problems() == [], w.problems()


async def screenshot(watched: Watched, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await watched.page.screenshot(path=str(path))  # type: ignore[attr-defined]
    return path
