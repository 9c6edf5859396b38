"""GraphiQL's example tabs (api/examples.py) run on the seed data and show what they say."""

from __future__ import annotations

import pytest
import strawberry
from graphql import OperationType, parse, validate

from api.examples import EXAMPLES, Example
from graph.store import Store
from seeds.loader import load
from seeds.stories import build
from tests.conftest import GraphQLClient

QUESTIONS = ("customer 360", "supply chain", "indirect customers", "disruption", "referral tree",
             "shortest path", "rfm", "k-factor", "mutation")


def _operation(example: Example) -> OperationType:
    return parse(example.document).definitions[0].operation  # type: ignore[attr-defined]


def test_a_tab_per_question_each_with_a_comment() -> None:
    titles = " | ".join(e.title.lower() for e in EXAMPLES)
    assert all(q in titles for q in QUESTIONS), titles
    for example in EXAMPLES:
        assert example.document.startswith("# "), example.title  # says what it shows
        assert len(parse(example.document).definitions) == 1, example.title


def test_every_example_is_valid(schema: strawberry.Schema) -> None:
    for example in EXAMPLES:
        assert validate(schema._schema, parse(example.document)) == [], example.title


@pytest.mark.parametrize("example", [e for e in EXAMPLES if _operation(e) is OperationType.QUERY],
                         ids=lambda e: e.title)
async def test_read_examples_answer_on_the_seed_data(client: GraphQLClient, example: Example) -> None:
    data = await client.data(example.document, example.variables)
    assert data and all(value not in (None, []) for value in data.values()), (example.title, data)


async def test_disruption_and_referral_examples_show_the_seed_stories(client: GraphQLClient) -> None:
    by_title = {e.title: e for e in EXAMPLES}
    disruption = by_title["Disruption impact"]
    hit = (await client.data(disruption.document, disruption.variables))["disruptionImpact"]["companies"]
    assert {c["company"]["name"]: c["hasAlternative"] for c in hit} == {
        "XYZ Manufacturing Inc.": True, "Apex Motors": False, "Horizon Auto": False}  # as the comment says
    tree = by_title["Referral tree"]
    generations = (await client.data(tree.document, tree.variables))["referralTree"]["generations"]
    assert [g["generation"] for g in generations] == [1, 2] and generations[0]["invited"] == 5


async def test_the_mutation_example_writes_and_a_second_run_is_refused(schema: strawberry.Schema,
                                                                     empty_store: Store) -> None:
    await load(empty_store, build())
    writer = GraphQLClient(schema, empty_store)
    example = next(e for e in EXAMPLES if _operation(e) is OperationType.MUTATION)
    first = await writer.data(example.document, example.variables)
    assert first["recordReferral"]["to"] == example.variables["person"]["id"]
    again = await writer.execute(example.document, example.variables)
    assert again.data is None or again.data.get("recordReferral") is None
    assert again.errors and again.errors[0].extensions["code"] == "ALREADY_REFERRED"  # as its comment says
    tree = next(e for e in EXAMPLES if e.title == "Referral tree")
    nodes = (await writer.data(tree.document, tree.variables))["referralTree"]["nodes"]
    assert example.variables["person"]["id"] in {n["party"]["id"] for n in nodes}
