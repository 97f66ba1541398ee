"""The whole graph as files other tools open: GraphML for Gephi or yEd, CSV for spreadsheets.

Both are read through the store's own primitives (`relationships` of each schema type,
`entity_names`, `get_nodes`), so the two backends give the same files, and Neo4j needs no
export procedure or file access on the server. Everything a cell or a GraphML attribute holds
is a plain scalar: lists are joined, and each relationship's provenance is flattened into
columns (sources, citations, sentences, ...) with the full records kept as one JSON column.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from .errors import InvalidArgument
from .model import Node, Relationship
from .store import GraphStore

LIST_SEPARATOR = "; "
SENTENCE_SEPARATOR = " | "
NODE_COLUMNS = ("id", "type", "name", "aliases", "country")
EDGE_COLUMNS = (
    "source",
    "source_name",
    "type",
    "target",
    "target_name",
    "share",
    "year",
    "confidence",
    "evidence_count",
    "citations",
    "sources",
    "sentences",
    "locators",
    "extractors",
    "provenance_json",
)
FORMATS = ("graphml", "csv")


@dataclass(frozen=True)
class GraphRows:
    """The graph as flat rows: what both the GraphML and the CSV writers are made from."""

    nodes: list[dict[str, str | int | float]]
    edges: list[dict[str, str | int | float]]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _text(value: Any) -> str:
    """A property as one cell: lists joined, other values as they print."""
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _extra(props: Mapping[str, Any], taken: Iterable[str]) -> dict[str, str]:
    """Other properties, as text, renamed `prop_<key>` where a fixed column has the name."""
    fixed = set(taken)
    return {(f"prop_{k}" if k in fixed else k): _text(v) for k, v in sorted(props.items())}


def node_row(node: Node, node_type: str, country: str | None) -> dict[str, str | int | float]:
    row: dict[str, str | int | float] = {
        "id": node.id,
        "type": node_type,
        "name": node.name,
        "aliases": LIST_SEPARATOR.join(node.aliases),
        "country": (country or "").removeprefix("country:"),
    }
    row.update(_extra(node.props, (*NODE_COLUMNS, "label")))
    return row


def edge_row(rel: Relationship, names: Mapping[str, str]) -> dict[str, str | int | float]:
    """One relationship with its provenance flattened: one column per provenance field, the
    values of its records joined in the same order, plus the records themselves as JSON."""
    records = [p.to_dict() for p in rel.provenance]
    row: dict[str, str | int | float] = {
        "source": rel.source,
        "source_name": names.get(rel.source, rel.source),
        "type": rel.type,
        "target": rel.target,
        "target_name": names.get(rel.target, rel.target),
        "evidence_count": len(records),
        "citations": LIST_SEPARATOR.join(
            dict.fromkeys(p.citation or p.source for p in rel.provenance)
        ),
        "sources": LIST_SEPARATOR.join(dict.fromkeys(p.source for p in rel.provenance)),
        "sentences": SENTENCE_SEPARATOR.join(p.sentence for p in rel.provenance if p.sentence),
        "locators": LIST_SEPARATOR.join(p.locator for p in rel.provenance if p.locator),
        "extractors": LIST_SEPARATOR.join(
            dict.fromkeys(f"{p.extractor} {p.extractor_version}" for p in rel.provenance)
        ),
        "provenance_json": json.dumps(records, ensure_ascii=False, sort_keys=True),
    }
    share, year, confidence = _number(rel.props.get("share")), rel.props.get("year"), None
    if share is not None:
        row["share"] = share
    if isinstance(year, int | float) and not isinstance(year, bool):
        row["year"] = int(year)
    confidence = rel.confidence
    if confidence is not None:
        row["confidence"] = float(confidence)
    other = {k: v for k, v in rel.props.items() if k not in ("share", "year")}
    row.update(_extra(other, (*EDGE_COLUMNS, "label")))
    return row


def read_rows(store: GraphStore) -> GraphRows:
    """Every node and relationship of the store, as rows sorted by id (stable across runs)."""
    rels: list[Relationship] = []
    for rel_type in sorted(store.schema.relationship_types):
        rels += store.relationships(rel_type)
    rels.sort(key=lambda r: r.key)
    ids = {entity_id for entity_id, _, _ in store.entity_names()}
    ids.update(r.source for r in rels)
    ids.update(r.target for r in rels)
    nodes = store.get_nodes(sorted(ids))
    headquarters: dict[str, str] = {}
    for r in rels:  # sorted: a firm with two headquarters gets the first by country id
        if r.type == "HEADQUARTERED_IN":
            headquarters.setdefault(r.source, r.target)
    node_rows = []
    for node_id in sorted(nodes):
        node = nodes[node_id]
        country = node_id if node_id.startswith("country:") else headquarters.get(node_id)
        node_rows.append(node_row(node, store.schema.node_type_of(node_id).name, country))
    names = {n.id: n.name for n in nodes.values()}
    return GraphRows(node_rows, [edge_row(r, names) for r in rels if r.source in nodes])


def to_networkx(rows: GraphRows) -> nx.MultiDiGraph:
    """A MultiDiGraph keyed by relationship type; `label` is the name, which Gephi shows."""
    graph = nx.MultiDiGraph()
    for row in rows.nodes:
        attrs = {k: v for k, v in row.items() if k != "id" and v != ""}
        graph.add_node(row["id"], label=row["name"], **attrs)
    for row in rows.edges:
        attrs = {k: v for k, v in row.items() if k not in ("source", "target") and v != ""}
        graph.add_edge(row["source"], row["target"], key=row["type"], label=row["type"], **attrs)
    return graph


def write_graphml(rows: GraphRows, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nx.write_graphml(to_networkx(rows), path, encoding="utf-8", prettyprint=True)


def _columns(fixed: Iterable[str], rows: Iterable[Mapping[str, Any]]) -> list[str]:
    first = list(fixed)
    extra = sorted({k for row in rows for k in row} - set(first))
    return first + extra


def write_csv(rows: GraphRows, directory: Path) -> tuple[Path, Path]:
    """nodes.csv and edges.csv in `directory` (created), one row per node or relationship."""
    if directory.exists() and not directory.is_dir():
        raise InvalidArgument(
            f"{directory} is a file; CSV export writes nodes.csv and edges.csv into a directory, "
            "so give a directory path with -o."
        )
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fixed, data in (
        ("nodes.csv", NODE_COLUMNS, rows.nodes),
        ("edges.csv", EDGE_COLUMNS, rows.edges),
    ):
        target = directory / name
        # utf-8-sig: spreadsheet programs then read non-ASCII names correctly.
        with target.open("w", newline="", encoding="utf-8-sig") as f:
            writer = csv.DictWriter(f, fieldnames=_columns(fixed, data), restval="")
            writer.writeheader()
            writer.writerows(data)
        written.append(target)
    return written[0], written[1]


def export(store: GraphStore, fmt: str, path: Path) -> GraphRows:
    """Write the store's graph in `fmt` (graphml: one file; csv: a directory) and return it."""
    if fmt not in FORMATS:
        raise InvalidArgument(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}.")
    rows = read_rows(store)
    if fmt == "graphml":
        if path.is_dir():
            raise InvalidArgument(f"{path} is a directory; give a file name such as graph.graphml.")
        write_graphml(rows, path)
    else:
        write_csv(rows, path)
    return rows
