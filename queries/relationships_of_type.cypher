MATCH (a:Entity)-[r{{types}}]->(b:Entity)
RETURN a.id AS source, type(r) AS type, b.id AS target, properties(r) AS rel
