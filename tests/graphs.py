"""Small hand-made graphs the question tests share (both backends load the same facts)."""

from __future__ import annotations

from techgraph.graph.model import FactBatch, Node, Provenance, Relationship
from techgraph.graph.store import Direction, GraphStore

SRC = Provenance("dataset:test", "test", "1", 1.0, locator="fixture", citation="test fixture")


def supply_chain() -> FactBatch:
    """5G needs base stations and gallium; base stations need RF chips; GaN RF chips are a
    kind of RF chip, made by a Dutch firm whose Chinese parent is on a restricted list."""
    nodes = [
        Node("country:CHN", "China"),
        Node("country:NLD", "Netherlands"),
        Node("country:SWE", "Sweden"),
        Node("country:USA", "United States"),
        Node("country:JPN", "Japan"),
        Node("alliance:club", "Tech Club", ("Club",)),
        Node("agency:us-bis", "Bureau of Industry and Security", ("BIS",)),
        Node("tech:5g", "5G", ("fifth generation",)),
        Node("tech:base-stations", "Base stations"),
        Node("tech:rf-chips", "RF chips"),
        Node("tech:gan-rf-chips", "GaN RF chips"),
        Node("tech:gallium", "Gallium"),
        Node("tech:unrelated", "Unrelated"),
        Node("firm:huawei", "Huawei", ("Huawei Technologies",)),
        Node("firm:ericsson", "Ericsson"),
        Node("firm:parent", "Parent Holdings"),
        Node("firm:mid", "Mid Holdings"),
        Node("firm:chipco", "ChipCo"),
        Node("firm:far", "Far Away Co"),
        Node("firm:us-rf", "US RF Inc"),
    ]
    rels = [
        ("tech:5g", "REQUIRES", "tech:base-stations", {}),
        ("tech:5g", "REQUIRES", "tech:gallium", {}),
        ("tech:base-stations", "REQUIRES", "tech:rf-chips", {}),
        ("tech:gan-rf-chips", "IS_TYPE_OF", "tech:rf-chips", {}),
        ("firm:huawei", "PRODUCES", "tech:base-stations", {"share": 0.3, "year": 2023}),
        ("firm:ericsson", "PRODUCES", "tech:base-stations", {"share": 0.25, "year": 2023}),
        ("firm:chipco", "PRODUCES", "tech:gan-rf-chips", {}),
        ("firm:us-rf", "PRODUCES", "tech:gan-rf-chips", {}),
        ("country:CHN", "PRODUCES", "tech:gallium", {"share": 0.9, "year": 2023}),
        ("country:JPN", "PRODUCES", "tech:gallium", {"share": 0.03}),
        ("firm:far", "PRODUCES", "tech:unrelated", {"share": 0.7}),
        ("firm:huawei", "HEADQUARTERED_IN", "country:CHN", {}),
        ("firm:far", "HEADQUARTERED_IN", "country:CHN", {}),
        ("firm:ericsson", "HEADQUARTERED_IN", "country:SWE", {}),
        ("firm:ericsson", "MANUFACTURES_IN", "country:CHN", {}),
        ("firm:chipco", "HEADQUARTERED_IN", "country:NLD", {}),
        ("firm:us-rf", "HEADQUARTERED_IN", "country:USA", {}),
        ("firm:chipco", "SUBSIDIARY_OF", "firm:mid", {}),
        ("firm:mid", "SUBSIDIARY_OF", "firm:parent", {}),
        ("firm:mid", "HEADQUARTERED_IN", "country:NLD", {}),
        ("firm:parent", "HEADQUARTERED_IN", "country:CHN", {}),
        ("agency:us-bis", "AGENCY_OF", "country:USA", {}),
        ("agency:us-bis", "RESTRICTS_TRADE_WITH", "firm:huawei", {"year": 2019}),
        ("agency:us-bis", "RESTRICTS_TRADE_WITH", "firm:parent", {"listed_country": "CHN"}),
        ("country:USA", "MEMBER_OF", "alliance:club", {}),
        ("country:JPN", "MEMBER_OF", "alliance:club", {}),
        ("country:NLD", "MEMBER_OF", "alliance:club", {}),
        ("agency:us-bis", "RESTRICTS_EXPORT_OF", "tech:rf-chips", {"year": 2022}),
        ("alliance:club", "COOPERATES_WITH", "country:SWE", {}),
    ]
    return FactBatch(
        nodes=nodes,
        relationships=[Relationship(s, t, o, p, (SRC,)) for s, t, o, p in rels],
    )


def edge(store: GraphStore, source: str, rtype: str, target: str) -> Relationship:
    """The relationship source -[rtype]-> target, or a failed assertion naming it."""
    for n in store.neighbours(source, [rtype], Direction.OUT):
        if n.node.id == target:
            return n.relationship
    raise AssertionError(f"no {source} -[{rtype}]-> {target}")
