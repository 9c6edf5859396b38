MATCH (x0:Entity {id: $p0})
OPTIONAL MATCH (x0)-[:ALIAS_OF]->(a0)
WITH coalesce(a0, x0) AS n0
WHERE n0:Party
CALL {
  WITH n0
  MATCH (n0)-[r1:PLACED]->(n1:Order)
  RETURN count(*) AS t1
}
CALL {
  WITH n0
  MATCH (n0)-[r1:PLACED]->(n1:Order)
  WITH n1, r1
  ORDER BY coalesce(n1.placedAt, -1.0e300) DESC, n1.id ASC
  LIMIT $p1
  CALL {
    WITH n1
    MATCH (n1)-[r2:CONTAINS]->(n2:Product)
    WITH n2, r2
    ORDER BY coalesce(n2.name, '') ASC, n2.id ASC
    LIMIT $p2
    RETURN collect({node: n2 {.id, .category, .name, _labels: labels(n2)}, edge: {qty: r2.qty, unitPrice: r2.unitPrice, currency: r2.currency}}) AS c2
  }
  CALL {
    WITH n1
    MATCH (n1)-[r3:SOLD_BY]->(n3:Company)
    WITH n3, r3
    ORDER BY coalesce(n3.name, '') ASC, n3.id ASC
    LIMIT $p3
    RETURN collect({node: n3 {.id, .name, _labels: labels(n3)}, edge: {}}) AS c3
  }
  WITH n1, r1, c2, c3
  ORDER BY coalesce(n1.placedAt, -1.0e300) DESC, n1.id ASC
  RETURN collect({node: n1 {.id, .currency, .placedAt, .total, _labels: labels(n1), c2: c2, c3: c3}, edge: {}}) AS c1
}
CALL {
  WITH n0
  MATCH (n0)-[r4:REFERRED]->(n4:Party)
  WHERE r4.status IN $p4
  WITH n4, r4
  ORDER BY coalesce(r4.at, -1.0e300) DESC, n4.id ASC
  LIMIT $p5
  RETURN collect({node: n4 {.id, .name, _labels: labels(n4)}, edge: {at: r4.at, status: r4.status}}) AS c4
}
RETURN n0 {.id, .age, .name, _labels: labels(n0), c1: c1, t1: t1, c4: c4} AS node
LIMIT 1

// params: [('p0', 'person:john-smith'), ('p1', 6), ('p2', 11), ('p3', 1), ('p4', ['converted', 'rewarded']), ('p5', 21)]
