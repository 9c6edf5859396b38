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
          id placedAt channel paymentMethod total status
          seller { id name }
          items(orderBy: [{field: NAME}]) { edges { qty unitPrice node { id name category price } } }
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
        about { __typename ... on Company { name } ... on Order { id total } ... on Product { name } }
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
    nodes { id total channel status placedAt customer { id name } seller { name } }
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
      edges { orderCount revenue lastOrderAt node { __typename id name } }
    }
    suppliers { edges { sharePct leadTimeDays singleSource products contractEnd node { id name } } }
    suppliesTo(filter: {edge: {singleSource: {eq: true}}}) { edges { products node { id name } } }
    products { nodes { id name components { edges { qty node { name makers { nodes { name } } } } } } }
    employees { nodes { name } }
    resellers { edges { channelType region node { name } } }
    sales(first: 5) { totalCount nodes { id total } }
  }
}
"""

NODE_LOOKUP = """
query Node($id: ID!) {
  node(id: $id) {
    __typename
    id
    ... on Product { name sku price usedIn { nodes { name } } makers { nodes { name } } }
    ... on Order { total customer { name } }
    ... on Segment { name members { totalCount nodes { name } } }
  }
}
"""

ROOT_LISTS = """
{
  companies(first: 3, filter: {industry: {eq: "steel"}}) { totalCount nodes { name } }
  products(filter: {OR: [{category: {eq: "car"}}, {price: {gte: 1000}}], NOT: {name: {startsWith: "Horizon"}}}) {
    nodes { name price }
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
]
