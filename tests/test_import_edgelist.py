"""`techgraph import csv`: a user's own edge list into the graph, on both backends."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from techgraph.api.cli import cli
from techgraph.graph.model import FactBatch, Provenance
from techgraph.graph.store import GraphStore
from techgraph.ingest.edgelist import import_edgelist, read_edgelist
from techgraph.ingest.importing import ImportFileError, ImportReport, write_report

from .api_helpers import run_cli as run
from .graphs import edge

FIXTURES = Path(__file__).parent / "fixtures" / "edgelist"
GOOD = FIXTURES / "suppliers.csv"
BAD = FIXTURES / "bad.csv"
HEADER = "source,relation,target,source_name,target_name,share,year,citation,properties\n"


@pytest.fixture
def graph(store: GraphStore, reference: FactBatch) -> GraphStore:
    store.write(reference)
    return store


def load(store: GraphStore, path: Path = GOOD, strict: bool = False) -> ImportReport:
    report = import_edgelist(store, path)
    write_report(store, report, strict)
    return report


def test_ids_are_created_and_names_resolved(graph: GraphStore) -> None:
    report = load(graph)
    assert report.errors == []
    acme = graph.get_node("firm:acme-optics")
    assert acme is not None
    assert acme.name == "Acme Optics GmbH"  # from source_name, not from the id
    assert acme.aliases == ()
    assert acme.props["origin_dataset"] == "csv:suppliers.csv"
    # "Acme Optics GmbH" on line 4 is the node line 2 creates; "ASML" resolves to the reference
    supplies = edge(graph, "firm:acme-optics", "SUPPLIES", "firm:asml")
    assert supplies.props == {"technology": "tech:lithography-optics", "year": 2024}
    assert edge(graph, "firm:huawei", "PRODUCES", "tech:5g-base-stations").props["share"] == 0.3
    assert edge(graph, "country:CHN", "RESTRICTS_EXPORT_OF", "tech:gallium").props["year"] == 2023
    assert edge(graph, "firm:acme-optics", "HEADQUARTERED_IN", "country:DEU").props == {}


def test_shares_years_properties_and_provenance(graph: GraphStore) -> None:
    load(graph)
    produces = edge(graph, "firm:acme-optics", "PRODUCES", "tech:lithography-optics")
    assert produces.props == {"share": 0.05, "year": 2023, "plant": "Jena", "verified": True}
    assert produces.provenance == (
        Provenance(
            source="dataset:suppliers.csv",
            extractor="csv-import",
            extractor_version="1",
            confidence=1.0,
            locator="line 2",
            citation="Acme Optics annual report 2023 (fixture)",
        ),
    )


def test_existing_nodes_keep_their_names(graph: GraphStore) -> None:
    asml = graph.get_node("firm:asml")
    load(graph)
    after = graph.get_node("firm:asml")
    assert asml is not None and after is not None
    assert (after.name, after.aliases, after.props) == (asml.name, asml.aliases, asml.props)


def test_importing_again_changes_nothing(graph: GraphStore) -> None:
    load(graph)
    counts = graph.counts()
    acme = graph.get_node("firm:acme-optics")
    assert load(graph).errors == []
    assert graph.counts() == counts
    assert graph.get_node("firm:acme-optics") == acme


def test_an_empty_graph(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(
        HEADER
        + "firm:acme,HEADQUARTERED_IN,country:DEU,,,,,,\n"
        + "firm:acme,SUPPLIES,firm:widgets,,Widgets Ltd,,,,\n"
        + "Widgets Ltd,PRODUCES,tech:eto-wafers,,,,,,\n"
        + "Acme,PRODUCES,Silicon wafers,,,,,,\n"
    )
    report = load(store, path)
    assert [(e.line, e.reason.split(" called ")[0]) for e in report.errors] == [
        (5, "target: no entity of type tech")
    ]
    germany = store.get_node("country:DEU")
    assert germany is not None and germany.name == "Germany"  # as the reference data names it
    acme = store.get_node("firm:acme")
    assert acme is not None and acme.name == "acme"  # no name given: the id's key
    assert edge(store, "firm:widgets", "PRODUCES", "tech:eto-wafers").props == {}
    wafers = store.get_node("tech:eto-wafers")
    assert wafers is not None and wafers.props["origin_dataset"] == "csv:mine.csv"


def test_bad_rows_are_reported_and_the_rest_loads(graph: GraphStore) -> None:
    report = load(graph, BAD)
    errors = {e.line: e.reason for e in report.errors}
    assert sorted(errors) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 12]
    assert errors[2].startswith("unknown relationship type 'MAKES'; the schema allows")
    assert "'firm:Bad_ID' is not a valid Firm id" in errors[3]
    assert errors[4] == "share 1.2 is outside 0..1 (give a fraction: 0.25 for 25%)"
    assert errors[5] == (
        "source: no entity of type alliance/country/firm called 'Huawey' in the graph. "
        "Did you mean Huawei Technologies Co., Ltd. (firm:huawei)?"
    )
    assert errors[6].startswith("source: 'Australia' fits 2 entities: country:AUS")
    assert "PRODUCES joins Alliance/Country/Firm to Technology, not Technology to Firm" in errors[7]
    assert errors[8].startswith("properties is not valid JSON")
    assert errors[9] == "has 2 fields, the header has 9"
    assert errors[10] == "target 'country:XYZ': unknown country code (not ISO 3166-1 alpha-3)"
    assert errors[12] == "year 19999 is not a plausible year"
    assert str(report.sorted_errors[0]) == f"{BAD}:2: {errors[2]}"  # FILE:LINE: reason
    assert report.rows_read == 11 and report.rows_skipped == 10
    assert edge(graph, "firm:acme-optics", "PRODUCES", "tech:lithography-optics").props == {
        "share": 0.05,
        "year": 2023,
    }
    acme = graph.get_node("firm:acme-optics")
    assert acme is not None and acme.name == "Acme Optics GmbH"


def test_strict_writes_nothing_when_a_row_is_bad(graph: GraphStore) -> None:
    counts = graph.counts()
    outcome = write_report(graph, import_edgelist(graph, BAD), strict=True)
    assert not outcome.written
    assert graph.counts() == counts
    assert graph.get_node("firm:acme-optics") is None


def test_a_second_row_for_the_same_relationship_must_agree(
    graph: GraphStore, tmp_path: Path
) -> None:
    path = tmp_path / "twice.csv"
    path.write_text(
        HEADER
        + "firm:acme,PRODUCES,tech:photoresist,Acme,,0.1,2023,Report A,\n"
        + "firm:acme,PRODUCES,tech:photoresist,Acme,,0.1,2023,Report B,\n"
        + "firm:acme,PRODUCES,tech:photoresist,Acme,,0.2,2024,Report C,\n"
    )
    report = load(graph, path)
    assert [e.line for e in report.errors] == [4]
    assert "already given with other properties on line 2" in report.errors[0].reason
    produces = edge(graph, "firm:acme", "PRODUCES", "tech:photoresist")
    assert produces.props == {"share": 0.1, "year": 2023}
    assert {p.citation for p in produces.provenance} == {"Report A", "Report B"}


def test_properties_must_be_an_object_of_scalars(graph: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "props.csv"
    rows = [
        '"[1, 2]"',
        '"{""plants"": [""Jena""]}"',
        '"{""share"": 0.5}"',
        '"{""Bad Key"": 1}"',
        '"{""capacity_wpm"": 12000, ""audited"": false}"',
    ]
    path.write_text(
        HEADER + "".join(f"firm:acme,PRODUCES,tech:photoresist,,,,,,{r}\n" for r in rows)
    )
    report = load(graph, path)
    errors = {e.line: e.reason for e in report.errors}
    assert errors[2].startswith("properties must be a JSON object")
    assert errors[3] == (
        "properties: 'plants' is [\"Jena\"]; values must be strings, numbers or booleans"
    )
    assert errors[4] == "properties may not set share; use the column instead"
    assert "'Bad Key' cannot be used as a property name" in errors[5]
    assert edge(graph, "firm:acme", "PRODUCES", "tech:photoresist").props == {
        "capacity_wpm": 12000,
        "audited": False,
    }


# -- files that cannot be used -------------------------------------------------------------------


def test_an_unknown_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "typo.csv"
    path.write_text("source,relation,target,shares\nfirm:a,PRODUCES,tech:b,0.5\n")
    with pytest.raises(ImportFileError, match=r"unknown column\(s\) shares; the columns are"):
        read_edgelist(path)


def test_a_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("source,target\nfirm:a,tech:b\n")
    with pytest.raises(ImportFileError, match=r"lacks the column\(s\) relation"):
        read_edgelist(path)


def test_not_utf8_missing_and_a_directory(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "Société,PRODUCES,tech:b,,,,,,\n").encode("latin-1"))
    with pytest.raises(ImportFileError, match="is not UTF-8 text"):
        read_edgelist(path)
    with pytest.raises(ImportFileError, match="does not exist"):
        read_edgelist(tmp_path / "nothing.csv")
    with pytest.raises(ImportFileError, match="is a directory, not a CSV file"):
        read_edgelist(tmp_path)


def test_a_byte_order_mark_and_blank_lines_are_fine(graph: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(
        ("\ufeff" + HEADER + "\n" + "firm:acme,PRODUCES,tech:photoresist,Acme,,,,,\n").encode()
    )
    report = load(graph, path)
    assert report.errors == [] and report.rows_read == 1
    assert edge(graph, "firm:acme", "PRODUCES", "tech:photoresist").provenance[0].locator == (
        "line 3"
    )


# -- the command ---------------------------------------------------------------------------------


def test_the_command_loads_and_exits_0(graph: GraphStore) -> None:
    code, out, err = run(graph, "import", "csv", str(GOOD))
    assert code == 0, err
    assert err == ""
    assert f"imported {GOOD} into the {graph.backend} graph: 6 of 6 rows loaded, 0 skipped." in out
    # Huawei's base stations are in the reference data already: that fact gains evidence only
    assert "1 node and 6 relationships written (1 node and 5 relationships new" in out
    code, out, _ = run(graph, "import", "csv", str(GOOD))
    assert code == 0 and "(0 nodes and 0 relationships new to the graph)" in out


def test_the_command_reports_bad_rows_and_exits_1(graph: GraphStore) -> None:
    code, out, err = run(graph, "import", "csv", str(BAD))
    assert code == 1
    lines = err.splitlines()
    assert len(lines) == 10
    assert all(line.startswith(f"{BAD}:") for line in lines)
    assert "1 of 11 rows loaded, 10 skipped" in out


def test_the_command_with_strict(graph: GraphStore) -> None:
    counts = graph.counts()
    code, out, err = run(graph, "import", "csv", "--strict", str(BAD))
    assert code == 1 and out == ""
    assert err.splitlines()[-1] == (
        f"error: 10 of 11 rows of {BAD} are bad; with --strict nothing was written."
    )
    assert graph.counts() == counts


def test_the_command_with_strict_and_good_rows_writes(graph: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "suppliers.csv"
    shutil.copy(GOOD, path)
    code, _, err = run(graph, "import", "csv", "--strict", str(path))
    assert code == 0, err
    assert graph.get_node("firm:acme-optics") is not None


def test_the_command_with_a_bad_header_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "typo.csv"
    path.write_text("source,relation,target,shares\n")
    result = CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path / "graph"), "import", "csv", str(path)]
    )
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"error: {path} has the unknown column(s) shares;")
