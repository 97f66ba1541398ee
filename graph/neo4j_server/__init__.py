"""The local Neo4j server (Maven Central artifacts, Java 17, no Docker); see manager.py."""

from .manager import (
    Neo4jServerError,
    PrerequisiteMissing,
    ServerStatus,
    StartFailed,
    default_home,
    fetch,
    neo4j_version,
    start,
    status,
    stop,
)

__all__ = [
    "Neo4jServerError",
    "PrerequisiteMissing",
    "ServerStatus",
    "StartFailed",
    "default_home",
    "fetch",
    "neo4j_version",
    "start",
    "status",
    "stop",
]
