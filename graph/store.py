"""The one storage interface. Two backends implement it: embedded (networkx, a local file) and
Neo4j (the official driver). The contract tests in tests/ run against both.
"""

from __future__ import annotations

import contextlib
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType

from .errors import NotFound
from .model import Counts, FactBatch, Node, Relationship, Route, WriteSummary
from .resolve import Resolver
from .schema import Schema, load_schema

RESOLVER_TTL_S = 30.0


class Direction(StrEnum):
    OUT = "out"
    IN = "in"
    BOTH = "both"


@dataclass(frozen=True)
class Step:
    """A relationship type and the direction to follow it in, from the node being expanded;
    with `to`, only the relationships whose other end is that node."""

    rel_type: str
    direction: Direction
    to: str | None = None


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
        self._resolver: Resolver | None = None
        self._resolver_built = 0.0

    @abstractmethod
    def init(self) -> None:
        """Prepare the backend (constraints and indexes on Neo4j). Safe to call repeatedly."""

    def write(self, batch: FactBatch, replace_source: str | None = None) -> WriteSummary:
        """Merge the batch into the graph: all of it, or nothing if any fact breaks the schema.

        Nodes merge on id and relationships on (source, type, target); scalar properties are
        overwritten, aliases and provenance are accumulated without duplicates.

        With `replace_source` (a document id), what that document contributed before is
        forgotten first, in the same transaction: its provenance records are removed from the
        relationships and nodes it mentions, and relationships and nodes left with no provenance
        (and nodes left with no relationships) are deleted. Finding those facts follows the
        document's MENTIONS edges, which the ingest pipeline writes for every entity it uses.
        """
        try:
            return self._write(batch, replace_source)
        finally:
            self._resolver = None

    @abstractmethod
    def _write(self, batch: FactBatch, replace_source: str | None = None) -> WriteSummary: ...

    def write_documents(self, documents: Sequence[tuple[FactBatch, str]]) -> WriteSummary:
        """Write several documents, each `(batch, document id)` as `write(batch,
        replace_source=document id)` would, in order.

        A document is never split: its forgetting and its facts land together or not at all.
        A backend may put several documents in one transaction (Neo4j does: one commit for
        the group instead of one per document), and then a group the schema refuses writes
        none of its documents; the caller retries them one by one to learn which failed (the
        ingest pipeline does)."""
        try:
            return self._write_documents(documents)
        finally:
            self._resolver = None

    def _write_documents(self, documents: Sequence[tuple[FactBatch, str]]) -> WriteSummary:
        """One `_write` per document; a backend that can do better overrides this."""
        summaries = [self._write(batch, replace_source=doc) for batch, doc in documents]
        return WriteSummary(
            nodes=sum(s.nodes for s in summaries),
            relationships=sum(s.relationships for s in summaries),
        )

    @abstractmethod
    def entity_names(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(id, name, aliases and demonyms) of every node but documents: what resolving reads."""

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Run the reads in the block together: in one read transaction on Neo4j (a round trip
        fewer per call; Neo4j's isolation is read-committed, so a write committed meanwhile
        can still be seen), under one hold of the API's lock on the embedded store (no write
        lands in between). A block inside another joins it. Each question runs in one."""
        yield

    def resolver(self) -> Resolver:
        """The name resolver over this graph, rebuilt after this store's own writes and after
        RESOLVER_TTL_S (other processes may have written)."""
        now = time.monotonic()
        if self._resolver is None or now - self._resolver_built > RESOLVER_TTL_S:
            self._resolver = Resolver(self.entity_names())
            self._resolver_built = now
        return self._resolver

    def resolve(self, text: str, prefixes: Sequence[str] | None = None) -> Node:
        """The node that an id or name means (NotFound with suggestions, or Ambiguous)."""
        prefix, sep, _ = text.partition(":")
        if sep and (prefixes is None or prefix in prefixes):
            # An id needs no name index: one look-up, which matters on a large graph.
            direct = self.get_node(text.strip())
            if direct is not None:
                return direct
        ref = self.resolver().resolve(text, prefixes)
        node = self.get_node(ref.id)
        if node is None:  # removed since the resolver was built
            self._resolver = None
            ref = self.resolver().resolve(text, prefixes)
            node = self.get_node(ref.id)
        if node is None:
            raise NotFound(f"no entity called {text!r} in the graph.")
        return node

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
    def get_nodes(self, node_ids: Sequence[str]) -> dict[str, Node]:
        """The nodes of those ids that exist, by id."""

    @abstractmethod
    def expand(self, node_ids: Sequence[str], steps: Sequence[Step]) -> list[tuple[str, Neighbour]]:
        """One hop out of many nodes at once: (origin id, neighbour) for every relationship of
        a step's type in the step's direction. The breadth-first questions (dependencies,
        exposure, ownership chains) call this once per level instead of once per node."""

    def expand_then(
        self,
        node_ids: Sequence[str],
        steps: Sequence[Step],
        then: Sequence[Step],
        kinds: Sequence[str],
    ) -> tuple[list[tuple[str, Neighbour]], list[tuple[str, Neighbour]]]:
        """`expand(node_ids, steps)`, and `expand` by `then` of the nodes at the far ends of
        those hops whose id prefix is one of `kinds`: two levels in one call (one round trip on
        Neo4j), e.g. the suppliers of a tree's nodes and where the supplying firms are
        headquartered. (`kinds` keeps hubs out: a supplying country has a relationship to every
        firm headquartered or manufacturing there.)"""
        first = self.expand(node_ids, steps)
        far = [n.node.id for _, n in first if n.node.prefix in kinds]
        return first, self.expand(far, then)

    @abstractmethod
    def shortest_paths(
        self, source: str, target: str, rel_types: Sequence[str] | None, max_hops: int, k: int
    ) -> list[Route]:
        """Up to k shortest paths between two nodes, ignoring direction, at most max_hops long.

        Paths that differ only in a parallel relationship count as different paths; which k of
        several equally short paths come back is not specified."""

    @abstractmethod
    def relationships(self, rel_type: str) -> list[Relationship]:
        """Every relationship of one type (for whole-graph questions such as chokepoints)."""

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
