// The first statement of a batch's write (Neo4j backend): forget, then merge the nodes. The
// relationships follow in merge_relationships.cypher, one statement per type, in the same
// transaction (a relationship type given as a value, MERGE (a)-[r:$(row.type)]->(b), plans as a
// scan of every relationship in the graph on Neo4j 5.26).
// 1. With $sources (document ids; empty for none): forget what those documents contributed
//    before. Their MENTIONS edges lead to where their facts can be; a new document has no node
//    yet, and then this costs one index seek. Several documents written in one transaction
//    are forgotten together, which leaves what forgetting them one after the other would. Its provenance records are removed from the relationships
//    and then the nodes found there; relationships left with no provenance are deleted, and
//    nodes left with none and no relationships (entities only that source spoke of).
// 2. Merge $nodes on their canonical id (every node also carries the Entity label, whose
//    uniqueness constraint backs the MERGE; row.label is its schema type, checked by the caller,
//    and setting a label given as a value needs no look-up). A node the row would not change is
//    not written: most rows of a document are hub nodes (country:CHN) that it mentions as the
//    graph already has them, and writing them anyway took a fifth of the statement's time.
// Scalars overwrite; aliases and provenance accumulate without duplicates. Provenance is kept as
// parallel lists (the JSON record, its key, its source, its confidence) so that one source's
// records can be removed. The caller sends each node in one row (a node given twice in a batch
// is merged before), so no row needs to see what another row of the statement wrote.
CALL () {
  UNWIND $sources AS source
  MATCH (d:Entity {id: source})
  USING INDEX d:Entity(id)
  WITH collect(d) AS documents
  RETURN documents + reduce(found = [], d IN documents | found + [(d)-[:MENTIONS]->(e) | e]) AS earlier
}
CALL (earlier) {
  UNWIND earlier AS n
  WITH DISTINCT n  // a hub several of the documents mention is expanded once
  MATCH (n)-[r]-()
  WHERE any(s IN r.provenance_sources WHERE s IN $sources)
  WITH DISTINCT r
  WITH r, [i IN range(0, size(r.provenance_sources) - 1) WHERE NOT r.provenance_sources[i] IN $sources] AS keep
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
  WITH DISTINCT n
  WITH n WHERE any(s IN n.provenance_sources WHERE s IN $sources)
  WITH n, [i IN range(0, size(n.provenance_sources) - 1) WHERE NOT n.provenance_sources[i] IN $sources] AS keep
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
RETURN forgotten
