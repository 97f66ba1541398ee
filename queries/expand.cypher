// One hop out of many nodes at once. The relationship types are spliced in from the schema's
// allow-list so the planner expands only those; each step also names its direction, and may
// name the one node its relationships must end at. The answer is one row: the hops as lists
// (whether the relationship starts at the node expanded rather than both end ids: two property
// reads fewer per hop) and each node at their far ends once (a hub reached from many origins
// travels once, and one large record decodes much faster than many small ones).
UNWIND $ids AS id
MATCH (a:Entity {id: id})-[r{{types}}]-(b)
USING INDEX a:Entity(id)
WHERE any(s IN $steps WHERE s.type = type(r)
          AND (s.direction = 'both'
               OR (s.direction = 'out' AND startNode(r) = a)
               OR (s.direction = 'in' AND endNode(r) = a))
          AND (s.to IS NULL OR b.id = s.to))
WITH collect([id, type(r), startNode(r) = a, properties(r), b.id]) AS hops,
     collect(DISTINCT b) AS others
RETURN hops, [b IN others | properties(b)] AS nodes
