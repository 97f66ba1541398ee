// Remove one source's provenance records from the relationships of the given nodes; a
// relationship left with no provenance at all is deleted (it existed only because of that source).
UNWIND $ids AS id
MATCH (n:Entity {id: id})
USING INDEX n:Entity(id)
MATCH (n)-[r]-()
WHERE $source IN r.provenance_sources
WITH DISTINCT r
WITH r, [i IN range(0, size(r.provenance_sources) - 1) WHERE r.provenance_sources[i] <> $source] AS keep
SET r.provenance = [i IN keep | r.provenance[i]],
    r.provenance_keys = [i IN keep | r.provenance_keys[i]],
    r.provenance_sources = [i IN keep | r.provenance_sources[i]],
    r.provenance_confidences = [i IN keep | r.provenance_confidences[i]]
SET r.confidence = reduce(best = null, c IN r.provenance_confidences |
                          CASE WHEN best IS NULL OR c > best THEN c ELSE best END)
WITH r WHERE size(r.provenance) = 0
DELETE r
