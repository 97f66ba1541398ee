"""Settings, read once from the environment (TECHGRAPH_*) and overridden by CLI options."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "techgraph"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TECHGRAPH_", extra="ignore")

    backend: str = "embedded"
    """`embedded` (networkx, a local file, no server) or `neo4j`."""
    data_dir: Path = _default_data_dir()
    """Where the embedded backend keeps its graph."""
    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    # The local server that `techgraph neo4j start` runs listens on loopback only and is created
    # with this password; any other server needs TECHGRAPH_NEO4J_PASSWORD.
    neo4j_password: SecretStr = SecretStr("techgraph")
    neo4j_database: str = "neo4j"
    neo4j_home: Path = _default_data_dir() / "neo4j"
    """Where `techgraph neo4j start` keeps the local server's configuration, data and logs."""


@cache
def get_settings() -> Settings:
    return Settings()
