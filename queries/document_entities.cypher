// The entities a document mentions: where the facts that came from it can be.
MATCH (d:Entity {id: $doc})
USING INDEX d:Entity(id)
MATCH (d)-[:MENTIONS]->(e)
RETURN e.id AS id
