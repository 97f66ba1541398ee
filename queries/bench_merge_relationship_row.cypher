// Benchmark baseline (benchmarks/run.py): merge ONE relationship per statement, the
// row-at-a-time way that the batched merge_relationships.cypher replaces. Same semantics as that
// file (scalars overwrite, provenance accumulates, best confidence kept), without the UNWIND.
WITH $row AS row
MATCH (a:Entity {id: row.source})
MATCH (b:Entity {id: row.target})
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
