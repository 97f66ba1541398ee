"""Schemathesis over every operation of the OpenAPI document, on both backends: generated
requests, valid and invalid, must never get a server error, and every response must match the
status codes, content types, headers and schemas the document declares.

The apps run over the reference data, with an API key sent with every request (so that the
write endpoints are exercised too) and, on Neo4j, the Cypher endpoint enabled. The apps are built
at import, because schemathesis reads their OpenAPI documents to make one test per operation;
they open their stores on the first request. Examples are bounded so that a run takes a minute
or two.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from techgraph.api.app import create_app
from techgraph.api.deps import drop_store
from techgraph.api.routers import documents
from techgraph.api.settings import Settings
from techgraph.graph.embedded import EmbeddedStore
from techgraph.graph.model import FactBatch
from techgraph.graph.neo4j_store import Neo4jStore

from .api_helpers import KEY, neo4j_settings
from .conftest import NEO4J_URI

# TECHGRAPH_SCHEMATHESIS_EXAMPLES=300 for a longer hunt. In CI the examples are derandomised, so
# that a run is reproducible and cannot fail on a case no one can replay; locally they vary.
MAX_EXAMPLES = int(os.environ.get("TECHGRAPH_SCHEMATHESIS_EXAMPLES", "30"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
COMMON = {"api_keys": [KEY], "max_upload_mb": 1}

EMBEDDED_DIR = Path(tempfile.mkdtemp(prefix="techgraph-schemathesis-"))
embedded_app = create_app(Settings(backend="embedded", data_dir=EMBEDDED_DIR, **COMMON))
neo4j_app = create_app(
    neo4j_settings(NEO4J_URI, cypher_enabled=True, cypher_timeout=5, **COMMON)  # type: ignore[arg-type]
)
embedded_schema = schemathesis.openapi.from_asgi("/openapi.json", embedded_app)
neo4j_schema = schemathesis.openapi.from_asgi("/openapi.json", neo4j_app)
# Every check but one: "positive data acceptance" expects any schema-valid request to succeed,
# but some valid-looking requests are refused by design, after the schema: a path from an entity
# to itself, an empty CSV upload, an `alternatives` set naming no alliance (422 or 400, each in
# the common error shape, which the other checks hold to the schema).
EXCLUDED_CHECKS = [schemathesis.checks.positive_data_acceptance]
hypothesis_settings = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=IN_CI,
)


def _close(app: FastAPI) -> None:
    drop_store(app.state)
    if app.state.cypher is not None:
        app.state.cypher.close()
        app.state.cypher = None


@pytest.fixture(scope="module", autouse=True)
def rules_only_extraction() -> Iterator[None]:
    """POST /v1/documents extracts with rules only here: fast, and no model needed."""
    from techgraph.ingest.extract import SpacyExtractor

    original = documents.make_extractor
    documents.make_extractor = lambda names: SpacyExtractor(names, use_model=False)
    yield
    documents.make_extractor = original


@pytest.fixture(scope="module")
def embedded_graph(reference: FactBatch) -> Iterator[None]:
    with EmbeddedStore(EMBEDDED_DIR) as store:
        store.write(reference)
    yield
    _close(embedded_app)
    shutil.rmtree(EMBEDDED_DIR, ignore_errors=True)


@pytest.fixture(scope="module")
def neo4j_graph(neo4j_session_store: Neo4jStore, reference: FactBatch) -> Iterator[None]:
    neo4j_session_store.clear()
    neo4j_session_store.write(reference)
    yield
    _close(neo4j_app)


@embedded_schema.parametrize()
@hypothesis_settings
def test_every_operation_on_the_embedded_backend(
    case: schemathesis.Case, embedded_graph: None
) -> None:
    case.call_and_validate(headers={"X-API-Key": KEY}, excluded_checks=EXCLUDED_CHECKS)


@pytest.mark.neo4j
@neo4j_schema.parametrize()
@hypothesis_settings
def test_every_operation_on_neo4j(case: schemathesis.Case, neo4j_graph: None) -> None:
    case.call_and_validate(headers={"X-API-Key": KEY}, excluded_checks=EXCLUDED_CHECKS)
