"""Load graph/schema.yaml and check facts against it.

The schema is data: node types with their id format and required properties, and the closed set
of relationship types with the node types each may join. Both backends validate every batch here
before writing anything, so a batch that breaks the schema writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .errors import SchemaViolation
from .model import FactBatch, Node, PropertyValue, Relationship

SCHEMA_PATH = Path(__file__).with_name("schema.yaml")
# Names backends keep for themselves; a fact may not set them as ordinary properties.
RESERVED_PROPERTIES = frozenset(
    {
        "id",
        "name",
        "aliases",
        "confidence",
        "provenance",
        "provenance_keys",
        "provenance_sources",
        "provenance_confidences",
    }
)
_LABEL_RE = re.compile(r"^[A-Z][A-Za-z]*$")
_REL_RE = re.compile(r"^[A-Z][A-Z_]*$")
_PROP_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class NodeType:
    name: str
    id_prefix: str
    id_pattern: re.Pattern[str]
    required: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class RelationshipType:
    name: str
    sources: frozenset[str]
    targets: frozenset[str]
    description: str


class Schema:
    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version = int(data["version"])
        self.node_types: dict[str, NodeType] = {}
        self.relationship_types: dict[str, RelationshipType] = {}
        for name, spec in data["node_types"].items():
            if not _LABEL_RE.match(name):
                raise ValueError(f"schema: node type {name!r} is not a plain CamelCase word")
            self.node_types[name] = NodeType(
                name=name,
                id_prefix=spec["id_prefix"],
                id_pattern=re.compile(spec["id_pattern"]),
                required=tuple(spec.get("required", ())),
                description=spec.get("description", ""),
            )
        self._by_prefix = {t.id_prefix: t for t in self.node_types.values()}
        for name, spec in data["relationship_types"].items():
            if not _REL_RE.match(name):
                raise ValueError(f"schema: relationship type {name!r} is not UPPER_SNAKE_CASE")
            ends = set(spec["from"]) | set(spec["to"])
            unknown = ends - self.node_types.keys()
            if unknown:
                raise ValueError(f"schema: {name} joins unknown node types {sorted(unknown)}")
            self.relationship_types[name] = RelationshipType(
                name=name,
                sources=frozenset(spec["from"]),
                targets=frozenset(spec["to"]),
                description=spec.get("description", ""),
            )

    # -- ids and types -------------------------------------------------------------------------

    def node_type_of(self, node_id: str) -> NodeType:
        """The node type an id belongs to, from its prefix (`firm:huawei` is a Firm)."""
        prefix, sep, _ = node_id.partition(":")
        node_type = self._by_prefix.get(prefix) if sep else None
        if node_type is None:
            known = ", ".join(f"{p}:" for p in self._by_prefix)
            raise SchemaViolation(
                f"{node_id!r} is not a node id: ids start with one of {known} "
                "followed by the entity's key, e.g. firm:huawei or country:CHN."
            )
        if not node_type.id_pattern.match(node_id):
            raise SchemaViolation(
                f"{node_id!r} is not a valid {node_type.name} id: it must match "
                f"{node_type.id_pattern.pattern}."
            )
        return node_type

    def label(self, name: str) -> str:
        """A node label safe to splice into Cypher: only schema names, backtick-quoted."""
        if name not in self.node_types:
            raise SchemaViolation(f"unknown node type {name!r}; known: {sorted(self.node_types)}")
        return f"`{name}`"

    def rel_type(self, name: str) -> str:
        """A relationship type safe to splice into Cypher: only schema names, backtick-quoted."""
        self.relationship_type(name)
        return f"`{name}`"

    def rel_alternation(self, names: Iterable[str] | None) -> str:
        """`:`A`|`B`` for a Cypher relationship pattern, from schema names only ("" = any)."""
        if not names:
            return ""
        return ":" + "|".join(self.rel_type(n) for n in sorted(set(names)))

    def relationship_type(self, name: str) -> RelationshipType:
        try:
            return self.relationship_types[name]
        except KeyError:
            raise SchemaViolation(
                f"unknown relationship type {name!r}; the schema allows "
                f"{', '.join(sorted(self.relationship_types))}."
            ) from None

    # -- validation ----------------------------------------------------------------------------

    def validate_node(self, node: Node) -> NodeType:
        node_type = self.node_type_of(node.id)
        values: dict[str, Any] = {"name": node.name, **node.props}
        for prop in node_type.required:
            if values.get(prop) in (None, ""):
                raise SchemaViolation(f"{node.id}: required property {prop!r} is missing.")
        _check_properties(node.id, node.props)
        if not all(isinstance(a, str) and a for a in node.aliases):
            raise SchemaViolation(f"{node.id}: aliases must be non-empty strings.")
        return node_type

    def validate_relationship(self, rel: Relationship) -> None:
        rel_type = self.relationship_type(rel.type)
        where = f"{rel.source} -[{rel.type}]-> {rel.target}"
        source_type = self.node_type_of(rel.source).name
        target_type = self.node_type_of(rel.target).name
        if source_type not in rel_type.sources or target_type not in rel_type.targets:
            raise SchemaViolation(
                f"{where}: {rel.type} joins {'/'.join(sorted(rel_type.sources))} to "
                f"{'/'.join(sorted(rel_type.targets))}, not {source_type} to {target_type}."
            )
        _check_properties(where, rel.props)

    def validate_batch(self, batch: FactBatch) -> set[str]:
        """Check every fact of the batch; return the endpoint ids the batch does not define.

        The caller checks those against the store inside its write, so that a relationship to a
        node that exists nowhere fails the whole batch instead of silently vanishing.
        """
        defined: set[str] = set()
        for node in batch.nodes:
            self.validate_node(node)
            defined.add(node.id)
        endpoints: set[str] = set()
        for rel in batch.relationships:
            self.validate_relationship(rel)
            endpoints.update((rel.source, rel.target))
        return endpoints - defined


def missing_endpoints_error(missing: Iterable[str]) -> SchemaViolation:
    ids = sorted(missing)
    shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    return SchemaViolation(
        f"relationships point at nodes that are neither in the graph nor in this batch: {shown}; "
        "add those nodes to the same batch. Nothing of the batch was written."
    )


def _check_properties(where: str, props: Mapping[str, PropertyValue]) -> None:
    for key, value in props.items():
        if key in RESERVED_PROPERTIES or not _PROP_RE.match(key):
            raise SchemaViolation(
                f"{where}: {key!r} cannot be used as a property name "
                "(use lower_snake_case; id, name, aliases, provenance and confidence are reserved)."
            )
        inner: list[Any] = value if isinstance(value, list) else [value]
        if len({type(v) for v in inner}) > 1:
            raise SchemaViolation(f"{where}: list property {key!r} mixes value types.")
        for v in inner:
            if not isinstance(v, str | int | float | bool) or (
                isinstance(v, float) and v != v  # NaN cannot be compared or merged
            ):
                raise SchemaViolation(
                    f"{where}: property {key!r} has a value of type {type(v).__name__}; "
                    "properties are strings, numbers, booleans or lists of one of those."
                )


@cache
def load_schema(path: Path = SCHEMA_PATH) -> Schema:
    with path.open(encoding="utf-8") as fh:
        return Schema(yaml.safe_load(fh))
