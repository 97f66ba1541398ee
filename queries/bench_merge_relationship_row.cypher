// Benchmark baseline (benchmarks/run.py): merge ONE relationship per statement, the
// row-at-a-time way that the batched write_batch.cypher replaces. The statement is that file's
// relationship part without its UNWIND (run.py warns when the two drift apart): same semantics,
// one row.
WITH $row AS row
MATCH (a:Entity {id: row.source})
USING INDEX a:Entity(id)
MATCH (b:Entity {id: row.target})
USING INDEX b:Entity(id)
MERGE (a)-[r:$(row.type)]->(b)
SET r += row.props
WITH r, [p IN row.provenance WHERE NOT p.key IN coalesce(r.provenance_keys, [])] AS fresh
SET r.provenance_keys = coalesce(r.provenance_keys, []) + [p IN fresh | p.key],
    r.provenance = coalesce(r.provenance, []) + [p IN fresh | p.json],
    r.provenance_sources = coalesce(r.provenance_sources, []) + [p IN fresh | p.source],
    r.provenance_confidences = coalesce(r.provenance_confidences, []) + [p IN fresh | p.confidence]
SET r.confidence = reduce(best = null, c IN r.provenance_confidences |
                          CASE WHEN best IS NULL OR c > best THEN c ELSE best END)
RETURN count(r) AS written
