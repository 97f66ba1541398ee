// One uniqueness constraint on Entity.id: every node has that label, so MERGE on id is indexed
// whatever its type.
CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE
