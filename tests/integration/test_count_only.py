"""A list asked only for ``totalCount`` is counted without collecting its rows, and the
count is the same as when the rows are listed too."""

from __future__ import annotations

from tests.conftest import GraphQLClient

COUNT_ONLY = """{ party(id: "person:john-smith") { orders { totalCount }
  referralsMade { edges { node { name orders { totalCount } } } } } }"""
LISTED = """{ party(id: "person:john-smith") { orders(first: 100) { totalCount nodes { id } }
  referralsMade { edges { node { name orders(first: 100) { totalCount nodes { id } } } } } } }"""


async def test_count_only_matches_the_listed_rows(client: GraphQLClient) -> None:
    counted = await client.data(COUNT_ONLY)
    statement = client.statements[-1]
    listed = await client.data(LISTED)
    assert "collect(" in statement  # the referrals are listed
    assert statement.count("collect(") == 1, "only the referrals list collects rows"
    party, full = counted["party"], listed["party"]
    assert party["orders"]["totalCount"] == len(full["orders"]["nodes"]) == full["orders"]["totalCount"] > 0
    by_name = {e["node"]["name"]: e["node"]["orders"] for e in full["referralsMade"]["edges"]}
    assert by_name, "the seed has referrals"
    for edge in party["referralsMade"]["edges"]:
        listed_orders = by_name[edge["node"]["name"]]
        assert edge["node"]["orders"] == {"totalCount": len(listed_orders["nodes"])}


async def test_page_info_alone_still_reads_rows(client: GraphQLClient) -> None:
    data = await client.data('{ party(id: "person:john-smith") { orders(first: 1) { pageInfo { hasNextPage } } } }')
    assert data["party"]["orders"]["pageInfo"]["hasNextPage"] is True
