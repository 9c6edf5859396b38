MATCH (x0:Entity {id: $p0})
OPTIONAL MATCH (x0)-[:ALIAS_OF]->(a0)
WITH coalesce(a0, x0) AS n0
WHERE n0:Company
CALL {
  WITH n0
  MATCH (n0)<-[:SOLD_BY]-(v1_0:Order)<-[:PLACED]-(n1:Party)
  WITH n1, count(v1_0) AS a1_orderCount, sum(v1_0.baseTotal) AS a1_revenue, max(v1_0.placedAt) AS a1_lastOrderAt
  WHERE a1_orderCount >= $p1
  RETURN count(*) AS t1
}
CALL {
  WITH n0
  MATCH (n0)<-[:SOLD_BY]-(v1_0:Order)<-[:PLACED]-(n1:Party)
  WITH n1, count(v1_0) AS a1_orderCount, sum(v1_0.baseTotal) AS a1_revenue, max(v1_0.placedAt) AS a1_lastOrderAt
  WHERE a1_orderCount >= $p1
  WITH collect({n1: n1, a1_orderCount: a1_orderCount, a1_revenue: a1_revenue, a1_lastOrderAt: a1_lastOrderAt, key: [coalesce(a1_revenue, -1.0e300), toString(n1.id)]}) AS w1
  WITH w1, [x1 IN w1 WHERE x1.n1.id = $p4 | x1.key] AS u1
  CALL {
    WITH w1, u1
    UNWIND w1 AS x1
    WITH x1.n1 AS n1, x1.a1_orderCount AS a1_orderCount, x1.a1_revenue AS a1_revenue, x1.a1_lastOrderAt AS a1_lastOrderAt, x1.key AS k1, u1
    WHERE size(u1) > 0 AND ((k1[0] < u1[0][0]) OR (k1[0] = u1[0][0] AND k1[1] > u1[0][1]))
    WITH n1, a1_orderCount, a1_revenue, a1_lastOrderAt
    ORDER BY coalesce(a1_revenue, -1.0e300) DESC, n1.id ASC
    LIMIT $p2
    CALL {
      WITH n1
      MATCH (n1)-[r2:PLACED]->(n2:Order)
      WITH n2, r2
      ORDER BY coalesce(n2.placedAt, -1.0e300) DESC, n2.id ASC
      LIMIT $p3
      RETURN collect({node: n2 {.id, .currency, .total, _labels: labels(n2)}, edge: {}}) AS c2
    }
    WITH n1, a1_orderCount, a1_revenue, a1_lastOrderAt, c2
    ORDER BY coalesce(a1_revenue, -1.0e300) DESC, n1.id ASC
    RETURN collect({node: n1 {.id, .name, _labels: labels(n1), c2: c2}, edge: {revenue: a1_revenue}}) AS c1
  }
  RETURN c1, size(u1) = 0 AS m1
}
RETURN n0 {.id, .name, _labels: labels(n0), c1: c1, t1: t1, m1: m1} AS node
LIMIT 1

// params: [('p0', 'company:abc-electronics'), ('p1', 1), ('p2', 6), ('p3', 3), ('p4', 'person:john-smith')]
