// Which of the given ids are nodes in the graph.
MATCH (n:Entity)
USING INDEX n:Entity(id)
WHERE n.id IN $ids
RETURN n.id AS id
