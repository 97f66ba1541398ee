// Benchmark baseline (benchmarks/run.py): merge ONE relationship per statement, the
// row-at-a-time way that the batched merge_relationships.cypher replaces. The statement is that
// file's without its UNWIND (run.py warns when the two drift apart): same semantics, one row.
WITH $row AS row
MATCH (a:Entity {id: row.source})
USING INDEX a:Entity(id)
MATCH (b:Entity {id: row.target})
USING INDEX b:Entity(id)
MERGE (a)-[r:{{type}}]->(b)
ON CREATE SET r = row.props,
    r.provenance_keys = [p IN row.provenance | p.key],
    r.provenance = [p IN row.provenance | p.json],
    r.provenance_sources = [p IN row.provenance | p.source],
    r.provenance_confidences = [p IN row.provenance | p.confidence],
    r.confidence = row.confidence
ON MATCH SET r += row.props,
    r.confidence = reduce(best = null, c IN coalesce(r.provenance_confidences, []) + [p IN row.provenance | p.confidence] |
                          CASE WHEN best IS NULL OR c > best THEN c ELSE best END),
    r.provenance = coalesce(r.provenance, []) + [p IN row.provenance WHERE NOT p.key IN coalesce(r.provenance_keys, []) | p.json],
    r.provenance_sources = coalesce(r.provenance_sources, []) + [p IN row.provenance WHERE NOT p.key IN coalesce(r.provenance_keys, []) | p.source],
    r.provenance_confidences = coalesce(r.provenance_confidences, []) + [p IN row.provenance WHERE NOT p.key IN coalesce(r.provenance_keys, []) | p.confidence],
    r.provenance_keys = coalesce(r.provenance_keys, []) + [p IN row.provenance WHERE NOT p.key IN coalesce(r.provenance_keys, []) | p.key]
RETURN count(r) AS written
