// Benchmark (benchmarks/run.py): claim the database, so later runs may empty it without --force.
// The marker has no :Entity label, so techgraph's counts and clear() leave it alone.
MERGE (m:TechgraphBenchMarker {note: 'this database belongs to the techgraph benchmark; it empties it'})
RETURN count(m) AS marked
