// Merge a batch of nodes of one label on their canonical id. Scalars overwrite; aliases and
// provenance accumulate without duplicates. Every node also carries the Entity label, whose
// uniqueness constraint on id backs the MERGE. Provenance is kept as parallel lists (the JSON
// record, its key, its source, its confidence) so that one source's records can be removed.
UNWIND $rows AS row
MERGE (n:Entity {id: row.id})
SET n:{{label}}
SET n += row.props
SET n.name = row.name
SET n.aliases = coalesce(n.aliases, []) + [a IN row.aliases WHERE NOT a IN coalesce(n.aliases, [])]
WITH n, [p IN row.provenance WHERE NOT p.key IN coalesce(n.provenance_keys, [])] AS fresh
SET n.provenance_keys = coalesce(n.provenance_keys, []) + [p IN fresh | p.key],
    n.provenance = coalesce(n.provenance, []) + [p IN fresh | p.json],
    n.provenance_sources = coalesce(n.provenance_sources, []) + [p IN fresh | p.source],
    n.provenance_confidences = coalesce(n.provenance_confidences, []) + [p IN fresh | p.confidence]
RETURN count(n) AS written
