"""Issue 8, input rows: what an attacker sent, against the real app in prod mode on the
embedded store. Each ends in a typed refusal (or a right answer), quickly, never a 500."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.credentials import LOCAL, bearer, mint_key

from api.app import create_app
from api.settings import load_settings
from graph.input_limits import (
    MAX_BODY_BYTES,
    MAX_FILTER_DEPTH,
    MAX_FILTER_TERMS,
    MAX_IN_VALUES,
    MAX_VARIABLES_DEPTH,
    MAX_VARIABLES_LIST,
)

PEOPLE = "query($f: PersonFilter) { people(first: 100, filter: $f) { nodes { id } } }"
CREATE = "mutation($i: PersonInput!) { createPerson(input: $i) { id } }"
NAMES = ["x", "y", "nI", "zed"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("bounds")
    with TestClient(create_app(load_settings(mode="prod", data_dir=Path(data))), base_url=LOCAL) as client:
        client.headers.update(bearer(mint_key(client)))  # prod: every request carries a key
        for i, name in enumerate(NAMES):
            assert "errors" not in post(client, CREATE, {"i": {"id": f"person:b{i}", "name": name}})
        assert "errors" not in post(client, CREATE, {"i": {"id": "person:nameless", "name": "n", "city": "Oslo"}})
        yield client


def post(client: TestClient, query: str, variables: dict[str, Any] | None = None, status: int = 200) -> Any:
    response = client.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == status, response.text
    return response.json()


def error(body: Any) -> dict[str, Any]:
    assert body.get("errors"), body
    first = body["errors"][0]
    assert first["message"] != "Unexpected error.", body
    return first


def people(client: TestClient, filter_: Any) -> list[str]:
    body = post(client, PEOPLE, {"f": filter_})
    assert "errors" not in body, body
    return sorted(n["id"] for n in body["data"]["people"]["nodes"])


def wrapped(levels: int, leaf: dict[str, Any]) -> dict[str, Any]:
    for _ in range(levels):
        leaf = {"NOT": {"AND": [leaf]}}
    return leaf


def test_not_and_nesting_answers_quickly_or_is_refused_by_depth(client: TestClient) -> None:
    leaf = {"name": {"eq": "x"}}
    started = time.monotonic()
    assert people(client, wrapped(4, leaf)) == ["person:b0"]  # 8 levels: four double negations
    assert people(client, wrapped(3, leaf)) == sorted(f"person:b{i}" for i in range(1, 4)) + ["person:nameless"]
    assert time.monotonic() - started < 5  # 89 s at 8 levels before
    refused = error(post(client, PEOPLE, {"f": wrapped(9, leaf)}))  # the 208-byte attack: 18 levels
    assert refused["extensions"]["code"] == "INPUT_TOO_LARGE"
    assert str(MAX_FILTER_DEPTH) in refused["message"] and "people.filter" in refused["message"]
    literal = "{ people(filter: " + json.dumps(wrapped(9, leaf)).replace('"', "").replace("x}", '"x"}') + ") { nodes { id } } }"
    refused = error(post(client, literal))  # a literal is counted alike
    assert refused["extensions"]["code"] == "INPUT_TOO_LARGE"


def test_long_or_chains_are_bounded_and_eq_alternatives_are_one_in(client: TestClient) -> None:
    huge = {"OR": [{"name": {"eq": "nI"}}] * 40_000}  # 1 MB of variables: crashed FalkorDB
    refused = error(post(client, PEOPLE, {"f": huge}, status=400))
    assert refused["extensions"] == {"code": "INPUT_TOO_LARGE", "argument": "variables.f.OR",
                                     "limit": MAX_VARIABLES_LIST}
    many = {"OR": [{"name": {"eq": f"v{i}"}} for i in range(MAX_FILTER_TERMS)] + [{"name": {"eq": "nI"}}]}
    refused = error(post(client, PEOPLE, {"f": many}))
    assert refused["extensions"]["code"] == "INPUT_TOO_LARGE" and "people.filter.OR" in refused["message"]
    fine = {"OR": [{"name": {"eq": f"v{i}"}} for i in range(150)] + [{"name": {"eq": "nI"}}, {"name": {"eq": "y"}}]}
    assert people(client, fine) == ["person:b1", "person:b2"]


def test_in_lists_are_bounded(client: TestClient) -> None:
    ids = [f"person:p{i}" for i in range(MAX_IN_VALUES + 1)]
    refused = error(post(client, PEOPLE, {"f": {"id": {"in": ids}}}, status=400))
    assert refused["extensions"]["code"] == "INPUT_TOO_LARGE"
    literal = "{ people(filter: {id: {in: [" + ", ".join(f'"{i}"' for i in ids) + "]}}) { nodes { id } } }"
    refused = error(post(client, literal))  # within the token limit, over the `in` bound
    assert refused["extensions"]["code"] == "INPUT_TOO_LARGE" and "people.filter.id.in" in refused["message"]
    assert people(client, {"id": {"in": ids[:-2] + ["person:b3"]}}) == ["person:b3"]
    assert people(client, {"id": {"notIn": ids[:-2] + ["person:b3"]}}) == [
        "person:b0", "person:b1", "person:b2", "person:nameless"]


def test_the_body_is_bounded_even_without_a_declared_length(client: TestClient) -> None:
    padding = "x" * (MAX_BODY_BYTES + 1)
    response = client.post("/graphql", json={"query": "{ __typename }", "variables": {"unused": padding}})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {"code": "REQUEST_TOO_LARGE", "argument": "body",
                                                          "limit": MAX_BODY_BYTES}

    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ __typename }", "variables": {"unused": "'
        for _ in range(MAX_BODY_BYTES // 65_536 + 2):
            yield b"x" * 65_536
        yield b'"}}'

    response = client.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    response = client.post("/graphql", json={"query": "{ __typename }" + " " * 60_000})
    assert response.status_code == 400 and response.json()["errors"][0]["extensions"]["argument"] == "query"


def test_deep_variables_are_a_typed_error_not_a_500(client: TestClient) -> None:
    for depth in (MAX_VARIABLES_DEPTH + 1, 2_000):
        deep = '{"NOT": ' * depth + '{"name": {"eq": "x"}}' + "}" * depth  # json.dumps itself cannot
        response = client.post("/graphql", content=f'{{"query": {json.dumps(PEOPLE)}, "variables": {{"f": {deep}}}}}',
                               headers={"content-type": "application/json"})
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "INPUT_TOO_LARGE"
        assert response.json()["errors"][0]["extensions"]["limit"] == MAX_VARIABLES_DEPTH
    response = client.post("/graphql", content=b'{"query": "{ __typename }", "variables": {"x": [1, }',
                           headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("body", [b"null", b'"text"', b"12", b"true"])
def test_a_body_that_is_no_json_object_is_a_400_not_a_500(client: TestClient, body: bytes) -> None:
    response = client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert "must be a JSON object" in response.text


@pytest.mark.parametrize("bad", ["a\x00b", "a\x01b", "\x7f", "a\ud800b", "\udc00"])
def test_control_characters_and_lone_surrogates_are_refused_naming_the_field(client: TestClient, bad: str) -> None:
    body = json.dumps({"query": PEOPLE, "variables": {"f": {"OR": [{"city": {"eq": "Oslo"}},
                                                                   {"name": {"startsWith": bad}}]}}})
    response = client.post("/graphql", content=body, headers={"content-type": "application/json"})
    refused = error(response.json())
    assert refused["extensions"] == {"code": "BAD_USER_INPUT", "argument": "people.filter.OR[1].name.startsWith"}
    body = json.dumps({"query": CREATE, "variables": {"i": {"id": "person:bad", "name": "ok", "city": bad}}})
    refused = error(client.post("/graphql", content=body, headers={"content-type": "application/json"}).json())
    assert refused["extensions"]["code"] == "INVALID_CHARACTER" and refused["extensions"]["field"] == "city"
    assert people(client, {"id": {"eq": "person:bad"}}) == []


def test_tabs_and_newlines_are_text(client: TestClient) -> None:
    name = "two\tcolumns\r\nand a line"
    assert "errors" not in post(client, CREATE, {"i": {"id": "person:tabbed", "name": name}})
    assert people(client, {"name": {"eq": name}}) == ["person:tabbed"]


def test_in_values_are_counted_across_the_whole_filter(client: TestClient) -> None:
    half = [f"person:p{i}" for i in range(MAX_IN_VALUES // 2 + 1)]
    refused = error(post(client, PEOPLE, {"f": {"OR": [{"id": {"in": half}}, {"id": {"notIn": half}}]}}))
    assert refused["extensions"] == {"code": "INPUT_TOO_LARGE", "argument": "people.filter.OR[1].id.notIn"}


def test_get_requests_are_held_to_the_same_bounds(tmp_path: Path) -> None:
    with TestClient(create_app(load_settings(mode="dev", data_dir=tmp_path)), base_url=LOCAL) as dev:
        deep = '{"NOT": ' * 40 + "{}" + "}" * 40
        response = dev.get("/graphql", params={"query": PEOPLE, "variables": '{"f": ' + deep + "}"})
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "INPUT_TOO_LARGE"
        response = dev.get("/graphql", params={"query": "{ __typename }"})
        assert response.status_code == 200 and response.json()["data"] == {"__typename": "Query"}
