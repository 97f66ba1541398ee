"""A read on its own is retried once on a transient failure, and only once (real Neo4j; the
failure is injected in front of the real call)."""

from __future__ import annotations

from typing import Any

import pytest
from neo4j import exceptions as neo4j_exc

from techgraph.graph.errors import BackendUnavailable, TechgraphError
from techgraph.graph.model import FactBatch, Node
from techgraph.graph.neo4j_store import Neo4jStore

pytestmark = pytest.mark.neo4j


def failing_first(store: Neo4jStore, failures: list[Exception]) -> list[int]:
    """Make the store's lone reads raise `failures` in turn before reaching the server."""
    real = store._run_alone
    calls: list[int] = []

    def run_alone(query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return real(query, params)

    store._run_alone = run_alone  # type: ignore[method-assign]
    return calls


@pytest.fixture
def neo(neo4j_session_store: Neo4jStore) -> Any:
    neo4j_session_store.clear()
    neo4j_session_store.write(FactBatch([Node("firm:huawei", "Huawei")]))
    yield neo4j_session_store
    del neo4j_session_store._run_alone  # back to the class's method


@pytest.mark.parametrize(
    "failure",
    [neo4j_exc.TransientError("lock wait timed out"), neo4j_exc.SessionExpired("leader moved")],
    ids=["transient", "session-expired"],
)
def test_a_transient_failure_is_retried_once(neo: Neo4jStore, failure: Exception) -> None:
    calls = failing_first(neo, [failure])
    node = neo.get_node("firm:huawei")
    assert node is not None and node.name == "Huawei"
    assert len(calls) == 2


def test_a_second_failure_is_reported_not_retried_again(neo: Neo4jStore) -> None:
    calls = failing_first(neo, [neo4j_exc.SessionExpired("gone"), neo4j_exc.SessionExpired("gone")])
    with pytest.raises(BackendUnavailable, match="cannot reach Neo4j"):
        neo.get_node("firm:huawei")
    assert len(calls) == 2


def test_other_errors_are_not_retried(neo: Neo4jStore) -> None:
    calls = failing_first(neo, [neo4j_exc.ClientError("syntax")])
    with pytest.raises(TechgraphError):
        neo.get_node("firm:huawei")
    assert len(calls) == 1
