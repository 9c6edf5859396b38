"""/explore in Chromium against `crmgraph serve --seed`: what it draws is what the API answers
to the very document the page shows."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.browser.conftest import Watched, screenshot
from tests.e2e.test_serve import Service

pytestmark = pytest.mark.browser
SINGLE_SOURCE_RED = "rgb(215,38,61)"
# Functions, not expressions: Playwright evaluates an expression with eval(), which the
# pages' Content Security Policy forbids (as it should).
DONE = "() => document.getElementById('status').dataset.state === 'done'"


def api(service: Service, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = httpx.post(service.url + "/graphql", json={"query": document, "variables": variables}, timeout=30).json()
    assert "errors" not in body, body
    return body["data"]


async def pick(page: Any, text: str, node_id: str, question: str, depth: int = 3) -> None:
    """Type a name, choose the suggestion, the question and the depth, and draw."""
    await page.fill("#search", text)
    await page.click(f'#suggestions button[data-id="{node_id}"]')
    await page.select_option("#question", question)
    await page.fill("#depth", str(depth))
    await page.click("#draw")
    await page.wait_for_function(DONE)


async def shown(page: Any) -> tuple[str, dict[str, Any]]:
    """The document and variables the page shows (and ran)."""
    return await page.text_content("#document"), json.loads(await page.text_content("#variables"))


async def drawn(page: Any) -> dict[str, Any]:
    return await page.evaluate("""() => {
      const cy = window.crmgraphExplorer.cy;
      const ends = (sel) => cy.edges(sel).map(e => [e.source().id(), e.target().id()]).sort();
      return {
        nodes: cy.nodes().map(n => n.id()).sort(),
        edges: cy.edges().length,
        singleSource: ends('.single-source'),
        singleSourceColor: cy.edges('.single-source').map(e => e.style('line-color')),
        plainColor: cy.edges().filter(e => !e.hasClass('single-source')).map(e => e.style('line-color')),
        disrupted: cy.nodes('.disrupted').map(n => n.id()).sort(),
        noAlternative: cy.nodes('.no-alternative').map(n => n.id()).sort(),
      };
    }""")


async def test_disruption_impact_of_abc_steel(service: Service, watched: Watched) -> None:
    page = watched.page
    await page.goto(service.url + "/explore")
    await pick(page, "ABC St", "company:abc-steel", "disruption")
    document, variables = await shown(page)
    assert variables == {"id": "company:abc-steel", "depth": 3}
    answer = api(service, document, variables)

    chain, impact = answer["supplyChain"], answer["disruptionImpact"]
    expected_nodes = ({chain["root"]["id"]} | {n["node"]["id"] for n in chain["nodes"]}
                      | {m["id"] for n in chain["nodes"] for m in n["makers"]}
                      | {c["company"]["id"] for c in impact["companies"]})
    expected_edges = len(chain["edges"]) + sum(len(n["makers"]) for n in chain["nodes"])
    single = sorted([e["from"], e["to"]] for e in chain["edges"] if e["singleSource"] is True)
    graph = await drawn(page)
    assert graph["nodes"] == sorted(expected_nodes) and graph["edges"] == expected_edges
    assert graph["singleSource"] == single == [["company:xyz-manufacturing", "company:apex-motors"]]
    assert set(graph["singleSourceColor"]) == {SINGLE_SOURCE_RED}
    assert SINGLE_SOURCE_RED not in graph["plainColor"]  # highlighted: only it is red
    assert graph["disrupted"] == sorted(c["company"]["id"] for c in impact["companies"])
    assert graph["noAlternative"] == sorted(c["company"]["id"] for c in impact["companies"] if not c["hasAlternative"])
    assert (await page.text_content("#status")).startswith(f"{len(expected_nodes)} nodes · {expected_edges} edges")
    summary = await page.text_content("#summary")
    assert "revenue at risk" in summary and f"{impact['endCustomerCount']}" in summary
    await screenshot(watched, "explore-disruption-abc-steel")


async def test_referral_tree_of_john_smith(service: Service, watched: Watched) -> None:
    page = watched.page
    await page.goto(service.url + "/explore")
    await pick(page, "john", "person:john-smith", "referral-tree")  # lower case finds "John Smith" too
    document, variables = await shown(page)
    tree = api(service, document, variables)["referralTree"]
    graph = await drawn(page)
    assert graph["nodes"] == sorted({tree["root"]["id"]} | {n["party"]["id"] for n in tree["nodes"]})
    assert graph["edges"] == len(tree["edges"]) >= 6
    rows = (await page.locator("#summary tr").count()) - 1  # the per-generation table, header excepted
    assert rows == len(tree["generations"]) >= 2
    await screenshot(watched, "explore-referral-tree-john-smith")


async def test_click_a_node_for_details_then_re_root(service: Service, watched: Watched) -> None:
    page = watched.page
    await page.goto(service.url + "/explore?root=company:abc-steel&question=disruption&depth=3")
    await page.wait_for_function(DONE)
    box = await page.locator("#graph").bounding_box()
    at = await page.evaluate("() => window.crmgraphExplorer.cy.getElementById('company:xyz-manufacturing').renderedPosition()")
    await page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])
    await page.wait_for_function("() => document.getElementById('details').textContent.includes('XYZ Manufacturing Inc.')")
    assert "hit" in await page.text_content("#details")  # what the answer said about it, with its properties
    await page.click("#reroot")
    await page.wait_for_function("() => window.crmgraphExplorer.state.root.id === 'company:xyz-manufacturing'"
                           " && document.getElementById('status').dataset.state === 'done'")
    assert "root=company%3Axyz-manufacturing" in page.url  # the link says what is drawn
    document, variables = await shown(page)
    answer = api(service, document, variables)
    assert (await drawn(page))["disrupted"] == sorted(c["company"]["id"] for c in answer["disruptionImpact"]["companies"])


async def test_the_document_opens_in_graphiql(service: Service, watched: Watched) -> None:
    page = watched.page
    await page.goto(service.url + "/explore?root=person:john-smith&question=referral-tree&depth=2")
    await page.wait_for_function(DONE)
    href = await page.get_attribute("#open-graphiql", "href")
    assert href.startswith("/graphql?q=")
    await page.goto(service.url + href)
    await page.wait_for_selector(".graphiql-tab")
    active = await page.locator(".graphiql-tab-active").text_content()
    assert "ReferralTree" in active
    await page.click(".graphiql-execute-button")
    await page.wait_for_function("() => document.querySelector('.result-window') &&"
                           " document.querySelector('.result-window').textContent.includes('referralTree')")  # CodeMirror renders only the lines in view
    assert '"person:john-smith"' in await page.locator(".result-window").text_content()


QUESTIONS = [  # every question of the page, on a seed node it answers for
    ("company:abc-steel", "supply-down", None),
    ("company:xyz-manufacturing", "supply-up", None),
    ("product:apex-sedan-s", "supply-up", None),
    ("company:xyz-manufacturing", "indirect-customers", None),
    ("person:anna-kowalski", "referral-chain", None),
    ("person:anna-kowalski", "shortest-path", "person:emily-chen"),
]


async def test_every_question_draws_the_seed_answer(service: Service, watched: Watched) -> None:
    page = watched.page
    for root, question, to in QUESTIONS:
        await page.goto(f"{service.url}/explore?root={root}&question={question}&depth=3" + (f"&to={to}" if to else ""))
        await page.wait_for_function("() => ['done', 'error'].includes(document.getElementById('status').dataset.state)")
        assert await page.get_attribute("#status", "data-state") == "done", (question, await page.text_content("#status"))
        graph = await drawn(page)
        assert root in graph["nodes"] and len(graph["nodes"]) >= 2 and graph["edges"] >= 1, (question, graph)
        if question == "indirect-customers":
            await screenshot(watched, "explore-indirect-customers-xyz")
