// Remove one source's provenance records from the given nodes; a node left with no provenance
// and no relationships is deleted (an entity that only that source spoke of).
UNWIND $ids AS id
MATCH (n:Entity {id: id})
USING INDEX n:Entity(id)
WHERE $source IN n.provenance_sources
WITH n, [i IN range(0, size(n.provenance_sources) - 1) WHERE n.provenance_sources[i] <> $source] AS keep
SET n.provenance = [i IN keep | n.provenance[i]],
    n.provenance_keys = [i IN keep | n.provenance_keys[i]],
    n.provenance_sources = [i IN keep | n.provenance_sources[i]],
    n.provenance_confidences = [i IN keep | n.provenance_confidences[i]]
WITH n WHERE size(n.provenance) = 0 AND NOT EXISTS { (n)--() }
DELETE n
