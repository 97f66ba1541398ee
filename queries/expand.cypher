// One hop out of many nodes at once. The relationship types are spliced in from the schema's
// allow-list so the planner expands only those; each step also names its direction.
UNWIND $ids AS id
MATCH (a:Entity {id: id})-[r{{types}}]-(b)
USING INDEX a:Entity(id)
WHERE any(s IN $steps WHERE s.type = type(r)
          AND (s.direction = 'both'
               OR (s.direction = 'out' AND startNode(r) = a)
               OR (s.direction = 'in' AND endNode(r) = a)))
RETURN id AS origin, type(r) AS type, startNode(r).id AS source, endNode(r).id AS target,
       properties(r) AS rel, properties(b) AS node
