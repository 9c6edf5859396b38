"""The seed stories, answered by the traversal and analytics fields on every backend."""

from __future__ import annotations

import pytest

from decimal import Decimal

from tests.conftest import GraphQLClient
from tests.money import amount, usd
from tests.documents import SEED_TRAVERSAL_VARIABLES, TRAVERSALS


@pytest.fixture
async def answers(client: GraphQLClient) -> dict:
    result = await client.execute(TRAVERSALS, {**SEED_TRAVERSAL_VARIABLES, "company": "company:abc-steel"})
    assert result.errors is None, result.errors
    assert len(client.statements) == len(result.data)  # one statement per root field
    return result.data


async def test_abc_steel_downstream_reaches_xyz_and_the_car_makers(answers: dict) -> None:
    tiers = {n["node"]["id"]: n["tier"] for n in answers["down"]["nodes"]}
    assert tiers == {"company:xyz-manufacturing": 1, "company:apex-motors": 2, "company:horizon-auto": 2}
    edge = next(e for e in answers["down"]["edges"] if e["from"] == "company:abc-steel")
    assert (edge["to"], edge["sharePct"], edge["products"]) == ("company:xyz-manufacturing", 70.0, ["steel sheet"])
    single = {n["node"]["id"] for n in answers["down"]["nodes"] if n["singleSource"]}
    # XYZ is Apex's only source of calipers: both ends of that link are marked.
    assert single == {"company:apex-motors", "company:xyz-manufacturing"}


async def test_bill_of_materials_of_a_car(answers: dict) -> None:
    parts = {n["node"]["id"]: (n["tier"], sorted(m["name"] for m in n["makers"])) for n in answers["up"]["nodes"]}
    assert parts == {
        "product:brake-caliper-bc200": (1, ["XYZ Manufacturing Inc."]),
        "product:steel-sheet-cr12": (2, ["ABC Steel Suppliers", "Great Lakes Metals"]),
        "product:iron-ore-pellets": (3, ["Northern Ore Mining"]),
    }


async def test_parts_maker_indirect_customers_are_the_car_buyers(client: GraphQLClient) -> None:
    data = (await client.data(TRAVERSALS, SEED_TRAVERSAL_VARIABLES))["indirect"]
    buyers = {c["party"]["name"]: g["intermediary"]["name"] for g in data["intermediaries"] for c in g["customers"]}
    assert buyers == {"Maria Garcia": "Lakeside Auto Dealers", "Noah Thompson": "Lakeside Auto Dealers",
                      "James Wilson": "Horizon Auto", "Olivia Davis": "Apex Motors"}
    assert data["totalCustomers"] == 4 and data["totalRevenue"] == usd(31500 + 30900 + 38500 + 32000)
    dealer = next(g for g in data["intermediaries"] if g["intermediary"]["name"] == "Lakeside Auto Dealers")
    assert [p["id"] for p in dealer["path"]] == ["company:xyz-manufacturing", "company:apex-motors",
                                                 "company:lakeside-auto"]
    assert set(dealer["routes"]) == {"RESALE", "COMPONENT"}
    # Apex and Horizon buy from XYZ directly: direct customers are not indirect ones.
    assert not {"Apex Motors", "Horizon Auto"} & set(buyers)


async def test_indirect_customers_page_by_revenue(client: GraphQLClient) -> None:
    seen, after = [], None
    for _ in range(5):
        page = (await client.data(TRAVERSALS, {**SEED_TRAVERSAL_VARIABLES, "company": "company:northern-ore",
                                               "after": after}))["indirect"]
        seen += [(amount(g["revenue"]), g["intermediary"]["id"]) for g in page["intermediaries"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == page["totalIntermediaries"] == 6
    assert [r for r, _ in seen] == sorted((r for r, _ in seen), reverse=True)


async def test_disruption_of_abc_steel(answers: dict) -> None:
    impact = answers["impact"]
    hit = {c["company"]["id"]: c["hasAlternative"] for c in impact["companies"]}
    assert hit == {"company:xyz-manufacturing": True, "company:apex-motors": False, "company:horizon-auto": False}
    products = {p["product"]["id"]: p["hasAlternative"] for p in impact["products"]}
    assert products["product:steel-sheet-cr12"] is True  # Great Lakes Metals makes it too
    assert set(products) >= {"product:brake-caliper-bc200", "product:apex-sedan-s", "product:horizon-crossover"}
    assert {o["order"]["id"] for o in impact["openOrders"]} == {"order:xyz-abc-steel-3", "order:horizon-xyz-1"}
    assert impact["openOrderValue"] == usd(500 * 880 + 20000 * 21.5)
    assert impact["endCustomerCount"] == 7  # XYZ, the car makers, and the four drivers


async def test_john_smiths_referral_tree(answers: dict) -> None:
    tree = answers["tree"]
    names = {n["party"]["name"]: n["generation"] for n in tree["nodes"]}
    assert names == {"Emily Chen": 1, "David Lee": 1, "Michael Brown": 1, "Sarah Johnson": 1, "Priya Patel": 1,
                     "Anna Kowalski": 2}
    gens = {g["generation"]: g for g in tree["generations"]}
    assert (gens[1]["invited"], gens[1]["converted"], gens[1]["conversionRate"]) == (5, 3, 0.6)
    assert gens[1]["revenue"] == usd(2148 + 1849 + 948) and gens[2]["revenue"] == usd(598)
    chain = answers["chain"]
    assert [(r["party"]["id"], r["generation"]) for r in chain["referrers"]] == [
        ("person:david-lee", 1), ("person:john-smith", 2)]
    path = answers["path"]
    assert path["length"] == 2 and [n["id"] for n in path["nodes"]] == [
        "person:anna-kowalski", "person:david-lee", "person:john-smith"]
    assert path["relationships"][0] == {"type": "REFERRED", "from": "person:david-lee", "to": "person:anna-kowalski",
                                        "properties": {"at": "2026-04-15T10:00:00+00:00", "channel": "social",
                                                       "status": "converted", "company": "company:abc-electronics"}}


async def test_lifetime_value_and_rfm_of_john(answers: dict) -> None:
    ltv = answers["value"]["lifetimeValue"]
    assert (ltv["orderCount"], ltv["historicRevenue"]) == (2, usd(2148 + 279))
    assert ltv["historicMargin"] == usd((1899 - 1520) + (249 - 60) + (279 - 180))
    # computed from the exact revenue, not the rounded average: within a cent of the product
    assert abs(amount(ltv["predictive"]) - amount(ltv["averageOrderValue"])
               * Decimal(repr(ltv["purchaseFrequency"])) * 5) <= Decimal("0.01")
    rfm = answers["value"]["rfm"]
    assert rfm["score"] == f"{rfm['recency']}{rfm['frequency']}{rfm['monetary']}"
    assert rfm["frequency"] == 5  # two orders: more than most customers
    without_orders = [n for n in answers["value"]["referralsMade"]["nodes"] if n["name"] == "Sarah Johnson"]
    assert without_orders[0]["rfm"] is None and without_orders[0]["lifetimeValue"]["historicRevenue"] == usd(0)


async def test_segments_and_cohorts_add_up(answers: dict) -> None:
    assert sum(s["customers"] for s in answers["segments"]) == 12  # parties with a counted order
    march = next(c for c in answers["cohorts"] if c["month"].startswith("2026-03"))
    assert (march["referrers"], march["invites"], march["converted"]) == (1, 2, 2)
    assert march["kFactor"] == pytest.approx(march["invitesPerReferrer"] * march["conversionRate"])


@pytest.mark.parametrize(("document", "code", "argument"), [
    ('{ supplyChain(companyId: "a", productId: "b") { truncated } }', "BAD_USER_INPUT", "supplyChain.companyId"),
    ('{ referralTree(partyId: "a", maxDepth: 11) { truncated } }', "BAD_USER_INPUT", "referralTree.maxDepth"),
    ('{ referralTree(partyId: "a", limit: 5000) { truncated } }', "BAD_USER_INPUT", "referralTree.limit"),
    ('{ shortestPath(from: "a", to: "b", maxDepth: 7) { length } }', "BAD_USER_INPUT", "shortestPath.maxDepth"),
    ('{ shortestPath(from: "a", to: "b", types: []) { length } }', "BAD_USER_INPUT", "shortestPath.types"),
    ('{ indirectCustomers(companyId: "bad id!") { totalRevenue { amount currency } } }', "INVALID_ID", "indirectCustomers.id"),
    ('{ indirectCustomers(companyId: "a", after: "nope") { totalRevenue { amount currency } } }', "INVALID_CURSOR", "indirectCustomers.after"),
    ('{ disruptionImpact(companyId: "a", from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z") { revenueAtRisk { amount currency } } }',
     "BAD_USER_INPUT", "disruptionImpact.from"),
    ('{ referralStats(from: "2020-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z") { month } }',
     "BAD_USER_INPUT", "referralStats.from"),
])
async def test_traversal_arguments_are_checked(client: GraphQLClient, document: str, code: str, argument: str) -> None:
    result = await client.execute(document)
    assert result.errors and result.errors[0].extensions == {"code": code, "argument": argument}
    assert client.statements == []


async def test_unknown_roots_are_null(client: GraphQLClient) -> None:
    data = await client.data('{ supplyChain(companyId: "nobody") { truncated } referralTree(partyId: "nobody") '
                             '{ truncated } shortestPath(from: "nobody", to: "person:john-smith") { length } }')
    assert data == {"supplyChain": None, "referralTree": None, "shortestPath": None}


async def test_referral_stats_window_is_as_documented(client: GraphQLClient) -> None:
    """`from` cuts inside its month; every month overlapping [from, to) is listed, empty ones
    with zeros (the referralStats and ReferralCohort descriptions)."""
    data = await client.data('{ referralStats(from: "2026-03-20T00:00:00Z", to: "2026-06-15T00:00:00Z") '
                             "{ month referrers invites converted invitesPerReferrer conversionRate "
                             "averageDaysToConvert } }")
    cohorts = {c["month"][:7]: c for c in data["referralStats"]}
    assert list(cohorts) == ["2026-03", "2026-04", "2026-05", "2026-06"]
    march, april, may, june = cohorts.values()
    assert (march["invites"], march["converted"]) == (1, 1)  # David on the 22nd; Emily on the 18th is before `from`
    assert (april["referrers"], april["invites"], april["converted"]) == (2, 2, 2)
    assert (may["invites"], may["converted"], may["conversionRate"], may["averageDaysToConvert"]) == (2, 0, 0, None)
    assert (june["referrers"], june["invites"], june["invitesPerReferrer"], june["conversionRate"]) == (0, 0, 0, 0)
