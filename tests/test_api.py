"""The HTTP API's read side on both backends: every question, paging, evidence, one error shape.

Each test builds an app over the same graph as the `store` fixture (embedded, then the real
Neo4j), so the API is exercised through its own store-opening path.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from techgraph.api.app import create_app
from techgraph.api.runtime import GC_THRESHOLD
from techgraph.api.settings import Settings
from techgraph.graph.embedded import EmbeddedStore
from techgraph.graph.model import FactBatch, Node, Provenance, Relationship
from techgraph.graph.store import GraphStore

from .api_helpers import Relay, client_for, neo4j_settings
from .conftest import NEO4J_URI
from .graphs import SRC, supply_chain

DOC = "doc:" + "ab" * 32


@pytest.fixture
def client(store: GraphStore) -> Iterator[TestClient]:
    store.write(supply_chain())
    # A fact read from a document, to see evidence name its document.
    sentence = Provenance(
        DOC, "test-extractor", "1", 0.8, sentence="Huawei makes base stations.", start=0, end=27
    )
    store.write(
        FactBatch(
            nodes=[Node(DOC, "brief.md", props={"path": "/briefs/brief.md"}, provenance=(SRC,))],
            relationships=[
                Relationship("firm:huawei", "PRODUCES", "tech:base-stations", {}, (sentence,)),
                Relationship(DOC, "MENTIONS", "firm:huawei", {}, (sentence,)),
            ],
        )
    )
    with client_for(store) as c:
        yield c


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_error(response: Any, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["error"] == error
    assert isinstance(body["message"], str) and body["message"]
    assert "Traceback" not in response.text
    return body


# -- service --------------------------------------------------------------------------------------


def test_health_and_stats_at_the_root_and_under_v1(client: TestClient, store: GraphStore) -> None:
    for path in ("/health", "/v1/health"):
        assert ok(client.get(path)) == {"status": "ok", "backend": store.backend}
    for path in ("/stats", "/v1/stats"):
        stats = ok(client.get(path))
        assert stats["nodes"]["Firm"] == 7 and stats["relationships"]["MENTIONS"] == 1


def test_health_and_stats_on_a_fresh_embedded_directory(tmp_path: Path) -> None:
    EmbeddedStore(tmp_path).write(FactBatch(nodes=[Node("firm:acme", "Acme")]))
    with TestClient(create_app(Settings(backend="embedded", data_dir=tmp_path))) as client:
        assert client.get("/health").json() == {"status": "ok", "backend": "embedded"}
        assert client.get("/stats").json() == {"nodes": {"Firm": 1}, "relationships": {}}


def test_an_unreachable_neo4j_is_a_503_with_one_json_message() -> None:
    settings = Settings(
        backend="neo4j", neo4j_uri="bolt://127.0.0.1:1", neo4j_password=SecretStr("x" * 9)
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/health")
        body = assert_error(response, 503, "BackendUnavailable")
        assert "cannot reach Neo4j at bolt://127.0.0.1:1" in body["message"]
        assert_error(client.get("/v1/entities?q=x"), 503, "BackendUnavailable")


def test_a_bad_backend_setting_is_reported_as_json(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(backend="mongo", data_dir=tmp_path))) as client:
        body = assert_error(client.get("/stats"), 400, "ConfigError")
    assert "unknown backend 'mongo'" in body["message"]


@pytest.mark.neo4j
def test_the_service_recovers_when_neo4j_comes_back(neo4j_session_store: GraphStore) -> None:
    """Neo4j down (a relay that refuses connections), then up: 503s, then answers, with no
    restart of the service; and down again after being up."""
    neo4j_session_store.clear()
    neo4j_session_store.write(supply_chain())
    relay = Relay(NEO4J_URI)
    with TestClient(create_app(neo4j_settings(relay.uri))) as client:
        assert_error(client.get("/health"), 503, "BackendUnavailable")
        assert_error(client.get("/v1/entities/firm:huawei"), 503, "BackendUnavailable")
        relay.start()
        try:
            assert ok(client.get("/health"))["backend"] == "neo4j"
            assert ok(client.get("/v1/entities/firm:huawei"))["name"] == "Huawei"
            relay.stop()  # the server goes away under an open connection pool
            assert_error(client.get("/v1/entities/firm:huawei"), 503, "BackendUnavailable")
            relay.start()
            assert ok(client.get("/v1/entities/Huawei"))["id"] == "firm:huawei"
        finally:
            relay.stop()


# -- entities -------------------------------------------------------------------------------------


def test_search_by_name_and_suggestions_on_a_miss(client: TestClient) -> None:
    found = ok(client.get("/v1/entities", params={"q": "huawei technologies"}))
    assert found["count"] == 1 and found["suggestions"] == []
    assert found["data"][0] == {
        "id": "firm:huawei",
        "name": "Huawei",
        "aliases": ["Huawei Technologies"],
        "properties": {},
    }
    missed = ok(client.get("/v1/entities", params={"q": "Huawey"}))
    assert missed["count"] == 0 and missed["data"] == []
    assert missed["suggestions"] == [{"id": "firm:huawei", "name": "Huawei"}]


def test_lookup_by_id_or_name_with_type_and_evidence(client: TestClient) -> None:
    by_id = ok(client.get("/v1/entities/firm:huawei"))
    by_name = ok(client.get("/v1/entities/Huawei Technologies"))
    assert by_id == by_name
    assert by_id["type"] == "Firm" and by_id["aliases"] == ["Huawei Technologies"]
    doc = ok(client.get(f"/v1/entities/{DOC}"))
    assert doc["type"] == "Document"
    assert doc["evidence"] == [
        {
            "source": "dataset:test",
            "extractor": "test",
            "extractor_version": "1",
            "confidence": 1.0,
            "locator": "fixture",
            "citation": "test fixture",
        }
    ]


def test_an_unknown_entity_is_a_404_with_did_you_mean(client: TestClient) -> None:
    body = assert_error(client.get("/v1/entities/Ericson"), 404, "NotFound")
    assert body["suggestions"] == [{"id": "firm:ericsson", "name": "Ericsson"}]
    assert "Did you mean Ericsson" in body["message"]
    # The same in every question that takes an entity.
    body = assert_error(client.get("/v1/exposure", params={"item": "Ericson"}), 404, "NotFound")
    assert body["suggestions"] == [{"id": "firm:ericsson", "name": "Ericsson"}]


def test_an_ambiguous_name_is_a_409_with_candidates(client: TestClient, store: GraphStore) -> None:
    store.write(FactBatch(nodes=[Node("firm:huawei-device", "Huawei Device", ("Huawei",))]))
    with client_for(store) as fresh:  # a new app: its resolver has not seen the graph yet
        body = assert_error(fresh.get("/v1/entities/Huawei"), 409, "Ambiguous")
        assert {c["id"] for c in body["candidates"]} == {"firm:huawei", "firm:huawei-device"}
        both = ok(fresh.get("/v1/entities", params={"q": "Huawei"}))
        assert both["count"] == 2


def test_entity_names_with_slashes_and_odd_characters(client: TestClient) -> None:
    assert_error(client.get("/v1/entities/a/b c%"), 404, "NotFound")
    assert ok(client.get("/v1/entities", params={"q": "ä/ß\u0000"}))["count"] == 0


def test_neighbours_filtered_by_type_and_direction_and_paged(client: TestClient) -> None:
    body = ok(
        client.get(
            "/v1/neighbours",
            params={"entity": "ChipCo", "type": ["SUBSIDIARY_OF", "PRODUCES"], "direction": "out"},
        )
    )
    assert body["entity"] == {"id": "firm:chipco", "name": "ChipCo"}
    assert [(n["relationship"]["type"], n["node"]["id"]) for n in body["data"]] == [
        ("PRODUCES", "tech:gan-rf-chips"),
        ("SUBSIDIARY_OF", "firm:mid"),
    ]
    assert body["count"] == 2
    page = ok(client.get("/v1/neighbours", params={"entity": "ChipCo", "limit": 1, "offset": 1}))
    assert page["count"] == 3 and len(page["data"]) == 1 and page["offset"] == 1
    beyond = ok(client.get("/v1/neighbours", params={"entity": "ChipCo", "offset": 50}))
    assert beyond["count"] == 3 and beyond["data"] == []


def test_the_evidence_behind_a_relationship_names_its_document(client: TestClient) -> None:
    body = ok(
        client.get(
            "/v1/relationships",
            params={"source": "Huawei", "type": "PRODUCES", "target": "tech:base-stations"},
        )
    )
    assert body["count"] == 1 and body["target"]["id"] == "tech:base-stations"
    evidence = body["data"][0]["relationship"]["evidence"]
    by_source = {e["source"]: e for e in evidence}
    assert by_source[DOC]["sentence"] == "Huawei makes base stations."
    assert by_source[DOC]["document"] == {"id": DOC, "name": "brief.md"}
    assert (by_source[DOC]["start"], by_source[DOC]["end"]) == (0, 27)
    assert by_source["dataset:test"]["citation"] == "test fixture"
    assert "document" not in by_source["dataset:test"]
    assert body["data"][0]["relationship"]["properties"] == {"share": 0.3, "year": 2023}
    # Direction matters unless asked otherwise.
    reverse = {"source": "tech:base-stations", "target": "Huawei"}
    assert ok(client.get("/v1/relationships", params=reverse))["count"] == 0
    both = ok(client.get("/v1/relationships", params={**reverse, "direction": "both"}))
    assert both["count"] == 1


# -- the questions --------------------------------------------------------------------------------


def test_paths_with_evidence_on_every_hop(client: TestClient) -> None:
    body = ok(client.get("/v1/paths", params={"source": "Huawei", "target": "Ericsson", "k": 5}))
    assert body["count"] == 2 and {len(p) for p in body["data"]} == {2}
    hop = body["data"][0][0]
    assert list(hop)[:3] == ["from", "to", "direction"]
    assert hop["from"]["id"] == "firm:huawei" and hop["evidence"]
    typed = ok(
        client.get(
            "/v1/paths", params={"source": "Huawei", "target": "Ericsson", "type": "PRODUCES"}
        )
    )
    assert [p[0]["to"]["id"] for p in typed["data"]] == ["tech:base-stations"]
    same = client.get("/v1/paths", params={"source": "Huawei", "target": "firm:huawei"})
    assert "same entity" in assert_error(same, 422, "InvalidArgument")["message"]


def test_suppliers_with_country_shares(client: TestClient) -> None:
    body = ok(client.get("/v1/suppliers", params={"item": "tech:gallium"}))
    assert [r["provider"]["id"] for r in body["data"]] == ["country:CHN", "country:JPN"]
    assert body["countries"][0] == {
        "country": "country:CHN",
        "share": 0.9,
        "basis": "reported",
        "firms": [],
    }
    firm = ok(client.get("/v1/suppliers", params={"item": "Base stations"}))["data"][0]
    assert firm["provider"]["id"] == "firm:huawei" and firm["country"] == "country:CHN"
    assert firm["share"] == 0.3 and firm["year"] == 2023 and firm["kind"] == "firm"


def test_dependencies_tree_and_paging(client: TestClient) -> None:
    body = ok(client.get("/v1/dependencies", params={"item": "5G", "depth": 3}))
    ids = [r["node"]["id"] for r in body["data"]]
    assert ids[0] == "tech:5g" and body["data"][0]["depth"] == 0
    assert {"tech:base-stations", "tech:gallium", "tech:rf-chips", "tech:gan-rf-chips"} <= set(ids)
    assert body["item"]["id"] == "tech:5g" and body["count"] == len(ids)
    gan = next(r for r in body["data"] if r["node"]["id"] == "tech:gan-rf-chips")
    assert [h["type"] for h in gan["route"]] == ["REQUIRES", "REQUIRES", "IS_TYPE_OF"]
    assert gan["route"][-1]["direction"] == "backward"
    second = ok(client.get("/v1/dependencies", params={"item": "5G", "limit": 1, "offset": 1}))
    assert [r["node"]["id"] for r in second["data"]] == ids[1:2]


def test_exposure_findings_by_basis_and_figure(client: TestClient) -> None:
    body = ok(client.get("/v1/exposure", params={"item": "tech:5g", "origin": "CHN"}))
    assert body["origin"] == {"id": "country:CHN", "name": "China"}
    bases = {(f["supplier"]["id"], f["basis"]) for f in body["data"]}
    assert {
        ("firm:huawei", "headquarters"),
        ("firm:chipco", "ultimate_parent"),
        ("firm:chipco", "restricted_party"),
        ("country:CHN", "production"),
        ("firm:ericsson", "production"),
    } <= bases
    assert body["exposure"] is not None and 0 < body["exposure"] <= 1
    assert body["count"] == len(body["data"])
    bad = client.get("/v1/exposure", params={"item": "tech:5g", "origin": "XXX"})
    assert "not a country in the graph" in assert_error(bad, 422, "InvalidArgument")["message"]
    assert_error(
        client.get("/v1/exposure", params={"item": "tech:5g", "origin": "China!"}),
        422,
        "InvalidArgument",
    )


def test_chokepoints_and_within(client: TestClient) -> None:
    everything = ok(client.get("/v1/chokepoints", params={"threshold": 0.5}))
    assert {(c["item"]["id"], c["reason"]) for c in everything["data"]} >= {
        ("tech:gallium", "country share"),
        ("tech:unrelated", "single supplier"),
    }
    within = ok(client.get("/v1/chokepoints", params={"within": "5G"}))
    assert within["within"] == {"id": "tech:5g", "name": "5G"}
    assert "tech:unrelated" not in {c["item"]["id"] for c in within["data"]}
    assert_error(client.get("/v1/chokepoints", params={"threshold": 0}), 422, "InvalidArgument")


def test_alternatives_from_countries_or_an_alliance(client: TestClient) -> None:
    body = ok(client.get("/v1/alternatives", params={"item": "5G", "from": "USA,JPN"}))
    assert body["from"] == "USA, JPN" and body["origin"]["id"] == "country:CHN"
    by_input = {a["input"]["id"]: a for a in body["data"]}
    assert [s["provider"]["id"] for s in by_input["tech:gallium"]["alternatives"]] == [
        "country:JPN"
    ]
    club = ok(client.get("/v1/alternatives", params={"item": "5G", "from": "Club"}))
    assert club["from"] == "Tech Club"


def test_alignment_of_an_alliance(client: TestClient) -> None:
    params = {"technology": "GaN RF chips", "alliance": "Club"}
    body = ok(client.get("/v1/alignment", params=params))
    by_country = {m["country"]["id"]: m for m in body["data"]}
    assert by_country["country:USA"]["restricts"] is True
    assert by_country["country:USA"]["restrictions"][0]["via"] == "agency"
    assert by_country["country:JPN"]["restricts"] is False
    assert body["restricting"] == 1 and body["count"] == 3


# -- one error shape ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/dependencies", {"item": "5G", "depth": 11}, "query.depth"),
        ("/v1/dependencies", {"item": "5G", "depth": "deep"}, "query.depth"),
        ("/v1/paths", {"source": "a"}, "query.target"),
        ("/v1/paths", {"source": "a", "target": "b", "k": 0}, "query.k"),
        ("/v1/neighbours", {"entity": "x", "type": "OWNS"}, "query.type.0"),
        ("/v1/neighbours", {"entity": "x", "direction": "up"}, "query.direction"),
        ("/v1/entities", {"q": ""}, "query.q"),
        ("/v1/entities", {"q": "x", "limit": 5000}, "query.limit"),
    ],
)
def test_bad_parameters_are_a_422_in_the_common_shape(
    client: TestClient, path: str, params: dict[str, Any], field: str
) -> None:
    body = assert_error(client.get(path, params=params), 422, "InvalidArgument")
    assert field in [f["location"] for f in body["fields"]]
    assert body["message"].startswith(field)


def test_unknown_routes_and_methods_use_the_same_shape(client: TestClient) -> None:
    assert_error(client.get("/v1/nothing"), 404, "NotFound")
    assert_error(client.delete("/v1/entities/firm:huawei"), 405, "MethodNotAllowed")


def test_an_unexpected_failure_is_a_500_without_a_stack_trace(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from techgraph.graph import questions

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(questions, "suppliers", broken)
    response = client.get("/v1/suppliers", params={"item": "tech:gallium"})
    body = assert_error(response, 500, "InternalError")
    assert "secret" not in response.text and "RuntimeError" not in response.text
    error_id = body["message"].rsplit(" ", 1)[-1].rstrip(".")
    assert any(error_id in r.getMessage() for r in caplog.records)  # logged server-side


def test_openapi_documents_every_operation_with_examples(client: TestClient) -> None:
    spec = ok(client.get("/openapi.json"))
    paths = spec["paths"]
    for path in (
        "/v1/entities",
        "/v1/entities/{entity}",
        "/v1/neighbours",
        "/v1/relationships",
        "/v1/paths",
        "/v1/suppliers",
        "/v1/dependencies",
        "/v1/exposure",
        "/v1/chokepoints",
        "/v1/alternatives",
        "/v1/alignment",
        "/v1/imports/eto",
        "/v1/imports/csv",
        "/v1/documents",
        "/v1/cypher",
        "/health",
        "/stats",
    ):
        assert path in paths, path
    lookup = paths["/v1/entities/{entity}"]["get"]
    assert {"404", "409", "422", "503"} <= set(lookup["responses"])
    assert lookup["parameters"][0]["schema"]["examples"] == ["firm:huawei"]
    assert spec["components"]["schemas"]["NodeRef"]["properties"]["id"]["examples"]
    schemes = spec["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"apiKey", "http"}
    # Writes need a key; reads take one optionally (`{}`) unless the server requires it.
    assert {} not in paths["/v1/imports/csv"]["post"]["security"]
    assert {} in lookup["security"]
    assert client.get("/docs").status_code == 200


def test_cors_only_for_configured_origins(tmp_path: Path) -> None:
    preflight = {
        "Origin": "https://app.example.org",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "X-API-Key",
    }
    settings = Settings(
        backend="embedded", data_dir=tmp_path, cors_origins=["https://app.example.org"]
    )
    with TestClient(create_app(settings)) as client:
        allowed = client.options("/v1/entities", headers=preflight)
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://app.example.org"
        other = client.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
    with TestClient(create_app(Settings(backend="embedded", data_dir=tmp_path))) as client:
        plain = client.get("/health", headers={"Origin": "https://app.example.org"})
        assert "access-control-allow-origin" not in plain.headers


def test_the_server_process_collects_garbage_less_often(tmp_path: Path) -> None:
    # Questions allocate hundreds of thousands of short-lived objects; at CPython's default
    # threshold the collector doubled the Neo4j exposure p99 (api/runtime.py).
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        create_app(Settings(backend="embedded", data_dir=tmp_path))
        assert gc.get_threshold() == GC_THRESHOLD
    finally:
        gc.set_threshold(*before)


def test_reads_beyond_the_read_concurrency_wait_their_turn() -> None:
    import asyncio

    import httpx

    from techgraph.api.app import ReadLimit

    running: dict[str, int] = {}
    most: dict[str, int] = {}

    async def slow_app(scope: Any, receive: Any, send: Any) -> None:
        key = f"{scope['method']} {scope['path'].split('/')[1]}"
        running[key] = running.get(key, 0) + 1
        most[key] = max(most.get(key, 0), running[key])
        await asyncio.sleep(0.02)
        running[key] -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def main() -> None:
        transport = httpx.ASGITransport(app=ReadLimit(slow_app, limit=2))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            reads = [client.get(f"/v1/dependencies?item={i}") for i in range(6)]
            assert all(r.status_code == 200 for r in await asyncio.gather(*reads))
            others = [client.post("/v1/import/csv") for _ in range(4)]
            others += [client.get("/health") for _ in range(4)]
            await asyncio.gather(*others)

    asyncio.run(main())
    assert most == {"GET v1": 2, "POST v1": 4, "GET health": 4}


def test_the_read_concurrency_is_a_setting_and_zero_means_no_bound(tmp_path: Path) -> None:
    from techgraph.api.app import ReadLimit

    def limits(app: Any) -> list[int]:
        return [m.kwargs["limit"] for m in app.user_middleware if m.cls is ReadLimit]

    assert limits(create_app(Settings(data_dir=tmp_path))) == [2]
    assert limits(create_app(Settings(data_dir=tmp_path, api_read_concurrency=5))) == [5]
    assert limits(create_app(Settings(data_dir=tmp_path, api_read_concurrency=0))) == []


def test_a_server_frees_cyclic_garbage_between_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The driver leaves reference cycles behind every question; with the collector's threshold
    at 500,000 they would wait for one long pause. The app collects them after a request once
    `BETWEEN_REQUESTS` objects wait, and not before."""
    import weakref

    from techgraph.api import runtime

    class Cycle:
        def __init__(self) -> None:
            self.me = self

    def garbage() -> weakref.ref[Cycle]:
        c = Cycle()
        return weakref.ref(c)

    before = gc.get_threshold()
    monkeypatch.setattr(runtime, "BETWEEN_REQUESTS", 5_000)
    try:
        app = create_app(Settings(backend="embedded", data_dir=tmp_path))
        with TestClient(app) as client:
            gc.collect()
            few = garbage()
            assert client.get("/health").status_code == 200
            assert few() is not None, "collected although little garbage waited"
            many = [garbage() for _ in range(6_000)]
            assert client.get("/health").status_code == 200
            assert few() is None
            assert all(ref() is None for ref in many)
    finally:
        gc.set_threshold(*before)
