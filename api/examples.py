"""The example tabs GraphiQL opens with: one per question the product answers, on the seed data.

Each tab is a document whose leading comment says what it shows, with its variables filled
in for the seed stories (``seeds/stories.py``). ``tests/schema/test_examples.py`` validates
every document against the schema and runs it on the seeded store, so a schema change that
breaks an example fails a test naming it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Example:
    title: str
    document: str
    variables: dict[str, Any]

    def tab(self) -> dict[str, str]:
        """The shape GraphiQL's ``defaultTabs`` takes."""
        return {"query": self.document, "variables": json.dumps(self.variables, indent=2)}


EXAMPLES: tuple[Example, ...] = (
    Example("Customer 360", '''# Customer 360: one request for everything about a customer.
# John Smith's orders with their items and sellers, his touchpoints on every channel
# (newest first, paged), his reviews, his RFM segment and lifetime value, who referred
# him and whom he referred. Run it with the play button (or Ctrl-Enter).
query Customer360($id: ID!) {
  party(id: $id) {
    name
    ... on Person { age occupation city }
    lifetimeValue { orderCount historicRevenue { amount currency } averageOrderValue { amount currency } predictive { amount currency } }
    rfm { score segment }
    orders(first: 5) {
      totalCount
      nodes { id placedAt channel total { amount currency } seller { name }
              items { edges { qty unitPrice { amount currency } node { name category } } } }
    }
    interactions(first: 3) { nodes { channel at summary } pageInfo { hasNextPage endCursor } }
    feedback { nodes { kind rating nps text } }
    referredBy { edges { status node { name } } }
    referralsMade { edges { status channel node { name } } }
  }
}
''', {"id": "person:john-smith"}),
    Example("Supply chain", '''# Supply chain, tier by tier: who supplies XYZ Manufacturing, and who supplies them.
# Change direction to DOWNSTREAM for its customers (the car makers). Edges carry the
# share of the customer's need, the lead time and the single-source flag; a node is
# singleSource when such a link in the chain starts or ends at it. Use productId
# instead of companyId for a bill of materials.
query SupplyChain($company: ID!, $direction: ChainDirection!, $depth: Int!) {
  supplyChain(companyId: $company, direction: $direction, maxDepth: $depth) {
    nodes { tier paths singleSource node { id ... on Company { name } } }
    edges { from to type tier products sharePct leadTimeDays singleSource contractEnd }
    truncated
  }
}
''', {"company": "company:xyz-manufacturing", "direction": "UPSTREAM", "depth": 3}),
    Example("Indirect customers", '''# Indirect customers: the end customers a parts maker reaches through others.
# XYZ Manufacturing sells brake callipers and hinges to car makers; the drivers who buy
# Apex and Horizon cars are its indirect customers, grouped by the company they bought
# from, with the route from XYZ to it and the revenue through it.
query IndirectCustomers($company: ID!) {
  indirectCustomers(companyId: $company, maxDepth: 3, first: 10) {
    totalIntermediaries totalCustomers totalRevenue { amount currency }
    intermediaries {
      intermediary { name }
      routes
      path { id }
      revenue { amount currency } orderCount customerCount
      customers { revenue { amount currency } orderCount party { name } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
''', {"company": "company:xyz-manufacturing"}),
    Example("Disruption impact", '''# Disruption impact: if ABC Steel Suppliers failed, who is hit downstream?
# XYZ keeps an alternative (Great Lakes Metals) while the car makers do not; the
# products containing its steel, the open orders and end customers hit, and the revenue
# at risk over the last 365 days (set from/to for another window).
query Disruption($company: ID!) {
  disruptionImpact(companyId: $company, maxDepth: 3) {
    company { name }
    companies { tier alternativeSuppliers hasAlternative company { name } }
    products { tier otherMakers hasAlternative product { id ... on Product { name } } }
    openOrderCount openOrderValue { amount currency }
    openOrders { order { id } customer { name } }
    endCustomerCount
    endCustomers { name }
    revenueAtRisk { amount currency }
    from to truncated
  }
}
''', {"company": "company:abc-steel"}),
    Example("Referral tree", '''# Referral tree: everyone John Smith recommended ABC Electronics to, and whom they
# recommended it to, with per-generation stats: invited, converted, conversion rate and
# the revenue of the referred customers.
query ReferralTree($party: ID!, $depth: Int!) {
  referralTree(partyId: $party, maxDepth: $depth) {
    generations { generation invited converted conversionRate revenue { amount currency } }
    nodes { generation party { id name } }
    edges { from to status channel at }
    truncated
  }
}
''', {"party": "person:john-smith", "depth": 3}),
    Example("Referral chain", '''# Referral chain: who referred Anna Kowalski, and who referred them, up to the root.
query ReferralChain($party: ID!) {
  referralChain(partyId: $party) {
    party { name }
    referrers { generation party { id name } }
    edges { from to status channel at }
  }
}
''', {"party": "person:anna-kowalski"}),
    Example("Shortest path", '''# Shortest path between two parties over referrals, employment, supply and resale
# links (any direction, at most 4 hops by default), with every relationship on it.
query ShortestPath($from: ID!, $to: ID!) {
  shortestPath(from: $from, to: $to) {
    length
    nodes { id ... on Party { name } }
    relationships { type from to properties }
  }
}
''', {"from": "person:anna-kowalski", "to": "person:emily-chen"}),
    Example("RFM segments", '''# RFM: customers and revenue per segment over the whole base (from the newest
# analytics snapshot; fresh: true recomputes), and one customer's recency, frequency and
# monetary scores (1-5 quintiles) with the segment they give.
query Segments($party: ID!) {
  segmentSummary { segment customers revenue { amount currency } snapshot { asOf stalenessSeconds fresh } }
  party(id: $party) {
    name
    rfm { recency frequency monetary score segment recencyDays orderCount revenue { amount currency } }
  }
}
''', {"party": "person:john-smith"}),
    Example("K-factor", '''# Referral K-factor per cohort month: invitations per referrer times conversion rate
# (above 1, each customer brings in more than one), and the mean days from invitation
# to the referred customer's first order. The window defaults to the last 12 months.
query KFactor {
  referralStats {
    month referrers invites converted invitesPerReferrer conversionRate kFactor
    averageDaysToConvert
  }
}
''', {}),
    Example("Mutation: record a referral", '''# A write: add a person (an idempotent upsert by id) and record that John Smith
# referred her. The two run in order, each atomically. Run it twice: the upsert just
# updates her, while the referral is refused with extensions.code ALREADY_REFERRED (a
# party is referred once); a self-referral, a cycle or an unknown id is refused the same
# way, writing nothing. Open the "Referral tree" tab afterwards to see her in the tree.
mutation Refer($person: PersonInput!, $referral: ReferralInput!) {
  upsertPerson(input: $person) { id name city }
  recordReferral(input: $referral) { from to status channel at }
}
''', {"person": {"id": "person:grace-hopper-demo", "name": "Grace Hopper", "city": "Arlington"},
      "referral": {"referrerId": "person:john-smith", "referredId": "person:grace-hopper-demo",
                   "channel": "email", "status": "invited", "at": "2026-06-01T09:00:00Z"}}),
)


def default_tabs() -> list[dict[str, str]]:
    return [example.tab() for example in EXAMPLES]
