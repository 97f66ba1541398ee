"""Shared fixtures: one `store` fixture parametrised over both backends.

The Neo4j half runs against a real server (CI starts it with `techgraph neo4j start`). When it
cannot be reached the Neo4j tests are skipped on a developer's machine, but fail when CI=true.
Because the tests empty the database, they refuse to touch one that holds techgraph data without
the marker node this suite leaves behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from techgraph.graph.embedded import EmbeddedStore
from techgraph.graph.errors import BackendUnavailable
from techgraph.graph.model import FactBatch
from techgraph.graph.neo4j_store import Neo4jStore
from techgraph.graph.store import GraphStore
from techgraph.ingest.reference import load_reference

NEO4J_URI = os.environ.get("TECHGRAPH_TEST_NEO4J_URI", "bolt://127.0.0.1:7687")
NEO4J_USER = os.environ.get("TECHGRAPH_NEO4J_USER", "neo4j")
NEO4J_PASSWORD = os.environ.get("TECHGRAPH_NEO4J_PASSWORD", "techgraph")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
MARKER_QUERY = "MERGE (:TechgraphTestMarker {note: 'this database belongs to the test suite'})"

BACKENDS = ["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)]


@pytest.fixture(scope="session")
def neo4j_session_store() -> Iterator[Neo4jStore]:
    try:
        store = Neo4jStore(NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, connect_timeout=5.0)
    except BackendUnavailable as exc:
        if IN_CI:
            pytest.fail(f"CI=true and the test Neo4j is unreachable: {exc.message}")
        pytest.skip(f"no Neo4j for tests ({exc.message})")
    with store._driver.session(database=store.database) as session:
        marked = session.run("MATCH (m:TechgraphTestMarker) RETURN count(m) AS n").single()
        entities = session.run("MATCH (n:Entity) RETURN count(n) AS n").single()
        assert marked is not None and entities is not None
        if entities["n"] and not marked["n"]:
            pytest.fail(
                f"{NEO4J_URI} holds techgraph data that the test suite did not write; point "
                "TECHGRAPH_TEST_NEO4J_URI at a server for tests (the suite empties it)."
            )
        session.run(MARKER_QUERY).consume()
    store.init()
    yield store
    store.close()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """An empty store of each backend."""
    if request.param == "embedded":
        embedded = EmbeddedStore(tmp_path / "graph")
        yield embedded
        embedded.close()
    else:
        neo = request.getfixturevalue("neo4j_session_store")
        neo.clear()
        yield neo


@pytest.fixture(scope="session")
def reference() -> FactBatch:
    return load_reference()


# -- reporting how many tests really ran against Neo4j -----------------------------------------

_neo4j_outcomes: dict[str, int] = {"passed": 0, "failed": 0, "skipped": 0}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "neo4j" not in report.keywords:
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _neo4j_outcomes[report.outcome] = _neo4j_outcomes.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    o = _neo4j_outcomes
    terminalreporter.write_line(
        f"Neo4j ({NEO4J_URI}): {o['passed']} tests passed against the real server, "
        f"{o['failed']} failed, {o['skipped']} skipped."
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # With CI=true a run in which no Neo4j test passed is a failed run, whatever else passed.
    if IN_CI and _neo4j_outcomes["passed"] == 0 and exitstatus == 0:
        session.exitstatus = 1
