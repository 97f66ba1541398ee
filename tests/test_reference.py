"""The shipped reference data: complete where it promises to be, cited, and loadable."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pycountry
import pytest

from techgraph.graph.errors import SchemaViolation
from techgraph.graph.model import FactBatch
from techgraph.ingest.reference import REFERENCE_DIR, load_reference

EU = {
    "AUT",
    "BEL",
    "BGR",
    "HRV",
    "CYP",
    "CZE",
    "DNK",
    "EST",
    "FIN",
    "FRA",
    "DEU",
    "GRC",
    "HUN",
    "IRL",
    "ITA",
    "LVA",
    "LTU",
    "LUX",
    "MLT",
    "NLD",
    "POL",
    "PRT",
    "ROU",
    "SVK",
    "SVN",
    "ESP",
    "SWE",
}


def by_prefix(batch: FactBatch, prefix: str) -> dict[str, object]:
    return {n.id: n for n in batch.nodes if n.id.startswith(prefix + ":")}


def targets(batch: FactBatch, source: str, rtype: str) -> set[str]:
    return {r.target for r in batch.relationships if r.source == source and r.type == rtype}


def test_every_iso_country_with_names_and_demonyms(reference: FactBatch) -> None:
    countries = {n.id: n for n in reference.nodes if n.id.startswith("country:")}
    assert len(countries) == len(pycountry.countries)
    demonyms = {d: n.id for n in countries.values() for d in n.props.get("demonyms", [])}
    assert demonyms["Chinese"] == "country:CHN"
    assert demonyms["Dutch"] == "country:NLD"
    assert demonyms["South Korean"] == "country:KOR"
    assert demonyms["Taiwanese"] == "country:TWN"
    claimed = Counter(d.lower() for n in countries.values() for d in n.props.get("demonyms", []))
    assert [d for d, k in claimed.items() if k > 1] == []
    assert countries["country:NLD"].name == "Netherlands"
    assert "United States" in (countries["country:USA"].name, *countries["country:USA"].aliases)


def test_technology_taxonomy_is_large_and_connected(reference: FactBatch) -> None:
    techs = [n for n in reference.nodes if n.id.startswith("tech:")]
    assert len(techs) >= 60
    for needed in (
        "tech:5g",
        "tech:semiconductors",
        "tech:euv-lithography",
        "tech:silicon-wafers",
        "tech:eda-software",
        "tech:quantum-computing",
    ):
        assert any(t.id == needed for t in techs), needed
    five_g = next(t for t in techs if t.id == "tech:5g")
    assert "fifth-generation" in [a.lower() for a in five_g.aliases]
    assert targets(reference, "tech:5g", "REQUIRES")


def test_firms_span_the_main_economies_with_headquarters(reference: FactBatch) -> None:
    firms = [n for n in reference.nodes if n.id.startswith("firm:")]
    assert len(firms) >= 80
    hq = {r.source: r.target for r in reference.relationships if r.type == "HEADQUARTERED_IN"}
    assert all(f.id in hq for f in firms)
    homes = Counter(hq[f.id].removeprefix("country:") for f in firms)
    for country in ("USA", "CHN", "JPN", "KOR", "TWN"):
        assert homes[country] >= 3, country
    assert sum(homes[c] for c in EU) >= 5
    assert hq["firm:huawei"] == "country:CHN"
    assert hq["firm:asml"] == "country:NLD"
    assert targets(reference, "firm:hisilicon", "SUBSIDIARY_OF") == {"firm:huawei"}
    assert any(r.type == "SUPPLIES" for r in reference.relationships)


def test_alliances_and_agencies(reference: FactBatch) -> None:
    def members(alliance: str) -> set[str]:
        return {
            r.source.removeprefix("country:")
            for r in reference.relationships
            if r.type == "MEMBER_OF" and r.target == alliance
        }

    assert members("alliance:quad") == {"USA", "JPN", "IND", "AUS"}
    assert members("alliance:eu") == EU
    assert members("alliance:five-eyes") == {"USA", "GBR", "CAN", "AUS", "NZL"}
    assert {"USA", "CAN", "GBR", "AUS"} <= members("alliance:ntib")
    for alliance in ("alliance:asean", "alliance:nato", "alliance:g7", "alliance:wassenaar"):
        assert len(members(alliance)) >= 7, alliance
    assert targets(reference, "agency:us-cfius", "AGENCY_OF") == {"country:USA"}
    assert targets(reference, "agency:us-bis", "AGENCY_OF") == {"country:USA"}
    assert targets(reference, "agency:cn-mofcom", "AGENCY_OF") == {"country:CHN"}


def test_every_fact_cites_where_it_comes_from(reference: FactBatch) -> None:
    for item in [*reference.nodes, *reference.relationships]:
        assert item.provenance, item
        assert all(p.citation for p in item.provenance), item


def copy_reference(tmp_path: Path) -> Path:
    target = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, target)
    return target


def test_a_dangling_id_in_the_data_is_named(tmp_path: Path) -> None:
    ref = copy_reference(tmp_path)
    with (ref / "relations.yaml").open("a") as fh:
        fh.write(
            "\n- {source_id: firm:huawei, type: SUPPLIES, target_id: firm:nobody-inc,"
            " source: test}\n"
        )
    with pytest.raises(SchemaViolation, match="does not define: firm:nobody-inc"):
        load_reference(ref)


def test_a_broken_record_is_reported_by_file_and_number(tmp_path: Path) -> None:
    ref = copy_reference(tmp_path)
    (ref / "alliances.yaml").write_text("- {id: alliance:x, members: [USA]}\n")
    with pytest.raises(SchemaViolation, match=r"alliances\.yaml, record 1: KeyError 'name'"):
        load_reference(ref)
    (ref / "alliances.yaml").write_text("- {id: alliance:x, name: [unclosed\n")
    with pytest.raises(SchemaViolation, match="is not valid YAML"):
        load_reference(ref)
