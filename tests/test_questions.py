"""Every question on both backends, on the same small graph (tests/graphs.py)."""

from __future__ import annotations

import pytest

from techgraph.graph import questions as q
from techgraph.graph.errors import Ambiguous, InvalidArgument, NotFound, SchemaViolation
from techgraph.graph.model import FactBatch, Node, Relationship
from techgraph.graph.store import Direction, GraphStore

from .graphs import supply_chain


@pytest.fixture
def graph(store: GraphStore) -> GraphStore:
    store.write(supply_chain())
    return store


def test_search_by_id_name_alias_and_with_suggestions(graph: GraphStore) -> None:
    assert [n.id for n in q.search(graph, "firm:huawei").matches] == ["firm:huawei"]
    assert [n.id for n in q.search(graph, "huawei technologies").matches] == ["firm:huawei"]
    assert [n.id for n in q.search(graph, "BIS").matches] == ["agency:us-bis"]
    missed = q.search(graph, "Huawey")
    assert missed.matches == [] and [n.id for n in missed.suggestions] == ["firm:huawei"]


def test_an_ambiguous_name_lists_the_candidates(graph: GraphStore) -> None:
    graph.write(FactBatch(nodes=[Node("firm:huawei-device", "Huawei Device", ("Huawei",))]))
    with pytest.raises(Ambiguous) as err:
        graph.resolve("Huawei")
    assert {c[0] for c in err.value.candidates} == {"firm:huawei", "firm:huawei-device"}
    assert "Give the id instead" in err.value.message


def test_an_unknown_entity_suggests_close_names(graph: GraphStore) -> None:
    with pytest.raises(NotFound, match="Did you mean Ericsson") as err:
        graph.resolve("Ericson")
    assert err.value.suggestions == [("firm:ericsson", "Ericsson")]


def test_neighbours_by_name_type_and_direction(graph: GraphStore) -> None:
    node, found = q.neighbours(graph, "ChipCo", ["SUBSIDIARY_OF", "PRODUCES"], Direction.OUT)
    assert node.id == "firm:chipco"
    assert [(n.relationship.type, n.node.id) for n in found] == [
        ("PRODUCES", "tech:gan-rf-chips"),
        ("SUBSIDIARY_OF", "firm:mid"),
    ]
    with pytest.raises(SchemaViolation, match="unknown relationship type 'OWNS'"):
        q.neighbours(graph, "ChipCo", ["OWNS"])


def test_shortest_paths_with_evidence_and_limits(graph: GraphStore) -> None:
    a, b, found = q.paths(graph, "ChipCo", "Parent Holdings")
    assert (a.id, b.id) == ("firm:chipco", "firm:parent")
    assert len(found) == 1
    assert [h.relationship.type for h in found[0]] == ["SUBSIDIARY_OF", "SUBSIDIARY_OF"]
    assert all(h.relationship.provenance for h in found[0])
    # Two equally short routes from Huawei to Ericsson: via base stations, and via China.
    _, _, two = q.paths(graph, "Huawei", "Ericsson", k=5)
    assert len(two) == 2 and {len(p) for p in two} == {2}
    assert {p[0].end.id for p in two} == {"tech:base-stations", "country:CHN"}
    _, _, one = q.paths(graph, "Huawei", "Ericsson", k=1)
    assert len(one) == 1 and one[0] in two
    _, _, typed = q.paths(graph, "Huawei", "Ericsson", ["PRODUCES"])
    assert [p[0].end.id for p in typed] == ["tech:base-stations"]
    _, _, none = q.paths(graph, "ChipCo", "Sweden", max_hops=2)
    assert none == []


def test_path_arguments_out_of_range(graph: GraphStore) -> None:
    with pytest.raises(InvalidArgument, match="max hops must be between 1 and 10, not 11"):
        q.paths(graph, "Huawei", "Ericsson", max_hops=11)
    with pytest.raises(InvalidArgument, match="number of paths must be between 1 and 20"):
        q.paths(graph, "Huawei", "Ericsson", k=0)
    with pytest.raises(InvalidArgument, match="are the same entity"):
        q.paths(graph, "Huawei", "firm:huawei")


def test_suppliers_with_shares_and_country_aggregation(graph: GraphStore) -> None:
    answer = q.suppliers(graph, "Base stations")
    assert [(r.provider.id, r.share, r.year, r.country) for r in answer.rows] == [
        ("firm:huawei", 0.3, 2023, "country:CHN"),
        ("firm:ericsson", 0.25, 2023, "country:SWE"),
    ]
    assert [(c.country, c.share, c.basis) for c in answer.countries] == [
        ("country:CHN", 0.3, "sum of firms"),
        ("country:SWE", 0.25, "sum of firms"),
    ]
    gallium = q.suppliers(graph, "tech:gallium")
    assert [(c.country, c.basis) for c in gallium.countries] == [
        ("country:CHN", "reported"),
        ("country:JPN", "reported"),
    ]
    with pytest.raises(NotFound):
        q.suppliers(graph, "Huawei")  # a firm is not an input


def test_dependency_tree(graph: GraphStore) -> None:
    rows = q.dependencies(graph, "5G", depth=3)
    assert [(r.node.id, r.depth) for r in rows] == [
        ("tech:5g", 0),
        ("tech:base-stations", 1),
        ("tech:gallium", 1),
        ("tech:rf-chips", 2),
        ("tech:gan-rf-chips", 3),
    ]
    by_id = {r.node.id: r for r in rows}
    assert [s.provider.id for s in by_id["tech:gan-rf-chips"].suppliers] == [
        "firm:chipco",
        "firm:us-rf",
    ]
    assert [h.relationship.type for h in by_id["tech:gan-rf-chips"].route] == [
        "REQUIRES",
        "REQUIRES",
        "IS_TYPE_OF",
    ]
    assert [r.node.id for r in q.dependencies(graph, "5G", depth=1)] == [
        "tech:5g",
        "tech:base-stations",
        "tech:gallium",
    ]


def test_chokepoints(graph: GraphStore) -> None:
    found = {(c.item.id, c.reason, c.holder.id) for c in q.chokepoints(graph, 0.5)}
    assert found == {
        ("tech:gallium", "country share", "country:CHN"),
        ("tech:unrelated", "firm share", "firm:far"),
        ("tech:unrelated", "single supplier", "firm:far"),
        ("tech:unrelated", "country share", "country:CHN"),
    }
    within = {(c.item.id, c.reason) for c in q.chokepoints(graph, 0.5, within="5G")}
    assert within == {("tech:gallium", "country share")}
    with pytest.raises(InvalidArgument, match="share threshold"):
        q.chokepoints(graph, 1.5)


def test_alternatives_from_an_alliance_or_countries(graph: GraphStore) -> None:
    label, _, found = q.alternatives(graph, "5G", "Club")
    assert label == "Tech Club"
    by_input = {a.input.id: a for a in found}
    assert [s.provider.id for s in by_input["tech:gan-rf-chips"].alternatives] == ["firm:us-rf"]
    assert [s.provider.id for s in by_input["tech:gallium"].alternatives] == ["country:JPN"]
    assert by_input["tech:base-stations"].alternatives == []
    _, _, swedish = q.alternatives(graph, "5G", "SWE")
    assert {a.input.id: [s.provider.id for s in a.alternatives] for a in swedish}[
        "tech:base-stations"
    ] == []  # Ericsson is itself exposed (it manufactures in China)
    with pytest.raises(InvalidArgument, match="not a country in the graph"):
        q.alternatives(graph, "5G", "USA,ZZZ")


def test_alignment_of_an_alliance(graph: GraphStore) -> None:
    tech, group, rows = q.alignment(graph, "GaN RF chips", "alliance:club")
    assert (tech.id, group.id) == ("tech:gan-rf-chips", "alliance:club")
    status = {m.country.id: m.restricts for m in rows}
    assert status == {"country:USA": True, "country:JPN": False, "country:NLD": False}
    usa = next(m for m in rows if m.country.id == "country:USA")
    (r,) = usa.restrictions
    assert (r.actor.id, r.technology.id, r.via) == ("agency:us-bis", "tech:rf-chips", "agency")


def test_alignment_through_a_regime(store: GraphStore) -> None:
    batch = supply_chain()
    batch.nodes.append(Node("alliance:regime", "Regime"))
    batch.relationships += [
        Relationship("country:JPN", "MEMBER_OF", "alliance:regime"),
        Relationship("alliance:regime", "RESTRICTS_EXPORT_OF", "tech:gan-rf-chips"),
    ]
    store.write(batch)
    _, _, rows = q.alignment(store, "GaN RF chips", "Club")
    japan = next(m for m in rows if m.country.id == "country:JPN")
    assert japan.restricts and japan.restrictions[0].via == "alliance"
