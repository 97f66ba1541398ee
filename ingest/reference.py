"""Turn the shipped reference data (ingest/reference/*.yaml) into one batch of graph facts.

Countries come from pycountry (every ISO 3166-1 entry) with the project's own common names and
demonyms; technologies, firms, alliances, agencies and further relations come from the YAML
files, each record with a `source` line that travels onto its facts as the citation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pycountry
import yaml

from techgraph.graph.errors import SchemaViolation
from techgraph.graph.model import FactBatch, Node, PropertyValue, Provenance, Relationship, unique
from techgraph.graph.schema import Schema, load_schema

REFERENCE_DIR = Path(__file__).with_name("reference")
EXTRACTOR = "reference"
# The version of the reference data, not of the code: provenance keys depend on it, so loading
# the same data again after a code upgrade adds no duplicate evidence.
REFERENCE_VERSION = "2026.11"
RELATION_PROPS = ("technology", "year", "share", "note")


@dataclass
class _Builder:
    schema: Schema
    batch: FactBatch = field(default_factory=FactBatch)

    def prov(self, file: str, locator: str, citation: str | None) -> tuple[Provenance, ...]:
        return (
            Provenance(
                source=f"reference:{file}",
                extractor=EXTRACTOR,
                extractor_version=REFERENCE_VERSION,
                confidence=1.0,
                locator=locator,
                citation=citation,
            ),
        )

    def node(
        self,
        node_id: str,
        name: str,
        aliases: Iterable[str],
        props: Mapping[str, PropertyValue | None],
        prov: tuple[Provenance, ...],
    ) -> None:
        clean = {k: v for k, v in props.items() if v is not None and v not in ([], "")}
        self.batch.nodes.append(Node(node_id, name, tuple(unique(aliases)), clean, prov))

    def rel(
        self,
        source: str,
        rtype: str,
        target: str,
        prov: tuple[Provenance, ...],
        props: Mapping[str, PropertyValue | None] | None = None,
    ) -> None:
        clean = {k: v for k, v in (props or {}).items() if v is not None}
        self.batch.relationships.append(Relationship(source, rtype, target, clean, prov))


def load_reference(directory: Path = REFERENCE_DIR, schema: Schema | None = None) -> FactBatch:
    """All reference facts as one batch, checked against the schema (and against dangling ids)."""
    b = _Builder(schema or load_schema())
    _countries(b, directory)
    for file, reader in (
        ("technologies.yaml", _technologies),
        ("firms.yaml", _firms),
        ("alliances.yaml", _alliances),
        ("agencies.yaml", _agencies),
        ("relations.yaml", _relations),
    ):
        path = directory / file
        if path.exists():
            for index, record in _records(path):
                try:
                    reader(b, file, record)
                except (KeyError, TypeError, ValueError) as exc:
                    raise SchemaViolation(
                        f"{path}, record {index + 1}: {exc.__class__.__name__} {exc}; "
                        "see ingest/reference/README.md for the fields."
                    ) from None
    missing = b.schema.validate_batch(b.batch)
    if missing:
        raise SchemaViolation(
            f"the reference data refers to ids it does not define: {', '.join(sorted(missing))}."
        )
    return b.batch


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        raise SchemaViolation(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, list):
        raise SchemaViolation(f"{path} must hold a list of records.")
    for index, record in enumerate(data):
        if not isinstance(record, dict):
            raise SchemaViolation(f"{path}, record {index + 1}: not a mapping.")
        yield index, record


def country_id(alpha3: str) -> str:
    return f"country:{alpha3.upper()}"


def _countries(b: _Builder, directory: Path) -> None:
    extras: dict[str, dict[str, Any]] = {}
    path = directory / "countries.yaml"
    if path.exists():
        extras = {r["alpha3"].upper(): r for _, r in _records(path)}
    for country in pycountry.countries:
        extra = extras.get(country.alpha_3, {})
        official = getattr(country, "official_name", None)
        common = getattr(country, "common_name", None)
        names = [*extra.get("common_names", ()), common, country.name, official]
        name = next(n for n in names if n)
        aliases = [n for n in names if n and n != name]
        props: dict[str, PropertyValue] = {
            "alpha2": country.alpha_2,
            "alpha3": country.alpha_3,
            "numeric": country.numeric,
            "official_name": official or country.name,
            "demonyms": list(extra.get("demonyms", ())),
        }
        citation = extra.get("source", "ISO 3166-1 via the pycountry package")
        prov = b.prov("countries.yaml", country.alpha_3, citation)
        b.node(country_id(country.alpha_3), name, aliases, props, prov)


def _technologies(b: _Builder, file: str, r: Mapping[str, Any]) -> None:
    prov = b.prov(file, r["id"], r.get("source"))
    b.node(r["id"], r["name"], r.get("synonyms", ()), {}, prov)
    for broader in r.get("type_of", ()):
        b.rel(r["id"], "IS_TYPE_OF", broader, prov)
    for needed in r.get("requires", ()):
        b.rel(r["id"], "REQUIRES", needed, prov)


def _firms(b: _Builder, file: str, r: Mapping[str, Any]) -> None:
    prov = b.prov(file, r["id"], r.get("source"))
    props: dict[str, PropertyValue | None] = {
        "headquarters": r["headquarters"],
        "wikidata": r.get("wikidata"),
    }
    b.node(r["id"], r["name"], r.get("aliases", ()), props, prov)
    b.rel(r["id"], "HEADQUARTERED_IN", country_id(r["headquarters"]), prov)
    if r.get("parent"):
        b.rel(r["id"], "SUBSIDIARY_OF", r["parent"], prov)
    for tech in r.get("produces", ()):
        b.rel(r["id"], "PRODUCES", tech, prov)
    for alpha3 in r.get("manufactures_in", ()):
        b.rel(r["id"], "MANUFACTURES_IN", country_id(alpha3), prov)


def _alliances(b: _Builder, file: str, r: Mapping[str, Any]) -> None:
    prov = b.prov(file, r["id"], r.get("source"))
    b.node(r["id"], r["name"], r.get("aliases", ()), {}, prov)
    for alpha3 in r.get("members", ()):
        b.rel(country_id(alpha3), "MEMBER_OF", r["id"], prov)


def _agencies(b: _Builder, file: str, r: Mapping[str, Any]) -> None:
    prov = b.prov(file, r["id"], r.get("source"))
    b.node(r["id"], r["name"], r.get("aliases", ()), {}, prov)
    owner = country_id(r["country"]) if r.get("country") else r.get("alliance")
    if not owner:
        raise ValueError(f"agency {r['id']} names neither a country nor an alliance")
    b.rel(r["id"], "AGENCY_OF", owner, prov)


def _relations(b: _Builder, file: str, r: Mapping[str, Any]) -> None:
    locator = f"{r['source_id']} {r['type']} {r['target_id']}"
    prov = b.prov(file, locator, r.get("source"))
    props = {k: r.get(k) for k in RELATION_PROPS}
    b.rel(r["source_id"], r["type"], r["target_id"], prov, props)
