// Merge a batch of relationships of one type on (source, type, target). Scalars overwrite;
// provenance accumulates without duplicates (parallel lists, as for nodes); confidence is the
// best confidence among the relationship's provenance records.
// A new relationship (the common case of a load) is written in one step from the row; only an
// existing one reads its lists. Each ON MATCH item reads them as they were before this SET (the
// keys are replaced last). Separate SET clauses reading back what the one before wrote made the
// planner buffer all rows between them (four Eager operators); the one left buffers only the
// matched endpoints, because a map SET might write any property.
// The type is spliced in from the schema (the type slot): given as a value, $(row.type), MERGE plans as
// a scan of every relationship in the graph on Neo4j 5.26. The caller sends each relationship in
// one row (a fact given twice in a batch is merged before).
UNWIND $rows AS row
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
