// Benchmark (benchmarks/run.py): whether this database is the benchmark's to empty. `foreign`
// counts every node but the benchmark's marker (a test suite's marker counts as foreign).
RETURN COUNT { (n) WHERE NOT n:TechgraphBenchMarker } AS foreign,
       COUNT { (m:TechgraphBenchMarker) } AS marked
