"""Settings, read once from the environment (TECHGRAPH_*) and overridden by CLI options.

docs/api.md documents every setting of the HTTP API. Secrets (the Neo4j password, API keys) are
`SecretStr`, so they never appear in a repr, a log line or an error message.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from techgraph.graph.errors import ConfigError
from techgraph.graph.factory import open_store
from techgraph.graph.store import GraphStore

# An API key shorter than this is refused at start-up: a short key can be guessed over HTTP.
MIN_API_KEY_LENGTH = 16


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "techgraph"


def _comma_list(value: Any) -> Any:
    """`a,b , c` -> ["a", "b", "c"]: lists in the environment are comma-separated, not JSON."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


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

    # -- the HTTP API ----------------------------------------------------------------------------

    api_keys: Annotated[list[SecretStr], NoDecode] = []
    """Keys that allow writes (imports, documents), comma-separated. Deliberately no default:
    with none configured, every write endpoint answers 403."""
    api_read_requires_key: bool = False
    """Whether the read endpoints (every question, /stats) also need one of the keys."""
    cypher_enabled: bool = False
    """Whether POST /v1/cypher answers at all (Neo4j backend only)."""
    cypher_requires_key: bool = True
    """Whether POST /v1/cypher needs one of the keys even when reads do not."""
    cypher_timeout: float = Field(default=10.0, gt=0, le=300)
    """Seconds a Cypher query may run before the server terminates its transaction."""
    cypher_row_limit: int = Field(default=1000, ge=1, le=100_000)
    """Rows returned at most; a longer result is cut and marked `truncated`."""
    cypher_max_concurrency: int = Field(default=4, ge=1, le=100)
    """Cypher queries running at once (its own connection pool, so that slow power-user
    queries cannot take the connections that the question endpoints need)."""
    api_read_concurrency: int = Field(default=2, ge=0, le=1000)
    """Reads (GET /v1/...) answered at once per server process; more wait their turn (0: no
    bound). Questions are mostly Python, which runs one thread at a time: see app.ReadLimit."""
    max_upload_mb: float = Field(default=50.0, gt=0, le=10_000)
    """Largest request body the import and document endpoints accept, in MiB (also the bound on
    what an uploaded zip may unpack to, times 4)."""
    cors_origins: Annotated[list[str], NoDecode] = []
    """Origins allowed to call the API from a browser (comma-separated); none by default."""

    _split_keys = field_validator("api_keys", "cors_origins", mode="before")(_comma_list)

    def check_api(self) -> None:
        """Refuse settings the HTTP API must not run with (called by create_app, not on load, so
        that a bad key stops `techgraph serve` with one sentence and leaves the CLI usable)."""
        for i, key in enumerate(self.api_keys, 1):
            if len(key.get_secret_value()) < MIN_API_KEY_LENGTH:
                raise ConfigError(
                    f"API key number {i} of TECHGRAPH_API_KEYS is shorter than "
                    f"{MIN_API_KEY_LENGTH} characters; use long random keys "
                    "(python -c 'import secrets; print(secrets.token_urlsafe(32))')."
                )

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


def open_configured_store(settings: Settings) -> GraphStore:
    """The store these settings name (CLI and HTTP API open it the same way)."""
    return open_store(
        settings.backend,
        data_dir=settings.data_dir,
        neo4j_uri=settings.neo4j_uri,
        neo4j_user=settings.neo4j_user,
        neo4j_password=settings.neo4j_password.get_secret_value(),
        neo4j_database=settings.neo4j_database,
    )


@cache
def get_settings() -> Settings:
    return Settings()
