// Benchmark (benchmarks/run.py): remove the relationships the row-at-a-time baseline wrote, so
// the batched load that follows creates every relationship afresh, as it would in a real load.
UNWIND $rows AS row
MATCH (a:Entity {id: row.source})-[r:{{type}}]->(b:Entity {id: row.target})
DELETE r
RETURN count(r) AS deleted
