"""The local Neo4j server that `python -m techgraph.graph.neo4j_server start` runs.

These tests look at a server someone else started (CI's .ci/run, or you), in the home given by
TECHGRAPH_NEO4J_HOME (default ~/.local/share/techgraph/neo4j), with the password in
TECHGRAPH_NEO4J_PASSWORD (default "techgraph"); they never start or stop it. As in conftest.py,
they are skipped when no server runs, except with CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator

import pytest
from neo4j import Driver, GraphDatabase
from neo4j.exceptions import AuthError

from techgraph.graph.neo4j_server import manager

pytestmark = pytest.mark.neo4j

PASSWORD = os.environ.get("TECHGRAPH_NEO4J_PASSWORD", manager.DEFAULT_PASSWORD)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def server() -> manager.ServerStatus:
    st = manager.status()
    if not st.running:
        reason = (
            f"no local Neo4j runs in {st.home}; start it with "
            "`python -m techgraph.graph.neo4j_server start`"
        )
        if IN_CI:
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    return st


@pytest.fixture(scope="module")
def driver(server: manager.ServerStatus) -> Iterator[Driver]:
    with GraphDatabase.driver(server.bolt_uri, auth=(manager.USER, PASSWORD)) as drv:
        yield drv


def _get(url: str) -> tuple[int, str, str]:
    # No proxies: an http_proxy in the environment must not intercept a loopback request.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as response:
        body = response.read().decode("utf-8", errors="replace")
        return response.status, response.headers.get("Content-Type", ""), body


def test_status_reports_a_running_server_with_its_pid(server: manager.ServerStatus) -> None:
    assert server.running
    assert server.pid is not None and server.pid > 0
    assert manager.pid_file(server.home).read_text().strip() == str(server.pid)
    assert server.bolt_uri.startswith("bolt://127.0.0.1:")
    assert server.browser_url.startswith("http://127.0.0.1:")


def test_bolt_answers_with_the_password(driver: Driver) -> None:
    records, _, _ = driver.execute_query("RETURN 1 AS one")
    assert records[0]["one"] == 1


def test_a_wrong_password_is_refused(server: manager.ServerStatus) -> None:
    with (
        GraphDatabase.driver(server.bolt_uri, auth=(manager.USER, PASSWORD + "-wrong")) as bad,
        pytest.raises(AuthError),
    ):
        bad.verify_connectivity()


def test_neo4j_browser_is_served(server: manager.ServerStatus) -> None:
    code, content_type, body = _get(server.browser_url)
    assert code == 200
    assert content_type.startswith("text/html")
    assert "<title>Neo4j Browser</title>" in body


def test_apoc_core_is_available(driver: Driver) -> None:
    records, _, _ = driver.execute_query(
        "RETURN apoc.version() AS version, apoc.coll.sum([1, 2, 3]) AS six"
    )
    assert records[0]["version"] == manager.neo4j_version()
    assert records[0]["six"] == 6


def test_server_is_the_pinned_5_26_community(server: manager.ServerStatus, driver: Driver) -> None:
    records, _, _ = driver.execute_query(
        "CALL dbms.components() YIELD name, versions, edition RETURN versions[0] AS v, edition"
    )
    version = records[0]["v"]
    assert version.startswith("5.26.")
    assert version == manager.neo4j_version() == server.version
    assert records[0]["edition"] == "community"


def test_connectors_listen_on_loopback_only(driver: Driver) -> None:
    records, _, _ = driver.execute_query(
        "SHOW SETTINGS YIELD name, value "
        "WHERE name IN ['server.bolt.listen_address', 'server.http.listen_address', "
        "'server.default_listen_address'] RETURN name, value"
    )
    values = {r["name"]: r["value"] for r in records}
    assert values["server.default_listen_address"] == "127.0.0.1"
    assert values["server.bolt.listen_address"].startswith("127.0.0.1:")
    assert values["server.http.listen_address"].startswith("127.0.0.1:")
