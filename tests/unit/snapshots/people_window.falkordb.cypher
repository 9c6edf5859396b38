CALL {
  MATCH (n0:Person)
  WHERE n0.nameKey <= $p2 AND n0.city = $p0
  WITH n0
  ORDER BY coalesce(n0.name, '') ASC, n0.id ASC
  LIMIT $p1
  RETURN collect(n0) AS w0
}
CALL {
  WITH w0
  WITH w0 WHERE size(w0) >= $p1
  RETURN w0 AS p0
  UNION
  WITH w0
  WITH w0 WHERE size(w0) < $p1
  MATCH (n0:Person)
  WHERE n0.city = $p0
  WITH n0
  ORDER BY coalesce(n0.name, '') ASC, n0.id ASC
  LIMIT $p1
  RETURN collect(n0) AS p0
}
UNWIND p0 AS n0
WITH n0
ORDER BY coalesce(n0.name, '') ASC, n0.id ASC
LIMIT $p1
WITH collect({node: n0 {.id, .city, .name, _labels: labels(n0)}}) AS rows
RETURN rows

// params: [('p0', 'Boston'), ('p1', 51), ('p2', 3892181861869677)]
