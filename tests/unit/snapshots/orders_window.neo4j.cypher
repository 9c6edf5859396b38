CYPHER 5
CALL () {
  MATCH (n0:Order)
  WHERE n0.placedAt >= $p2 AND n0.status IN $p0
  WITH n0
  ORDER BY coalesce(n0.placedAt, -1.0e300) DESC, n0.id ASC
  LIMIT $p1
  RETURN collect(n0) AS w0
}
CALL (w0) {
  WITH w0 WHERE size(w0) >= $p1
  RETURN w0 AS p0
  UNION
  WITH w0 WHERE size(w0) < $p1
  MATCH (n0:Order)
  WHERE n0.status IN $p0
  WITH n0
  ORDER BY coalesce(n0.placedAt, -1.0e300) DESC, n0.id ASC
  LIMIT $p1
  RETURN collect(n0) AS p0
}
UNWIND p0 AS n0
WITH n0
ORDER BY coalesce(n0.placedAt, -1.0e300) DESC, n0.id ASC
LIMIT $p1
WITH collect({node: n0 {.id, .placedAt, .status, _labels: labels(n0)}}) AS rows
RETURN rows

// params: [('p0', ['open', 'paid']), ('p1', 21), ('p2', 1767225600000)]
