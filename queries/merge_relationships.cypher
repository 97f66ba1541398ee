// Merge a batch of relationships of one type on (source, type, target). Scalars overwrite;
// provenance accumulates without duplicates; confidence keeps the best seen.
UNWIND $rows AS row
MATCH (a:Entity {id: row.source})
USING INDEX a:Entity(id)
MATCH (b:Entity {id: row.target})
USING INDEX b:Entity(id)
MERGE (a)-[r:{{type}}]->(b)
SET r += row.props
SET r.confidence = CASE
      WHEN row.confidence IS NULL THEN r.confidence
      WHEN r.confidence IS NULL OR row.confidence > r.confidence THEN row.confidence
      ELSE r.confidence END
WITH r, [p IN row.provenance WHERE NOT p.key IN coalesce(r.provenance_keys, [])] AS fresh
SET r.provenance_keys = coalesce(r.provenance_keys, []) + [p IN fresh | p.key],
    r.provenance = coalesce(r.provenance, []) + [p IN fresh | p.json]
RETURN count(r) AS written
