"""Graph facts as plain values: nodes, relationships and the provenance each one carries.

Both backends take and return these. Identity is the canonical id for a node and
(source, type, target) for a relationship, so writing the same fact twice merges instead of
duplicating; provenance records are deduplicated by a content key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

Scalar: TypeAlias = str | int | float | bool
PropertyValue: TypeAlias = Scalar | list[str] | list[int] | list[float] | list[bool]
Properties: TypeAlias = dict[str, PropertyValue]


@dataclass(frozen=True)
class Provenance:
    """Where one statement of a fact came from.

    `source` is a document id (`doc:<sha256>`) or a dataset name (`reference:firms.yaml`);
    `locator` says where in it (a row, a line); `start`/`end` are character offsets of
    `sentence` in the document when the fact comes from text.
    """

    source: str
    extractor: str
    extractor_version: str
    confidence: float = 1.0
    locator: str | None = None
    sentence: str | None = None
    start: int | None = None
    end: int | None = None
    citation: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def to_json(self) -> str:
        return canonical_json(self.to_dict())

    @property
    def key(self) -> str:
        """Content key: the same statement from the same place is stored once."""
        return provenance_key(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Provenance:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    @classmethod
    def from_json(cls, text: str) -> Provenance:
        return cls.from_dict(json.loads(text))


@dataclass(frozen=True)
class Node:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    props: Mapping[str, PropertyValue] = field(default_factory=dict)
    provenance: tuple[Provenance, ...] = ()

    @property
    def prefix(self) -> str:
        return self.id.split(":", 1)[0]


@dataclass(frozen=True)
class Relationship:
    source: str
    type: str
    target: str
    props: Mapping[str, PropertyValue] = field(default_factory=dict)
    provenance: tuple[Provenance, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.type, self.target)

    @property
    def confidence(self) -> float | None:
        """The best confidence any provenance record gives this fact."""
        return max((p.confidence for p in self.provenance), default=None)


@dataclass(frozen=True)
class Hop:
    """One step of a path: `relationship` read from `start` to `end` (either direction)."""

    start: Node
    relationship: Relationship
    end: Node

    @property
    def forward(self) -> bool:
        return self.relationship.source == self.start.id


Route = tuple[Hop, ...]


@dataclass
class FactBatch:
    """A unit of writing: all of it is written, or none of it."""

    nodes: list[Node] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)

    def extend(self, other: FactBatch) -> None:
        self.nodes.extend(other.nodes)
        self.relationships.extend(other.relationships)

    def __len__(self) -> int:
        return len(self.nodes) + len(self.relationships)


@dataclass(frozen=True)
class WriteSummary:
    nodes: int
    relationships: int


@dataclass(frozen=True)
class Counts:
    nodes: dict[str, int]
    relationships: dict[str, int]

    @property
    def total_nodes(self) -> int:
        return sum(self.nodes.values())

    @property
    def total_relationships(self) -> int:
        return sum(self.relationships.values())


def unique(items: Iterable[str]) -> list[str]:
    """Order-preserving de-duplication (aliases keep the order they were first given in)."""
    return list(dict.fromkeys(items))


def canonical_json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def provenance_key(data: Mapping[str, Any]) -> str:
    """Content key of a provenance record given as a dict (as stored by the backends)."""
    return json_key(canonical_json(data))


def json_key(canonical: str) -> str:
    """The key of a provenance record from its canonical JSON text."""
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]
