"""POST /v1/cypher against the real Neo4j: every write, load, administration and evasion trick
is refused with one JSON error, and the database is exactly as it was afterwards.

The tricks run on a graph with the techgraph constraint and indexes and APOC installed (the
project's launcher ships APOC core), so a trick that got through would really change something.
Each layer of api/cypher_guard.py is also tested on its own, with the layers before it switched
off, to show that it would refuse a write by itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from techgraph.api import cypher_guard
from techgraph.api.cypher_guard import CypherRefused, check_text
from techgraph.graph.neo4j_store import Neo4jStore

from .api_helpers import KEY, client_for
from .graphs import supply_chain
from .test_api import assert_error, ok

AUTH = {"X-API-Key": KEY}

# (what the trick tries, the query). Every one must be refused; none may change anything.
TRICKS: list[tuple[str, str]] = [
    ("create a node", "CREATE (n:Pwned) RETURN n"),
    ("mixed-case CREATE", "cReAtE (n:Pwned) RETURN n"),
    ("MERGE", "MERGE (n:Entity {id: 'firm:pwned'}) RETURN n"),
    ("SET a property", "MATCH (n:Entity {id: 'firm:huawei'}) SET n.name = 'pwned' RETURN n"),
    ("SET with +=", "MATCH (n:Firm) WITH n LIMIT 1 SET n += {pwned: true} RETURN n"),
    ("add a label", "MATCH (n:Firm) WITH n LIMIT 1 SeT n:Pwned RETURN n"),
    ("DELETE a relationship", "MATCH ()-[r]->() WITH r LIMIT 1 DELETE r"),
    ("DETACH DELETE everything", "MATCH (n) DETACH DELETE n"),
    ("REMOVE a property", "MATCH (n:Entity) REMOVE n.name RETURN n"),
    ("REMOVE a label", "MATCH (n:Firm) REMOVE n:Firm"),
    ("FOREACH", "MATCH (n:Firm) FOREACH (x IN [1] | SET n.pwned = x)"),
    ("LOAD CSV from a file", "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line"),
    ("LOAD CSV from a URL", "LOAD CSV WITH HEADERS FROM 'http://127.0.0.1:1/x' AS r RETURN r"),
    (
        "CALL { } IN TRANSACTIONS",
        "MATCH (n) CALL (n) { SET n.pwned = true } IN TRANSACTIONS OF 10 ROWS RETURN count(*)",
    ),
    ("write in a subquery", "WITH 1 AS x CALL { CREATE (:Pwned) } RETURN x"),
    ("apoc.create", "CALL apoc.create.node(['Pwned'], {}) YIELD node RETURN node"),
    ("apoc.merge", "CALL apoc.merge.node(['Pwned'], {id: 1}) YIELD node RETURN node"),
    (
        "apoc.refactor",
        "MATCH (a:Firm), (b:Firm) WITH a, b LIMIT 1 "
        "CALL apoc.refactor.mergeNodes([a, b]) YIELD node RETURN node",
    ),
    ("apoc.periodic", "CALL apoc.periodic.iterate('MATCH (n) RETURN n', 'SET n.p = 1', {})"),
    ("apoc.load", "CALL apoc.load.json('file:///etc/passwd') YIELD value RETURN value"),
    ("apoc.export", "CALL apoc.export.csv.all('/tmp/techgraph-pwned.csv', {})"),
    (
        "apoc.cypher.run",
        "CALL apoc.cypher.run('CREATE (:Pwned) RETURN 1', {}) YIELD value RETURN 1",
    ),
    ("apoc.cypher.doIt", "CALL apoc.cypher.doIt('CREATE (:Pwned) RETURN 1', {}) YIELD value"),
    (
        "apoc function that runs Cypher",
        "RETURN apoc.cypher.runFirstColumnSingle('CREATE (n:Pwned) RETURN n', {}) AS x",
    ),
    ("apoc.schema.assert drops indexes", "CALL apoc.schema.assert({}, {})"),
    ("apoc.trigger", "CALL apoc.trigger.add('t', 'CREATE (:Pwned)', {})"),
    ("procedure name in backticks", "CALL `apoc.create.node`(['Pwned'], {}) YIELD node RETURN 1"),
    ("backticks per part", "CALL `apoc`.`create`.`node`(['Pwned'], {}) YIELD node RETURN 1"),
    ("spaces around dots", "CALL apoc . create . node(['Pwned'], {}) YIELD node RETURN 1"),
    ("standalone CALL without parentheses", "CALL db.clearQueryCaches"),
    ("token-creating procedure", "CALL db.createLabel('Pwned')"),
    ("CREATE INDEX", "CREATE INDEX pwned FOR (n:Firm) ON (n.pwned)"),
    ("CREATE CONSTRAINT", "CREATE CONSTRAINT pwned FOR (n:Pwned) REQUIRE n.id IS UNIQUE"),
    ("DROP INDEX", "DROP INDEX firm_name"),
    ("CREATE USER", "CREATE USER mallory SET PASSWORD 'secret-secret' CHANGE NOT REQUIRED"),
    ("ALTER USER", "ALTER USER neo4j SET PASSWORD 'pwned-pwned-pwned'"),
    ("GRANT", "GRANT ROLE admin TO mallory"),
    ("SHOW USERS", "SHOW USERS"),
    ("SHOW PROCEDURES", "SHOW PROCEDURES YIELD name RETURN name"),
    ("USE another database", "USE system MATCH (n) RETURN n"),
    ("STOP DATABASE", "STOP DATABASE neo4j"),
    ("TERMINATE TRANSACTIONS", "TERMINATE TRANSACTIONS 'neo4j-transaction-1'"),
    ("two statements", "MATCH (n) RETURN count(n); CREATE (m:Pwned)"),
    ("block comment before CREATE", "/* a harmless read */ CREATE (n:Pwned) RETURN n"),
    ("line comment then MERGE", "// just reading\nMERGE (n:Pwned {id: 1}) RETURN n"),
    ("CREATE after a trailing comment", "MATCH (n) RETURN n LIMIT 1 // ;\nCREATE (:Pwned)"),
    ("unicode escape in a keyword", "\\u0043REATE (n:Pwned) RETURN n"),
    ("Cyrillic C in CREATE", "\u0421REATE (n:Pwned) RETURN n"),
    ("keyword split by a comment", "CRE/**/ATE (n:Pwned) RETURN n"),
    ("EXPLAIN prefix", "EXPLAIN CREATE (n:Pwned)"),
    ("PROFILE prefix", "PROFILE MATCH (n) SET n.pwned = 1"),
    ("query options", "CYPHER runtime=slotted CREATE (n:Pwned)"),
    ("USING PERIODIC COMMIT", "USING PERIODIC COMMIT LOAD CSV FROM 'file:///x' AS l RETURN l"),
    ("unclosed comment hiding a write", "MATCH (n) RETURN n /* CREATE (:Pwned)"),
]


def database_state(store: Neo4jStore) -> dict[str, Any]:
    """Everything a trick could change: counts, a checksum over every node's and
    relationship's labels and properties, the tokens, indexes, constraints and users."""
    with store._driver.session(database=store.database) as s:
        nodes = [
            (sorted(r["labels"]), json.dumps(r["props"], sort_keys=True, default=str))
            for r in s.run("MATCH (n) RETURN labels(n) AS labels, properties(n) AS props")
        ]
        rels = [
            (r["a"], r["t"], r["b"], json.dumps(r["props"], sort_keys=True, default=str))
            for r in s.run(
                "MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS t, b.id AS b, "
                "properties(r) AS props"
            )
        ]
        state = {
            "nodes": len(nodes),
            "relationships": len(rels),
            "checksum": hashlib.sha256(
                json.dumps([sorted(nodes), sorted(rels)]).encode()
            ).hexdigest(),
            "labels": sorted(r["label"] for r in s.run("CALL db.labels()")),
            "types": sorted(r[0] for r in s.run("CALL db.relationshipTypes()")),
            "keys": sorted(r[0] for r in s.run("CALL db.propertyKeys()")),
            "indexes": sorted(r["name"] for r in s.run("SHOW INDEXES YIELD name")),
            "constraints": sorted(r["name"] for r in s.run("SHOW CONSTRAINTS YIELD name")),
        }
    with store._driver.session(database="system") as s:
        state["users"] = sorted(r["user"] for r in s.run("SHOW USERS YIELD user"))
    return state


@pytest.fixture(scope="module")
def graph(neo4j_session_store: Neo4jStore) -> Neo4jStore:
    neo4j_session_store.clear()
    neo4j_session_store.init()
    neo4j_session_store.write(supply_chain())
    return neo4j_session_store


@pytest.fixture(scope="module")
def client(graph: Neo4jStore) -> Iterator[TestClient]:
    with client_for(graph, api_keys=[KEY], cypher_enabled=True, cypher_row_limit=10) as c:
        yield c


def cypher(client: TestClient, query: str, **parameters: Any) -> Any:
    return client.post("/v1/cypher", json={"query": query, "parameters": parameters}, headers=AUTH)


# -- refused --------------------------------------------------------------------------------------


@pytest.mark.neo4j
def test_every_trick_is_refused_and_nothing_changes(client: TestClient, graph: Neo4jStore) -> None:
    assert len({q for _, q in TRICKS}) == len(TRICKS) >= 25
    before = database_state(graph)
    assert "Pwned" not in before["labels"] and "firm_name" in before["indexes"]
    let_through = []
    for what, query in TRICKS:
        response = cypher(client, query)
        if response.status_code != 400:
            let_through.append((what, response.status_code, response.text[:200]))
            continue
        body = response.json()
        assert set(body) == {"error", "message"}, (what, body)
        assert body["error"] == "CypherRefused", (what, body)
        assert "Traceback" not in body["message"]
    assert let_through == []
    assert database_state(graph) == before
    assert not Path("/tmp/techgraph-pwned.csv").exists()


@pytest.mark.neo4j
@pytest.mark.parametrize(("what", "query"), TRICKS, ids=[w for w, _ in TRICKS])
def test_the_plan_and_the_transaction_refuse_writes_without_the_text_check(
    graph: Neo4jStore, monkeypatch: pytest.MonkeyPatch, what: str, query: str
) -> None:
    """Layers 2 and 3 on their own: with the text check switched off, the server's plan or the
    READ transaction still refuses every trick (or the server rejects it as invalid)."""
    monkeypatch.setattr(cypher_guard, "check_text", lambda query, max_chars=0: None)
    runner = runner_for(graph)
    before = database_state(graph)
    try:
        with pytest.raises(CypherRefused):
            runner.run(query, {})
    finally:
        runner.close()
    assert database_state(graph) == before


@pytest.mark.neo4j
def test_the_read_transaction_alone_refuses_writes(
    graph: Neo4jStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Layer 3 on its own: text and plan checks off, the READ-mode transaction still refuses."""
    monkeypatch.setattr(cypher_guard, "check_text", lambda query, max_chars=0: None)
    monkeypatch.setattr(cypher_guard, "check_plan", lambda query_type, plan: None)
    runner = runner_for(graph)
    before = database_state(graph)
    try:
        for query in (
            "CREATE (n:Pwned) RETURN n",
            "MATCH (n:Firm) SET n.pwned = true RETURN count(n)",
            "CALL apoc.create.node(['Pwned'], {}) YIELD node RETURN node",
            "RETURN apoc.cypher.runFirstColumnSingle('CREATE (n:Pwned) RETURN n', {}) AS x",
        ):
            with pytest.raises(CypherRefused, match="as a write"):
                runner.run(query, {})
    finally:
        runner.close()
    assert database_state(graph) == before


def runner_for(store: Neo4jStore) -> cypher_guard.CypherRunner:
    from .conftest import NEO4J_PASSWORD, NEO4J_USER

    return cypher_guard.CypherRunner(
        store.uri,
        NEO4J_USER,
        NEO4J_PASSWORD,
        store.database,
        timeout=10,
        row_limit=100,
        max_concurrency=2,
    )


# -- allowed --------------------------------------------------------------------------------------


@pytest.mark.neo4j
def test_read_queries_with_parameters_graph_values_and_the_allowed_procedures(
    client: TestClient, graph: Neo4jStore
) -> None:
    body = ok(
        cypher(
            client,
            "MATCH (f:Firm)-[:HEADQUARTERED_IN]->(:Country {id: $c}) RETURN f.id AS id ORDER BY id",
            c="country:CHN",
        )
    )
    assert body["columns"] == ["id"]
    assert body["rows"] == [{"id": "firm:far"}, {"id": "firm:huawei"}, {"id": "firm:parent"}]
    assert body["count"] == 3 and body["truncated"] is False
    path = ok(
        cypher(
            client,
            "MATCH p = (:Firm {id: 'firm:chipco'})-[:SUBSIDIARY_OF]->(m) "
            "RETURN p, m, date('2024-05-01') AS d, 0.0 / 0.0 AS nan",
        )
    )["rows"][0]
    assert path["m"]["labels"] == ["Entity", "Firm"] and path["m"]["properties"]["id"] == "firm:mid"
    assert [r["type"] for r in path["p"]["relationships"]] == ["SUBSIDIARY_OF"]
    assert path["d"] == "2024-05-01" and path["nan"] == "nan"
    labels = ok(cypher(client, "CALL db.labels() YIELD label RETURN label ORDER BY label"))
    assert {"Entity", "Firm"} <= {r["label"] for r in labels["rows"]}
    ok(cypher(client, "CALL db.schema.visualization()"))
    # Parameters are values, never Cypher: an injection attempt is just an unknown id.
    injected = cypher(client, "MATCH (n:Entity {id: $id}) RETURN n", id="x'}) CREATE (:Pwned) //")
    assert ok(injected)["count"] == 0
    # A property, label or map key that happens to be a keyword can be written quoted.
    quoted = ok(cypher(client, "WITH {`set`: 1, `create`: 2} AS m RETURN m.`set` + m.create AS x"))
    assert quoted["rows"] == [{"x": 3}]


@pytest.mark.neo4j
def test_rows_are_cut_at_the_limit(client: TestClient) -> None:
    body = ok(cypher(client, "UNWIND range(1, 50) AS i RETURN i"))
    assert body["count"] == 10 and body["truncated"] is True and body["row_limit"] == 10
    assert [r["i"] for r in body["rows"]] == list(range(1, 11))


@pytest.mark.neo4j
def test_a_slow_query_is_stopped_at_the_timeout(graph: Neo4jStore) -> None:
    with client_for(graph, api_keys=[KEY], cypher_enabled=True, cypher_timeout=1) as client:
        response = cypher(
            client, "UNWIND range(1, 2000000000) AS i WITH i WHERE i % 7 = 0 RETURN count(i)"
        )
        body = assert_error(response, 504, "CypherTimeout")
        assert "longer than 1 s" in body["message"]
        ok(cypher(client, "RETURN 1 AS one"))  # and the endpoint still works


@pytest.mark.neo4j
def test_invalid_cypher_is_a_400_with_the_servers_reason(client: TestClient) -> None:
    body = assert_error(cypher(client, "MATCH (n RETURN n"), 400, "CypherRefused")
    assert body["message"].startswith("Neo4j refused the query: ")
    assert_error(cypher(client, "RETURN $missing AS x"), 400, "CypherRefused")
    refused = client.post("/v1/cypher", json={"query": "RETURN 1", "extra": 1}, headers=AUTH)
    assert_error(refused, 422, "InvalidArgument")
    # JSON integers of any size, Bolt's of 64 bits (found by schemathesis: was a 500).
    huge = assert_error(cypher(client, "RETURN $x AS x", x={"a": [10**30]}), 422, "InvalidArgument")
    assert "outside Neo4j's 64-bit integers" in huge["message"]
    assert ok(cypher(client, "RETURN $x AS x", x=2**63 - 1))["rows"] == [{"x": 2**63 - 1}]


@pytest.mark.neo4j
def test_the_endpoint_is_off_by_default_and_needs_a_key(graph: Neo4jStore) -> None:
    with client_for(graph, api_keys=[KEY]) as client:
        body = assert_error(cypher(client, "RETURN 1"), 403, "CypherDisabled")
        assert "TECHGRAPH_CYPHER_ENABLED=true" in body["message"]
    with client_for(graph, api_keys=[KEY], cypher_enabled=True) as client:
        missing = client.post("/v1/cypher", json={"query": "RETURN 1"})
        assert_error(missing, 401, "Unauthorized")
        wrong = client.post(
            "/v1/cypher", json={"query": "RETURN 1"}, headers={"X-API-Key": "w" * 20}
        )
        assert_error(wrong, 403, "Forbidden")
    with client_for(graph, cypher_enabled=True, cypher_requires_key=False) as client:
        assert ok(client.post("/v1/cypher", json={"query": "RETURN 1 AS x"}))["rows"] == [{"x": 1}]


def test_the_embedded_backend_has_no_cypher(tmp_path: Path) -> None:
    from techgraph.graph.embedded import EmbeddedStore

    store = EmbeddedStore(tmp_path)
    with client_for(store, api_keys=[KEY], cypher_enabled=True) as client:
        body = assert_error(cypher(client, "RETURN 1"), 501, "CypherUnsupported")
    assert "needs the neo4j backend" in body["message"]


# -- the text check on its own (no server needed) -----------------------------------------------


@pytest.mark.parametrize(("what", "query"), TRICKS, ids=[w for w, _ in TRICKS])
def test_the_text_check_refuses_what_it_can_see(what: str, query: str) -> None:
    """Most tricks are refused before the server sees them; the rest (a Cyrillic letter, a
    keyword split by a comment) are not Cypher at all, and the server refuses them."""
    server_only = {"Cyrillic C in CREATE", "keyword split by a comment"}
    if what in server_only:
        check_text(query)
        return
    with pytest.raises(CypherRefused):
        check_text(query)


@pytest.mark.parametrize(
    "query",
    [
        "MATCH (n:Firm) RETURN n.name AS name ORDER BY name LIMIT 5",
        "MATCH (n) WHERE n.name = 'CREATE (x)' RETURN n // CREATE in a comment",
        'MATCH (n) WHERE n.note = "it\'s a SET" RETURN n /* DELETE */',
        "MATCH (n:`Set`) RETURN n.set, n.`create`, $remove",
        "RETURN date.truncate('year', date()) AS d, point.distance(point({x: 0, y: 0}), "
        "point({x: 3, y: 4})) AS p, duration.between(date(), date()) AS z",
        "CALL db.labels() YIELD label RETURN label;",
        "MATCH (n) CALL (n) { MATCH (n)--(m) RETURN count(m) AS c } RETURN n, c",
    ],
)
def test_the_text_check_lets_reads_through(query: str) -> None:
    check_text(query)
