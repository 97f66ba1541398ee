:param entity => 'Huawei';

// The documents that mention an entity
//
// Each document that MENTIONS the entity, the sentences it does so in (APOC core), and the
// facts the document states about the entity and the other entities it mentions (facts whose
// provenance cites the document). Documents enter the graph through document ingestion.
//
// Parameter: $entity, any entity's id, name or alias (a firm, country, technology, ...).
MATCH (e:Entity)
WHERE NOT e:Document AND $entity IN [e.id, e.name] + coalesce(e.aliases, [])
MATCH mention = (d:Document)-[m:MENTIONS]->(e)
OPTIONAL MATCH stated = (e)-[fact]-(other)<-[:MENTIONS]-(d)
WHERE type(fact) <> 'MENTIONS' AND d.id IN coalesce(fact.provenance_sources, [])
RETURN d.name AS document, d.id AS id,
       [p IN coalesce(m.provenance, []) | apoc.convert.fromJsonMap(p).sentence] AS sentences,
       collect(DISTINCT type(fact) + ' ' + other.name) AS facts,
       mention, collect(stated) AS graph
ORDER BY document;
