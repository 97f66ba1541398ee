:param alliance => 'Chip 4';

// An alliance's members and what each of them restricts
//
// Exports of technologies (RESTRICTS_EXPORT_OF) and trade with listed parties
// (RESTRICTS_TRADE_WITH), by the member itself or through one of its agencies (AGENCY_OF); the
// first row is the alliance's own. Members that restrict nothing are listed too. `techgraph
// alignment TECH --alliance A` asks the narrower question for one technology.
//
// Parameter: $alliance, an alliance's id, name or alias (Quad, Chip 4, Wassenaar, EU, ...).
CALL () {
  MATCH (a:Alliance)
  WHERE $alliance IN [a.id, a.name] + coalesce(a.aliases, [])
  OPTIONAL MATCH own = (a)-[:RESTRICTS_EXPORT_OF|RESTRICTS_TRADE_WITH]->(x)
  RETURN 0 AS rank, a.name + ' (the alliance itself)' AS member,
         [r IN collect(DISTINCT relationships(own)[0]) |
            type(r) + ' ' + endNode(r).name + coalesce(' (' + toString(r.year) + ')', '')]
           AS restricts,
         collect(own) AS graph
  UNION
  MATCH (a:Alliance)
  WHERE $alliance IN [a.id, a.name] + coalesce(a.aliases, [])
  MATCH membership = (c:Country)-[:MEMBER_OF]->(a)
  OPTIONAL MATCH restriction = (c)<-[:AGENCY_OF*0..1]-(actor)
                               -[:RESTRICTS_EXPORT_OF|RESTRICTS_TRADE_WITH]->(x)
  WHERE actor = c OR actor:Agency
  WITH c, membership,
       collect(restriction) AS restrictions,
       [r IN collect(last(relationships(restriction))) |
          startNode(r).name + ' ' + type(r) + ' ' + endNode(r).name +
          coalesce(' (' + toString(r.year) + ')', '')] AS restricts
  RETURN 1 AS rank, c.name AS member, restricts, [membership] + restrictions AS graph
}
RETURN member, restricts, graph
ORDER BY rank, size(restricts) DESC, member;
