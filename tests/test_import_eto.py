"""`techgraph import eto`: the ETO supply-chain layout into the graph, on both backends.

The fixtures under tests/fixtures/eto are written for these tests (invented figures, not ETO's
data, which is licensed for non-commercial use only and never shipped).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pycountry
import pytest
import yaml
from click.testing import CliRunner

from techgraph.api.cli import cli
from techgraph.graph.embedded import EmbeddedStore
from techgraph.graph.model import FactBatch, Provenance
from techgraph.graph.schema import SCHEMA_PATH, Schema
from techgraph.graph.store import Direction, GraphStore
from techgraph.ingest.eto import import_eto, read_eto
from techgraph.ingest.importing import ImportFileError, ImportReport, write_report
from techgraph.ingest.reference import load_reference

from .api_helpers import run_cli as run
from .graphs import edge

FIXTURES = Path(__file__).parent / "fixtures" / "eto"
BAD = FIXTURES / "bad"
CITATION_A = "Fixture citation A (invented figures for tests)"


@pytest.fixture
def graph(store: GraphStore, reference: FactBatch) -> GraphStore:
    """A store holding the reference data, which the importer resolves names against."""
    store.write(reference)
    return store


def load(store: GraphStore, directory: Path = FIXTURES, strict: bool = False) -> ImportReport:
    report = import_eto(store, directory)
    write_report(store, report, strict)
    return report


def targets(store: GraphStore, source: str, rtype: str) -> set[str]:
    return {n.node.id for n in store.neighbours(source, [rtype], Direction.OUT)}


def copy_fixtures(tmp_path: Path) -> Path:
    directory = tmp_path / "eto"
    shutil.copytree(FIXTURES, directory, ignore=shutil.ignore_patterns("bad"))
    return directory


# -- what a user relies on -------------------------------------------------------------------------


def test_reference_firms_keep_their_ids(graph: GraphStore) -> None:
    report = load(graph)
    assert report.errors == []
    produces = edge(graph, "firm:asml", "PRODUCES", "tech:euv-lithography")
    assert produces.props["share"] == 1.0
    assert produces.props["year"] == 2021
    assert produces.props["dataset_source"] == CITATION_A
    assert edge(graph, "firm:jsr", "PRODUCES", "tech:photoresist").props["share"] == 0.3
    assert edge(graph, "firm:shin-etsu", "PRODUCES", "tech:silicon-wafers").props["share"] == 0.3
    asml = graph.get_node("firm:asml")
    assert asml is not None and asml.name == "ASML Holding N.V."
    assert targets(graph, "firm:asml", "HEADQUARTERED_IN") == {"country:NLD"}
    assert graph.get_node("firm:asml-holding-n-v") is None
    assert graph.resolver().lookup("ASML", ["firm"])[0].id == "firm:asml"


def test_files_are_joined_on_ids_not_names(graph: GraphStore) -> None:
    load(graph)
    # provision.csv calls N1 "EUV lithography machines" and N4 "Silicon wafers"
    assert "tech:euv-lithography" in targets(graph, "country:NLD", "PRODUCES")
    assert graph.resolver().lookup("EUV lithography machines") == []
    # inputs.csv says "Fab stage" for N4; stages.csv, joined on S2, says "Fabrication"
    wafers = graph.get_node("tech:silicon-wafers")
    assert wafers is not None and wafers.props["stage_name"] == "Fabrication"


def test_inputs_become_technologies(graph: GraphStore) -> None:
    load(graph)
    euv = graph.get_node("tech:euv-lithography")
    assert euv is not None
    assert euv.name == "EUV lithography"  # the reference name stays
    assert "Extreme ultraviolet scanners" in euv.aliases  # ETO's name, resolved by its alias
    assert euv.props["eto_input_id"] == "N1"
    pellicles = graph.get_node("tech:eto-n6")
    assert pellicles is not None
    assert pellicles.name == "EUV pellicles"
    assert pellicles.props["origin_dataset"] == "eto"
    assert pellicles.props["stage_name"] == "Fabrication"
    assert pellicles.props["eto_type"] == "material_resource"
    assert "tech:eto-n6" in targets(graph, "tech:euv-lithography", "REQUIRES")
    assert "tech:silicon-wafers" in targets(graph, "tech:wafer-fabrication", "REQUIRES")
    assert "tech:lithography-tools" in targets(graph, "tech:euv-lithography", "IS_TYPE_OF")


def test_every_fact_carries_its_row(graph: GraphStore) -> None:
    load(graph)
    produces = edge(graph, "firm:asml", "PRODUCES", "tech:euv-lithography")
    assert (
        Provenance(
            source="dataset:eto/provision.csv",
            extractor="eto-import",
            extractor_version="1",
            confidence=1.0,
            locator="line 2",
            citation=CITATION_A,
        )
        in produces.provenance
    )
    requires = edge(graph, "tech:euv-lithography", "REQUIRES", "tech:eto-n6")
    assert [(p.source, p.locator) for p in requires.provenance] == [
        ("dataset:eto/sequence.csv", "line 6")
    ]


def test_an_unknown_firm_is_created_with_its_headquarters(graph: GraphStore) -> None:
    load(graph)
    smee = graph.get_node("firm:shanghai-micro-electronics-equipment")
    assert smee is not None
    assert smee.props["origin_dataset"] == "eto"
    assert smee.aliases == ("SMEE",)
    hq = edge(graph, smee.id, "HEADQUARTERED_IN", "country:CHN")
    assert hq.provenance[0].source == "dataset:eto/providers.csv"
    assert hq.provenance[0].locator == "line 4"
    # an empty share means no share property, not a share of 0
    litho = edge(graph, smee.id, "PRODUCES", "tech:lithography-tools")
    assert "share" not in litho.props and litho.props["year"] == 2021


def test_empty_cells_give_no_properties(graph: GraphStore) -> None:
    load(graph)
    produces = edge(graph, "firm:pellicle-works", "PRODUCES", "tech:eto-n6")
    assert produces.props == {}
    assert produces.provenance[0].citation is None
    assert targets(graph, "firm:pellicle-works", "HEADQUARTERED_IN") == set()


def test_groups_never_become_countries(graph: GraphStore) -> None:
    countries_before = graph.counts().nodes["Country"]
    report = load(graph)
    assert graph.counts().nodes["Country"] == countries_before == len(pycountry.countries)
    assert "country:CHN" in {n.node.id for n in graph.neighbours("tech:silicon-wafers")}
    wafers = graph.get_node("tech:silicon-wafers")
    resist = graph.get_node("tech:photoresist")
    assert wafers is not None and resist is not None
    # "various" is never one country: its share stays on the input, unattributed
    assert "Various countries" in wafers.props["unattributed_providers"]
    assert resist.props["unattributed_providers"] == ["Various countries"]
    assert "unattributed_share" not in resist.props  # its photoresist row gives no share
    if "Alliance" in graph.schema.relationship_type("PRODUCES").sources:
        assert edge(graph, "alliance:eu", "PRODUCES", "tech:silicon-wafers").props["share"] == 0.15
        assert wafers.props["unattributed_share"] == 0.2
    else:  # the schema lets no alliance produce: the EU's share is unattributed too
        assert wafers.props["unattributed_share"] == 0.35
        assert wafers.props["unattributed_providers"] == ["European Union", "Various countries"]
        assert any("European Union" in note for note in report.notes)
    sources = {p.locator for p in wafers.provenance if p.source == "dataset:eto/provision.csv"}
    assert "line 14" in sources  # the "various" row is the evidence for the property


def test_an_eu_row_becomes_the_eu_alliance_when_the_schema_allows(
    tmp_path: Path,
) -> None:
    data = yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))
    sources = data["relationship_types"]["PRODUCES"]["from"]
    data["relationship_types"]["PRODUCES"]["from"] = sorted({*sources, "Alliance"})
    schema = Schema(data)
    with EmbeddedStore(tmp_path / "graph", schema=schema) as store:
        store.write(load_reference(schema=schema))
        load(store)
        eu = edge(store, "alliance:eu", "PRODUCES", "tech:silicon-wafers")
        assert eu.props == {
            "share": 0.15,
            "year": 2021,
            "dataset_source": "Fixture citation D (invented figures for tests)",
        }
        wafers = store.get_node("tech:silicon-wafers")
        assert wafers is not None
        assert wafers.props["unattributed_share"] == 0.2
        assert wafers.props["unattributed_providers"] == ["Various countries"]


def test_an_empty_graph_gets_the_countries_it_needs(store: GraphStore) -> None:
    report = load(store)
    assert report.errors == []
    netherlands = store.get_node("country:NLD")
    assert netherlands is not None and netherlands.name == "Netherlands"
    assert store.get_node("country:TWN") is None  # only the countries the rows name
    # without reference data nothing resolves: ASML is a firm of the dataset's own
    asml = store.get_node("firm:asml-holding-n-v")
    assert asml is not None and asml.props["origin_dataset"] == "eto"
    assert targets(store, asml.id, "HEADQUARTERED_IN") == {"country:NLD"}
    assert store.get_node("tech:eto-n1") is not None
    assert store.counts().nodes.get("Alliance") is None


def test_importing_again_changes_nothing(graph: GraphStore) -> None:
    load(graph)
    counts = graph.counts()
    asml = edge(graph, "firm:asml", "PRODUCES", "tech:euv-lithography")
    euv = graph.get_node("tech:euv-lithography")
    smee = graph.get_node("firm:shanghai-micro-electronics-equipment")
    report = load(graph)
    assert report.errors == []
    assert graph.counts() == counts
    assert edge(graph, "firm:asml", "PRODUCES", "tech:euv-lithography") == asml
    assert graph.get_node("tech:euv-lithography") == euv
    assert graph.get_node("firm:shanghai-micro-electronics-equipment") == smee


def test_bad_rows_are_reported_and_the_rest_loads(graph: GraphStore) -> None:
    report = load(graph, BAD)
    errors = [str(e) for e in report.sorted_errors]
    where = [e.split(": ", 1)[0] for e in errors]
    assert where == [
        f"{BAD}/inputs.csv:4",  # wrong column count
        f"{BAD}/inputs.csv:5",  # bad year
        f"{BAD}/inputs.csv:7",  # stage S9 defined nowhere
        f"{BAD}/providers.csv:4",  # unknown country code of a firm
        f"{BAD}/providers.csv:5",  # unknown country code of a country row
        f"{BAD}/providers.csv:6",  # neither organization nor country
        f"{BAD}/provision.csv:3",  # share 1.5
        f"{BAD}/provision.csv:4",  # share "abc"
        f"{BAD}/provision.csv:5",  # provider P99 defined nowhere
        f"{BAD}/provision.csv:6",  # input N99 defined nowhere
        f"{BAD}/provision.csv:7",  # provider whose row was skipped
        f"{BAD}/provision.csv:8",  # input whose row was skipped
        f"{BAD}/sequence.csv:4",  # input N6 defined nowhere
        f"{BAD}/sequence.csv:5",  # broader input N42 defined nowhere
        f"{BAD}/sequence.csv:6",  # says nothing
    ]
    text = "\n".join(errors)
    assert "has 5 fields, the header has 8" in text
    assert "year '20x1' is not a whole number" in text
    assert "unknown country code 'XYZ'" in text and "unknown country code 'ATL'" in text
    assert "share_provided 1.5 is outside 0..1" in text
    assert "provider_id 'P99' is not defined in providers.csv" in text
    assert f"provided_id 'N3' refers to {BAD}/inputs.csv:4, a row that was skipped" in text
    assert report.rows_skipped == 15 and report.rows_read == 28
    # the good rows are in the graph
    assert edge(graph, "firm:asml", "PRODUCES", "tech:euv-lithography").props["share"] == 1.0
    assert edge(graph, "country:NLD", "PRODUCES", "tech:lithography-tools").props["share"] == 0.9
    assert "tech:lithography-tools" in targets(graph, "tech:wafer-fabrication", "REQUIRES")
    assert graph.get_node("firm:mystery-corp") is None


def test_strict_writes_nothing_when_a_row_is_bad(graph: GraphStore) -> None:
    counts = graph.counts()
    euv = graph.get_node("tech:euv-lithography")
    report = import_eto(graph, BAD)
    outcome = write_report(graph, report, strict=True)
    assert not outcome.written
    assert graph.counts() == counts
    assert graph.get_node("tech:euv-lithography") == euv


def test_a_second_row_for_the_same_pair_must_agree(graph: GraphStore, tmp_path: Path) -> None:
    directory = copy_fixtures(tmp_path)
    with (directory / "provision.csv").open("a", encoding="utf-8") as fh:
        fh.write("P2,JSR,N3,Photoresist,0.3,2021,Fixture citation C (invented figures for tests)\n")
        fh.write("P2,JSR,N3,Photoresist,0.4,2022,Fixture citation C (invented figures for tests)\n")
        fh.write("P15,Various,N4,Wafers,0.3,2021,\n")
    report = load(graph, directory)
    assert [(e.line, e.reason.split(" is already")[0]) for e in report.sorted_errors] == [
        (17, "firm:jsr -[PRODUCES]-> tech:photoresist"),
        (18, "provider 'P15'"),
    ]
    assert "on line 5" in report.sorted_errors[0].reason
    # the repeated identical row (line 16) adds its evidence to the same relationship
    jsr = edge(graph, "firm:jsr", "PRODUCES", "tech:photoresist")
    assert jsr.props["share"] == 0.3
    assert {p.locator for p in jsr.provenance if p.extractor == "eto-import"} == {
        "line 5",
        "line 16",
    }


# -- files that cannot be used -------------------------------------------------------------------


def test_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="does not exist; give the directory"):
        read_eto(tmp_path / "nowhere")


def test_a_file_instead_of_a_directory() -> None:
    with pytest.raises(ImportFileError, match="is not a directory"):
        read_eto(FIXTURES / "inputs.csv")


def test_a_missing_file(tmp_path: Path) -> None:
    directory = copy_fixtures(tmp_path)
    (directory / "provision.csv").unlink()
    with pytest.raises(ImportFileError, match=r"lacks provision\.csv; an ETO import needs all"):
        read_eto(directory)


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    directory = copy_fixtures(tmp_path)
    (directory / "providers.csv").write_bytes(
        "provider_name,alias,provider_id,provider_type,country\nSociété Générale,,P1,"
        "organization,FRA\n".encode("latin-1")
    )
    with pytest.raises(ImportFileError, match=r"providers\.csv is not UTF-8 text"):
        read_eto(directory)


def test_a_header_without_a_required_column(tmp_path: Path) -> None:
    directory = copy_fixtures(tmp_path)
    (directory / "provision.csv").write_text("provider_id,provided_id,year\nP1,N1,2021\n")
    with pytest.raises(ImportFileError, match=r"lacks the column\(s\) share_provided"):
        read_eto(directory)


def test_an_empty_file(tmp_path: Path) -> None:
    directory = copy_fixtures(tmp_path)
    (directory / "stages.csv").write_text("")
    with pytest.raises(ImportFileError, match=r"stages\.csv is empty"):
        read_eto(directory)


# -- the command ---------------------------------------------------------------------------------


def test_the_command_loads_and_summarises(graph: GraphStore) -> None:
    code, out, err = run(graph, "import", "eto", str(FIXTURES))
    assert code == 0, err
    assert err == ""
    assert "40 of 40 rows loaded, 0 skipped" in out
    # ASML, JSR, Shin-Etsu and five of the inputs are reference nodes: they gain aliases and
    # evidence; the pellicles, SMEE and Pellicle Works are new
    assert "11 nodes and 18 relationships written (3 nodes and 9 relationships new" in out
    assert "unattributed_share" in out
    assert edge(graph, "firm:asml", "PRODUCES", "tech:euv-lithography").props["share"] == 1.0
    code, out, _ = run(graph, "import", "eto", str(FIXTURES))
    assert code == 0
    assert "(0 nodes and 0 relationships new to the graph)" in out


def test_the_command_reports_bad_rows_and_exits_1(graph: GraphStore) -> None:
    code, out, err = run(graph, "import", "eto", str(BAD))
    assert code == 1
    lines = err.splitlines()
    assert len(lines) == 15
    assert lines[0].startswith(f"{BAD}/inputs.csv:4: ")
    assert "13 of 28 rows loaded, 15 skipped" in out
    assert edge(graph, "firm:asml", "PRODUCES", "tech:euv-lithography").props["share"] == 1.0


def test_the_command_with_strict_writes_nothing(graph: GraphStore) -> None:
    counts = graph.counts()
    code, out, err = run(graph, "import", "eto", "--strict", str(BAD))
    assert code == 1
    assert err.splitlines()[-1] == (
        f"error: 15 of 28 rows of ETO dataset in {BAD} are bad; with --strict nothing was written."
    )
    assert out == ""
    assert graph.counts() == counts


def test_the_command_with_a_missing_directory(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path / "graph"), "import", "eto", str(tmp_path / "nowhere")]
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'nowhere'} does not exist; give the directory that holds the ETO "
        "files stages.csv, inputs.csv, providers.csv, provision.csv, sequence.csv."
    ]
