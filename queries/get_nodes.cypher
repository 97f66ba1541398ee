// Many nodes by id, as one row (one large record decodes much faster than many small ones).
UNWIND $ids AS id
MATCH (n:Entity {id: id})
USING INDEX n:Entity(id)
RETURN collect(properties(n)) AS nodes
