CYPHER 5
CALL () {
  MATCH (n0:Order:Entity)
  WHERE n0.id = $p1 AND n0.status IN $p0
  RETURN collect([coalesce(n0.placedAt, -1.0e300), n0.id]) AS u0
}
CALL (u0) {
  CALL (u0) {
    MATCH (n0:Order)
    WHERE n0.placedAt >= $p3 AND n0.status IN $p0 AND size(u0) > 0 AND ((coalesce(n0.placedAt, -1.0e300) < u0[0][0]) OR (coalesce(n0.placedAt, -1.0e300) = u0[0][0] AND n0.id > u0[0][1]))
    WITH n0
    ORDER BY coalesce(n0.placedAt, -1.0e300) DESC, n0.id ASC
    LIMIT $p2
    RETURN collect(n0) AS w0
  }
  CALL (w0, u0) {
    WITH w0, u0 WHERE size(w0) >= $p2
    RETURN w0 AS p0
    UNION
    WITH w0, u0 WHERE size(w0) < $p2
    MATCH (n0:Order)
    WHERE n0.status IN $p0 AND size(u0) > 0 AND ((coalesce(n0.placedAt, -1.0e300) < u0[0][0]) OR (coalesce(n0.placedAt, -1.0e300) = u0[0][0] AND n0.id > u0[0][1]))
    WITH n0
    ORDER BY coalesce(n0.placedAt, -1.0e300) DESC, n0.id ASC
    LIMIT $p2
    RETURN collect(n0) AS p0
  }
  UNWIND p0 AS n0
  WITH n0
  ORDER BY coalesce(n0.placedAt, -1.0e300) DESC, n0.id ASC
  LIMIT $p2
  RETURN collect({node: n0 {.id, .placedAt, .status, _labels: labels(n0)}}) AS rows
}
RETURN rows, size(u0) = 0 AS missing

// params: [('p0', ['open', 'paid']), ('p1', 'order:1'), ('p2', 21), ('p3', 1767225600000)]
