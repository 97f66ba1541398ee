// Clearing step one: relationships in chunks. Deleting nodes with DETACH would take each hub's
// tens of thousands of relationships into one inner transaction and can exhaust its memory.
MATCH (:Entity)-[r]->()
CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS
