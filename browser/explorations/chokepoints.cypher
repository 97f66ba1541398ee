:param threshold => 0.5;

// Chokepoints: inputs one firm or one country dominates, or with a single producer
//
// As `techgraph chokepoints`: a firm whose PRODUCES share is at least $threshold; a country
// whose own reported share is, or, where the country has no row of its own, whose firms
// headquartered there add up to it; or an input that only one producer makes.
//
// Parameter: $threshold, a share above 0 and at most 1.
//
// The graph view shows the dominant PRODUCES relationships (and the firms' headquarters).
CALL () {
  MATCH (input:Technology)<-[:PRODUCES]-()
  WITH input, count(*) AS producers
  MATCH held = (input)<-[r:PRODUCES]-(holder)
  WHERE producers = 1 OR r.share >= $threshold
  RETURN input, holder.name AS held_by,
         [why IN [CASE WHEN producers = 1 THEN 'single producer' END,
                  CASE WHEN r.share >= $threshold AND holder:Firm THEN 'firm share' END,
                  CASE WHEN r.share >= $threshold AND NOT holder:Firm THEN 'country share' END]
          WHERE why IS NOT NULL] AS why,
         r.share AS share, producers, [held] AS graph
  UNION
  MATCH held = (input:Technology)<-[r:PRODUCES]-(:Firm)-[:HEADQUARTERED_IN]->(country:Country)
  WHERE r.share IS NOT NULL AND NOT (country)-[:PRODUCES]->(input)
  WITH input, country, sum(r.share) AS total, collect(held) AS graph
  WHERE total >= $threshold
  RETURN input, country.name AS held_by, ['country share (sum of its firms)'] AS why,
         CASE WHEN total > 1.0 THEN 1.0 ELSE total END AS share,
         COUNT { (input)<-[:PRODUCES]-() } AS producers, graph
}
RETURN input.name AS input, held_by, why, share, producers, graph
ORDER BY input, held_by;
