// Merge a batch of nodes of one label on their canonical id. Scalars overwrite; aliases and
// provenance accumulate without duplicates. Every node also carries the Entity label, whose
// uniqueness constraint on id backs the MERGE.
UNWIND $rows AS row
MERGE (n:Entity {id: row.id})
SET n:{{label}}
SET n += row.props
SET n.name = row.name
SET n.aliases = coalesce(n.aliases, []) + [a IN row.aliases WHERE NOT a IN coalesce(n.aliases, [])]
WITH n, [p IN row.provenance WHERE NOT p.key IN coalesce(n.provenance_keys, [])] AS fresh
SET n.provenance_keys = coalesce(n.provenance_keys, []) + [p IN fresh | p.key],
    n.provenance = coalesce(n.provenance, []) + [p IN fresh | p.json]
RETURN count(n) AS written
