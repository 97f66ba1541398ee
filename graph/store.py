"""The one storage interface. Two backends implement it: embedded (networkx, a local file) and
Neo4j (the official driver). The contract tests in tests/ run against both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType

from .model import Counts, FactBatch, Node, Relationship, WriteSummary
from .schema import Schema, load_schema


class Direction(StrEnum):
    OUT = "out"
    IN = "in"
    BOTH = "both"


@dataclass(frozen=True)
class Neighbour:
    """One hop from the node asked about: the relationship and the node at its other end."""

    relationship: Relationship
    node: Node


class GraphStore(ABC):
    """What every backend offers. Writes are atomic per batch and idempotent."""

    backend: str

    def __init__(self, schema: Schema | None = None) -> None:
        self.schema = schema or load_schema()

    @abstractmethod
    def init(self) -> None:
        """Prepare the backend (constraints and indexes on Neo4j). Safe to call repeatedly."""

    @abstractmethod
    def write(self, batch: FactBatch) -> WriteSummary:
        """Merge the batch into the graph: all of it, or nothing if any fact breaks the schema.

        Nodes merge on id and relationships on (source, type, target); scalar properties are
        overwritten, aliases and provenance are accumulated without duplicates.
        """

    @abstractmethod
    def get_node(self, node_id: str) -> Node | None: ...

    @abstractmethod
    def neighbours(
        self,
        node_id: str,
        rel_types: Sequence[str] | None = None,
        direction: Direction = Direction.BOTH,
    ) -> list[Neighbour]:
        """The relationships of a node (optionally only some types, one direction)."""

    @abstractmethod
    def counts(self) -> Counts:
        """Node counts by type and relationship counts by type."""

    @abstractmethod
    def clear(self) -> None:
        """Remove every node and relationship (tests and `techgraph reset`)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and files."""

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _check_rel_types(self, rel_types: Sequence[str] | None) -> None:
        for name in rel_types or ():
            self.schema.relationship_type(name)
