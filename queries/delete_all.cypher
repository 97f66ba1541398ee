// Clearing step two: the nodes, in chunks, once delete_all_relationships has run.
MATCH (n:Entity)
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
