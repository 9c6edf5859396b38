"""GraphQL documents the suite runs against every backend (and whose Neo4j-dialect
statements it checks with Neo4j's parser). Each is (document, variables)."""

from __future__ import annotations

PARTY_FIELDS = """
fragment PartyFields on Party {
  __typename
  id
  name
  city
  ... on Person { age occupation employers { nodes { name } edges { title isPrimary } } }
  ... on Company { industry }
}
"""

CUSTOMER_360 = PARTY_FIELDS + """
query Customer360($id: ID!, $withFeedback: Boolean!, $skipSegments: Boolean!, $after: String) {
  customer: party(id: $id) {
    ...PartyFields
    orders(first: 10) {
      totalCount
      edges {
        cursor
        node {
          id placedAt channel paymentMethod total { amount currency } status
          seller { id name }
          items(orderBy: [{field: NAME}]) { edges { qty unitPrice { amount currency } node { id name category price { amount currency } } } }
        }
      }
    }
    referralsMade(orderBy: [{field: NAME}]) {
      totalCount
      edges { status at channel node { ...PartyFields orders { totalCount } } }
    }
    referredBy { nodes { id name } }
    recent: interactions(first: 3, after: $after) {
      pageInfo { hasNextPage hasPreviousPage endCursor }
      edges { node { channel direction at summary company { name } } }
    }
    feedback @include(if: $withFeedback) {
      nodes {
        kind rating nps text
        about { __typename ... on Company { name } ... on Order { id total { amount currency } } ... on Product { name } }
      }
    }
    segments @skip(if: $skipSegments) { nodes { name } }
  }
}
"""

PEOPLE_PAGE = """
query People($first: Int!, $after: String, $order: [PersonSort!]) {
  people(first: $first, after: $after, orderBy: $order) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name age } }
  }
}
"""

ORDERS_FILTERED = """
query Orders($filter: OrderFilter, $order: [OrderSort!]) {
  orders(first: 50, filter: $filter, orderBy: $order) {
    totalCount
    nodes { id total { amount currency } channel status placedAt customer { id name } seller { name } }
  }
}
"""

REFERRALS_BY_STATUS = """
query Referrals($id: ID!, $statuses: [String!]) {
  party(id: $id) {
    referralsMade(filter: {edge: {status: {in: $statuses}}}, orderBy: [{field: EDGE_AT, direction: DESC}]) {
      totalCount
      edges { status at node { id name } }
    }
  }
}
"""

COMPANY_VIEW = """
query Company($id: ID!) {
  company(id: $id) {
    id name industry
    customers(orderBy: [{field: EDGE_REVENUE, direction: DESC}]) {
      totalCount
      edges { orderCount revenue { amount currency } lastOrderAt node { __typename id name } }
    }
    suppliers { edges { sharePct leadTimeDays singleSource products contractEnd node { id name } } }
    suppliesTo(filter: {edge: {singleSource: {eq: true}}}) { edges { products node { id name } } }
    products { nodes { id name components { edges { qty node { name makers { nodes { name } } } } } } }
    employees { nodes { name } }
    resellers { edges { channelType region node { name } } }
    sales(first: 5) { totalCount nodes { id total { amount currency } } }
  }
}
"""

NODE_LOOKUP = """
query Node($id: ID!) {
  node(id: $id) {
    __typename
    id
    ... on Product { name sku price { amount currency } usedIn { nodes { name } } makers { nodes { name } } }
    ... on Order { total { amount currency } customer { name } }
    ... on Segment { name members { totalCount nodes { name } } }
  }
}
"""

ROOT_LISTS = """
{
  companies(first: 3, filter: {industry: {eq: "steel"}}) { totalCount nodes { name } }
  products(filter: {OR: [{category: {eq: "car"}}, {price: {gte: 1000}}], NOT: {name: {startsWith: "Horizon"}}}) {
    nodes { name price { amount currency } }
  }
  parties(first: 2, filter: {city: {eq: "Chicago"}}) { totalCount nodes { __typename name } }
  segments { nodes { name members(first: 2) { totalCount } } }
}
"""

CORPUS: list[tuple[str, dict[str, object]]] = [
    (CUSTOMER_360, {"id": "person:john-smith", "withFeedback": True, "skipSegments": False}),
    (CUSTOMER_360, {"id": "company:xyz-manufacturing", "withFeedback": False, "skipSegments": True}),
    (PEOPLE_PAGE, {"first": 3}),
    (PEOPLE_PAGE, {"first": 2, "order": [{"field": "CREATED_AT", "direction": "DESC"}]}),
    (ORDERS_FILTERED, {"filter": {"channel": {"eq": "contract"}}, "order": [{"field": "TOTAL", "direction": "DESC"}]}),
    (ORDERS_FILTERED, {"filter": {"AND": [{"total": {"gt": 500}}, {"placedAt": {"lt": "2026-05-01T00:00:00Z"}}],
                       "NOT": {"status": {"in": ["cancelled", "returned"]}}}}),
    (REFERRALS_BY_STATUS, {"id": "person:john-smith", "statuses": ["converted", "rewarded"]}),
    (COMPANY_VIEW, {"id": "company:xyz-manufacturing"}),
    (COMPANY_VIEW, {"id": "company:abc-electronics"}),
    (NODE_LOOKUP, {"id": "product:probook-x15"}),
    (NODE_LOOKUP, {"id": "segment:key-accounts"}),
    (ROOT_LISTS, {}),
    # NOT over AND/OR, pushed down by the compiler; eq alternatives merged into IN
    (ORDERS_FILTERED, {"filter": {"NOT": {"AND": [{"OR": [{"channel": {"eq": "web"}}, {"channel": {"eq": "store"}}]},
                                                  {"NOT": {"OR": [{"total": {"lt": 10}}, {"status": {"isNull": True}}]}}]}}}),
]

TRAVERSALS = """
query Traversals($company: ID!, $product: ID!, $party: ID!, $descendant: ID!, $after: String) {
  down: supplyChain(companyId: $company, direction: DOWNSTREAM, maxDepth: 4) {
    root { id } truncated
    nodes { tier paths multiplePaths singleSource node { id ... on Company { name } } }
    edges { from to tier products sharePct leadTimeDays singleSource contractEnd }
  }
  up: supplyChain(productId: $product, direction: UPSTREAM) {
    nodes { tier singleSource makers { name } node { id ... on Product { name } } }
    edges { from to qty }
  }
  indirect: indirectCustomers(companyId: $company, first: 5, after: $after, customersPerIntermediary: 3) {
    totalIntermediaries totalCustomers totalRevenue { amount currency }
    pageInfo { hasNextPage endCursor }
    intermediaries { cursor routes revenue { amount currency } orderCount customerCount intermediary { id name }
                     path { id } customers { revenue { amount currency } orderCount party { id name } } }
  }
  impact: disruptionImpact(companyId: $company, from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z") {
    companies { tier alternativeSuppliers hasAlternative company { id } }
    products { tier otherMakers hasAlternative product { id } }
    openOrders { order { id ... on Order { total { amount currency } status } } customer { id } }
    openOrderCount openOrderValue { amount currency } endCustomerCount endCustomers { id } revenueAtRisk { amount currency } truncated
  }
  tree: referralTree(partyId: $party, maxDepth: 3) {
    root { id } truncated
    nodes { generation party { id name } }
    edges { from to status at channel }
    generations { generation invited converted conversionRate revenue { amount currency } }
  }
  chain: referralChain(partyId: $descendant) { truncated referrers { generation party { id } } edges { from to } }
  path: shortestPath(from: $descendant, to: $party, types: [REFERRED, PLACED, SOLD_BY], maxDepth: 4) {
    length nodes { id } relationships { type from to properties }
  }
  segments: segmentSummary { segment customers revenue { amount currency } }
  cohorts: referralStats(from: "2026-01-01T00:00:00Z", to: "2026-10-01T00:00:00Z") {
    month referrers invites converted invitesPerReferrer conversionRate kFactor averageDaysToConvert
  }
  value: party(id: $party) {
    lifetimeValue(expectedLifespanYears: 5) { orderCount historicRevenue { amount currency } historicMargin { amount currency } averageOrderValue { amount currency }
                                              purchaseFrequency expectedLifespanYears predictive { amount currency } firstOrderAt lastOrderAt }
    rfm { recency frequency monetary score segment recencyDays orderCount revenue { amount currency } lastOrderAt }
    referralsMade { nodes { name rfm { score } lifetimeValue { historicRevenue { amount currency } } } }
  }
  ranked: people(first: 5, orderBy: [{field: NAME}]) { nodes { name rfm { segment } } }
}
"""

SEED_TRAVERSAL_VARIABLES = {"company": "company:xyz-manufacturing", "product": "product:apex-sedan-s",
                            "party": "person:john-smith", "descendant": "person:anna-kowalski"}

# A path's statement returns only the lists the selection reads (graph.traversals.paths).
PATH_PARTS = """
query PathParts($from: ID!, $to: ID!) {
  bare: shortestPath(from: $from, to: $to, types: [REFERRED, PLACED, SOLD_BY]) { length }
  hops: shortestPath(from: $from, to: $to, types: [REFERRED, PLACED, SOLD_BY]) { length relationships { type from to } }
  stops: shortestPath(from: $from, to: $to, types: [REFERRED, PLACED, SOLD_BY]) { ... on Path { nodes { id } } length }
  named: shortestPath(from: $from, to: $to, types: [REFERRED, PLACED, SOLD_BY]) { ...Stops __typename }
  same: shortestPath(from: $to, to: $to) { length }
  sameStops: shortestPath(from: $to, to: $to) { length nodes { id } }
  none: shortestPath(from: $from, to: $to, types: [SUPPLIES]) { length }
}
fragment Stops on Path { nodes { id } }
"""

# Traversals whose selection reads nothing of their nodes but ids: their statements return
# ids, not properties (graph.cypher.scope.summary); tests/integration/test_traversal_ids.py
# compares them with the same selection plus names.
TRAVERSAL_IDS = """
query TraversalIds($company: ID!, $product: ID!, $party: ID!, $descendant: ID!) {
  down: supplyChain(companyId: $company, direction: DOWNSTREAM, maxDepth: 4) {
    root { id } truncated nodes { tier paths singleSource node { id } } edges { from to tier products }
  }
  up: supplyChain(productId: $product, direction: UPSTREAM) { nodes { tier node { id } } edges { from to qty } }
  indirect: indirectCustomers(companyId: $company, first: 5, customersPerIntermediary: 3) {
    totalCustomers totalRevenue { amount currency }
    intermediaries { routes revenue { amount currency } intermediary { id } path { id } customers { orderCount party { id } } }
  }
  impact: disruptionImpact(companyId: $company, from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z") {
    companies { tier hasAlternative company { id } } products { tier otherMakers product { id } }
    openOrders { order { id } customer { id } } endCustomers { id } revenueAtRisk { amount currency } truncated
  }
  tree: referralTree(partyId: $party, maxDepth: 3) {
    root { id } truncated nodes { generation party { id } } edges { from to status }
    generations { generation invited converted revenue { amount currency } }
  }
  chain: referralChain(partyId: $descendant) { truncated referrers { generation party { id } } edges { from to } }
}
"""

# Edges read by their ends alone: no edge properties from the store (graph.traversals.bounds.edges_among).
TRAVERSAL_EDGE_ENDS = """
query Ends($company: ID!, $product: ID!, $party: ID!, $descendant: ID!) {
  down: supplyChain(companyId: $company, direction: DOWNSTREAM, maxDepth: 4) { nodes { tier node { id } } edges { from to tier } }
  up: supplyChain(productId: $product, direction: UPSTREAM) { nodes { tier node { id } } edges { from to type } }
  tree: referralTree(partyId: $party, maxDepth: 3) { nodes { party { id } } edges { from to } }
  chain: referralChain(partyId: $descendant) { referrers { party { id } } edges { to ... on ReferralEdge { from } } }
}
"""

TRAVERSAL_NO_EDGES = """
query NoEdges($company: ID!, $product: ID!, $party: ID!, $descendant: ID!) {
  down: supplyChain(companyId: $company, direction: DOWNSTREAM, maxDepth: 4) { truncated nodes { tier node { id } } }
  up: supplyChain(productId: $product, direction: UPSTREAM) { nodes { tier singleSource makers { id } node { id } } }
  tree: referralTree(partyId: $party, maxDepth: 3) { nodes { party { id } } generations { generation invited } }
  chain: referralChain(partyId: $descendant) { truncated referrers { generation party { id } } }
}
"""
"""The traversals with no ``edges`` field: their statements look for no link."""

CORPUS += [
    (TRAVERSAL_IDS, SEED_TRAVERSAL_VARIABLES),
    (TRAVERSAL_EDGE_ENDS, SEED_TRAVERSAL_VARIABLES),
    (TRAVERSAL_NO_EDGES, SEED_TRAVERSAL_VARIABLES),
    (TRAVERSALS, SEED_TRAVERSAL_VARIABLES),
    (TRAVERSALS, {**SEED_TRAVERSAL_VARIABLES, "company": "company:abc-steel"}),
    (PATH_PARTS, {"from": "person:anna-kowalski", "to": "person:john-smith"}),
]

PARTNER_VIEW = """
query PartnerView($company: ID!) {
  me: company(id: $company) {
    id name industry email
    lifetimeValue { orderCount historicRevenue { amount currency } }
    rfm { score segment }
    employees { totalCount nodes { id name email } }
    products { nodes { id name makers { nodes { id } } orders(first: 3) { totalCount nodes { id } } } }
    sales(first: 5) { totalCount nodes { id total { amount currency } customer { id name } items { edges { qty node { id } } } } }
    customers(orderBy: [{field: EDGE_REVENUE, direction: DESC}]) {
      totalCount edges { revenue { amount currency } orderCount node { id name city orders { totalCount nodes { id } } } }
    }
    suppliers { totalCount edges { sharePct singleSource node { id name industry suppliers { nodes { id } } } } }
    suppliesTo { totalCount edges { sharePct node { id name customers { totalCount } sales { totalCount } } } }
    resellers { nodes { id } } parent { id } subsidiaries { nodes { id } }
    interactionsWith { nodes { id channel party { id } } }
    feedbackAbout { nodes { id rating author { id } } }
    referralsMade { totalCount } referredBy { totalCount } segments { totalCount }
  }
  people(first: 20, filter: {email: {isNull: false}}) { totalCount nodes { id name email employers { nodes { id } } } }
  companies(first: 20, orderBy: [{field: INDUSTRY}]) { totalCount nodes { id name industry } }
  orders(first: 20) { totalCount nodes { id total { amount currency } seller { id } customer { id } } }
  products(first: 20) { totalCount nodes { id name } }
  parties(first: 20) { totalCount nodes { __typename id name } }
  node(id: "person:john-smith") { id }
  chain: supplyChain(companyId: $company, direction: UPSTREAM, maxDepth: 2) {
    nodes { tier singleSource node { id ... on Company { name industry } } } edges { from to sharePct }
  }
  down: supplyChain(companyId: $company, direction: DOWNSTREAM, maxDepth: 2) { nodes { node { id } } }
  hit: disruptionImpact(companyId: $company, maxDepth: 2) {
    companies { company { id name industry } } products { product { id } } openOrders { order { id } }
    endCustomers { id } openOrderCount endCustomerCount revenueAtRisk { amount currency }
  }
  indirect: indirectCustomers(companyId: $company, maxDepth: 2) {
    totalCustomers totalRevenue { amount currency } intermediaries { intermediary { id name } path { id } customers { party { id } } revenue { amount currency } }
  }
}
"""

PARTNER_CORPUS = [
    (PARTNER_VIEW, {"company": "company:abc-steel"}),
    (PARTNER_VIEW, {"company": "company:xyz-manufacturing"}),
]
"""Documents a partner's portal would send; run as admin and as partner alike."""
