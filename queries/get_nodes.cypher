UNWIND $ids AS id
MATCH (n:Entity {id: id})
USING INDEX n:Entity(id)
RETURN properties(n) AS node
