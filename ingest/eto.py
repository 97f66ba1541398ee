"""Import the CSV layout of CSET's Emerging Technology Observatory (ETO) semiconductor
supply-chain dataset: stages, inputs, providers, who provides what (with shares), and how the
inputs feed into one another.

The files are joined on their ids only: the same input or provider is often spelt differently in
different files, so a name never decides what a row refers to. Inputs and firms that the graph
already knows (the reference data) are matched by exact name or alias through the store's
resolver and reuse that node; the rest get stable ids derived from the dataset (`tech:eto-<id>`,
`firm:<slug>`) so that importing a newer release merges instead of duplicating. The ETO data is
licensed for non-commercial use only; techgraph ships no copy of it (docs/import.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from techgraph.graph.model import Node, PropertyValue, Provenance, Relationship
from techgraph.graph.resolve import EntityRef, normalize
from techgraph.graph.store import GraphStore

from .importing import (
    CsvRow,
    CsvTable,
    FactCollector,
    GraphView,
    ImportFileError,
    ImportReport,
    RowError,
    RowProblem,
    iso_alpha3,
    new_aliases,
    parse_share,
    parse_year,
    read_csv,
    reference_countries,
    slug,
    split_aliases,
)

EXTRACTOR = "eto-import"
# The version of this importer's mapping: provenance keys include it, so bump it only when the
# facts drawn from the same rows change.
EXTRACTOR_VERSION = "1"
ORIGIN = "eto"  # the `origin_dataset` property of nodes this importer creates

# file -> (required columns, optional columns). Other columns of a release are ignored.
FILES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "stages.csv": (("stage_id", "stage_name"), ("description",)),
    "inputs.csv": (
        ("input_id", "input_name"),
        ("alias", "type", "stage_id", "stage_name", "description", "year"),
    ),
    "providers.csv": (("provider_id", "provider_name", "provider_type", "country"), ("alias",)),
    "provision.csv": (
        ("provider_id", "provided_id", "share_provided", "year"),
        ("provider_name", "provided_name", "source"),
    ),
    "sequence.csv": (
        ("input_id", "goes_into_id", "is_type_of_id"),
        ("input_name", "goes_into_name", "is_type_of_name"),
    ),
}

# Non-ISO codes that unmistakably mean the European Union (World Bank's EUU, the EU27/EU28
# aggregates). Other alliances are found by resolving a row's code, name or alias.
EU_CODES = {"EU": "alliance:eu", "EUU": "alliance:eu", "EU27": "alliance:eu", "EU28": "alliance:eu"}
# Pseudo-codes that stand for several countries at once ("various", rest of world, Europe as
# a region): such a provider's share cannot be given to any one country, so it is kept on the
# input as unattributed_share. Any other non-ISO code is an error, because a typo in an ISO
# code must not silently turn a country's share into an unattributed one.
GROUP_CODES = frozenset(
    {"VARIOUS", "VAR", "OTHER", "OTHERS", "OTH", "ROW", "WORLD", "WLD", "GLOBAL", "MULTIPLE"}
    | {"EUR", "EUROPE", "XXX"}
)
GROUP_NAME_STARTS = ("various", "other ", "others", "rest of", "multiple")
# The id column of the files that other files refer to.
ID_COLUMNS = {"stages.csv": "stage_id", "inputs.csv": "input_id", "providers.csv": "provider_id"}


@dataclass(frozen=True)
class _Provider:
    """What a providers.csv row stands for: a node, or a group whose shares stay unattributed."""

    node_id: str | None
    name: str
    unattributed_because: str | None = None


@dataclass
class _Unattributed:
    share: float = 0.0
    has_share: bool = False
    providers: list[str] = field(default_factory=list)
    provenance: list[Provenance] = field(default_factory=list)


def read_eto(directory: Path) -> dict[str, CsvTable]:
    """Read and check the five files (one clear error if any is missing or unusable)."""
    if not directory.exists():
        raise ImportFileError(
            f"{directory} does not exist; give the directory that holds the ETO files "
            f"{', '.join(FILES)}."
        )
    if not directory.is_dir():
        raise ImportFileError(
            f"{directory} is not a directory; give the directory that holds the ETO files "
            f"{', '.join(FILES)}."
        )
    missing = [name for name in FILES if not (directory / name).exists()]
    if missing:
        raise ImportFileError(
            f"{directory} lacks {', '.join(missing)}; an ETO import needs all of "
            f"{', '.join(FILES)}."
        )
    return {
        name: read_csv(directory / name, required, optional)
        for name, (required, optional) in FILES.items()
    }


def import_eto(store: GraphStore, directory: Path) -> ImportReport:
    """The facts of an ETO release in `directory` as one report (nothing is written here)."""
    return build_eto(store, directory, read_eto(directory))


def build_eto(store: GraphStore, directory: Path, tables: dict[str, CsvTable]) -> ImportReport:
    return _EtoImport(store, directory, tables).run()


class _EtoImport:
    def __init__(self, store: GraphStore, directory: Path, tables: dict[str, CsvTable]) -> None:
        self.directory = directory
        self.tables = tables
        self.schema = store.schema
        self.view = GraphView(store)
        self.facts = FactCollector(self.schema)
        self.errors: list[RowError] = [e for t in tables.values() for e in t.errors]
        self.notes: list[str] = []
        self.stages: dict[str, str] = {}  # stage_id -> stage_name
        self.inputs: dict[str, str] = {}  # input_id -> technology node id
        self.providers: dict[str, _Provider] = {}
        self.defined_on: dict[tuple[str, str], int] = {}  # (file, id) -> line, good rows or bad
        self.broken_on: dict[tuple[str, str], int] = {}  # the same for rows of a wrong length
        for file, column in ID_COLUMNS.items():
            for row in tables[file].broken:
                if row.get(column):
                    self.broken_on.setdefault((file, row.get(column)), row.line)
        self.claimed: dict[str, str] = {}  # technology id -> the input_id that took it
        self.countries: set[str] = set()
        self.unattributed: dict[str, _Unattributed] = {}
        self.group_rows: dict[tuple[str, str], tuple[tuple[object, ...], int]] = {}
        self.groups: dict[str, str] = {}  # provider name -> why its share is unattributed

    def run(self) -> ImportReport:
        self._each("stages.csv", self._stage)
        self._each("inputs.csv", self._input)
        self._each("providers.csv", self._provider)
        self._each("provision.csv", self._provision)
        self._each("sequence.csv", self._sequence)
        self._finish_unattributed()
        batch = self.facts.batch()
        missing = sorted(c for c in self.countries if not self.view.exists(c))
        batch.nodes.extend(reference_countries(missing, self.schema))
        rows = sum(len(t.rows) + len(t.errors) for t in self.tables.values())
        return ImportReport(
            source=f"ETO dataset in {self.directory}",
            rows_read=rows,
            errors=self.errors,
            batch=batch,
            notes=self.notes,
        )

    # -- plumbing ------------------------------------------------------------------------------

    def _each(self, file: str, handle: Callable[[str, CsvRow], None]) -> None:
        table = self.tables[file]
        for row in table.rows:
            try:
                handle(file, row)
            except RowProblem as exc:
                self.errors.append(RowError(table.label, row.line, exc.reason))

    def _prov(self, file: str, row: CsvRow, citation: str | None = None) -> tuple[Provenance, ...]:
        return (
            Provenance(
                source=f"dataset:eto/{file}",
                extractor=EXTRACTOR,
                extractor_version=EXTRACTOR_VERSION,
                confidence=1.0,
                locator=f"line {row.line}",
                citation=citation or None,
            ),
        )

    def _label(self, file: str) -> str:
        return self.tables[file].label

    def _required(self, row: CsvRow, column: str) -> str:
        value = row.get(column)
        if not value:
            raise RowProblem(f"{column} is empty")
        return value

    def _define(self, file: str, column: str, key: str, row: CsvRow) -> None:
        """Remember where an id is defined; a second definition is an error, not an override."""
        first = self.defined_on.get((file, key))
        if first is not None:
            raise RowProblem(f"{column} {key!r} is already defined on line {first}")
        self.defined_on[(file, key)] = row.line

    def _dangling(self, column: str, key: str, file: str) -> RowProblem:
        line = self.defined_on.get((file, key)) or self.broken_on.get((file, key))
        if line is not None:
            return RowProblem(
                f"{column} {key!r} refers to {self._label(file)}:{line}, a row that was skipped"
            )
        return RowProblem(f"{column} {key!r} is not defined in {file}")

    def _resolve(self, labels: list[str], prefix: str) -> tuple[str | None, list[EntityRef]]:
        """The one node that the first resolvable label names exactly, ignoring nodes that an
        earlier ETO import created (an input or provider keeps the id of its own dataset row,
        even when another row now carries its old name). Also returns an ambiguity seen."""
        ambiguous: list[EntityRef] = []
        for label in labels:
            hits = [
                h for h in self.view.resolver.lookup(label, [prefix]) if not self._from_eto(h.id)
            ]
            if len(hits) == 1:
                return hits[0].id, []
            if len(hits) > 1 and not ambiguous:
                ambiguous = hits
        return None, ambiguous

    def _from_eto(self, node_id: str) -> bool:
        return self.view.origin(node_id) == ORIGIN

    # -- stages.csv ----------------------------------------------------------------------------

    def _stage(self, file: str, row: CsvRow) -> None:
        stage_id = self._required(row, "stage_id")
        name = self._required(row, "stage_name")
        self._define(file, "stage_id", stage_id, row)
        self.stages[stage_id] = name

    # -- inputs.csv ----------------------------------------------------------------------------

    def _input(self, file: str, row: CsvRow) -> None:
        input_id = self._required(row, "input_id")
        self._define(file, "input_id", input_id, row)
        name = self._required(row, "input_name")
        aliases = split_aliases(row.get("alias"))
        stage_id = row.get("stage_id")
        if stage_id:
            if stage_id not in self.stages:
                raise self._dangling("stage_id", stage_id, "stages.csv")
            stage_name = self.stages[stage_id]  # joined on the id, not taken from this file
        else:
            stage_name = row.get("stage_name")
        year = parse_year(row.get("year"))
        shared: dict[str, PropertyValue | None] = {
            "eto_input_id": input_id,
            "stage_id": stage_id,
            "stage_name": stage_name,
        }
        prov = self._prov(file, row)

        tech_id, ambiguous = self._resolve([name, *aliases], "tech")
        if ambiguous:
            self.notes.append(
                f"{self._label(file)}:{row.line}: {name!r} fits "
                f"{', '.join(h.id for h in ambiguous)}; kept as its own technology."
            )
        if tech_id is not None and tech_id in self.claimed:
            self.notes.append(
                f"{self._label(file)}:{row.line}: {name!r} names {tech_id}, which input "
                f"{self.claimed[tech_id]} already stands for; kept as its own technology."
            )
            tech_id = None
        existing = self.view.node(tech_id) if tech_id is not None else None
        if existing is not None:
            labels = new_aliases([name, *aliases], existing.name, existing.aliases)
            node = Node(existing.id, existing.name, tuple(labels), _clean(shared), prov)
        else:
            key = slug(input_id) or slug(name)
            if not key:
                raise RowProblem(f"input_id {input_id!r} and input_name give no usable id")
            own: dict[str, PropertyValue | None] = {
                "origin_dataset": ORIGIN,
                **shared,
                "eto_type": row.get("type"),
                "description": row.get("description"),
                "year": year,
            }
            node = Node(f"tech:eto-{key}", name, tuple(aliases), _clean(own), prov)
        if node.id in self.claimed:
            raise RowProblem(
                f"input_id {input_id!r} gives the id {node.id}, which input "
                f"{self.claimed[node.id]} already has"
            )
        self.facts.add([node], [], f"line {row.line}")
        self.claimed[node.id] = input_id
        self.inputs[input_id] = node.id

    # -- providers.csv -------------------------------------------------------------------------

    def _provider(self, file: str, row: CsvRow) -> None:
        provider_id = self._required(row, "provider_id")
        self._define(file, "provider_id", provider_id, row)
        name = self._required(row, "provider_name")
        kind = row.get("provider_type").lower()
        if kind in ("organization", "organisation"):
            provider = self._organisation(file, row, name)
        elif kind == "country":
            provider = self._country(row, provider_id, name)
        else:
            raise RowProblem(f"provider_type {kind!r} is neither organization nor country")
        self.providers[provider_id] = provider

    def _organisation(self, file: str, row: CsvRow, name: str) -> _Provider:
        aliases = split_aliases(row.get("alias"))
        code = row.get("country")
        country_id = None
        if code:
            alpha3 = iso_alpha3(code)
            if alpha3 is None:
                raise RowProblem(f"unknown country code {code!r} (not ISO 3166-1 alpha-3)")
            country_id = f"country:{alpha3}"
        prov = self._prov(file, row)
        firm_id, ambiguous = self._resolve([name, *aliases], "firm")
        if ambiguous:
            self.notes.append(
                f"{self._label(file)}:{row.line}: {name!r} fits "
                f"{', '.join(h.id for h in ambiguous)}; kept as its own firm."
            )
        existing = self.view.node(firm_id) if firm_id is not None else None
        if existing is not None:
            # A firm the graph already knows keeps its own headquarters and properties; the
            # dataset adds its spellings and its evidence.
            labels = new_aliases([name, *aliases], existing.name, existing.aliases)
            node = Node(existing.id, existing.name, tuple(labels), {}, prov)
            self.facts.add([node], [], f"line {row.line}")
            return _Provider(existing.id, name)
        key = slug(name)
        if not key:
            raise RowProblem(f"provider_name {name!r} gives no usable id")
        firm_id = f"firm:{key}"
        if self.view.exists(firm_id) and not self._from_eto(firm_id):
            firm_id = f"firm:eto-{key}"  # the plain id belongs to a differently named node
        props: dict[str, PropertyValue] = {
            "origin_dataset": ORIGIN,
            "eto_provider_id": row.get("provider_id"),
        }
        node = Node(firm_id, name, tuple(aliases), props, prov)
        rels = []
        if country_id is not None:
            rels.append(Relationship(firm_id, "HEADQUARTERED_IN", country_id, {}, prov))
            self.countries.add(country_id)
        self.facts.add([node], rels, f"line {row.line}")
        return _Provider(firm_id, name)

    def _country(self, row: CsvRow, provider_id: str, name: str) -> _Provider:
        """A country provider: a real ISO country, an alliance, or a group left unattributed."""
        code = row.get("country") or provider_id
        alpha3 = iso_alpha3(code)
        if alpha3 is not None:
            self.countries.add(f"country:{alpha3}")
            return _Provider(f"country:{alpha3}", name)
        labels = [code, name, *split_aliases(row.get("alias"))]
        alliance, _ = self._resolve(labels, "alliance")
        alliance = alliance or EU_CODES.get(code.upper())
        if alliance is not None:
            if not self.view.exists(alliance):
                why = f"it stands for {alliance}, which is not in the graph (load-reference)"
                return _Provider(None, name, why)
            if "Alliance" not in self.schema.relationship_type("PRODUCES").sources:
                why = f"it stands for {alliance}, but the schema lets no alliance produce"
                return _Provider(None, name, why)
            return _Provider(alliance, name)
        if code.upper() in GROUP_CODES or normalize(name).startswith(GROUP_NAME_STARTS):
            return _Provider(None, name, "a group of countries that no alliance matches")
        raise RowProblem(
            f"unknown country code {code!r} for {name!r}: not ISO 3166-1 alpha-3, not an "
            "alliance in the graph, and not a pseudo-code for several countries "
            "(various, other, ROW, EUR, ...; see docs/import.md)"
        )

    # -- provision.csv -------------------------------------------------------------------------

    def _provision(self, file: str, row: CsvRow) -> None:
        provider_id = self._required(row, "provider_id")
        input_id = self._required(row, "provided_id")
        share = parse_share(row.get("share_provided"), "share_provided")
        year = parse_year(row.get("year"))
        source = row.get("source")
        provider = self.providers.get(provider_id)
        if provider is None:
            raise self._dangling("provider_id", provider_id, "providers.csv")
        tech_id = self.inputs.get(input_id)
        if tech_id is None:
            raise self._dangling("provided_id", input_id, "inputs.csv")
        prov = self._prov(file, row, source)
        if provider.node_id is None:
            self._unattributed(provider_id, provider, tech_id, (share, year, source), row, prov)
            return
        props = _clean({"share": share, "year": year, "dataset_source": source})
        rel = Relationship(provider.node_id, "PRODUCES", tech_id, props, prov)
        self.facts.add([], [rel], f"line {row.line}")

    def _unattributed(
        self,
        provider_id: str,
        provider: _Provider,
        tech_id: str,
        values: tuple[float | None, int | None, str],
        row: CsvRow,
        prov: tuple[Provenance, ...],
    ) -> None:
        """A group's share: added up on the input, once per group (a repeat must agree)."""
        key = (provider_id, tech_id)
        seen = self.group_rows.get(key)
        if seen is not None:
            if seen[0] != values:
                raise RowProblem(
                    f"provider {provider_id!r} is already given for {tech_id} with other "
                    f"values on line {seen[1]}"
                )
            return
        self.group_rows[key] = (values, row.line)
        entry = self.unattributed.setdefault(tech_id, _Unattributed())
        share = values[0]
        if share is not None:
            entry.share += share
            entry.has_share = True
        entry.providers.append(provider.name)
        entry.provenance.extend(prov)
        self.groups[provider.name] = provider.unattributed_because or "a group"

    def _finish_unattributed(self) -> None:
        if not self.unattributed:
            return
        groups = "; ".join(f"{name} ({why})" for name, why in self.groups.items())
        self.notes.append(
            "what these providers provide is kept on the input as unattributed_share and "
            f"unattributed_providers, since none is one country: {groups}."
        )
        for tech_id, entry in self.unattributed.items():
            props: dict[str, PropertyValue] = {
                "unattributed_providers": sorted(set(entry.providers))
            }
            if entry.has_share:
                props["unattributed_share"] = round(entry.share, 6)
            self.facts.update_node(tech_id, props, entry.provenance)

    # -- sequence.csv --------------------------------------------------------------------------

    def _sequence(self, file: str, row: CsvRow) -> None:
        input_id = self._required(row, "input_id")
        into, broader = row.get("goes_into_id"), row.get("is_type_of_id")
        if not into and not broader:
            raise RowProblem("names neither goes_into_id nor is_type_of_id")
        tech_id = self.inputs.get(input_id)
        if tech_id is None:
            raise self._dangling("input_id", input_id, "inputs.csv")
        prov = self._prov(file, row)
        rels: list[Relationship] = []
        if into and into not in self.stages:  # going into a stage: the input's stage_id says it
            target = self.inputs.get(into)
            if target is None:
                for file in ("inputs.csv", "stages.csv"):
                    if (file, into) in self.defined_on or (file, into) in self.broken_on:
                        raise self._dangling("goes_into_id", into, file)
                raise RowProblem(
                    f"goes_into_id {into!r} is defined neither in inputs.csv nor in stages.csv"
                )
            if target == tech_id:
                raise RowProblem(f"goes_into_id {into!r} is the input itself")
            rels.append(Relationship(target, "REQUIRES", tech_id, {}, prov))
        if broader:
            target = self.inputs.get(broader)
            if target is None:
                raise self._dangling("is_type_of_id", broader, "inputs.csv")
            if target == tech_id:
                raise RowProblem(f"is_type_of_id {broader!r} is the input itself")
            rels.append(Relationship(tech_id, "IS_TYPE_OF", target, {}, prov))
        self.facts.add([], rels, f"line {row.line}")


def _clean(props: dict[str, PropertyValue | None]) -> dict[str, PropertyValue]:
    """Drop unknown values: an empty cell means "not known", never an empty property."""
    return {k: v for k, v in props.items() if v is not None and v != ""}
