// Every entity's id, name and other names (aliases, demonyms): what the resolver indexes.
MATCH (n:Entity)
WHERE NOT n:Document
RETURN n.id AS id, n.name AS name, coalesce(n.aliases, []) + coalesce(n.demonyms, []) AS aliases
