// Benchmark (benchmarks/run.py): empty the database in two passes, relationships first, in small
// transactions. delete_all.cypher's DETACH DELETE of 10,000 nodes per transaction takes every
// relationship of those nodes along (a country hub has tens of thousands), which at full scale
// exceeded a 2 GiB server's transaction memory pool (MemoryPoolOutOfMemoryError).
MATCH (:Entity)-[r]->(:Entity)
CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS
