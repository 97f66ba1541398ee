"""The first HTTP endpoints: /health and /stats on either backend, JSON errors when down."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from techgraph.api.app import create_app
from techgraph.api.settings import Settings
from techgraph.graph.embedded import EmbeddedStore
from techgraph.graph.model import FactBatch, Node


def test_health_and_stats_on_the_embedded_backend(tmp_path: Path) -> None:
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
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "BackendUnavailable"
    assert "cannot reach Neo4j at bolt://127.0.0.1:1" in body["message"]
    assert "Traceback" not in response.text


def test_a_bad_backend_setting_is_reported_as_json(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(backend="mongo", data_dir=tmp_path))) as client:
        response = client.get("/stats")
    assert response.status_code == 400
    assert "unknown backend 'mongo'" in response.json()["message"]
