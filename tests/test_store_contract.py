"""One contract, two backends: every test here runs on the embedded store and on real Neo4j."""

from __future__ import annotations

import pytest

from techgraph.graph import neo4j_store
from techgraph.graph.errors import SchemaViolation
from techgraph.graph.model import FactBatch, Node, Provenance, Relationship
from techgraph.graph.store import Direction, GraphStore, Step

P1 = Provenance("doc:" + "a" * 64, "test", "1", 0.9, sentence="Huawei is based in Shenzhen.")
P2 = Provenance("dataset:suppliers.csv", "test", "1", 0.6, locator="row 7")


def small_graph() -> FactBatch:
    return FactBatch(
        nodes=[
            Node("country:CHN", "China", ("PRC",)),
            Node("country:SWE", "Sweden"),
            Node("firm:huawei", "Huawei", ("Huawei Technologies",), {"founded": 1987}, (P1,)),
            Node("firm:hisilicon", "HiSilicon"),
            Node("firm:ericsson", "Ericsson"),
            Node("tech:5g", "5G"),
            Node("tech:base-stations", "Base stations"),
        ],
        relationships=[
            Relationship("firm:huawei", "HEADQUARTERED_IN", "country:CHN", {}, (P1,)),
            Relationship("firm:hisilicon", "SUBSIDIARY_OF", "firm:huawei"),
            Relationship("firm:ericsson", "HEADQUARTERED_IN", "country:SWE"),
            Relationship("tech:5g", "REQUIRES", "tech:base-stations"),
            Relationship("firm:huawei", "PRODUCES", "tech:base-stations", {"share": 0.3}, (P2,)),
            Relationship("firm:ericsson", "PRODUCES", "tech:base-stations", {"share": 0.25}),
        ],
    )


def test_written_facts_read_back(store: GraphStore) -> None:
    store.write(small_graph())
    huawei = store.get_node("firm:huawei")
    assert huawei is not None
    assert huawei.name == "Huawei"
    assert huawei.aliases == ("Huawei Technologies",)
    assert huawei.props["founded"] == 1987
    assert huawei.provenance == (P1,)
    assert store.get_node("firm:nobody") is None
    counts = store.counts()
    assert counts.nodes == {"Country": 2, "Firm": 3, "Technology": 2}
    assert counts.relationships == {
        "HEADQUARTERED_IN": 2,
        "SUBSIDIARY_OF": 1,
        "REQUIRES": 1,
        "PRODUCES": 2,
    }


def test_writing_the_same_facts_twice_changes_nothing(store: GraphStore) -> None:
    store.write(small_graph())
    before = store.counts()
    store.write(small_graph())
    assert store.counts() == before
    (hq,) = store.neighbours("firm:huawei", ["HEADQUARTERED_IN"], Direction.OUT)
    assert hq.relationship.provenance == (P1,)  # accumulated, not duplicated


def test_merging_overwrites_scalars_and_accumulates_aliases_and_evidence(
    store: GraphStore,
) -> None:
    store.write(small_graph())
    store.write(
        FactBatch(
            nodes=[
                Node(
                    "firm:huawei", "Huawei", ("HW", "Huawei Technologies"), {"founded": 1988}, (P2,)
                )
            ],
            relationships=[
                Relationship(
                    "firm:huawei", "HEADQUARTERED_IN", "country:CHN", {"year": 2024}, (P2,)
                ),
            ],
        )
    )
    huawei = store.get_node("firm:huawei")
    assert huawei is not None
    assert huawei.aliases == ("Huawei Technologies", "HW")
    assert huawei.props["founded"] == 1988
    assert set(huawei.provenance) == {P1, P2}
    (hq,) = store.neighbours("firm:huawei", ["HEADQUARTERED_IN"], Direction.OUT)
    assert hq.relationship.props["year"] == 2024
    assert set(hq.relationship.provenance) == {P1, P2}
    assert hq.relationship.confidence == 0.9
    assert store.counts().relationships["HEADQUARTERED_IN"] == 2


def test_a_batch_with_one_forbidden_fact_writes_nothing(store: GraphStore) -> None:
    bad = small_graph()
    bad.relationships.append(Relationship("country:CHN", "HEADQUARTERED_IN", "firm:huawei"))
    with pytest.raises(SchemaViolation, match="joins Firm to Country"):
        store.write(bad)
    assert store.counts().total_nodes == 0
    assert store.get_node("firm:huawei") is None


def test_a_relationship_to_a_node_that_exists_nowhere_fails_the_batch(
    store: GraphStore,
) -> None:
    store.write(small_graph())
    before = store.counts()
    batch = FactBatch(
        nodes=[Node("firm:zte", "ZTE")],
        relationships=[
            Relationship("firm:zte", "HEADQUARTERED_IN", "country:CHN"),
            Relationship("firm:zte", "SUPPLIES", "firm:ghost"),
        ],
    )
    with pytest.raises(SchemaViolation, match="firm:ghost"):
        store.write(batch)
    assert store.counts() == before
    assert store.get_node("firm:zte") is None


def test_a_missing_endpoint_fails_a_batch_written_in_several_statements(
    store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Neo4j writes a batch in UNWIND statements of CHUNK rows; with chunks of two, the bad
    # relationship comes in the last statement, after others of the batch were written.
    monkeypatch.setattr(neo4j_store, "CHUNK", 2)
    store.write(small_graph())
    before = store.counts()
    firms = [Node(f"firm:new-{i}", f"New {i}") for i in range(5)]
    rels = [Relationship(f.id, "HEADQUARTERED_IN", "country:SWE") for f in firms]
    rels.append(Relationship("firm:new-0", "SUPPLIES", "firm:huawei"))
    rels.append(Relationship("firm:new-1", "SUPPLIES", "firm:ghost"))
    with pytest.raises(SchemaViolation, match="firm:ghost"):
        store.write(FactBatch(nodes=firms, relationships=rels))
    assert store.counts() == before
    assert store.get_node("firm:new-0") is None


def test_the_same_fact_twice_in_one_batch_is_one_fact_with_both_records(
    store: GraphStore,
) -> None:
    batch = small_graph()
    batch.relationships += [
        Relationship("firm:huawei", "HEADQUARTERED_IN", "country:CHN", {"year": 2024}, (P1, P2)),
        Relationship("firm:huawei", "HEADQUARTERED_IN", "country:CHN", {}, (P2,)),
    ]
    store.write(batch)
    (hq,) = store.neighbours("firm:huawei", ["HEADQUARTERED_IN"], Direction.OUT)
    assert sorted(hq.relationship.provenance, key=lambda p: p.source) == [P2, P1]
    assert hq.relationship.props["year"] == 2024
    assert hq.relationship.confidence == 0.9


def test_the_same_node_twice_in_one_batch_is_one_node_with_both_records(
    store: GraphStore,
) -> None:
    store.write(
        FactBatch(
            nodes=[
                Node("firm:zte", "ZTE", ("ZTE Corporation",), {"founded": 1985}, (P1, P2)),
                Node("firm:zte", "ZTE", ("Zhongxing",), {}, (P2,)),
            ]
        )
    )
    zte = store.get_node("firm:zte")
    assert zte is not None
    assert sorted(zte.aliases) == ["ZTE Corporation", "Zhongxing"]
    assert sorted(zte.provenance, key=lambda p: p.source) == [P2, P1]
    assert zte.props == {"founded": 1985}


def test_relationships_to_nodes_already_in_the_graph_need_no_repetition(
    store: GraphStore,
) -> None:
    store.write(small_graph())
    store.write(FactBatch(relationships=[Relationship("firm:ericsson", "SUPPLIES", "firm:huawei")]))
    assert store.counts().relationships["SUPPLIES"] == 1


def test_neighbours_filter_by_type_and_direction(store: GraphStore) -> None:
    store.write(small_graph())
    out = store.neighbours("firm:huawei", direction=Direction.OUT)
    assert {(n.relationship.type, n.node.id) for n in out} == {
        ("HEADQUARTERED_IN", "country:CHN"),
        ("PRODUCES", "tech:base-stations"),
    }
    incoming = store.neighbours("firm:huawei", direction=Direction.IN)
    assert {(n.relationship.type, n.node.id) for n in incoming} == {
        ("SUBSIDIARY_OF", "firm:hisilicon")
    }
    both = store.neighbours("firm:huawei", ["PRODUCES", "SUBSIDIARY_OF"])
    assert {n.node.id for n in both} == {"tech:base-stations", "firm:hisilicon"}
    producers = store.neighbours("tech:base-stations", ["PRODUCES"], Direction.IN)
    shares = {n.node.id: n.relationship.props["share"] for n in producers}
    assert shares == {"firm:huawei": 0.3, "firm:ericsson": 0.25}
    assert store.neighbours("firm:nobody") == []


def test_expand_follows_each_step_from_many_nodes_in_one_call(store: GraphStore) -> None:
    store.write(small_graph())
    rows = store.expand(
        ["tech:base-stations", "firm:hisilicon", "firm:ericsson", "firm:nobody"],
        [Step("PRODUCES", Direction.IN), Step("SUBSIDIARY_OF", Direction.OUT)],
    )
    found = {(origin, n.relationship.type, n.node.id) for origin, n in rows}
    assert found == {
        ("tech:base-stations", "PRODUCES", "firm:huawei"),
        ("tech:base-stations", "PRODUCES", "firm:ericsson"),
        ("firm:hisilicon", "SUBSIDIARY_OF", "firm:huawei"),
    }
    assert len(rows) == 3
    # The far end is the whole node and the relationship keeps its evidence, whichever origin
    # reached it.
    for _, n in rows:
        if n.node.id == "firm:huawei":
            assert n.node.props == {"founded": 1987}
            assert n.node.provenance == (P1,)
    huawei_supply = next(
        n for o, n in rows if n.relationship.type == "PRODUCES" and n.node.id == "firm:huawei"
    )
    assert huawei_supply.relationship.provenance == (P2,)
    assert huawei_supply.relationship.props["share"] == 0.3


def test_expand_can_keep_only_relationships_ending_at_one_node(store: GraphStore) -> None:
    store.write(small_graph())
    anywhere = store.expand(
        ["firm:huawei", "firm:ericsson"], [Step("HEADQUARTERED_IN", Direction.OUT)]
    )
    assert {(o, n.node.id) for o, n in anywhere} == {
        ("firm:huawei", "country:CHN"),
        ("firm:ericsson", "country:SWE"),
    }
    only_china = store.expand(
        ["firm:huawei", "firm:ericsson"],
        [Step("HEADQUARTERED_IN", Direction.OUT, to="country:CHN")],
    )
    assert [(o, n.node.id) for o, n in only_china] == [("firm:huawei", "country:CHN")]
    assert store.expand([], [Step("PRODUCES", Direction.IN)]) == []


def test_expand_then_expands_the_far_ends_of_the_first_hops(store: GraphStore) -> None:
    store.write(small_graph())
    first, then = store.expand_then(
        ["tech:base-stations", "tech:5g"],
        [Step("PRODUCES", Direction.IN)],
        [Step("HEADQUARTERED_IN", Direction.OUT), Step("SUBSIDIARY_OF", Direction.IN)],
        ["firm"],
    )
    assert sorted((o, n.node.id) for o, n in first) == [
        ("tech:base-stations", "firm:ericsson"),
        ("tech:base-stations", "firm:huawei"),
    ]
    assert sorted((o, n.relationship.type, n.node.id) for o, n in then) == [
        ("firm:ericsson", "HEADQUARTERED_IN", "country:SWE"),
        ("firm:huawei", "HEADQUARTERED_IN", "country:CHN"),
        ("firm:huawei", "SUBSIDIARY_OF", "firm:hisilicon"),
    ]
    # The same hops, relationships and far ends (evidence and all) as two expansions give.
    assert sorted(first, key=repr) == sorted(
        store.expand(["tech:base-stations", "tech:5g"], [Step("PRODUCES", Direction.IN)]),
        key=repr,
    )
    hq = next(n for o, n in then if o == "firm:huawei" and n.node.id == "country:CHN")
    assert hq.relationship == Relationship(
        "firm:huawei", "HEADQUARTERED_IN", "country:CHN", {}, (P1,)
    )
    assert hq.node.aliases == ("PRC",)
    sub = next(n for o, n in then if n.relationship.type == "SUBSIDIARY_OF")
    assert (sub.relationship.source, sub.relationship.target) == ("firm:hisilicon", "firm:huawei")
    # A `to` step keeps only the second hops that end at that node; nothing in, nothing out.
    _, only_china = store.expand_then(
        ["tech:base-stations"],
        [Step("PRODUCES", Direction.IN)],
        [Step("HEADQUARTERED_IN", Direction.OUT, to="country:CHN")],
        ["firm"],
    )
    assert [(o, n.node.id) for o, n in only_china] == [("firm:huawei", "country:CHN")]
    # Only far ends of the kinds asked are expanded further.
    _, countries_only = store.expand_then(
        ["tech:base-stations"],
        [Step("PRODUCES", Direction.IN)],
        [Step("HEADQUARTERED_IN", Direction.OUT)],
        ["country"],
    )
    assert countries_only == []
    none_first, none_then = store.expand_then(
        ["tech:5g"],
        [Step("PRODUCES", Direction.IN)],
        [Step("HEADQUARTERED_IN", Direction.OUT)],
        ["firm"],
    )
    assert (none_first, none_then) == ([], [])
    assert store.expand_then([], [Step("PRODUCES", Direction.IN)], [], ["firm"]) == ([], [])


def test_neighbours_refuse_an_unknown_relationship_type(store: GraphStore) -> None:
    with pytest.raises(SchemaViolation, match="unknown relationship type"):
        store.neighbours("firm:huawei", ["OWNS"])


def test_reads_grouped_in_one_block_answer_as_single_reads_do(store: GraphStore) -> None:
    store.write(small_graph())
    alone = (store.get_node("firm:huawei"), store.neighbours("firm:huawei"))
    with store.reading():
        grouped = (store.get_node("firm:huawei"), store.neighbours("firm:huawei"))
        with store.reading():  # a question asked inside another joins it
            assert store.get_nodes(["tech:5g"])["tech:5g"].name == "5G"
        assert store.get_node("tech:5g") is not None  # the outer block still reads
    assert grouped == alone
    # A failing read inside a block ends the block with its error and leaves the store usable.
    with pytest.raises(SchemaViolation), store.reading():
        store.neighbours("firm:huawei", ["OWNS"])
    assert store.get_node("firm:huawei") == alone[0]
    store.write(FactBatch(nodes=[Node("firm:zte", "ZTE")]))
    assert store.get_node("firm:zte") is not None


def test_clear_empties_the_graph(store: GraphStore) -> None:
    store.write(small_graph())
    store.clear()
    assert store.counts().total_nodes == 0
    assert store.counts().total_relationships == 0


def test_reference_data_loads_and_reloads_without_changing_counts(
    store: GraphStore, reference: FactBatch
) -> None:
    store.init()
    store.write(reference)
    first = store.counts()
    assert first.total_nodes == len({n.id for n in reference.nodes})
    assert first.total_relationships == len({r.key for r in reference.relationships})
    store.write(reference)
    assert store.counts() == first
    china = store.get_node("country:CHN")
    assert china is not None and "Chinese" in china.props["demonyms"]


DOC = "doc:" + "d" * 64


def doc_version(*, supplier: bool) -> FactBatch:
    """One document's facts; the first version also names a firm only it knows."""
    src = Provenance(DOC, "test-extractor", "1", 0.7, sentence="...")
    nodes = [Node(DOC, "brief.md", (), {}, (src,)), Node("firm:huawei", "Huawei", (), {}, (src,))]
    rels = [
        Relationship(DOC, "MENTIONS", "firm:huawei", {}, (src,)),
        Relationship(DOC, "MENTIONS", "country:CHN", {}, (src,)),
        Relationship("firm:huawei", "HEADQUARTERED_IN", "country:CHN", {}, (src,)),
    ]
    if supplier:
        nodes.append(Node("firm:newco", "NewCo", (), {"discovered": True}, (src,)))
        rels += [
            Relationship(DOC, "MENTIONS", "firm:newco", {}, (src,)),
            Relationship("firm:newco", "SUPPLIES", "firm:huawei", {}, (src,)),
        ]
    return FactBatch(nodes, rels)


def test_replacing_a_document_forgets_what_only_its_old_version_said(
    store: GraphStore,
) -> None:
    store.write(small_graph())
    store.write(doc_version(supplier=True), replace_source=DOC)
    assert store.get_node("firm:newco") is not None
    assert store.counts().relationships["SUPPLIES"] == 1

    store.write(doc_version(supplier=False), replace_source=DOC)
    assert store.get_node("firm:newco") is None  # only the old version knew it
    assert "SUPPLIES" not in store.counts().relationships
    (hq,) = store.neighbours("firm:huawei", ["HEADQUARTERED_IN"], Direction.OUT)
    # The fact stays (the new version says it too, and so does P1); its evidence is not doubled.
    assert {p.source for p in hq.relationship.provenance} == {P1.source, DOC}
    assert len(hq.relationship.provenance) == 2
    huawei = store.get_node("firm:huawei")
    assert huawei is not None and {p.source for p in huawei.provenance} == {P1.source, DOC}
    before = store.counts()
    store.write(doc_version(supplier=False), replace_source=DOC)
    assert store.counts() == before


DOC2 = "doc:" + "e" * 64


def other_doc() -> FactBatch:
    """A second document: it also says Huawei is headquartered in China, and names ZTE."""
    src = Provenance(DOC2, "test-extractor", "1", 0.8, sentence="ZTE, like Huawei, ...")
    return FactBatch(
        [
            Node(DOC2, "other.md", (), {}, (src,)),
            Node("firm:zte", "ZTE", (), {"discovered": True}, (src,)),
        ],
        [
            Relationship(DOC2, "MENTIONS", "firm:huawei", {}, (src,)),
            Relationship(DOC2, "MENTIONS", "firm:zte", {}, (src,)),
            Relationship("firm:huawei", "HEADQUARTERED_IN", "country:CHN", {}, (src,)),
            Relationship("firm:zte", "HEADQUARTERED_IN", "country:CHN", {}, (src,)),
        ],
    )


def graph_state(store: GraphStore) -> tuple[object, ...]:
    hq = store.neighbours("country:CHN", ["HEADQUARTERED_IN"], Direction.IN)
    evidence = sorted(
        (
            n.node.id,
            sorted(p.to_json() for p in n.relationship.provenance),
            n.relationship.confidence,
        )
        for n in hq
    )
    nodes = {i: store.get_node(i) for i in ("firm:huawei", "firm:newco", "firm:zte", DOC, DOC2)}
    return store.counts(), evidence, nodes


def test_documents_written_together_leave_what_writing_them_in_turn_leaves(
    store: GraphStore,
) -> None:
    store.write(small_graph())
    store.write(doc_version(supplier=True), replace_source=DOC)
    store.write(other_doc(), replace_source=DOC2)
    in_turn = graph_state(store)

    store.clear()
    store.write(small_graph())
    store.write_documents([(doc_version(supplier=True), DOC), (other_doc(), DOC2)])
    assert graph_state(store) == in_turn
    (hq,) = [n for n in store.neighbours("firm:huawei", ["HEADQUARTERED_IN"], Direction.OUT)]
    # One fact stated by both documents: one relationship with each one's evidence once.
    assert sorted(p.source for p in hq.relationship.provenance) == sorted([P1.source, DOC, DOC2])


def test_documents_written_together_each_replace_their_earlier_version(
    store: GraphStore,
) -> None:
    store.write(small_graph())
    store.write_documents([(doc_version(supplier=True), DOC), (other_doc(), DOC2)])
    store.write_documents(
        [(doc_version(supplier=False), DOC), (FactBatch([Node(DOC2, "other.md")]), DOC2)]
    )
    assert store.get_node("firm:newco") is None  # only DOC's old version knew it
    assert store.get_node("firm:zte") is None  # only DOC2's old version knew it
    assert "SUPPLIES" not in store.counts().relationships
    (hq,) = store.neighbours("firm:huawei", ["HEADQUARTERED_IN"], Direction.OUT)
    assert sorted(p.source for p in hq.relationship.provenance) == sorted([P1.source, DOC])
    assert store.neighbours(DOC2) == []


def test_a_refused_group_writes_nothing_of_the_refused_document(store: GraphStore) -> None:
    store.write(small_graph())
    bad = FactBatch([Node(DOC2, "other.md")], [Relationship(DOC2, "MENTIONS", "firm:nobody")])
    before = store.counts()
    with pytest.raises(SchemaViolation, match="firm:nobody"):
        store.write_documents([(doc_version(supplier=True), DOC), (bad, DOC2)])
    assert store.get_node(DOC2) is None
    if store.backend == "neo4j":  # one transaction for the group: nothing of it at all
        assert store.counts() == before
        assert store.get_node(DOC) is None


def test_forgetting_keeps_facts_that_other_sources_also_support(store: GraphStore) -> None:
    store.write(small_graph())
    store.write(doc_version(supplier=True), replace_source=DOC)
    empty = FactBatch([Node(DOC, "brief.md")], [])
    store.write(empty, replace_source=DOC)
    (hq,) = store.neighbours("firm:huawei", ["HEADQUARTERED_IN"], Direction.OUT)
    assert [p.source for p in hq.relationship.provenance] == [P1.source]
    assert hq.relationship.confidence == 0.9
    assert store.neighbours(DOC) == []
    assert store.get_node("firm:huawei") is not None  # the reference still knows it
