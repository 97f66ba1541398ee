// Two levels in one statement: the hops of expand.cypher out of $ids by $steps, then the hops
// by $then out of the nodes at their far ends whose id starts with one of $kinds ('firm:'):
// the suppliers of a tree's nodes, then where the supplying firms are headquartered, in one
// round trip instead of two. Only those kinds: a supplying country is a hub, with a
// relationship to every firm headquartered or manufacturing there, and an expansion reads all
// of a node's relationships of the types asked before it filters their directions. Both hop
// lists have expand.cypher's shape; each node at a far end travels once per list.
UNWIND $ids AS id
MATCH (a:Entity {id: id})-[r{{types}}]-(b)
USING INDEX a:Entity(id)
WHERE any(s IN $steps WHERE s.type = type(r)
          AND (s.direction = 'both'
               OR (s.direction = 'out' AND startNode(r) = a)
               OR (s.direction = 'in' AND endNode(r) = a))
          AND (s.to IS NULL OR b.id = s.to))
WITH collect([id, type(r), startNode(r) = a, properties(r), b.id]) AS hops,
     collect(DISTINCT b) AS others
CALL (others) {
  UNWIND [n IN others WHERE any(k IN $kinds WHERE n.id STARTS WITH k)] AS b
  MATCH (b)-[r{{then_types}}]-(c)
  WHERE any(s IN $then WHERE s.type = type(r)
            AND (s.direction = 'both'
                 OR (s.direction = 'out' AND startNode(r) = b)
                 OR (s.direction = 'in' AND endNode(r) = b))
            AND (s.to IS NULL OR c.id = s.to))
  RETURN collect([b.id, type(r), startNode(r) = b, properties(r), c.id]) AS then_hops,
         collect(DISTINCT c) AS reached
}
RETURN hops, then_hops, [n IN others | properties(n)] AS nodes,
       [n IN reached | properties(n)] AS far
