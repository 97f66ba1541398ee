"""docker-compose.yml parses (no engine needed) and wires Neo4j and the API the way we say."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    if shutil.which("docker-compose"):
        cmd = ["docker-compose", "config"]
    elif (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        cmd = ["docker", "compose", "config"]
    else:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    return subprocess.run(
        cmd, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


def test_compose_file_parses_and_wires_neo4j_and_api() -> None:
    result = compose_config({"NEO4J_PASSWORD": "s3cret-pass"})
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = yaml.safe_load(result.stdout)
    neo4j, api = config["services"]["neo4j"], config["services"]["api"]
    assert neo4j["image"].startswith("neo4j:5.26")
    assert neo4j["environment"]["NEO4J_AUTH"] == "neo4j/s3cret-pass"
    assert "apoc" in neo4j["environment"]["NEO4J_PLUGINS"]
    assert "healthcheck" in neo4j
    assert any(str(v).endswith(":/data") or "/data" in str(v) for v in neo4j["volumes"])
    assert api["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert api["environment"]["TECHGRAPH_BACKEND"] == "neo4j"
    assert api["environment"]["TECHGRAPH_NEO4J_URI"] == "bolt://neo4j:7687"


def test_compose_refuses_to_start_without_a_password() -> None:
    env = {"NEO4J_PASSWORD": ""}
    result = compose_config(env)
    assert result.returncode != 0
    assert "set NEO4J_PASSWORD" in result.stderr
