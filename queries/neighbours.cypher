// The relationships of one node, optionally of some types and in one direction.
MATCH (a:Entity {id: $id})-[r]-(b)
USING INDEX a:Entity(id)
WHERE ($types IS NULL OR type(r) IN $types)
  AND ($direction = 'both'
       OR ($direction = 'out' AND startNode(r) = a)
       OR ($direction = 'in' AND endNode(r) = a))
RETURN type(r) AS type, startNode(r).id AS source, endNode(r).id AS target,
       properties(r) AS rel, properties(b) AS node
