// Which of the given ids are NOT nodes in the graph (only those come back).
UNWIND $ids AS id
OPTIONAL MATCH (n:Entity {id: id})
WITH id, n
WHERE n IS NULL
RETURN id
