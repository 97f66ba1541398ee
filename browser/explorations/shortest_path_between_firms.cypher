:param firmA => 'Huawei';
:param firmB => 'ASML';

// The shortest paths between two firms
//
// Whatever relationships join them, in either direction, except MENTIONS (two firms named in
// one document are not thereby linked), as `techgraph path` does. At most 6 hops: Cypher takes
// no parameter for the bound, so edit `*..6` to change it.
//
// Parameters: $firmA and $firmB, each a firm's id, name or alias.
//
// One row per path, with every hop written out and the sources that support it (APOC core).
MATCH (a:Firm)
WHERE $firmA IN [a.id, a.name] + coalesce(a.aliases, [])
MATCH (b:Firm)
WHERE $firmB IN [b.id, b.name] + coalesce(b.aliases, []) AND b <> a
MATCH path = allShortestPaths((a)-[*..6]-(b))
WHERE none(r IN relationships(path) WHERE type(r) = 'MENTIONS')
RETURN path, length(path) AS hops,
       [r IN relationships(path) |
          startNode(r).name + ' -[' + type(r) + ']-> ' + endNode(r).name + ': ' +
          reduce(s = '', p IN coalesce(r.provenance, []) |
                 s + CASE s WHEN '' THEN '' ELSE '; ' END +
                 coalesce(apoc.convert.fromJsonMap(p).citation,
                          apoc.convert.fromJsonMap(p).source))]
         AS evidence
LIMIT 10;
