CALL {
  MATCH (c:Party)-[:PLACED]->(o:Order)
  WHERE NOT o.status IN $p1
  WITH c, max(o.placedAt) AS last, count(o) AS f, sum(o.baseTotal) AS m
  WITH collect({l: last, f: f, m: m, mc: m}) AS rows
  CALL {
    WITH rows
    UNWIND rows AS row
    WITH row.l AS v
    ORDER BY v
    RETURN collect(v) AS sl
  }
  CALL {
    WITH rows
    UNWIND rows AS row
    WITH row.f AS v
    ORDER BY v
    RETURN collect(v) AS sf
  }
  CALL {
    WITH rows
    UNWIND rows AS row
    WITH row.mc AS v
    ORDER BY v
    RETURN collect(v) AS sm
  }
  WITH rows, [q IN $p0 | sl[toInteger(floor(q * size(sl)))]] AS tr,
       [q IN $p0 | sf[toInteger(floor(q * size(sf)))]] AS tf,
       [q IN $p0 | sm[toInteger(floor(q * size(sm)))]] AS tm
  RETURN tr AS g_rfm_r, tf AS g_rfm_f, tm AS g_rfm_m, null AS g_rfm_at, null AS g_rfm_done
}
MATCH (n0:Party)
WITH n0, g_rfm_r, g_rfm_f, g_rfm_m, g_rfm_at, g_rfm_done
ORDER BY coalesce(n0.name, '') ASC, n0.id ASC
LIMIT $p2
CALL {
  WITH n0, g_rfm_r, g_rfm_f, g_rfm_m, g_rfm_at, g_rfm_done
  OPTIONAL MATCH (n0)-[:PLACED]->(o:Order)
  WHERE NOT o.status IN $p3
  WITH g_rfm_r, g_rfm_f, g_rfm_m, g_rfm_at, g_rfm_done, max(o.placedAt) AS last, count(o) AS f, sum(o.baseTotal) AS m
  RETURN CASE WHEN f = 0 THEN null ELSE {last: last, f: f, m: m, rs: 1 + size([t IN g_rfm_r WHERE last > t]), fs: 1 + size([t IN g_rfm_f WHERE f > t]), ms: 1 + size([t IN g_rfm_m WHERE m > t]), at: g_rfm_at, done: g_rfm_done} END AS k1
}
CALL {
  WITH n0, g_rfm_r, g_rfm_f, g_rfm_m, g_rfm_at, g_rfm_done
  OPTIONAL MATCH (n0)-[:PLACED]->(o:Order)
  WHERE NOT o.status IN $p4
  OPTIONAL MATCH (o)-[l:CONTAINS]->(p:Product)
  WITH o, sum(CASE WHEN p.cost IS NULL OR coalesce(p.currency, $p5) <> l.currency THEN 0 ELSE l.qty * (l.unitPrice - p.cost) END) AS margin,
       count(CASE WHEN coalesce(p.currency, $p6) = l.currency THEN p.cost END) AS costed
  WITH o.currency AS cur, o.exchangeRate AS rate, count(o) AS orders, sum(o.baseTotal) AS revenue,
       sum(margin) AS margin, sum(costed) AS costed, min(o.placedAt) AS first, max(o.placedAt) AS last
  RETURN {orders: sum(orders), revenue: sum(revenue), first: min(first), last: max(last), margins: collect(CASE WHEN costed > 0 THEN {currency: cur, rate: rate, margin: margin} END)} AS k2
}
WITH n0, k1, k2, g_rfm_r, g_rfm_f, g_rfm_m, g_rfm_at, g_rfm_done
ORDER BY coalesce(n0.name, '') ASC, n0.id ASC
WITH collect({node: n0 {.id, .name, _labels: labels(n0), k1: k1, k2: k2}}) AS rows, g_rfm_r, g_rfm_f, g_rfm_m, g_rfm_at, g_rfm_done
RETURN rows

// params: [('p0', [0.2, 0.4, 0.6, 0.8]), ('p1', ['cancelled', 'returned']), ('p2', 51), ('p3', ['cancelled', 'returned']), ('p4', ['cancelled', 'returned']), ('p5', 'USD'), ('p6', 'USD')]
