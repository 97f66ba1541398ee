"""Property-based: on random supply-chain graphs, both backends give the same answers.

Hypothesis draws a small random graph (countries, firms with ownership chains, a technology DAG
with subtypes, producers with shares, listings, alliances and export restrictions), loads it into
a fresh embedded store and into the real Neo4j, and asks every question of both. Answers must be
identical, except which of several equally short paths come back: there only the lengths, the
count and each path's validity are compared.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from techgraph.api import serialize
from techgraph.graph import questions as q
from techgraph.graph.embedded import EmbeddedStore
from techgraph.graph.model import FactBatch, Node, Relationship
from techgraph.graph.neo4j_store import Neo4jStore
from techgraph.graph.store import Direction, GraphStore

pytestmark = pytest.mark.neo4j

COUNTRIES = ["CHN", "USA", "JPN", "NLD"]


@st.composite
def supply_graphs(draw: st.DrawFn) -> FactBatch:
    n_firms = draw(st.integers(2, 7))
    n_techs = draw(st.integers(2, 7))
    firms = [f"firm:f{i}" for i in range(n_firms)]
    techs = [f"tech:t{i}" for i in range(n_techs)]
    nodes = [Node(f"country:{c}", c) for c in COUNTRIES]
    nodes += [Node(f, f"Firm {f[6:]}") for f in firms] + [Node(t, f"Tech {t[6:]}") for t in techs]
    nodes += [Node("alliance:a", "Alliance A"), Node("agency:g", "Agency G")]
    rels: list[Relationship] = []

    def rel(s: str, t: str, o: str, **props: Any) -> None:
        rels.append(Relationship(s, t, o, props))

    rel("agency:g", "AGENCY_OF", f"country:{draw(st.sampled_from(COUNTRIES))}")
    for c in draw(st.sets(st.sampled_from(COUNTRIES), min_size=1)):
        rel(f"country:{c}", "MEMBER_OF", "alliance:a")
    for i, f in enumerate(firms):
        if draw(st.booleans()) or i == 0:
            rel(f, "HEADQUARTERED_IN", f"country:{draw(st.sampled_from(COUNTRIES))}")
        if i > 0 and draw(st.integers(0, 2)) == 0:  # parents have lower numbers: no cycles
            rel(f, "SUBSIDIARY_OF", firms[draw(st.integers(0, i - 1))])
        if draw(st.integers(0, 3)) == 0:
            rel(f, "MANUFACTURES_IN", f"country:{draw(st.sampled_from(COUNTRIES))}")
        if draw(st.integers(0, 3)) == 0:
            listed = draw(st.sampled_from([None, *COUNTRIES]))
            props = {"listed_country": listed} if listed else {}
            rel("agency:g", "RESTRICTS_TRADE_WITH", f, **props)
    for i, t in enumerate(techs):
        for j in (
            draw(st.sets(st.integers(i + 1, n_techs - 1), max_size=2)) if i < n_techs - 1 else ()
        ):
            kind = draw(st.sampled_from(["REQUIRES", "REQUIRES", "IS_TYPE_OF"]))
            if kind == "REQUIRES":
                rel(t, "REQUIRES", techs[j])
            else:
                rel(techs[j], "IS_TYPE_OF", t)
        for f in draw(st.sets(st.sampled_from(firms), max_size=3)):
            share = draw(st.one_of(st.none(), st.sampled_from([0.1, 0.25, 0.5, 0.8])))
            rel(f, "PRODUCES", t, **({"share": share} if share is not None else {}))
        if draw(st.integers(0, 3)) == 0:
            rel(f"country:{draw(st.sampled_from(COUNTRIES))}", "PRODUCES", t, share=0.6)
        if draw(st.integers(0, 4)) == 0:
            actor = draw(st.sampled_from(["agency:g", "alliance:a", "country:USA"]))
            rel(actor, "RESTRICTS_EXPORT_OF", t)
    if draw(st.booleans()):
        rel(firms[0], "SUPPLIES", firms[-1])
    # One relationship per (source, type, target), as the stores would merge them anyway.
    unique = {r.key: r for r in rels}
    return FactBatch(nodes=nodes, relationships=list(unique.values()))


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, default=str)


def answers(store: GraphStore, root: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "exposure": serialize.exposure(q.exposure(store, root, "CHN", 4)),
        "deps": [serialize.dependency(r) for r in q.dependencies(store, root, 4)],
        "suppliers": serialize.suppliers(q.suppliers(store, root)),
        "chokepoints": [serialize.chokepoint(c) for c in q.chokepoints(store, 0.5)],
        "alternatives": [
            serialize.alternative(a) for a in q.alternatives(store, root, "alliance:a")[2]
        ],
        "alignment": [
            serialize.member_alignment(m) for m in q.alignment(store, root, "alliance:a")[2]
        ],
        "neighbours": sorted(
            canonical(serialize.relationship(n.relationship))
            for n in store.neighbours(root, None, Direction.BOTH)
        ),
        "counts": {"nodes": store.counts().nodes, "relationships": store.counts().relationships},
    }
    return out


def path_summary(store: GraphStore, a: str, b: str) -> tuple[int, list[int]]:
    found = store.shortest_paths(a, b, None, 6, 4)
    for p in found:
        assert p[0].start.id == a and p[-1].end.id == b
        for before, after in itertools.pairwise(p):
            assert before.end.id == after.start.id
    return len(found), sorted(len(p) for p in found)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(graph=supply_graphs(), data=st.data())
def test_embedded_and_neo4j_agree(
    neo4j_session_store: Neo4jStore, graph: FactBatch, data: st.DataObject
) -> None:
    neo4j_session_store.clear()
    neo4j_session_store.write(graph)
    with tempfile.TemporaryDirectory() as tmp:
        embedded = EmbeddedStore(tmp)
        embedded.write(graph)
        techs = sorted(n.id for n in graph.nodes if n.id.startswith("tech:"))
        root = data.draw(st.sampled_from(techs))
        assert canonical(answers(embedded, root)) == canonical(answers(neo4j_session_store, root))
        ids = sorted(n.id for n in graph.nodes)
        a, b = data.draw(st.sampled_from(ids)), data.draw(st.sampled_from(ids))
        if a != b:
            assert path_summary(embedded, a, b) == path_summary(neo4j_session_store, a, b)
