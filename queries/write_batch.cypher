// Write one batch (or one part of a large batch) in ONE statement: a round trip per document
// instead of one per node label and relationship type.
// 1. With $source (a document id, else null): forget what that document contributed before.
//    Its MENTIONS edges lead to where its facts can be; a new document has no node yet, and
//    then this costs one index seek. Its provenance records are removed from the relationships
//    and then the nodes found there; relationships left with no provenance are deleted, and
//    nodes left with none and no relationships (entities only that source spoke of).
// 2. Merge $nodes on their canonical id (every node also carries the Entity label, whose
//    uniqueness constraint backs the MERGE; row.label is its schema type, checked by the caller).
//    A node the row would not change is not written: most rows of a document are hub nodes
//    (country:CHN) that it mentions as the graph already has them, and writing them anyway
//    took a fifth of the statement's time.
// 3. Merge $rels on (source, type, target); row.type is a schema relationship type, checked by
//    the caller. Both endpoints are bound by index seeks, so the dynamic type plans as an
//    Expand(Into) between them (tests/test_cypher_plans.py). A new relationship (the common
//    case of a load) is written in one step from the row; only an existing one reads its lists,
//    each ON MATCH item reading them as they were before this SET (the keys are replaced last).
//    A chain of SET clauses each reading what the one before wrote made the planner buffer every
//    row between them (Eager operators).
// The caller sends each node and each relationship in one row (a fact given twice in a batch is
// merged before), so no row needs to see what another row of the statement wrote.
// Scalars overwrite; aliases and provenance accumulate without duplicates. Provenance is kept as
// parallel lists (the JSON record, its key, its source, its confidence) so that one source's
// records can be removed; a relationship's confidence is its best record's.
OPTIONAL MATCH (d:Entity {id: $source})
USING INDEX d:Entity(id)
WITH CASE WHEN d IS NULL THEN [] ELSE [d] + [(d)-[:MENTIONS]->(e) | e] END AS earlier
CALL (earlier) {
  UNWIND earlier AS n
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
}
CALL (earlier) {
  UNWIND earlier AS n
  WITH n WHERE $source IN n.provenance_sources
  WITH n, [i IN range(0, size(n.provenance_sources) - 1) WHERE n.provenance_sources[i] <> $source] AS keep
  SET n.provenance = [i IN keep | n.provenance[i]],
      n.provenance_keys = [i IN keep | n.provenance_keys[i]],
      n.provenance_sources = [i IN keep | n.provenance_sources[i]],
      n.provenance_confidences = [i IN keep | n.provenance_confidences[i]]
  WITH n WHERE size(n.provenance) = 0 AND NOT EXISTS { (n)--() }
  DELETE n
}
WITH count(*) AS forgotten
CALL () {
  UNWIND $nodes AS row
  MERGE (n:Entity {id: row.id})
  WITH n, row, [p IN row.provenance WHERE NOT p.key IN coalesce(n.provenance_keys, [])] AS fresh
  WHERE size(fresh) > 0 OR n.name IS NULL OR n.name <> row.name OR NOT row.label IN labels(n)
     OR any(a IN row.aliases WHERE NOT a IN coalesce(n.aliases, []))
     OR any(k IN keys(row.props) WHERE n[k] IS NULL OR n[k] <> row.props[k])
  SET n:$(row.label)
  SET n += row.props
  SET n.name = row.name
  SET n.aliases = coalesce(n.aliases, []) + [a IN row.aliases WHERE NOT a IN coalesce(n.aliases, [])]
  SET n.provenance_keys = coalesce(n.provenance_keys, []) + [p IN fresh | p.key],
      n.provenance = coalesce(n.provenance, []) + [p IN fresh | p.json],
      n.provenance_sources = coalesce(n.provenance_sources, []) + [p IN fresh | p.source],
      n.provenance_confidences = coalesce(n.provenance_confidences, []) + [p IN fresh | p.confidence]
}
CALL () {
  UNWIND $rels AS row
  MATCH (a:Entity {id: row.source})
  USING INDEX a:Entity(id)
  MATCH (b:Entity {id: row.target})
  USING INDEX b:Entity(id)
  MERGE (a)-[r:$(row.type)]->(b)
  ON CREATE SET r += row.props,
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
}
RETURN written
