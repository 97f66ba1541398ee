"""Import a user's own edge list: one relationship per CSV row, `source,relation,target` plus
optional `source_name`, `target_name`, `share`, `year`, `citation` and `properties`.

This is how an analyst brings a supplier list of their own into the graph without writing code.
An endpoint is either a node id (created when the graph lacks it) or a name that must resolve
exactly to one entity: a name is never guessed, because a wrong match would put a supplier in
the wrong country. Misses and ambiguities are reported with the resolver's suggestions, so the
user can fix the row by writing the id. docs/import.md documents the format.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from techgraph.graph.errors import Ambiguous, NotFound, SchemaViolation
from techgraph.graph.model import Node, PropertyValue, Provenance, Relationship
from techgraph.graph.resolve import Resolver
from techgraph.graph.store import GraphStore

from .importing import (
    CsvRow,
    CsvTable,
    FactCollector,
    ImportReport,
    RowError,
    RowProblem,
    iso_alpha3,
    parse_share,
    parse_year,
    read_csv,
    reference_countries,
)

EXTRACTOR = "csv-import"
EXTRACTOR_VERSION = "1"
REQUIRED = ("source", "relation", "target")
OPTIONAL = ("source_name", "target_name", "share", "year", "citation", "properties")
# Properties that have their own column: the JSON object may not set them a second time.
COLUMN_PROPERTIES = frozenset({"share", "year"})
_ID_RE = re.compile(r"^([a-z]+):(\S+)$")


@dataclass(frozen=True)
class _End:
    """One endpoint as written in the row: an id (`is_id`) or a name still to resolve."""

    text: str
    is_id: bool


@dataclass(frozen=True)
class _Edge:
    row: CsvRow
    relation: str
    source: _End
    target: _End
    props: dict[str, PropertyValue]


def read_edgelist(path: Path) -> CsvTable:
    """Read and check the file (one clear error if it is missing, not UTF-8, or its header is
    wrong: unknown columns are refused, since a misspelt `shares` would silently lose data)."""
    return read_csv(path, REQUIRED, OPTIONAL, allow_unknown=False)


def import_edgelist(store: GraphStore, path: Path) -> ImportReport:
    """The facts of an edge-list file as one report (nothing is written here)."""
    return build_edgelist(store, path, read_edgelist(path))


def build_edgelist(store: GraphStore, path: Path, table: CsvTable) -> ImportReport:
    return _EdgeListImport(store, path, table).run()


class _EdgeListImport:
    def __init__(self, store: GraphStore, path: Path, table: CsvTable) -> None:
        self.store = store
        self.schema = store.schema
        self.path = path
        self.table = table
        self.facts = FactCollector(self.schema)
        self.errors: list[RowError] = list(table.errors)
        self.prefixes = {t.id_prefix for t in self.schema.node_types.values()}
        self.known: set[str] = set()
        # id the graph lacks -> the names rows give it (*_name columns), in file order
        self.new_names: dict[str, list[str]] = {}

    def run(self) -> ImportReport:
        entries = self.store.entity_names()
        self.known = {node_id for node_id, _, _ in entries}
        edges: list[_Edge] = []
        for row in self.table.rows:
            try:
                edges.append(self._parse(row))
            except RowProblem as exc:
                self.errors.append(RowError(self.table.label, row.line, exc.reason))
        # Names may refer to nodes that other rows of the same file create by id.
        resolver = Resolver([*entries, *(self._new_entry(i) for i in self.new_names)])
        countries: set[str] = set()
        for edge in edges:
            try:
                self._add(edge, resolver, countries)
            except RowProblem as exc:
                self.errors.append(RowError(self.table.label, edge.row.line, exc.reason))
        batch = self.facts.batch()
        batch.nodes.extend(reference_countries(countries, self.schema))
        return ImportReport(
            source=str(self.path),
            rows_read=len(self.table.rows) + len(self.table.errors),
            errors=self.errors,
            batch=batch,
        )

    def _new_entry(self, node_id: str) -> tuple[str, str, tuple[str, ...]]:
        """(id, name, aliases) of a node the file creates: the first name a row gives it, else
        the key of its id (`firm:acme` is called "acme"); other names become aliases."""
        names = self.new_names[node_id] or [node_id.split(":", 1)[1]]
        return node_id, names[0], tuple(names[1:])

    # -- first pass: each row on its own ---------------------------------------------------------

    def _parse(self, row: CsvRow) -> _Edge:
        relation = row.get("relation").upper()
        if not relation:
            raise RowProblem("relation is empty")
        try:
            self.schema.relationship_type(relation)
        except SchemaViolation as exc:
            raise RowProblem(exc.message) from None
        props: dict[str, PropertyValue] = _json_properties(row.get("properties"))
        share = parse_share(row.get("share"))
        year = parse_year(row.get("year"))
        if share is not None:
            props["share"] = share
        if year is not None:
            props["year"] = year
        source = self._end(row, "source")
        target = self._end(row, "target")
        return _Edge(row, relation, source, target, props)

    def _end(self, row: CsvRow, column: str) -> _End:
        text = row.get(column)
        if not text:
            raise RowProblem(f"{column} is empty")
        match = _ID_RE.match(text)
        if match is None or match.group(1) not in self.prefixes:
            return _End(text, is_id=False)
        try:
            node_type = self.schema.node_type_of(text)
        except SchemaViolation as exc:
            raise RowProblem(f"{column}: {exc.message}") from None
        if text not in self.known:
            if node_type.name == "Country":
                if iso_alpha3(match.group(2)) is None:
                    raise RowProblem(
                        f"{column} {text!r}: unknown country code (not ISO 3166-1 alpha-3)"
                    )
            else:
                names = self.new_names.setdefault(text, [])
                name = row.get(f"{column}_name")
                if name and name not in names:
                    names.append(name)
        return _End(text, is_id=True)

    # -- second pass: names resolved, facts checked against the schema ---------------------------

    def _add(self, edge: _Edge, resolver: Resolver, countries: set[str]) -> None:
        rel_type = self.schema.relationship_type(edge.relation)
        source = self._resolve(edge.source, "source", sorted(rel_type.sources), resolver)
        target = self._resolve(edge.target, "target", sorted(rel_type.targets), resolver)
        if source == target:
            raise RowProblem(f"source and target are the same node ({source})")
        prov = (
            Provenance(
                source=f"dataset:{self.path.name}",
                extractor=EXTRACTOR,
                extractor_version=EXTRACTOR_VERSION,
                confidence=1.0,
                locator=f"line {edge.row.line}",
                citation=edge.row.get("citation") or None,
            ),
        )
        nodes: list[Node] = []
        for node_id in (source, target):
            if node_id in self.known:
                continue  # an existing node keeps its name and properties
            if node_id.startswith("country:"):
                countries.add(node_id)
                continue
            _, name, aliases = self._new_entry(node_id)
            origin = {"origin_dataset": f"csv:{self.path.name}"}
            nodes.append(Node(node_id, name, aliases, origin, prov))
        rel = Relationship(source, edge.relation, target, edge.props, prov)
        self.facts.add(nodes, [rel], f"line {edge.row.line}")

    def _resolve(self, end: _End, column: str, types: list[str], resolver: Resolver) -> str:
        if end.is_id:
            return end.text
        prefixes = [self.schema.node_types[t].id_prefix for t in types]
        try:
            return resolver.resolve(end.text, prefixes).id
        except (NotFound, Ambiguous) as exc:
            raise RowProblem(f"{column}: {exc.message}") from None


def _json_properties(text: str) -> dict[str, PropertyValue]:
    """The `properties` cell: a JSON object of scalar values (strings, numbers, booleans)."""
    if not text:
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RowProblem(
            f"properties is not valid JSON ({exc.msg} at column {exc.colno})"
        ) from None
    if not isinstance(data, dict):
        raise RowProblem('properties must be a JSON object such as {"plant": "Dresden"}')
    doubled = sorted(COLUMN_PROPERTIES & data.keys())
    if doubled:
        raise RowProblem(f"properties may not set {', '.join(doubled)}; use the column instead")
    for key, value in data.items():
        if not isinstance(value, str | int | float | bool):
            raise RowProblem(
                f"properties: {key!r} is {json.dumps(value)}; values must be strings, numbers "
                "or booleans"
            )
    return dict(data)
