"""What the dataset importers (ETO, edge lists) share: reading CSV, parsing cells, collecting facts.

Both importers work the same way, so that a user sees the same behaviour whatever the format:

- A file that cannot be used at all (missing, a directory, not UTF-8, a header without the
  required columns) raises `ImportFileError`: one sentence, nothing written.
- A bad row becomes a `RowError` ("FILE:LINE: reason") and the rest of the file still loads;
  each row's facts are checked against the schema before they join the batch, so a bad row
  contributes nothing and cannot make the final write fail.
- Everything that loads goes into ONE `FactBatch`, written with one `store.write` (atomic).
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pycountry

from techgraph.graph.errors import SchemaViolation, TechgraphError
from techgraph.graph.model import (
    Counts,
    FactBatch,
    Node,
    PropertyValue,
    Provenance,
    Relationship,
    unique,
)
from techgraph.graph.resolve import normalize
from techgraph.graph.schema import Schema
from techgraph.graph.store import GraphStore

# Years outside this range are almost always a typo (a share or an id in the wrong column).
MIN_YEAR = 1800
MAX_YEAR = 2200


class ImportFileError(TechgraphError):
    """A file of an import cannot be used at all; nothing of the import was written."""

    status_code = 400


class RowProblem(Exception):
    """Raised while turning one row into facts; becomes a RowError with the row's file and line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RowError:
    """One skipped row, shown to the user as `FILE:LINE: reason` (the form editors jump to)."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass(frozen=True)
class CsvRow:
    line: int  # 1-based physical line where the record starts (the header is line 1)
    values: dict[str, str]  # column (lower case) -> cell, stripped of surrounding blanks

    def get(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass
class CsvTable:
    label: str  # how errors name the file (the path as the user gave it)
    columns: list[str]
    rows: list[CsvRow]
    errors: list[RowError]  # rows that could not even be split into the header's columns
    # Those rows' leading cells by column, so that a reference to an id defined on a broken
    # row can say so instead of claiming the id is defined nowhere.
    broken: list[CsvRow] = field(default_factory=list)


def read_csv(
    path: Path,
    required: Sequence[str],
    optional: Sequence[str] = (),
    *,
    allow_unknown: bool = True,
) -> CsvTable:
    """Read a whole CSV file with a header line, checking what makes the file unusable.

    The file is decoded as UTF-8 (a byte-order mark is allowed) before parsing, so an encoding
    problem is one clear error instead of a failure halfway through an import. Column names are
    compared case-insensitively. Rows with the wrong number of fields are reported, not guessed
    at; blank lines are ignored.
    """
    label = str(path)
    if not path.exists():
        raise ImportFileError(f"{label} does not exist.")
    if path.is_dir():
        raise ImportFileError(f"{label} is a directory, not a CSV file.")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{label} is not UTF-8 text (byte {exc.start} cannot be decoded); save it as "
            "UTF-8 and import it again."
        ) from None
    except OSError as exc:
        raise ImportFileError(f"cannot read {label} ({exc.strerror}).") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise ImportFileError(
                f"{label} is empty; its first line must be a header naming the columns "
                f"{', '.join(required)}."
            )
        columns = [cell.strip().lower() for cell in header]
        doubled = sorted({c for c in columns if columns.count(c) > 1})
        if doubled:
            raise ImportFileError(f"{label} names the column(s) {', '.join(doubled)} twice.")
        missing = [c for c in required if c not in columns]
        if missing:
            raise ImportFileError(
                f"{label} lacks the column(s) {', '.join(missing)}; its header must name "
                f"{', '.join(required)} (see docs/import.md)."
            )
        unknown = [c for c in columns if c not in required and c not in optional]
        if unknown and not allow_unknown:
            raise ImportFileError(
                f"{label} has the unknown column(s) {', '.join(unknown)}; the columns are "
                f"{', '.join([*required, *optional])} (see docs/import.md)."
            )
        table = CsvTable(label=label, columns=columns, rows=[], errors=[])
        start = reader.line_num + 1
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(columns):
                reason = f"has {len(record)} fields, the header has {len(columns)}"
                table.errors.append(RowError(label, line, reason))
                partial = {c: v.strip() for c, v in zip(columns, record, strict=False)}
                table.broken.append(CsvRow(line, partial))
                continue
            values = {c: v.strip() for c, v in zip(columns, record, strict=True)}
            table.rows.append(CsvRow(line, values))
    except csv.Error as exc:
        raise ImportFileError(
            f"{label}:{reader.line_num}: cannot be read as CSV ({exc}); nothing was imported."
        ) from None
    return table


# -- cells ---------------------------------------------------------------------------------------


def parse_share(text: str, column: str = "share") -> float | None:
    """A share of a market as a fraction 0..1; empty means not known (no property at all)."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        hint = " (give a fraction: 0.25 for 25%)" if text.endswith("%") else ""
        raise RowProblem(f"{column} {text!r} is not a number{hint}") from None
    if not math.isfinite(value):
        raise RowProblem(f"{column} {text!r} is not a number")
    if not 0.0 <= value <= 1.0:
        raise RowProblem(f"{column} {text} is outside 0..1 (give a fraction: 0.25 for 25%)")
    return value


def parse_year(text: str, column: str = "year") -> int | None:
    """A calendar year; empty means not known."""
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise RowProblem(f"{column} {text!r} is not a whole number") from None
    if not MIN_YEAR <= value <= MAX_YEAR:
        raise RowProblem(f"{column} {value} is not a plausible year")
    return value


def split_aliases(text: str) -> list[str]:
    """Alias cells may hold several names separated by semicolons."""
    return [a.strip() for a in text.split(";") if a.strip()]


def slug(text: str) -> str:
    """The id-safe form of a name or dataset id: ASCII lower case, words joined by hyphens
    ("ASML Holding N.V." -> "asml-holding-n-v"). Empty when nothing id-safe is left."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def iso_alpha3(code: str) -> str | None:
    """The ISO 3166-1 alpha-3 code `code` stands for (any case), or None if it is not one."""
    code = code.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        return None
    country = pycountry.countries.get(alpha_3=code)
    return country.alpha_3 if country is not None else None


# -- collecting facts ------------------------------------------------------------------------------


@dataclass
class FactCollector:
    """Collects the facts of good rows into one batch, one entry per node id and per
    relationship key, so the summary counts what the graph will hold.

    A row's facts are checked against the schema together before any of them is kept (a row
    loads whole or not at all). A second row giving the same relationship with different
    properties is refused instead of silently overwriting the first: the graph keeps one
    relationship per (source, type, target).
    """

    schema: Schema
    nodes: dict[str, Node] = field(default_factory=dict)
    relationships: dict[tuple[str, str, str], Relationship] = field(default_factory=dict)
    _rel_origin: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def add(self, nodes: Iterable[Node], rels: Iterable[Relationship], origin: str) -> None:
        """Keep one row's facts; `origin` ("line 7") names the row in conflict messages."""
        nodes, rels = list(nodes), list(rels)
        try:
            for node in nodes:
                self.schema.validate_node(node)
            for rel in rels:
                self.schema.validate_relationship(rel)
        except SchemaViolation as exc:
            raise RowProblem(exc.message) from None
        for rel in rels:
            known = self.relationships.get(rel.key)
            if known is not None and dict(known.props) != dict(rel.props):
                raise RowProblem(
                    f"{rel.source} -[{rel.type}]-> {rel.target} is already given with other "
                    f"properties on {self._rel_origin[rel.key]} ({_props_text(known.props)}, "
                    f"here {_props_text(rel.props)}); the graph keeps one {rel.type} per pair"
                )
        for node in nodes:
            self._merge_node(node)
        for rel in rels:
            known = self.relationships.get(rel.key)
            if known is None:
                self.relationships[rel.key] = rel
                self._rel_origin[rel.key] = origin
            else:
                prov = _merge_provenance(known.provenance, rel.provenance)
                self.relationships[rel.key] = Relationship(
                    rel.source, rel.type, rel.target, known.props, prov
                )

    def update_node(
        self,
        node_id: str,
        props: Mapping[str, PropertyValue],
        provenance: Sequence[Provenance] = (),
    ) -> None:
        """Add properties computed over many rows (and those rows' provenance) to a node
        already collected."""
        node = self.nodes[node_id]
        self.nodes[node_id] = Node(
            node.id,
            node.name,
            node.aliases,
            {**node.props, **props},
            _merge_provenance(node.provenance, provenance),
        )

    def _merge_node(self, node: Node) -> None:
        known = self.nodes.get(node.id)
        if known is None:
            self.nodes[node.id] = node
            return
        self.nodes[node.id] = Node(
            known.id,
            known.name,
            tuple(unique([*known.aliases, *node.aliases])),
            {**known.props, **node.props},
            _merge_provenance(known.provenance, node.provenance),
        )

    def batch(self) -> FactBatch:
        return FactBatch(
            nodes=list(self.nodes.values()), relationships=list(self.relationships.values())
        )


def _merge_provenance(
    first: Sequence[Provenance], second: Sequence[Provenance]
) -> tuple[Provenance, ...]:
    return tuple({p.key: p for p in (*first, *second)}.values())


def _props_text(props: Mapping[str, PropertyValue]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in sorted(props.items())) or "no properties"


def new_aliases(labels: Iterable[str], name: str, aliases: Iterable[str]) -> list[str]:
    """The labels that would tell the resolver something new about a node: a label whose
    normalised form equals the name or a known alias (a case or punctuation variant) adds
    nothing but clutter."""
    known = {normalize(name), *(normalize(a) for a in aliases)}
    fresh: list[str] = []
    for label in labels:
        key = normalize(label)
        if key and key not in known:
            known.add(key)
            fresh.append(label)
    return fresh


def reference_countries(country_ids: Iterable[str], schema: Schema) -> list[Node]:
    """Country nodes (`country:XXX`, valid ISO codes) for an import into a graph that lacks them.

    They come from the reference loader, so a country created by an import has the same name,
    aliases and provenance as `techgraph load-reference` gives it, and loading the reference
    data later merges cleanly instead of renaming it.
    """
    needed = set(country_ids)
    if not needed:
        return []
    from techgraph.ingest.reference import load_reference  # only when countries are missing

    return [n for n in load_reference(schema=schema).nodes if n.id in needed]


class GraphView:
    """What an import reads from the graph before writing: names (through the store's resolver)
    and, for the few nodes it needs to inspect, the nodes themselves (cached: on Neo4j each
    look-up is a round trip)."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.resolver = store.resolver()
        self._nodes: dict[str, Node | None] = {}

    def exists(self, node_id: str) -> bool:
        return self.resolver.get(node_id) is not None

    def node(self, node_id: str) -> Node | None:
        if node_id not in self._nodes:
            self._nodes[node_id] = self.store.get_node(node_id)
        return self._nodes[node_id]

    def origin(self, node_id: str) -> PropertyValue | None:
        """The `origin_dataset` property of a node that an importer created, else None."""
        node = self.node(node_id)
        return None if node is None else node.props.get("origin_dataset")


# -- reporting -----------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What one import read and made: the batch to write, the bad rows, notes for the user."""

    source: str  # what was imported, for the summary ("ETO dataset in DIR", "FILE")
    rows_read: int
    errors: list[RowError]
    batch: FactBatch
    notes: list[str] = field(default_factory=list)

    @property
    def rows_skipped(self) -> int:
        return len({(e.file, e.line) for e in self.errors})

    @property
    def sorted_errors(self) -> list[RowError]:
        return sorted(self.errors, key=lambda e: (e.file, e.line))


@dataclass(frozen=True)
class ImportOutcome:
    written: bool
    before: Counts
    after: Counts


def write_report(store: GraphStore, report: ImportReport, strict: bool) -> ImportOutcome:
    """Write the import's batch in one atomic write, unless `strict` and any row was bad."""
    before = store.counts()
    if (strict and report.errors) or not len(report.batch):
        return ImportOutcome(False, before, before)
    store.write(report.batch)
    return ImportOutcome(True, before, store.counts())
