"""Foreign-origin exposure on both backends: every basis, its proving path, the share figure."""

from __future__ import annotations

import itertools

import pytest

from techgraph.graph.errors import InvalidArgument, NotFound
from techgraph.graph.model import FactBatch, Node, Relationship
from techgraph.graph.questions import Basis, Finding, exposure
from techgraph.graph.store import GraphStore

from .graphs import supply_chain


def assert_proves(f: Finding, root: str) -> None:
    """The path is connected, starts at the root, and each hop is a real relationship."""
    assert f.path[0].start.id == root
    for before, after in itertools.pairwise(f.path):
        assert before.end.id == after.start.id
    for hop in f.path:
        rel = hop.relationship
        assert {rel.source, rel.target} == {hop.start.id, hop.end.id}


def test_every_basis_is_found_with_its_proof(store: GraphStore) -> None:
    store.write(supply_chain())
    answer = exposure(store, "tech:5g", "CHN")
    found = {(f.input.id, f.supplier.id, f.basis) for f in answer.findings}
    assert found == {
        ("tech:base-stations", "firm:huawei", Basis.HEADQUARTERS),
        ("tech:base-stations", "firm:huawei", Basis.RESTRICTED_PARTY),
        ("tech:gan-rf-chips", "firm:chipco", Basis.ULTIMATE_PARENT),
        ("tech:gan-rf-chips", "firm:chipco", Basis.RESTRICTED_PARTY),
        ("tech:base-stations", "firm:ericsson", Basis.PRODUCTION),
        ("tech:gallium", "country:CHN", Basis.PRODUCTION),
    }
    for f in answer.findings:
        assert_proves(f, "tech:5g")
    by = {(f.supplier.id, f.basis): f for f in answer.findings}
    hq = by["firm:huawei", Basis.HEADQUARTERS]
    assert [h.relationship.type for h in hq.path] == ["REQUIRES", "PRODUCES", "HEADQUARTERED_IN"]
    assert hq.path[-1].end.id == "country:CHN" and hq.share == 0.3
    parent = by["firm:chipco", Basis.ULTIMATE_PARENT]
    assert [h.relationship.type for h in parent.path] == [
        "REQUIRES",
        "REQUIRES",
        "IS_TYPE_OF",
        "PRODUCES",
        "SUBSIDIARY_OF",
        "SUBSIDIARY_OF",
        "HEADQUARTERED_IN",
    ]
    # ChipCo itself is not listed; its parent is, with China as the listed country.
    listed = by["firm:chipco", Basis.RESTRICTED_PARTY]
    assert listed.path[-1].relationship.type == "RESTRICTS_TRADE_WITH"
    assert listed.path[-1].start.id == "firm:parent"
    made = by["firm:ericsson", Basis.PRODUCTION]
    assert made.path[-1].relationship.type == "MANUFACTURES_IN"


def test_the_share_weighted_figure(store: GraphStore) -> None:
    store.write(supply_chain())
    answer = exposure(store, "tech:5g", "CHN")
    # Inputs with share data: base stations (Huawei 0.3 + Ericsson 0.25, both exposed) and
    # gallium (China 0.9). GaN RF chips have no share data and are not averaged.
    assert answer.inputs_with_shares == 2
    assert answer.exposure == pytest.approx((0.55 + 0.9) / 2)


def test_depth_and_origin(store: GraphStore) -> None:
    store.write(supply_chain())
    shallow = exposure(store, "tech:5g", "CHN", depth=1)
    assert {f.supplier.id for f in shallow.findings} == {
        "firm:huawei",
        "firm:ericsson",
        "country:CHN",
    }
    swedish = exposure(store, "tech:5g", "SWE")
    assert {(f.supplier.id, f.basis) for f in swedish.findings} == {
        ("firm:ericsson", Basis.HEADQUARTERS)
    }


def test_bad_input_is_named(store: GraphStore) -> None:
    store.write(supply_chain())
    with pytest.raises(NotFound, match="no entity of type tech/firm called '6G'"):
        exposure(store, "6G", "CHN")
    with pytest.raises(InvalidArgument, match="not a country code"):
        exposure(store, "tech:5g", "China!")
    with pytest.raises(InvalidArgument, match="not a country in the graph"):
        exposure(store, "tech:5g", "XXX")
    with pytest.raises(InvalidArgument, match="depth must be between 1 and 10"):
        exposure(store, "tech:5g", "CHN", depth=0)


def test_a_firm_root_follows_its_suppliers(store: GraphStore) -> None:
    store.write(supply_chain())
    store.write(
        FactBatch(
            nodes=[Node("firm:telco", "Telco")],
            relationships=[Relationship("firm:huawei", "SUPPLIES", "firm:telco")],
        )
    )
    answer = exposure(store, "Telco", "CHN")
    assert ("firm:huawei", Basis.HEADQUARTERS) in {
        (f.supplier.id, f.basis) for f in answer.findings
    }


def test_the_reference_5g_chain_has_proven_chinese_dependencies(
    store: GraphStore, reference: FactBatch
) -> None:
    store.write(reference)
    answer = exposure(store, "5G", "CHN")
    pairs = {(f.supplier.id, f.basis) for f in answer.findings}
    assert ("firm:huawei", Basis.HEADQUARTERS) in pairs
    for f in answer.findings:
        assert_proves(f, "tech:5g")
    assert ("firm:ericsson", Basis.HEADQUARTERS) not in pairs
