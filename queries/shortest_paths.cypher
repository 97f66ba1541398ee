// All shortest paths between two entities, either direction, bounded in length (the bound is a
// validated number spliced in: Cypher takes no parameter there), optionally of some types only.
MATCH (a:Entity {id: $source}), (b:Entity {id: $target})
USING INDEX a:Entity(id)
USING INDEX b:Entity(id)
MATCH p = allShortestPaths((a)-[{{types}}*..{{max_hops}}]-(b))
RETURN [r IN relationships(p) | {type: type(r), source: startNode(r).id, target: endNode(r).id,
                                 props: properties(r)}] AS rels,
       [n IN nodes(p) | properties(n)] AS nodes
LIMIT $k
