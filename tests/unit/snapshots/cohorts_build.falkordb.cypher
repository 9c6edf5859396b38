OPTIONAL MATCH (old:CohortCount)
WITH collect(old) AS olds
FOREACH (o IN olds | DELETE o)
WITH count(*) AS cleared
CALL {
  MATCH (:Party)-[r:REFERRED]->(cb:Party)
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
  MATCH (cq:Party)-[r:REFERRED]->(:Party)
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
WITH cohortRel + cohortRef AS cohortD
CALL {
  WITH cohortD
  UNWIND cohortD AS d
  WITH d.m AS m, sum(d.inv) AS inv, sum(d.conv) AS conv, sum(d.refs) AS refs, sum(d.ms) AS ms, sum(d.n) AS n
  WHERE inv <> 0 OR conv <> 0 OR refs <> 0 OR ms <> 0 OR n <> 0
  CREATE (c:CohortCount {month: m})
  SET c.invites = coalesce(c.invites, 0) + inv, c.converted = coalesce(c.converted, 0) + conv, c.referrers = coalesce(c.referrers, 0) + refs, c.msSum = coalesce(c.msSum, 0) + ms, c.msCount = coalesce(c.msCount, 0) + n
  RETURN count(c) AS cohortMoved
}
MERGE (k:CohortCountsBuilt {name: $name})
SET k.builtAt = $now
RETURN cohortMoved AS months