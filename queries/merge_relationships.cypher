// Merge a batch of relationships of one type on (source, type, target). Scalars overwrite;
// provenance accumulates without duplicates (parallel lists, as for nodes); confidence is the
// best confidence among the relationship's provenance records.
UNWIND $rows AS row
MATCH (a:Entity {id: row.source})
USING INDEX a:Entity(id)
MATCH (b:Entity {id: row.target})
USING INDEX b:Entity(id)
MERGE (a)-[r:{{type}}]->(b)
SET r += row.props
WITH r, [p IN row.provenance WHERE NOT p.key IN coalesce(r.provenance_keys, [])] AS fresh
SET r.provenance_keys = coalesce(r.provenance_keys, []) + [p IN fresh | p.key],
    r.provenance = coalesce(r.provenance, []) + [p IN fresh | p.json],
    r.provenance_sources = coalesce(r.provenance_sources, []) + [p IN fresh | p.source],
    r.provenance_confidences = coalesce(r.provenance_confidences, []) + [p IN fresh | p.confidence]
SET r.confidence = reduce(best = null, c IN r.provenance_confidences |
                          CASE WHEN best IS NULL OR c > best THEN c ELSE best END)
RETURN count(r) AS written
