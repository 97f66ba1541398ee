"""The demo's question on both backends: which inputs come from suppliers of a given origin."""

from __future__ import annotations

import pytest

from techgraph.graph.errors import NotFound
from techgraph.graph.exposure import Basis, Finding, exposure, format_path
from techgraph.graph.model import FactBatch, Node, Relationship
from techgraph.graph.store import GraphStore


def chain() -> FactBatch:
    """5G needs base stations, which need RF chips; a subsidiary makes the chips."""
    return FactBatch(
        nodes=[
            Node("country:CHN", "China"),
            Node("country:NLD", "Netherlands"),
            Node("country:SWE", "Sweden"),
            Node("tech:5g", "5G"),
            Node("tech:base-stations", "Base stations"),
            Node("tech:rf-chips", "RF chips"),
            Node("tech:gan-rf-chips", "GaN RF chips"),
            Node("tech:unrelated", "Unrelated"),
            Node("firm:huawei", "Huawei"),
            Node("firm:ericsson", "Ericsson"),
            Node("firm:parent", "Parent Holdings"),
            Node("firm:mid", "Mid Holdings"),
            Node("firm:chipco", "ChipCo"),
            Node("firm:far", "Far Away Co"),
        ],
        relationships=[
            Relationship("tech:5g", "REQUIRES", "tech:base-stations"),
            Relationship("tech:base-stations", "REQUIRES", "tech:rf-chips"),
            Relationship("tech:gan-rf-chips", "IS_TYPE_OF", "tech:rf-chips"),
            Relationship("firm:huawei", "PRODUCES", "tech:base-stations", {"share": 0.3}),
            Relationship("firm:ericsson", "PRODUCES", "tech:base-stations", {"share": 0.25}),
            Relationship("firm:chipco", "PRODUCES", "tech:gan-rf-chips"),
            Relationship("firm:far", "PRODUCES", "tech:unrelated"),
            Relationship("firm:huawei", "HEADQUARTERED_IN", "country:CHN"),
            Relationship("firm:far", "HEADQUARTERED_IN", "country:CHN"),
            Relationship("firm:ericsson", "HEADQUARTERED_IN", "country:SWE"),
            Relationship("firm:chipco", "HEADQUARTERED_IN", "country:NLD"),
            Relationship("firm:chipco", "SUBSIDIARY_OF", "firm:mid"),
            Relationship("firm:mid", "SUBSIDIARY_OF", "firm:parent"),
            Relationship("firm:mid", "HEADQUARTERED_IN", "country:NLD"),
            Relationship("firm:parent", "HEADQUARTERED_IN", "country:CHN"),
        ],
    )


def assert_proves(f: Finding, root: str, country: str) -> None:
    """The path is connected, starts at the root and ends at the origin country."""
    assert f.path[0].start.id == root
    assert f.path[-1].end.id == country
    for before, after in zip(f.path, f.path[1:], strict=False):
        assert before.end.id == after.start.id
    for hop in f.path:
        rel = hop.relationship
        assert {rel.source, rel.target} == {hop.start.id, hop.end.id}


def test_exposure_finds_headquarters_and_ultimate_parent(store: GraphStore) -> None:
    store.write(chain())
    findings = exposure(store, "tech:5g", "CHN")
    found = {(f.input.id, f.supplier.id, f.basis) for f in findings}
    assert found == {
        ("tech:base-stations", "firm:huawei", Basis.HEADQUARTERS),
        ("tech:gan-rf-chips", "firm:chipco", Basis.ULTIMATE_PARENT),
    }
    for f in findings:
        assert_proves(f, "tech:5g", "country:CHN")
    huawei = next(f for f in findings if f.supplier.id == "firm:huawei")
    assert huawei.share == 0.3
    assert format_path(huawei.path) == (
        "5G -[REQUIRES]-> Base stations <-[PRODUCES]- Huawei -[HEADQUARTERED_IN]-> China"
    )
    chipco = next(f for f in findings if f.supplier.id == "firm:chipco")
    assert [h.relationship.type for h in chipco.path] == [
        "REQUIRES",
        "REQUIRES",
        "IS_TYPE_OF",
        "PRODUCES",
        "SUBSIDIARY_OF",
        "SUBSIDIARY_OF",
        "HEADQUARTERED_IN",
    ]


def test_exposure_respects_depth_and_origin(store: GraphStore) -> None:
    store.write(chain())
    shallow = exposure(store, "tech:5g", "CHN", max_depth=1)
    assert {f.supplier.id for f in shallow} == {"firm:huawei"}
    swedish = exposure(store, "tech:5g", "SWE")
    assert {(f.supplier.id, f.basis) for f in swedish} == {("firm:ericsson", Basis.HEADQUARTERS)}


def test_exposure_names_what_is_missing(store: GraphStore) -> None:
    store.write(chain())
    with pytest.raises(NotFound, match="no entity with id 'tech:6g'"):
        exposure(store, "tech:6g", "CHN")
    with pytest.raises(NotFound, match="no country 'XXX'"):
        exposure(store, "tech:5g", "XXX")


def test_the_reference_5g_chain_has_proven_chinese_dependencies(
    store: GraphStore, reference: FactBatch
) -> None:
    store.write(reference)
    findings = exposure(store, "tech:5g", "CHN")
    assert any(f.supplier.id == "firm:huawei" and f.basis is Basis.HEADQUARTERS for f in findings)
    for f in findings:
        assert_proves(f, "tech:5g", "country:CHN")
    suppliers = {f.supplier.id for f in findings}
    assert "firm:ericsson" not in suppliers and "firm:nokia" not in suppliers
