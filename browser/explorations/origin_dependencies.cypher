:param tech => '5G';
:param origin => 'CHN';

// Chinese-origin (or any origin) dependencies of a technology, with their proofs
//
// Walks the technology's dependency tree (what it REQUIRES, and its sub-types, up to 4 hops),
// takes every supplier that PRODUCES a part of it and keeps those of the origin country, on
// the four bases of `techgraph exposure` (docs/queries.md):
//   headquarters: (supplier)-[:HEADQUARTERED_IN]->(origin)
//   ultimate parent: (supplier)-[:SUBSIDIARY_OF*]->(top firm)-[:HEADQUARTERED_IN]->(origin)
//   production: the origin's own PRODUCES row, or (supplier)-[:MANUFACTURES_IN]->(origin)
//   restricted party: (supplier or a parent)<-[:RESTRICTS_TRADE_WITH]-(lister), origin listed
//
// Parameters: $tech, a technology's id, name or alias; $origin, an ISO 3166-1 alpha-3 code.
//
// One row per finding and proof. The graph view shows the tree path, the supply relationship
// and the proof; the table adds share, year and the sources the supply fact cites (APOC core).
MATCH (root:Technology)
WHERE $tech IN [root.id, root.name] + coalesce(root.aliases, [])
MATCH (origin:Country {id: 'country:' + toUpper($origin)})
MATCH tree = (root)-[:REQUIRES|IS_TYPE_OF*0..4]-(input:Technology)
WHERE all(i IN range(0, length(tree) - 1) WHERE
          CASE type(relationships(tree)[i])
            WHEN 'REQUIRES' THEN startNode(relationships(tree)[i]) = nodes(tree)[i]
            ELSE endNode(relationships(tree)[i]) = nodes(tree)[i]
          END)
WITH origin, input, tree
ORDER BY length(tree)
WITH origin, input, head(collect(tree)) AS tree
MATCH supply = (input)<-[produces:PRODUCES]-(supplier)
CALL (supplier, origin) {
  MATCH proof = (supplier)-[:HEADQUARTERED_IN]->(origin)
  RETURN 'headquarters' AS basis, proof
  UNION
  MATCH proof = (supplier)-[:SUBSIDIARY_OF*1..10]->(top:Firm)-[:HEADQUARTERED_IN]->(origin)
  WHERE NOT (top)-[:SUBSIDIARY_OF]->(:Firm)
  RETURN 'ultimate parent' AS basis, proof
  UNION
  MATCH proof = (supplier)-[:MANUFACTURES_IN]->(origin)
  RETURN 'production' AS basis, proof
  UNION
  MATCH proof = (supplier:Country)
  WHERE supplier = origin
  RETURN 'production' AS basis, proof
  UNION
  MATCH proof = (supplier:Firm)-[:SUBSIDIARY_OF*0..10]->(party)<-[listing:RESTRICTS_TRADE_WITH]-()
  WHERE coalesce('country:' + listing.listed_country,
                 head([(party)-[:HEADQUARTERED_IN]->(c) | c.id])) = origin.id
  RETURN 'restricted party' AS basis, proof
}
RETURN input.name AS input, supplier.name AS supplier, basis,
       produces.share AS share, produces.year AS year,
       [p IN coalesce(produces.provenance, []) |
          coalesce(apoc.convert.fromJsonMap(p).citation, apoc.convert.fromJsonMap(p).source)]
         AS sources,
       tree, supply, proof
ORDER BY length(tree), input, supplier, basis;
