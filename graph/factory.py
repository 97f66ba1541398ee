"""Open the store a setting names: `embedded` (the default, no server) or `neo4j`."""

from __future__ import annotations

from pathlib import Path

from .errors import ConfigError
from .store import GraphStore

BACKENDS = ("embedded", "neo4j")


def open_store(
    backend: str,
    *,
    data_dir: Path | str | None = None,
    neo4j_uri: str = "bolt://127.0.0.1:7687",
    neo4j_user: str = "neo4j",
    neo4j_password: str | None = None,
    neo4j_database: str = "neo4j",
) -> GraphStore:
    if backend == "embedded":
        from .embedded import EmbeddedStore

        if data_dir is None:
            raise ConfigError("the embedded backend needs a data directory (TECHGRAPH_DATA_DIR).")
        return EmbeddedStore(data_dir)
    if backend == "neo4j":
        from .neo4j_store import Neo4jStore

        if not neo4j_password:
            raise ConfigError(
                "the neo4j backend needs a password: set TECHGRAPH_NEO4J_PASSWORD "
                "(the local `techgraph neo4j start` server uses 'techgraph' unless told otherwise)."
            )
        return Neo4jStore(neo4j_uri, neo4j_user, neo4j_password, neo4j_database)
    raise ConfigError(
        f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)} "
        "(--backend or TECHGRAPH_BACKEND)."
    )
