"""`techgraph export`: the whole graph as GraphML (Gephi) and CSV (spreadsheets), on both
backends, with every relationship's provenance flattened into columns."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx
import pytest

from techgraph.graph.export import export, read_rows
from techgraph.graph.model import FactBatch, Node, Provenance, Relationship
from techgraph.graph.store import GraphStore

from .conftest import NEO4J_URI
from .graphs import supply_chain
from .test_cli import one_error_line, run

SENTENCE = "Huawei, a Chinese firm, makes 5G base stations, an analyst wrote."
DOC = "doc:" + "ab" * 32


def graph() -> FactBatch:
    """The shared supply chain, plus a fact from a document with two provenance records."""
    batch = supply_chain()
    batch.nodes.append(Node(DOC, "Analyst note"))
    text = Provenance(DOC, "rules", "0.3", 0.7, locator="p. 2", sentence=SENTENCE)
    batch.relationships += [
        Relationship(DOC, "MENTIONS", "firm:huawei", {}, (text,)),
        Relationship("firm:huawei", "PRODUCES", "tech:base-stations", {"share": 0.3}, (text,)),
    ]
    return batch


def _cli_args(store: GraphStore, tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    if store.backend == "neo4j":
        return ["--backend", "neo4j"], {"TECHGRAPH_NEO4J_URI": NEO4J_URI}
    return ["--data-dir", str(tmp_path / "graph")], {}


def test_rows_hold_every_node_and_relationship(store: GraphStore) -> None:
    store.write(graph())
    rows = read_rows(store)
    counts = store.counts()
    assert len(rows.nodes) == counts.total_nodes
    assert len(rows.edges) == counts.total_relationships
    huawei = next(n for n in rows.nodes if n["id"] == "firm:huawei")
    assert huawei["type"] == "Firm" and huawei["country"] == "CHN"
    assert huawei["aliases"] == "Huawei Technologies"
    supply = next(e for e in rows.edges if (e["source"], e["type"]) == ("firm:huawei", "PRODUCES"))
    # Two provenance records, flattened: both citations and the sentence, and the JSON of both.
    assert supply["share"] == 0.3 and supply["year"] == 2023
    assert supply["evidence_count"] == 2
    assert supply["citations"] == f"test fixture; {DOC}"
    assert supply["sentences"] == SENTENCE
    assert supply["confidence"] == 1.0
    assert len(json.loads(str(supply["provenance_json"]))) == 2


def test_graphml_opens_in_networkx_with_labels_and_evidence(
    store: GraphStore, tmp_path: Path
) -> None:
    store.write(graph())
    args, env = _cli_args(store, tmp_path)
    target = tmp_path / "out" / "graph.graphml"
    code, out, err = run(*args, "export", "--format", "graphml", "-o", str(target), env=env)
    assert code == 0, err
    assert f"wrote {target}" in out
    g = nx.read_graphml(target, force_multigraph=True)
    counts = store.counts()
    assert g.number_of_nodes() == counts.total_nodes
    assert g.number_of_edges() == counts.total_relationships
    assert g.nodes["firm:huawei"]["label"] == "Huawei"  # what Gephi shows
    assert g.nodes["firm:huawei"]["type"] == "Firm"
    edges = g.get_edge_data("firm:huawei", "tech:base-stations")
    (produces,) = [e for e in edges.values() if e["type"] == "PRODUCES"]
    assert produces["share"] == 0.3 and produces["year"] == 2023
    assert SENTENCE in produces["sentences"]


def test_csv_writes_nodes_and_edges_for_spreadsheets(store: GraphStore, tmp_path: Path) -> None:
    store.write(graph())
    args, env = _cli_args(store, tmp_path)
    target = tmp_path / "csv"
    code, _, err = run(*args, "export", "--format", "csv", "-o", str(target), env=env)
    assert code == 0, err
    with (target / "nodes.csv").open(encoding="utf-8-sig", newline="") as f:
        nodes = list(csv.DictReader(f))
    with (target / "edges.csv").open(encoding="utf-8-sig", newline="") as f:
        edges = list(csv.DictReader(f))
    counts = store.counts()
    assert len(nodes) == counts.total_nodes and len(edges) == counts.total_relationships
    assert list(nodes[0])[:5] == ["id", "type", "name", "aliases", "country"]
    doc = next(n for n in nodes if n["id"] == DOC)
    assert doc["type"] == "Document" and doc["name"] == "Analyst note"
    mention = next(e for e in edges if e["type"] == "MENTIONS")
    assert mention["source_name"] == "Analyst note" and mention["target_name"] == "Huawei"
    assert mention["sentences"] == SENTENCE and mention["locators"] == "p. 2"
    assert mention["extractors"] == "rules 0.3" and mention["confidence"] == "0.7"


def test_both_backends_export_the_same_rows(store: GraphStore, tmp_path: Path) -> None:
    from techgraph.graph.embedded import EmbeddedStore

    store.write(graph())
    reference = EmbeddedStore(tmp_path / "reference")
    reference.write(graph())
    assert read_rows(store) == read_rows(reference)


def test_bad_targets_are_one_clear_line(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "graph")]
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    code, _, err = run(*data, "export", "--format", "csv", "-o", str(a_file))
    assert code == 1 and "is a file; CSV export writes nodes.csv" in one_error_line(err)
    code, _, err = run(*data, "export", "--format", "graphml", "-o", str(tmp_path))
    assert code == 1 and "is a directory" in one_error_line(err)
    code, _, err = run(*data, "export", "--format", "xlsx", "-o", str(tmp_path / "x"))
    assert code == 2 and "'xlsx' is not one of 'graphml', 'csv'" in err


def test_unknown_format_in_the_library_is_refused(tmp_path: Path) -> None:
    from techgraph.graph.embedded import EmbeddedStore
    from techgraph.graph.errors import InvalidArgument

    with pytest.raises(InvalidArgument, match="unknown export format 'gexf'"):
        export(EmbeddedStore(tmp_path), "gexf", tmp_path / "x.gexf")
