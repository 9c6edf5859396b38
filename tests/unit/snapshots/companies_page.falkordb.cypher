CALL {
  MATCH (n0:Company:Entity)
  WHERE n0.id = $p4 AND (n0.name STARTS WITH $p0 OR n0.employeeCount >= $p1) AND NOT n0.industry IN $p2 AND toString(n0.name) < $p3
  RETURN collect([coalesce(n0.name, ''), toString(n0.id)]) AS u0
}
CALL {
  WITH u0
  MATCH (n0:Company)
  WHERE (n0.name STARTS WITH $p0 OR n0.employeeCount >= $p1) AND NOT n0.industry IN $p2 AND toString(n0.name) < $p3 AND size(u0) > 0 AND ((coalesce(n0.name, '') > u0[0][0]) OR (coalesce(n0.name, '') = u0[0][0] AND toString(n0.id) > u0[0][1]))
  WITH n0
  ORDER BY coalesce(n0.name, '') ASC, n0.id ASC
  LIMIT $p5
  CALL {
    WITH n0
    MATCH (n0)<-[:SOLD_BY]-(v1_0:Order)<-[:PLACED]-(n1:Party)
    WITH n1, count(v1_0) AS a1_orderCount, sum(v1_0.baseTotal) AS a1_revenue, max(v1_0.placedAt) AS a1_lastOrderAt
    RETURN count(*) AS t1
  }
  CALL {
    WITH n0
    MATCH (n0)<-[:SOLD_BY]-(v1_0:Order)<-[:PLACED]-(n1:Party)
    WITH n1, count(v1_0) AS a1_orderCount, sum(v1_0.baseTotal) AS a1_revenue, max(v1_0.placedAt) AS a1_lastOrderAt
    WITH n1, a1_orderCount, a1_revenue, a1_lastOrderAt
    ORDER BY coalesce(a1_revenue, -1.0e300) DESC, n1.id ASC
    LIMIT $p6
    RETURN collect({node: n1 {.id, .name, _labels: labels(n1)}, edge: {orderCount: a1_orderCount, revenue: a1_revenue}}) AS c1
  }
  WITH n0, c1, t1
  ORDER BY coalesce(n0.name, '') ASC, n0.id ASC
  RETURN collect({node: n0 {.id, .industry, .name, _labels: labels(n0), c1: c1, t1: t1}}) AS rows
}
CALL {
  MATCH (n0:Company)
  WHERE (n0.name STARTS WITH $p0 OR n0.employeeCount >= $p1) AND NOT n0.industry IN $p2 AND toString(n0.name) < $p3
  RETURN count(n0) AS total
}
RETURN rows, size(u0) = 0 AS missing, total

// params: [('p0', 'A'), ('p1', 1000), ('p2', ['mining']), ('p3', 'X'), ('p4', 'company:abc'), ('p5', 3), ('p6', 4)]
