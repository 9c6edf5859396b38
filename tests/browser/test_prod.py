"""/explore on a prod service: the page is static and holds no data; it draws only once the
user gives it an API key, which it sends on its /graphql calls (and keeps in sessionStorage)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import Watched
from tests.e2e.test_keys_serve import create
from tests.e2e.test_serve import Service

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, Path]]:
    data_dir = tmp_path_factory.mktemp("browser-prod")
    svc = Service(data_dir, "--seed", "--workers", "1", env={"CRMGRAPH_MODE": "prod"})
    try:
        svc.wait_ready(120)
        yield svc, data_dir
    finally:
        svc.stop()


async def test_prod_explorer_asks_for_a_key_and_then_draws(prod: tuple[Service, Path], watched: Watched) -> None:
    service, data_dir = prod
    watched.allowed_errors = ("status of 401",)  # the browser logs the refused call; that is the point
    page = watched.page
    await page.goto(service.url + "/explore?root=company:abc-steel&question=disruption&depth=3")
    await page.wait_for_function("() => document.getElementById('status').dataset.state === 'error'")
    assert "credentials" in (await page.text_content("#status"))
    assert await page.locator("#graphiql-link").is_hidden()  # GraphiQL is off in prod

    key = create(data_dir, "--role", "analyst", "--name", "browser")
    await page.fill("#credential", key)
    await page.click("#credential-form button")
    await page.fill("#search", "ABC St")
    await page.click('#suggestions button[data-id="company:abc-steel"]')
    await page.select_option("#question", "disruption")
    await page.click("#draw")
    await page.wait_for_function("() => document.getElementById('status').dataset.state === 'done'")
    assert await page.evaluate("() => window.crmgraphExplorer.cy.nodes('.disrupted').length") == 3
    stored = await page.evaluate("() => [sessionStorage.getItem('crmgraph.credential'), JSON.stringify(localStorage)]")
    assert stored[0] == key and key not in stored[1]  # forgotten with the tab, never in localStorage
