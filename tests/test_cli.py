"""What a user of the `techgraph` command sees, including every kind of bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from techgraph.api.cli import cli
from techgraph.graph import embedded

from .conftest import NEO4J_URI


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_demo_on_the_embedded_default_prints_proven_chinese_dependencies(tmp_path: Path) -> None:
    code, out, err = run("--data-dir", str(tmp_path), "demo")
    assert code == 0, err
    assert "Huawei" in out
    assert "-[HEADQUARTERED_IN]-> China" in out
    assert "embedded backend" in out


def test_demo_json_gives_paths_and_citations(tmp_path: Path) -> None:
    code, out, _ = run("--data-dir", str(tmp_path), "demo", "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["item"]["id"] == "tech:5g" and answer["origin"]["id"] == "country:CHN"
    assert answer["findings"]
    for f in answer["findings"]:
        assert f["basis"] in ("headquarters", "ultimate_parent", "production", "restricted_party")
        assert f["path"][0]["from"]["id"] == "tech:5g"
        supply = next(h for h in f["path"] if h["type"] in ("PRODUCES", "SUPPLIES"))
        assert supply["evidence"], "every supply fact carries its evidence"
        assert all(e.get("citation") for e in supply["evidence"])
    bases = {f["basis"] for f in answer["findings"]}
    assert {"headquarters", "ultimate_parent"} <= bases


def test_stats_after_loading_twice_is_unchanged(tmp_path: Path) -> None:
    assert run("--data-dir", str(tmp_path), "load-reference")[0] == 0
    _, first, _ = run("--data-dir", str(tmp_path), "stats")
    assert run("--data-dir", str(tmp_path), "load-reference")[0] == 0
    _, second, _ = run("--data-dir", str(tmp_path), "stats")
    assert first == second
    assert "Country" in first and "Firm" in first


def test_unknown_backend_is_one_clear_sentence(tmp_path: Path) -> None:
    code, _, err = run("--backend", "sqlite", "--data-dir", str(tmp_path), "stats")
    assert code == 1
    assert "unknown backend 'sqlite'; choose one of embedded, neo4j" in one_error_line(err)


def test_backend_from_the_environment(tmp_path: Path) -> None:
    code, _, err = run(
        "stats", env={"TECHGRAPH_BACKEND": "nope", "TECHGRAPH_DATA_DIR": str(tmp_path)}
    )
    assert code == 1 and "unknown backend 'nope'" in one_error_line(err)


def test_a_data_dir_that_cannot_be_used(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, _, err = run("--data-dir", str(blocker / "graph"), "demo")
    assert code == 1
    assert "TECHGRAPH_DATA_DIR" in one_error_line(err)


def test_a_corrupt_store_is_reported_and_not_touched(tmp_path: Path) -> None:
    (tmp_path / embedded.SNAPSHOT).write_text('{"format": "techgraph-embedded", "nodes": [')
    code, _, err = run("--data-dir", str(tmp_path), "demo")
    assert code == 1
    assert "cannot be read" in one_error_line(err)
    assert (tmp_path / embedded.SNAPSHOT).read_text().endswith("[")


def test_an_unreachable_neo4j(tmp_path: Path) -> None:
    env = {"TECHGRAPH_NEO4J_URI": "bolt://127.0.0.1:1"}
    code, _, err = run("--backend", "neo4j", "stats", env=env)
    assert code == 1
    assert "cannot reach Neo4j at bolt://127.0.0.1:1" in one_error_line(err)


def test_a_malformed_neo4j_uri(tmp_path: Path) -> None:
    code, _, err = run("--backend", "neo4j", "stats", env={"TECHGRAPH_NEO4J_URI": "http//x"})
    assert code == 1
    assert "is not a Neo4j URI" in one_error_line(err)


@pytest.mark.neo4j
def test_a_wrong_neo4j_password(neo4j_session_store: object) -> None:
    env = {"TECHGRAPH_NEO4J_URI": NEO4J_URI, "TECHGRAPH_NEO4J_PASSWORD": "wrong-password"}
    code, _, err = run("--backend", "neo4j", "stats", env=env)
    assert code == 1
    assert "refused the user name or password" in one_error_line(err)


@pytest.mark.neo4j
def test_demo_on_neo4j(neo4j_session_store: object) -> None:
    env = {
        "TECHGRAPH_NEO4J_URI": NEO4J_URI,
        "TECHGRAPH_NEO4J_PASSWORD": os.environ.get("TECHGRAPH_NEO4J_PASSWORD", "techgraph"),
    }
    code, out, err = run("--backend", "neo4j", "demo", env=env)
    assert code == 0, err
    assert "neo4j backend" in out and "-[HEADQUARTERED_IN]-> China" in out


def test_python_dash_m_techgraph_is_the_same_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "techgraph", "stats", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Usage: techgraph stats" in done.stdout


@pytest.mark.parametrize(
    ("option", "value", "what"),
    [("--heap", "lots", "heap"), ("--pagecache", "1g\nx=y", "page cache")],
)
def test_a_bad_neo4j_memory_size_is_refused_before_anything_starts(
    tmp_path: Path, option: str, value: str, what: str
) -> None:
    home = tmp_path / "neo4j"
    code, _, err = run("neo4j", "start", "--home", str(home), option, value)
    assert code == 1
    assert f"{what} size" in one_error_line(err) and "such as 1g" in err
    assert not (home / "conf").exists()  # nothing written, no server started


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        (
            {
                "settings": {
                    "db.tx_state.memory_allocation": "OFF_HEAP\ndbms.security.auth_enabled=false"
                }
            },
            "not a Neo4j setting",
        ),
        ({"settings": {"x y": "1"}}, "not a Neo4j setting"),
        ({"initial_heap": "2g", "heap": "1g"}, "larger than the heap"),
    ],
)
def test_launcher_settings_that_could_not_be_meant_are_refused(
    tmp_path: Path, kwargs: dict[str, Any], fragment: str
) -> None:
    from techgraph.graph.neo4j_server import manager

    home = tmp_path / "neo4j"
    with pytest.raises(manager.StartFailed, match=fragment):
        manager.start(home, **kwargs)
    assert not (home / "conf").exists()
