"""The benchmark's synthetic graph: deterministic for a seed, within the schema, scaled by the knob.

No timings here: the benchmark itself (benchmarks/run.py) runs on demand. These checks keep the
generator honest, because a benchmark on facts the stores would refuse, or on a different graph
each run, measures nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from techgraph.benchmarks.generate import (
    EXTRACTOR,
    FULL_NODES,
    MIN_NODES,
    SOURCE,
    SyntheticSupplyChain,
    parse_scale,
    sizes_for,
)
from techgraph.graph.model import FactBatch
from techgraph.graph.schema import load_schema

SMALL = 0.01  # 1,000 nodes and 5,000 relationships: well under a second


@pytest.fixture(scope="module")
def small() -> SyntheticSupplyChain:
    return SyntheticSupplyChain(SMALL, seed=7)


def test_same_seed_same_facts_other_seed_other_facts(small: SyntheticSupplyChain) -> None:
    again = SyntheticSupplyChain(SMALL, seed=7)
    assert again.nodes == small.nodes
    assert again.relationships == small.relationships
    other = SyntheticSupplyChain(SMALL, seed=8)
    assert other.relationships != small.relationships


def test_batches_pass_the_schema_and_define_every_endpoint_first(
    small: SyntheticSupplyChain,
) -> None:
    schema = load_schema()
    defined: set[str] = set()
    batches = list(small.batches(nodes_per_batch=300, rels_per_batch=1_000))
    assert all(isinstance(b, FactBatch) for b in batches)
    for batch in batches:
        outside = schema.validate_batch(batch)  # raises SchemaViolation on any bad fact
        assert outside <= defined, f"endpoints written before their nodes: {sorted(outside)[:3]}"
        defined.update(n.id for n in batch.nodes)
    assert len(defined) == small.sizes.nodes


def test_every_fact_carries_numbered_synthetic_provenance(small: SyntheticSupplyChain) -> None:
    facts = [f for b in small.batches(rels_per_batch=2_000) for f in (*b.nodes, *b.relationships)]
    rows = []
    for fact in facts:
        (prov,) = fact.provenance
        assert (prov.source, prov.extractor) == (SOURCE, EXTRACTOR)
        assert prov.locator is not None and prov.locator.startswith("row ")
        rows.append(int(prov.locator.removeprefix("row ")))
    assert rows == list(range(1, len(facts) + 1))


def test_relationships_are_unique_and_have_the_supply_chain_shape(
    small: SyntheticSupplyChain,
) -> None:
    keys = [(s, t, o) for s, t, o, _ in small.relationships]
    assert len(keys) == len(set(keys)), "each (source, type, target) once"
    types = Counter(t for _, t, _, _ in small.relationships)
    for rtype in (
        "HEADQUARTERED_IN",
        "SUBSIDIARY_OF",
        "PRODUCES",
        "SUPPLIES",
        "REQUIRES",
        "IS_TYPE_OF",
        "MANUFACTURES_IN",
        "RESTRICTS_TRADE_WITH",
    ):
        assert types[rtype] > 0, rtype
    assert types["HEADQUARTERED_IN"] == small.sizes.firms  # one headquarters per firm

    layer = {i: p["layer"] for i, _, p in small.nodes if i.startswith("tech:")}
    shares: dict[str, float] = defaultdict(float)
    for source, rtype, target, props in small.relationships:
        if rtype == "PRODUCES":
            assert isinstance(props["share"], float) and 0 < props["share"] <= 1
            shares[target] += props["share"]
        if rtype == "REQUIRES":  # the DAG points from higher layers to lower ones
            assert layer[source] > layer[target]
    assert max(shares.values()) <= 1.0

    hq = {s: o for s, t, o, _ in small.relationships if t == "HEADQUARTERED_IN"}
    in_china = sum(1 for c in hq.values() if c == "country:CHN") / len(hq)
    assert 0.2 < in_china < 0.4
    cross_border = [
        (s, o) for s, t, o, _ in small.relationships if t == "SUBSIDIARY_OF" and hq[s] != hq[o]
    ]
    assert any(hq[parent] == "country:CHN" for _, parent in cross_border)


def test_scale_knob_scales_nodes_and_relationships() -> None:
    one = SyntheticSupplyChain(0.01, seed=1)
    two = SyntheticSupplyChain(0.02, seed=1)
    assert (len(one.nodes), len(one.relationships)) == (1_000, 5_000)
    assert (len(two.nodes), len(two.relationships)) == (2_000, 10_000)
    firms = [sum(1 for n in g.nodes if n[0].startswith("firm:")) for g in (one, two)]
    assert 1.9 < firms[1] / firms[0] < 2.2
    assert sizes_for(FULL_NODES).relationships == 500_000


@pytest.mark.parametrize(
    ("text", "nodes"),
    [
        ("1", FULL_NODES),
        ("1.0", FULL_NODES),
        ("0.25", 25_000),
        ("25000", 25_000),
        ("25k", 25_000),
        ("0.0001", MIN_NODES),
    ],
)
def test_parse_scale(text: str, nodes: int) -> None:
    assert parse_scale(text) == nodes


@pytest.mark.parametrize("text", ["0", "-1", "lots", "nan"])
def test_parse_scale_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="--scale"):
        parse_scale(text)
