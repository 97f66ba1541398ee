"""The one error root of techgraph and its small named subclasses.

Every layer raises these; each backend maps its driver's exceptions into them; the CLI prints
the message as one sentence and the HTTP API (later) turns it into JSON with `status_code`.
"""

from __future__ import annotations


class TechgraphError(Exception):
    """Root of all errors a user may see. `message` says what was wrong and what to do."""

    status_code: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(TechgraphError):
    """A setting is missing or has a value techgraph cannot use (backend name, data directory)."""

    status_code = 400


class SchemaViolation(TechgraphError):
    """A fact breaks graph/schema.yaml: unknown type, bad id, wrong endpoints, missing property."""

    status_code = 422


class NotFound(TechgraphError):
    """An entity id or name that the graph does not hold; `suggestions` are close names."""

    status_code = 404

    def __init__(self, message: str, suggestions: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.suggestions = suggestions or []


class BackendUnavailable(TechgraphError):
    """The backend cannot be reached or opened (Neo4j down, wrong password, store locked)."""

    status_code = 503


class StoreCorrupt(TechgraphError):
    """The embedded store's files cannot be read back; nothing was changed by the attempt."""

    status_code = 500


class Ambiguous(TechgraphError):
    """A name that fits several entities; `candidates` lists them so the user can pick an id."""

    status_code = 409

    def __init__(self, message: str, candidates: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.candidates = candidates


class InvalidArgument(TechgraphError):
    """A query parameter out of range or of the wrong form (depth, hops, country code)."""

    status_code = 422
