"""The ingest pipeline (ingest/pipeline.py) on both backends, with a deterministic test double.

`FindExtractor` below is a TEST DOUBLE, not shipped: it finds the graph's names with str.find
and reads relations from a few cue phrases, so that these tests pin the pipeline's behaviour
(ids, provenance, one write per document, idempotence, replacement) independently of spaCy.
The real extractor is exercised at the end of this file when it is installed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from techgraph.graph.embedded import EmbeddedStore
from techgraph.graph.errors import BackendUnavailable, SchemaViolation
from techgraph.graph.model import FactBatch, Node, Provenance, Relationship, WriteSummary
from techgraph.graph.store import Direction, GraphStore
from techgraph.ingest import pipeline
from techgraph.ingest.documents import Document, DocumentError, Skipped
from techgraph.ingest.model import ExtractedRelation, Extraction, Mention
from techgraph.ingest.pipeline import (
    DISCOVERED_CONFIDENCE,
    HEDGED_CONFIDENCE,
    IngestPipeline,
    Status,
    document_id,
)

PREFIX_TYPES = {
    "country": "Country",
    "firm": "Firm",
    "agency": "Agency",
    "alliance": "Alliance",
    "tech": "Technology",
}
CUES: tuple[tuple[str, str], ...] = (
    (r"(?:is|are) headquartered in", "HEADQUARTERED_IN"),
    (r"suppl(?:ies|y)", "SUPPLIES"),
    (r"restricts? exports of", "RESTRICTS_EXPORT_OF"),
    (r"cooperates? with", "COOPERATES_WITH"),
    (r"produces?", "PRODUCES"),
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")


class FindExtractor:
    """TEST DOUBLE (never shipped): names by str.find, relations from cue phrases.

    Known names are the (id, name, aliases) of `GraphStore.entity_names()`, like the real
    gazetteer; `discovered` maps extra surface forms to ids it reports as discovered (as the
    NER model would). A relation is "the nearest mention before a cue, cue, nearest after";
    "not" before the cue negates it, "may/could/might" hedges it. Calls are counted.
    """

    name = "find-double"
    version = "1"

    def __init__(
        self,
        names: Iterable[tuple[str, str, Sequence[str]]],
        discovered: dict[str, str] | None = None,
        fail_on: str | None = None,
    ) -> None:
        self.surfaces: dict[str, tuple[str, str, bool]] = {}
        for entity_id, name, aliases in names:
            for form in (name, *aliases):
                if form and not entity_id.startswith("doc:"):
                    self.surfaces.setdefault(form, (entity_id, name, False))
        for form, entity_id in (discovered or {}).items():
            self.surfaces[form] = (entity_id, form, True)
        self.fail_on = fail_on
        self.calls = 0
        self.texts = 0

    def extract(self, text: str) -> Extraction:
        self.calls += 1
        self.texts += 1
        return self._extract(text)

    def extract_many(self, texts: Iterable[str]) -> Iterator[Extraction]:
        self.calls += 1
        batch = list(texts)
        self.texts += len(batch)
        return iter([self._extract(t) for t in batch])

    def _extract(self, text: str) -> Extraction:
        if self.fail_on is not None and self.fail_on in text:
            raise RuntimeError("the double was told to fail on this text")
        found: list[Mention] = []
        for form, (entity_id, name, discovered) in self.surfaces.items():
            start = text.find(form)
            while start != -1:
                end = start + len(form)
                before = text[start - 1] if start else " "
                after = text[end] if end < len(text) else " "
                if not before.isalnum() and not after.isalnum():
                    found.append(
                        Mention(
                            id=entity_id,
                            type=PREFIX_TYPES[entity_id.split(":")[0]],
                            name=name,
                            text=form,
                            start=start,
                            end=end,
                            discovered=discovered,
                            confidence=0.9 if discovered else 1.0,
                        )
                    )
                start = text.find(form, start + 1)
        found.sort(key=lambda m: (m.start, -(m.end - m.start)))
        mentions: list[Mention] = []
        for m in found:  # longest match wins, no overlaps
            if not mentions or m.start >= mentions[-1].end:
                mentions.append(m)
        relations: list[ExtractedRelation] = []
        for sm in _SENTENCE.finditer(text):
            s_start, s_end = sm.start(), sm.end()
            inside = [m for m in mentions if s_start <= m.start and m.end <= s_end]
            for pattern, rtype in CUES:
                for cue in re.finditer(pattern, text[s_start:s_end]):
                    c_start, c_end = s_start + cue.start(), s_start + cue.end()
                    left = [m for m in inside if m.end <= c_start]
                    right = [m for m in inside if m.start >= c_end]
                    if not left or not right:
                        continue
                    between = text[left[-1].end : c_start]
                    relations.append(
                        ExtractedRelation(
                            source=left[-1].id,
                            type=rtype,
                            target=right[0].id,
                            confidence=0.8,
                            sentence=text[s_start:s_end].strip(),
                            start=s_start + (len(sm.group()) - len(sm.group().lstrip())),
                            end=s_end,
                            negated=bool(re.search(r"\b(?:not|never)\b", between)),
                            hedged=bool(re.search(r"\b(?:may|could|might)\b", between)),
                        )
                    )
        return Extraction(mentions, relations, words=len(text.split()))


# -- a small graph of known entities ------------------------------------------------------------

REF = Provenance("reference:test", "reference", "1", 1.0, citation="test data")


def mini_reference() -> FactBatch:
    def node(i: str, name: str, *aliases: str) -> Node:
        return Node(i, name, aliases, {}, (REF,))

    return FactBatch(
        nodes=[
            node("country:CHN", "China", "Chinese"),
            node("country:USA", "United States", "US", "American"),
            node("country:NLD", "Netherlands", "Dutch", "the Netherlands"),
            node("firm:huawei", "Huawei Technologies Co., Ltd.", "Huawei"),
            node("firm:asml", "ASML Holding N.V.", "ASML"),
            node("firm:china-mobile", "China Mobile Limited", "China Mobile"),
            node("tech:euv", "EUV lithography", "extreme ultraviolet lithography"),
            node("tech:5g-base-stations", "5G base stations"),
        ],
        relationships=[
            Relationship("firm:huawei", "HEADQUARTERED_IN", "country:CHN", {}, (REF,)),
            Relationship("country:USA", "COOPERATES_WITH", "country:NLD", {}, (REF,)),
            Relationship("firm:asml", "PRODUCES", "tech:euv", {}, (REF,)),
        ],
    )


@pytest.fixture
def graph(store: GraphStore) -> GraphStore:
    store.write(mini_reference())
    return store


def doc(text: str, key: str = "/briefs/a.md", name: str | None = None) -> Document:
    return Document(
        key=key,
        name=name or Path(key).name,
        path=key,
        text=text,
        content_sha256=hashlib.sha256(text.encode()).hexdigest(),
        format="markdown",
    )


def double(store: GraphStore, **kwargs: Any) -> FindExtractor:
    return FindExtractor(store.entity_names(), **kwargs)


def ingest(
    store: GraphStore,
    *items: Any,
    extractor: FindExtractor | None = None,
    lazy: bool = False,
    **kw: Any,
) -> Any:
    extractor = extractor or double(store, discovered={"Zhongxing Microwave": "firm:zhongxing"})
    pipeline = IngestPipeline(store, extractor, clock=lambda: "2026-01-01T00:00:00+00:00", **kw)
    results = pipeline.ingest(items)
    return results if lazy else list(results)


def rel(store: GraphStore, source: str, rtype: str, target: str) -> Relationship | None:
    for n in store.neighbours(source, [rtype], Direction.OUT):
        if n.node.id == target:
            return n.relationship
    return None


def mentions_of(store: GraphStore, doc_id: str) -> dict[str, Relationship]:
    return {
        n.node.id: n.relationship for n in store.neighbours(doc_id, ["MENTIONS"], Direction.OUT)
    }


TEXT = (
    "Huawei supplies China Mobile with base stations. "
    "ASML does not supply Huawei. "
    "The Netherlands may restrict exports of EUV lithography. "
    "Huawei also supplies China Mobile with routers, as a Chinese firm. "
    "Zhongxing Microwave supplies Huawei."
)


# -- what one document becomes ------------------------------------------------------------------


def test_document_node_and_its_id(graph: GraphStore) -> None:
    [result] = ingest(graph, doc(TEXT, key="/briefs/a.md"))
    assert result.status is Status.INGESTED
    expected = "doc:" + hashlib.sha256(b"/briefs/a.md").hexdigest()
    assert result.doc_id == expected == document_id("/briefs/a.md")
    node = graph.get_node(expected)
    assert node is not None and node.name == "a.md"
    assert node.props["path"] == "/briefs/a.md"
    assert node.props["content_sha256"] == hashlib.sha256(TEXT.encode()).hexdigest()
    assert node.props["words"] == len(TEXT.split())
    assert node.props["ingested_at"] == "2026-01-01T00:00:00+00:00"


def test_mentions_every_entity_once_known_names_unchanged(graph: GraphStore) -> None:
    [result] = ingest(graph, doc(TEXT))
    edges = mentions_of(graph, result.doc_id)
    assert set(edges) == {
        "firm:huawei",
        "firm:china-mobile",
        "firm:asml",
        "country:NLD",
        "country:CHN",
        "tech:euv",
        "firm:zhongxing",
    }
    assert edges["firm:huawei"].props["mentions"] == 4
    assert edges["firm:huawei"].provenance[0].source == result.doc_id
    assert edges["firm:huawei"].provenance[0].extractor == "find-double"
    # Known nodes keep the graph's name, properties and provenance.
    huawei = graph.get_node("firm:huawei")
    assert huawei is not None and huawei.name == "Huawei Technologies Co., Ltd."
    assert huawei.props == {} and huawei.provenance == (REF,)
    assert result.names["firm:huawei"] == "Huawei Technologies Co., Ltd."


def test_discovered_entity_is_marked_with_lower_confidence(graph: GraphStore) -> None:
    [result] = ingest(graph, doc(TEXT))
    node = graph.get_node("firm:zhongxing")
    assert node is not None
    assert node.name == "Zhongxing Microwave" and node.props["discovered"] is True
    assert [p.source for p in node.provenance] == [result.doc_id]
    assert node.provenance[0].confidence <= DISCOVERED_CONFIDENCE < 1.0
    assert "firm:zhongxing" in result.discovered


def test_relations_negated_not_written_hedged_marked(graph: GraphStore) -> None:
    [result] = ingest(graph, doc(TEXT))
    assert rel(graph, "firm:asml", "SUPPLIES", "firm:huawei") is None  # "does not supply"
    hedged = rel(graph, "country:NLD", "RESTRICTS_EXPORT_OF", "tech:euv")
    assert hedged is not None and hedged.props == {"hedged": True}
    assert hedged.confidence is not None and hedged.confidence <= HEDGED_CONFIDENCE
    supplies = rel(graph, "firm:zhongxing", "SUPPLIES", "firm:huawei")
    assert supplies is not None and supplies.props == {}
    assert result.extraction is not None
    assert sum(r.negated for r in result.extraction.relations) == 1


def test_the_same_fact_in_two_sentences_is_one_edge_with_two_records(graph: GraphStore) -> None:
    [result] = ingest(graph, doc(TEXT))
    edge = rel(graph, "firm:huawei", "SUPPLIES", "firm:china-mobile")
    assert edge is not None
    assert len(edge.provenance) == 2
    sentences = sorted(
        ((p.sentence or "", p.start or 0, p.end or 0) for p in edge.provenance),
        key=lambda s: s[1],
    )
    assert sentences[0][0] == "Huawei supplies China Mobile with base stations."
    assert sentences[1][0].startswith("Huawei also supplies China Mobile with routers")
    for sentence, start, end in sentences:
        assert TEXT[start:end] == sentence  # offsets point into the document text
    assert {p.source for p in edge.provenance} == {result.doc_id}
    assert {(p.extractor, p.extractor_version) for p in edge.provenance} == {("find-double", "1")}
    counts = graph.counts()
    assert counts.relationships["SUPPLIES"] == 2  # Huawei->China Mobile, Zhongxing->Huawei


def test_a_chunk_is_written_together_each_document_replacing_its_own(
    graph: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    original = graph.write_documents

    def spy(documents: list[tuple[FactBatch, str]]) -> WriteSummary:
        calls.append([source for _, source in documents])
        assert all(source in {n.id for n in batch.nodes} for batch, source in documents)
        return original(documents)

    monkeypatch.setattr(graph, "write_documents", spy)
    texts = [TEXT, "ASML produces EUV lithography.", "Huawei supplies ASML."]
    results = ingest(graph, *[doc(t, f"/{i}.md") for i, t in enumerate(texts)], chunk_size=2)
    assert [r.status for r in results] == [Status.INGESTED] * 3
    ids = [r.doc_id for r in results]
    assert calls == [ids[:2], ids[2:]]  # one call per chunk, each document once with its id
    assert graph.counts().nodes["Document"] == 3


def test_a_group_the_schema_refuses_fails_only_its_bad_document(
    graph: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store refuses any write holding the second document: the group is retried one
    document at a time, and the others are ingested with what they would have had."""
    texts = ["Huawei supplies China Mobile.", "Huawei supplies ASML.", "ASML supplies Huawei."]
    docs = [doc(t, f"/{i}.md") for i, t in enumerate(texts)]
    bad_id = pipeline.document_id(docs[1].key)
    original_group, original_one = graph.write_documents, graph.write
    groups: list[int] = []

    def refusing_group(documents: list[tuple[FactBatch, str]]) -> WriteSummary:
        groups.append(len(documents))
        if any(source == bad_id for _, source in documents):
            raise SchemaViolation("refused for the test")
        return original_group(documents)

    def refusing_one(batch: FactBatch, replace_source: str | None = None) -> WriteSummary:
        if replace_source == bad_id:
            raise SchemaViolation("refused for the test")
        return original_one(batch, replace_source=replace_source)

    monkeypatch.setattr(graph, "write_documents", refusing_group)
    monkeypatch.setattr(graph, "write", refusing_one)
    results = ingest(graph, *docs)
    assert groups == [3]
    assert [r.status for r in results] == [Status.INGESTED, Status.FAILED, Status.INGESTED]
    assert "refused by the schema, nothing written" in (results[1].reason or "")
    assert graph.get_node(bad_id) is None
    assert rel(graph, "firm:huawei", "SUPPLIES", "firm:asml") is None
    assert rel(graph, "firm:asml", "SUPPLIES", "firm:huawei") is not None
    assert rel(graph, "firm:huawei", "SUPPLIES", "firm:china-mobile") is not None
    assert results[2].written  # the documents after the bad one were built again and written
    assert graph.counts().nodes["Document"] == 2


def test_documents_after_a_refused_group_see_the_graph_as_it_is(
    graph: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a refused group the run forgets what it had learnt of the graph; the groups that
    follow in the same chunk must learn it again, not take reference nodes for unknown ones."""
    monkeypatch.setattr(pipeline, "GROUP_FACTS", 1)  # every document is a group of its own
    docs = [doc("Huawei supplies ASML.", "/0.md"), doc("Huawei supplies China Mobile.", "/1.md")]
    bad_id = pipeline.document_id(docs[0].key)
    original = graph.write_documents

    def refusing(documents: list[tuple[FactBatch, str]]) -> WriteSummary:
        if any(source == bad_id for _, source in documents):
            raise SchemaViolation("refused for the test")
        return original(documents)

    monkeypatch.setattr(graph, "write_documents", refusing)
    results = ingest(graph, *docs)
    assert [r.status for r in results] == [Status.FAILED, Status.INGESTED]
    huawei = graph.get_node("firm:huawei")
    assert huawei is not None and huawei.name == "Huawei Technologies Co., Ltd."
    # A reference node gets no evidence of its own from a document (its MENTIONS edge has it).
    assert [p.source for p in huawei.provenance] == [REF.source]


def test_extraction_is_batched_over_chunks(graph: GraphStore) -> None:
    extractor = double(graph)
    docs = [doc(f"Huawei supplies China Mobile, note {i}.", f"/d{i}.md") for i in range(5)]
    results = ingest(graph, *docs, extractor=extractor, chunk_size=2)
    assert all(r.status is Status.INGESTED for r in results)
    assert extractor.calls == 3 and extractor.texts == 5  # extract_many per chunk of two


# -- idempotence and replacement ------------------------------------------------------------------


def test_unchanged_document_changes_nothing_and_is_not_extracted(graph: GraphStore) -> None:
    ingest(graph, doc(TEXT))
    before = graph.counts()
    edge = rel(graph, "firm:huawei", "SUPPLIES", "firm:china-mobile")
    journal = (
        (graph.data_dir / "journal.jsonl").read_bytes() if isinstance(graph, EmbeddedStore) else b""
    )
    extractor = double(graph)
    [again] = ingest(graph, doc(TEXT), extractor=extractor)
    assert again.status is Status.UNCHANGED and extractor.calls == 0
    assert graph.counts() == before
    assert rel(graph, "firm:huawei", "SUPPLIES", "firm:china-mobile") == edge
    if isinstance(graph, EmbeddedStore):
        assert (graph.data_dir / "journal.jsonl").read_bytes() == journal


def test_force_extracts_again_without_duplicating(graph: GraphStore) -> None:
    ingest(graph, doc(TEXT))
    before = graph.counts()
    edge = rel(graph, "firm:huawei", "SUPPLIES", "firm:china-mobile")
    [again] = ingest(graph, doc(TEXT), force=True)
    assert again.status is Status.INGESTED
    assert graph.counts() == before
    after = rel(graph, "firm:huawei", "SUPPLIES", "firm:china-mobile")
    assert after is not None and edge is not None
    assert sorted(p.key for p in after.provenance) == sorted(p.key for p in edge.provenance)


def test_changed_document_replaces_its_old_facts(graph: GraphStore) -> None:
    [first] = ingest(graph, doc(TEXT + " Huawei is headquartered in China."))
    hq = rel(graph, "firm:huawei", "HEADQUARTERED_IN", "country:CHN")
    assert hq is not None and {p.source for p in hq.provenance} == {"reference:test", first.doc_id}
    [second] = ingest(graph, doc("ASML produces EUV lithography. ASML supplies Huawei."))
    assert second.doc_id == first.doc_id and second.status is Status.INGESTED
    # The old version's facts are gone: its relations, its discovered firm, its mentions.
    assert rel(graph, "firm:huawei", "SUPPLIES", "firm:china-mobile") is None
    assert rel(graph, "country:NLD", "RESTRICTS_EXPORT_OF", "tech:euv") is None
    assert graph.get_node("firm:zhongxing") is None
    assert set(mentions_of(graph, first.doc_id)) == {"firm:asml", "tech:euv", "firm:huawei"}
    # Facts the reference also states lose only the document's evidence.
    hq = rel(graph, "firm:huawei", "HEADQUARTERED_IN", "country:CHN")
    assert hq is not None and [p.source for p in hq.provenance] == ["reference:test"]
    produces = rel(graph, "firm:asml", "PRODUCES", "tech:euv")
    assert produces is not None
    assert {p.source for p in produces.provenance} == {"reference:test", first.doc_id}
    assert rel(graph, "firm:asml", "SUPPLIES", "firm:huawei") is not None
    node = graph.get_node(first.doc_id)
    assert node is not None
    assert (
        node.props["content_sha256"]
        == hashlib.sha256(b"ASML produces EUV lithography. ASML supplies Huawei.").hexdigest()
    )
    assert graph.counts().nodes["Document"] == 1


def test_two_documents_share_a_fact_and_forget_separately(graph: GraphStore) -> None:
    a, b = (
        doc("Huawei supplies China Mobile.", "/a.md"),
        doc("Huawei supplies China Mobile!", "/b.md"),
    )
    ra, rb = ingest(graph, a, b)
    edge = rel(graph, "firm:huawei", "SUPPLIES", "firm:china-mobile")
    assert edge is not None and {p.source for p in edge.provenance} == {ra.doc_id, rb.doc_id}
    ingest(graph, doc("China Mobile is a customer.", "/a.md"))
    edge = rel(graph, "firm:huawei", "SUPPLIES", "firm:china-mobile")
    assert edge is not None and [p.source for p in edge.provenance] == [rb.doc_id]


def test_a_discovered_firm_named_by_two_documents_survives_one(graph: GraphStore) -> None:
    text = "Zhongxing Microwave supplies Huawei."
    ra, _ = ingest(graph, doc(text, "/a.md"), doc(text, "/b.md"))
    ingest(graph, doc("Nothing here any more.", "/a.md"))
    node = graph.get_node("firm:zhongxing")
    assert node is not None and node.props["discovered"] is True
    assert ra.doc_id not in {p.source for p in node.provenance}


# -- the rules about hedges and symmetric facts ----------------------------------------------------


def test_a_hedge_does_not_mark_a_fact_others_assert(graph: GraphStore) -> None:
    ingest(graph, doc("ASML may produce EUV lithography."))
    produces = rel(graph, "firm:asml", "PRODUCES", "tech:euv")
    assert produces is not None and produces.props == {}  # the reference asserts it
    assert len(produces.provenance) == 2


def test_an_assertion_lifts_an_earlier_hedge(graph: GraphStore) -> None:
    ingest(graph, doc("Huawei may supply China Mobile.", "/a.md"))
    edge = rel(graph, "firm:huawei", "SUPPLIES", "firm:china-mobile")
    assert edge is not None and edge.props == {"hedged": True}
    ingest(graph, doc("Huawei supplies China Mobile.", "/b.md"))
    edge = rel(graph, "firm:huawei", "SUPPLIES", "firm:china-mobile")
    assert edge is not None and edge.props == {"hedged": False}


def test_hedged_then_asserted_by_the_same_document(graph: GraphStore) -> None:
    ingest(graph, doc("Huawei may supply China Mobile."))
    ingest(graph, doc("Huawei supplies China Mobile."))
    edge = rel(graph, "firm:huawei", "SUPPLIES", "firm:china-mobile")
    assert edge is not None and edge.props.get("hedged") is not True
    assert len(edge.provenance) == 1


def test_symmetric_fact_keeps_the_direction_the_graph_has(graph: GraphStore) -> None:
    ingest(graph, doc("The Netherlands cooperates with the United States.", "/a.md"))
    assert rel(graph, "country:NLD", "COOPERATES_WITH", "country:USA") is None
    edge = rel(graph, "country:USA", "COOPERATES_WITH", "country:NLD")
    assert edge is not None and len(edge.provenance) == 2
    # A new symmetric fact is written once, endpoints sorted, whichever way it is said.
    ingest(graph, doc("China cooperates with the Netherlands.", "/b.md"))
    ingest(graph, doc("The Netherlands cooperates with China.", "/c.md"))
    assert rel(graph, "country:NLD", "COOPERATES_WITH", "country:CHN") is None
    edge = rel(graph, "country:CHN", "COOPERATES_WITH", "country:NLD")
    assert edge is not None and len(edge.provenance) == 2


# -- what fails, fails alone -----------------------------------------------------------------------


def test_unreadable_documents_and_extractor_failures_fail_alone(graph: GraphStore) -> None:
    extractor = double(graph, fail_on="EXPLODE")
    items = [
        doc("Huawei supplies China Mobile.", "/good.md"),
        DocumentError("bad.txt", "/bad.txt", "empty file"),
        Skipped("logo.png", "/logo.png", ".png"),
        doc("ASML EXPLODE produces EUV lithography.", "/boom.md"),
        doc("ASML supplies Huawei.", "/good2.md"),
    ]
    results = ingest(graph, *items, extractor=extractor)
    assert [r.status for r in results] == [
        Status.INGESTED,
        Status.FAILED,
        Status.SKIPPED,
        Status.FAILED,
        Status.INGESTED,
    ]
    assert results[1].reason == "empty file"
    assert "extraction failed (RuntimeError" in (results[3].reason or "")
    assert graph.get_node(document_id("/boom.md")) is None
    assert graph.counts().nodes["Document"] == 2


def test_facts_the_schema_forbids_are_left_out_with_a_note(graph: GraphStore) -> None:
    class Odd(FindExtractor):
        def _extract(self, text: str) -> Extraction:
            ex = super()._extract(text)
            bad_mention = Mention("firm:Not Valid", "Firm", "X", "X", 0, 1)
            odd = ExtractedRelation("firm:huawei", "MEMBER_OF", "firm:asml", 0.9, text, 0, 5)
            stray = ExtractedRelation("firm:huawei", "SUPPLIES", "firm:ghost", 0.9, text, 0, 5)
            return Extraction([*ex.mentions, bad_mention], [*ex.relations, odd, stray], ex.words)

    [result] = ingest(graph, doc("Huawei supplies ASML."), extractor=Odd(graph.entity_names()))
    assert result.status is Status.INGESTED
    assert rel(graph, "firm:huawei", "SUPPLIES", "firm:asml") is not None
    assert rel(graph, "firm:huawei", "MEMBER_OF", "firm:asml") is None
    assert len(result.notes) == 3
    assert any("firm:ghost not among the mentions" in n for n in result.notes)


@pytest.mark.parametrize("overlap", [True, False], ids=["overlap", "sequential"])
def test_a_backend_failure_stops_the_run_after_what_was_written(
    graph: GraphStore, monkeypatch: pytest.MonkeyPatch, overlap: bool
) -> None:
    original = graph.write_documents
    written: list[str] = []

    def flaky(documents: list[tuple[FactBatch, str]]) -> WriteSummary:
        if len(written) == 2:
            raise BackendUnavailable("the server went away")
        written.extend(source for _, source in documents)
        return original(documents)

    monkeypatch.setattr(graph, "write_documents", flaky)
    docs = [doc(f"Huawei supplies China Mobile ({i}).", f"/d{i}.md") for i in range(6)]
    seen: list[Status] = []
    with pytest.raises(BackendUnavailable):
        for result in ingest(graph, *docs, chunk_size=2, overlap=overlap, lazy=True):
            seen.append(result.status)
    assert seen == [Status.INGESTED, Status.INGESTED]  # the first chunk was reported
    assert graph.counts().nodes["Document"] == 2  # and each document is whole or absent


@pytest.mark.parametrize("overlap", [True, False], ids=["overlap", "sequential"])
def test_overlapped_and_sequential_runs_write_the_same_graph(
    store: GraphStore, tmp_path: Path, overlap: bool
) -> None:
    store.write(mini_reference())
    texts = [TEXT, "Huawei may supply ASML.", "ASML supplies Huawei.", "China Mobile."] * 3
    docs = [doc(t, f"/d{i}.md") for i, t in enumerate(texts)]
    ingest(store, *docs, chunk_size=3, overlap=overlap)
    edge = rel(store, "firm:huawei", "SUPPLIES", "firm:asml")
    assert edge is not None and edge.props == {"hedged": True}  # hedged in every document
    assert rel(store, "firm:asml", "SUPPLIES", "firm:huawei") is not None
    assert store.counts().nodes["Document"] == 12
    supplies = rel(store, "firm:huawei", "SUPPLIES", "firm:china-mobile")
    assert supplies is not None and len(supplies.provenance) == 6


def test_a_document_id_given_twice_is_ingested_once(graph: GraphStore) -> None:
    results = ingest(graph, doc("Huawei supplies ASML.", "/a.md"), doc("ASML.", "/a.md"))
    assert [r.status for r in results] == [Status.INGESTED, Status.UNCHANGED]


def test_a_document_replaced_in_the_run_is_seen_by_the_next(graph: GraphStore) -> None:
    ingest(graph, doc("Huawei supplies China Mobile.", "/a.md"))
    # One run: /a.md no longer states the fact, then /b.md only hedges it. /b.md must see that
    # the graph no longer asserts it (the run's cache follows its own writes).
    ingest(
        graph,
        doc("China Mobile is a customer.", "/a.md"),
        doc("Huawei may supply China Mobile.", "/b.md"),
    )
    edge = rel(graph, "firm:huawei", "SUPPLIES", "firm:china-mobile")
    assert edge is not None and edge.props == {"hedged": True}
    assert [p.source for p in edge.provenance] == [document_id("/b.md")]


def test_the_graph_is_read_once_per_run_not_once_per_chunk(
    graph: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"expand": 0, "get_nodes": 0}
    for name in calls:
        original = getattr(graph, name)

        def spy(*args: Any, _original: Any = original, _name: str = name, **kw: Any) -> Any:
            calls[_name] += 1
            return _original(*args, **kw)

        monkeypatch.setattr(graph, name, spy)
    docs = [doc(f"Huawei supplies China Mobile ({i}).", f"/d{i}.md") for i in range(6)]
    results = ingest(graph, *docs, chunk_size=2)
    assert all(r.status is Status.INGESTED for r in results)
    assert calls["expand"] == 1  # the facts around Huawei, read for the first chunk only
    assert calls["get_nodes"] == 3 + 1  # each chunk's document ids, the entities once
    edge = rel(graph, "firm:huawei", "SUPPLIES", "firm:china-mobile")
    assert edge is not None and len(edge.provenance) == 6


def test_long_texts_are_extracted_in_segments_with_true_offsets(
    graph: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "SEGMENT_CHARS", 60)
    paragraphs = [
        "Huawei supplies China Mobile.",
        "ASML produces EUV lithography, as everyone knows.",
        "Zhongxing Microwave supplies Huawei.",
    ]
    text = "\n\n".join(paragraphs)
    extractor = double(graph, discovered={"Zhongxing Microwave": "firm:zhongxing"})
    [result] = ingest(graph, doc(text), extractor=extractor)
    assert extractor.texts == 3  # one segment per paragraph
    assert result.extraction is not None
    for m in result.extraction.mentions:
        assert text[m.start : m.end] == m.text
    edge = rel(graph, "firm:zhongxing", "SUPPLIES", "firm:huawei")
    assert edge is not None
    p = edge.provenance[0]
    assert p.start is not None and p.end is not None
    assert text[p.start : p.end] == "Zhongxing Microwave supplies Huawei."


def test_segments_cover_the_text() -> None:
    text = "a" * 50 + "\n\n" + "b. " * 30 + "c" * 200
    parts = pipeline.segments(text, limit=64)
    assert "".join(piece for _, piece in parts) == text
    assert all(len(piece) <= 64 for _, piece in parts)
    assert all(text[o : o + len(piece)] == piece for o, piece in parts)
    assert parts[0][1] == "a" * 50 + "\n\n"  # cut at the paragraph break
    assert pipeline.segments("short", limit=64) == [(0, "short")]


def test_chunks_also_close_on_size(graph: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "CHUNK_CHARS", 50)
    extractor = double(graph)
    docs = [doc("Huawei supplies China Mobile, and more words." * 2, f"/d{i}.md") for i in range(3)]
    ingest(graph, *docs, extractor=extractor)
    assert extractor.calls == 3  # one document per chunk: each is over 50 characters


# -- the real extractor ----------------------------------------------------------------------------


def _real_extractor(store: GraphStore, use_model: bool | None) -> Any:
    extract = pytest.importorskip("techgraph.ingest.extract")
    return extract.SpacyExtractor(store.entity_names(), use_model=use_model)


@pytest.mark.parametrize("use_model", [False, None], ids=["rules", "model-if-installed"])
def test_real_extractor_end_to_end(
    store: GraphStore, reference: FactBatch, use_model: bool | None
) -> None:
    store.write(reference)
    extractor = _real_extractor(store, use_model)
    text = (
        "Huawei is headquartered in China. The Netherlands restricts exports of EUV lithography "
        "to China. ASML does not supply EUV lithography systems to Huawei."
    )
    pipeline = IngestPipeline(store, extractor)
    [result] = list(pipeline.ingest([doc(text)]))
    assert result.status is Status.INGESTED, result.reason
    edges = mentions_of(store, result.doc_id or "")
    assert {"firm:huawei", "country:CHN", "country:NLD"} <= set(edges)
    hq = rel(store, "firm:huawei", "HEADQUARTERED_IN", "country:CHN")
    assert hq is not None and result.doc_id in {p.source for p in hq.provenance}
    before = store.counts()
    [again] = list(IngestPipeline(store, extractor).ingest([doc(text)]))
    assert again.status is Status.UNCHANGED and store.counts() == before
