CYPHER 5
CALL () {
  MATCH (n0:Person)
  WHERE n0.nameKey <= $p5 AND n0.city = $p0 AND n0.nameKey >= $p1 AND n0.nameKey <= $p2 AND n0.name STARTS WITH $p3
  WITH n0
  ORDER BY coalesce(n0.name, '') ASC, n0.id ASC
  LIMIT $p4
  RETURN collect(n0) AS w0
}
CALL (w0) {
  WITH w0 WHERE size(w0) >= $p4
  RETURN w0 AS p0
  UNION
  WITH w0 WHERE size(w0) < $p4
  MATCH (n0:Person)
  WHERE n0.city = $p0 AND n0.nameKey >= $p1 AND n0.nameKey <= $p2 AND n0.name STARTS WITH $p3
  WITH n0
  ORDER BY coalesce(n0.name, '') ASC, n0.id ASC
  LIMIT $p4
  RETURN collect(n0) AS p0
}
UNWIND p0 AS n0
WITH n0
ORDER BY coalesce(n0.name, '') ASC, n0.id ASC
LIMIT $p4
WITH collect({node: n0 {.id, .city, .name, _labels: labels(n0)}}) AS rows
RETURN rows

// params: [('p0', 'Boston'), ('p1', 3891505579135552), ('p2', 3892382382308448), ('p3', 'Jo'), ('p4', 51), ('p5', 3892181861869677)]
