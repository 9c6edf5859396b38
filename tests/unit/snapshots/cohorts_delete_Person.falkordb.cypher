CALL {
  UNWIND $cohortParties AS cid
  MATCH (cx:Entity {id: cid})
  OPTIONAL MATCH (cx)-[:ALIAS_OF]->(ct)
  WITH coalesce(ct, cx) AS cp
  WHERE cp:Party
  RETURN collect(DISTINCT cp) AS cohortP1
}
CALL {
  UNWIND $cohortOrdersOf AS cid
  MATCH (:Entity {id: cid})-[:PLACED|SOLD_BY|CONTAINS]-(:Order)<-[:PLACED]-(cp:Party)
  RETURN collect(DISTINCT cp) AS cohortP3
}
WITH cohortP1 + cohortP3 AS cohortP
CALL {
  WITH cohortP
  UNWIND cohortP AS cp
  MATCH (cq:Party)-[:REFERRED]->(cp)
  RETURN collect(DISTINCT cq) AS cohortR
}
WITH cohortP, cohortP + cohortR AS cohortQ
CALL {
  WITH cohortP, cohortQ
  UNWIND cohortP AS cp
  MATCH (cp)-[r:REFERRED]-(:Party)
  WITH DISTINCT r
  WITH r, endNode(r) AS cb
  WITH r, cb
  WHERE r.at IS NOT NULL
  OPTIONAL MATCH (cb)-[:PLACED]->(cbo:Order)
  WHERE cbo.placedAt >= r.at AND NOT cbo.status IN $cohortUncounted
  WITH r, min(cbo.placedAt) AS first
  WITH r, first, floor(toFloat(r.at) / 86400000.0) AS mDays
  WITH r, first, mDays, mDays + 719468 AS mZ
  WITH r, first, mDays, mZ, floor(mZ / 146097.0) AS mEra
  WITH r, first, mDays, mZ, mEra, mZ - mEra * 146097 AS mDoe
  WITH r, first, mDays, mZ, mEra, mDoe, floor((mDoe - floor(mDoe / 1460.0) + floor(mDoe / 36524.0) - floor(mDoe / 146096.0)) / 365.0) AS mYoe
  WITH r, first, mDays, mZ, mEra, mDoe, mYoe, mDoe - (365 * mYoe + floor(mYoe / 4.0) - floor(mYoe / 100.0)) AS mDoy
  WITH toInteger((mDays - mDoy + floor((153 * floor((5 * mDoy + 2) / 153.0) + 2) / 5.0)) * 86400000) AS m, r.status IN $cohortConverted AS conv,
       CASE WHEN r.status IN $cohortConverted AND first IS NOT NULL THEN first - r.at END AS ms
  WITH m, count(*) AS inv, sum(CASE WHEN conv THEN 1 ELSE 0 END) AS conv, sum(ms) AS ms, count(ms) AS n
  RETURN collect({m: m, inv: inv, conv: conv, refs: 0, ms: ms, n: n}) AS cohortRel
}
CALL {
  WITH cohortP, cohortQ
  UNWIND cohortQ AS cq
  MATCH (cq)-[r:REFERRED]->(:Party)
  WITH cq, r
  WHERE r.at IS NOT NULL
  WITH cq, floor(toFloat(r.at) / 86400000.0) AS mDays
  WITH cq, mDays, mDays + 719468 AS mZ
  WITH cq, mDays, mZ, floor(mZ / 146097.0) AS mEra
  WITH cq, mDays, mZ, mEra, mZ - mEra * 146097 AS mDoe
  WITH cq, mDays, mZ, mEra, mDoe, floor((mDoe - floor(mDoe / 1460.0) + floor(mDoe / 36524.0) - floor(mDoe / 146096.0)) / 365.0) AS mYoe
  WITH cq, mDays, mZ, mEra, mDoe, mYoe, mDoe - (365 * mYoe + floor(mYoe / 4.0) - floor(mYoe / 100.0)) AS mDoy
  WITH DISTINCT cq, toInteger((mDays - mDoy + floor((153 * floor((5 * mDoy + 2) / 153.0) + 2) / 5.0)) * 86400000) AS m
  WITH m, count(*) AS refs
  RETURN collect({m: m, inv: 0, conv: 0, refs: refs, ms: 0, n: 0}) AS cohortRef
}
WITH cohortP, cohortQ, cohortRel + cohortRef AS cohortD
CREATE (w:CohortWork {token: $cohortToken, p: [x IN cohortP | x.id], q: [x IN cohortQ | x.id], m: [d IN cohortD | d.m], inv: [d IN cohortD | d.inv], conv: [d IN cohortD | d.conv], refs: [d IN cohortD | d.refs], ms: [d IN cohortD | d.ms], n: [d IN cohortD | d.n]})
WITH count(w) AS cohortOpened
MATCH (n:Entity {id: $id})
WHERE n:Person
OPTIONAL MATCH (n)-[:PLACED|SOLD_BY|CONTAINS]-(o:Order)
WITH n, collect(DISTINCT o) AS orders
CALL {
  WITH n, orders
  WITH n, orders
  WHERE size(orders) = 0 OR $withOrders
  FOREACH (o IN orders | DETACH DELETE o)
  DETACH DELETE n
  RETURN count(*) AS deleted
}
WITH size(orders) AS orders, deleted
WITH collect({orders: orders, deleted: deleted}) AS cohortRows
CALL {
  WITH cohortRows
  MATCH (w:CohortWork {token: $cohortToken})
  CALL {
    WITH w
    UNWIND w.p AS cid
    MATCH (cp:Entity {id: cid})
    WHERE cp:Party
    RETURN collect(DISTINCT cp) AS cohortP
  }
  CALL {
    WITH w
    UNWIND w.q AS cid
    MATCH (cq:Entity {id: cid})
    WHERE cq:Party
    RETURN collect(DISTINCT cq) AS cohortQ
  }
  CALL {
    WITH w, cohortP, cohortQ
    UNWIND cohortP AS cp
    MATCH (cp)-[r:REFERRED]-(:Party)
    WITH DISTINCT r
    WITH r, endNode(r) AS cb
    WITH r, cb
    WHERE r.at IS NOT NULL
    OPTIONAL MATCH (cb)-[:PLACED]->(cbo:Order)
    WHERE cbo.placedAt >= r.at AND NOT cbo.status IN $cohortUncounted
    WITH r, min(cbo.placedAt) AS first
    WITH r, first, floor(toFloat(r.at) / 86400000.0) AS mDays
    WITH r, first, mDays, mDays + 719468 AS mZ
    WITH r, first, mDays, mZ, floor(mZ / 146097.0) AS mEra
    WITH r, first, mDays, mZ, mEra, mZ - mEra * 146097 AS mDoe
    WITH r, first, mDays, mZ, mEra, mDoe, floor((mDoe - floor(mDoe / 1460.0) + floor(mDoe / 36524.0) - floor(mDoe / 146096.0)) / 365.0) AS mYoe
    WITH r, first, mDays, mZ, mEra, mDoe, mYoe, mDoe - (365 * mYoe + floor(mYoe / 4.0) - floor(mYoe / 100.0)) AS mDoy
    WITH toInteger((mDays - mDoy + floor((153 * floor((5 * mDoy + 2) / 153.0) + 2) / 5.0)) * 86400000) AS m, r.status IN $cohortConverted AS conv,
         CASE WHEN r.status IN $cohortConverted AND first IS NOT NULL THEN first - r.at END AS ms
    WITH m, count(*) AS inv, sum(CASE WHEN conv THEN 1 ELSE 0 END) AS conv, sum(ms) AS ms, count(ms) AS n
    RETURN collect({m: m, inv: inv, conv: conv, refs: 0, ms: ms, n: n}) AS cohortRel
  }
  CALL {
    WITH w, cohortP, cohortQ
    UNWIND cohortQ AS cq
    MATCH (cq)-[r:REFERRED]->(:Party)
    WITH cq, r
    WHERE r.at IS NOT NULL
    WITH cq, floor(toFloat(r.at) / 86400000.0) AS mDays
    WITH cq, mDays, mDays + 719468 AS mZ
    WITH cq, mDays, mZ, floor(mZ / 146097.0) AS mEra
    WITH cq, mDays, mZ, mEra, mZ - mEra * 146097 AS mDoe
    WITH cq, mDays, mZ, mEra, mDoe, floor((mDoe - floor(mDoe / 1460.0) + floor(mDoe / 36524.0) - floor(mDoe / 146096.0)) / 365.0) AS mYoe
    WITH cq, mDays, mZ, mEra, mDoe, mYoe, mDoe - (365 * mYoe + floor(mYoe / 4.0) - floor(mYoe / 100.0)) AS mDoy
    WITH DISTINCT cq, toInteger((mDays - mDoy + floor((153 * floor((5 * mDoy + 2) / 153.0) + 2) / 5.0)) * 86400000) AS m
    WITH m, count(*) AS refs
    RETURN collect({m: m, inv: 0, conv: 0, refs: refs, ms: 0, n: 0}) AS cohortRef
  }
  WITH w, cohortP, cohortQ, cohortRel + cohortRef AS cohortD
  WITH w, cohortD + [i IN range(0, size(w.m) - 1) | {m: w.m[i], inv: -w.inv[i], conv: -w.conv[i], refs: -w.refs[i], ms: -w.ms[i], n: -w.n[i]}] AS cohortD
  CALL {
    WITH cohortD
    UNWIND cohortD AS d
    WITH d.m AS m, sum(d.inv) AS inv, sum(d.conv) AS conv, sum(d.refs) AS refs, sum(d.ms) AS ms, sum(d.n) AS n
    WHERE inv <> 0 OR conv <> 0 OR refs <> 0 OR ms <> 0 OR n <> 0
    MERGE (c:CohortCount {month: m})
    SET c.invites = coalesce(c.invites, 0) + inv, c.converted = coalesce(c.converted, 0) + conv, c.referrers = coalesce(c.referrers, 0) + refs, c.msSum = coalesce(c.msSum, 0) + ms, c.msCount = coalesce(c.msCount, 0) + n
    RETURN count(c) AS cohortMoved
  }
  DELETE w
  RETURN count(*) AS cohortSettled
}
UNWIND cohortRows AS cohortRow
RETURN cohortRow.orders AS orders, cohortRow.deleted AS deleted