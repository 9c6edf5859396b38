CALL {
  OPTIONAL MATCH (s:AnalyticsSnapshot {kind: $p0})
  WITH s ORDER BY s.asOf DESC LIMIT 1
  RETURN coalesce(s.tr, []) AS g_rfm_r, coalesce(s.tf, []) AS g_rfm_f, coalesce(s.tm, []) AS g_rfm_m,
         coalesce(s.asOf, -1) AS g_rfm_at, s.computedAt AS g_rfm_done
}
MATCH (n0:Party)
WITH n0, g_rfm_r, g_rfm_f, g_rfm_m, g_rfm_at, g_rfm_done
ORDER BY coalesce(n0.name, '') ASC, n0.id ASC
LIMIT $p1
CALL {
  WITH n0, g_rfm_r, g_rfm_f, g_rfm_m, g_rfm_at, g_rfm_done
  OPTIONAL MATCH (n0)-[:PLACED]->(o:Order)
  WHERE NOT o.status IN $p2
  WITH g_rfm_r, g_rfm_f, g_rfm_m, g_rfm_at, g_rfm_done, max(o.placedAt) AS last, count(o) AS f, sum(o.baseTotal) AS m
  RETURN CASE WHEN f = 0 THEN null ELSE {last: last, f: f, m: m, rs: 1 + size([t IN g_rfm_r WHERE last > t]), fs: 1 + size([t IN g_rfm_f WHERE f > t]), ms: 1 + size([t IN g_rfm_m WHERE m > t]), at: g_rfm_at, done: g_rfm_done} END AS k1
}
CALL {
  WITH n0, g_rfm_r, g_rfm_f, g_rfm_m, g_rfm_at, g_rfm_done
  OPTIONAL MATCH (n0)-[:PLACED]->(o:Order)
  WHERE NOT o.status IN $p3
  OPTIONAL MATCH (o)-[l:CONTAINS]->(p:Product)
  WITH o, sum(CASE WHEN p.cost IS NULL OR coalesce(p.currency, $p4) <> l.currency THEN 0 ELSE l.qty * (l.unitPrice - p.cost) END) AS margin,
       count(CASE WHEN coalesce(p.currency, $p5) = l.currency THEN p.cost END) AS costed
  WITH o.currency AS cur, o.exchangeRate AS rate, count(o) AS orders, sum(o.baseTotal) AS revenue,
       sum(margin) AS margin, sum(costed) AS costed, min(o.placedAt) AS first, max(o.placedAt) AS last
  RETURN {orders: sum(orders), revenue: sum(revenue), first: min(first), last: max(last), margins: collect(CASE WHEN costed > 0 THEN {currency: cur, rate: rate, margin: margin} END)} AS k2
}
WITH n0, k1, k2, g_rfm_r, g_rfm_f, g_rfm_m, g_rfm_at, g_rfm_done
ORDER BY coalesce(n0.name, '') ASC, n0.id ASC
WITH collect({node: n0 {.id, .name, _labels: labels(n0), k1: k1, k2: k2}}) AS rows, g_rfm_r, g_rfm_f, g_rfm_m, g_rfm_at, g_rfm_done
RETURN rows

// params: [('p0', 'rfm'), ('p1', 51), ('p2', ['cancelled', 'returned']), ('p3', ['cancelled', 'returned']), ('p4', 'USD'), ('p5', 'USD')]
