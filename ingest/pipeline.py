"""From documents to graph facts: extraction, one FactBatch per document, written whole.

The contract is docs/extraction.md. For every document the pipeline

1. derives its id, `doc:` + sha256 of its key, and skips it (without calling the extractor)
   when the graph already holds a Document node of that id with the same `content_sha256`;
2. extracts the documents that are new or changed, a chunk at a time with `extract_many`
   (spaCy's nlp.pipe is much faster over many texts than one call per text);
3. builds one FactBatch: the Document node, a node per mentioned entity, a MENTIONS edge to
   each, and the relations (negated ones left out, hedged ones marked), every fact with a
   Provenance naming the document, the extractor, its confidence and where in the text;
4. writes it with `store.write_documents`, together with the other documents of its chunk
   (on Neo4j in one transaction of up to GROUP_FACTS facts): the document's previous facts are
   forgotten and the new ones written in the same transaction, so a reader never sees a
   half-replaced document and a failed write leaves the old version in place. A group the
   schema refuses is written again one document per transaction (`store.write(batch,
   replace_source=doc_id)`), so that only the documents at fault fail.

Choices the contract leaves to the pipeline, and why:

- Known entities are written with the name the graph already has and no properties, so that
  ingesting text never renames or re-types a reference node; their nodes get no provenance of
  their own (the MENTIONS edge carries it), which keeps hub nodes such as `country:CHN` from
  collecting one record per document.
- Discovered entities (and nodes that were themselves discovered earlier) carry `discovered:
  true` and a provenance record from the document, so that forgetting the last document that
  spoke of one deletes it. Their confidence is capped at DISCOVERED_CONFIDENCE.
- A relation whose endpoint is not among the document's mentions, or that the schema forbids,
  is dropped with a note instead of failing the whole document: forgetting a document follows
  its MENTIONS edges, so every fact it writes must hang off a mentioned entity.
- The same fact stated in several sentences is one relationship with one provenance record per
  sentence. COOPERATES_WITH is symmetric: it is written in the direction the graph already has,
  else with its endpoints sorted, so "A and B" and "B and A" never make two edges.
- `hedged: true` is written when every statement of the fact in the document is hedged and the
  graph does not already assert it from another source (a hedge in one brief must not mark a
  reference fact as uncertain); a document that asserts a fact only hedged so far writes
  `hedged: false`. Hedged statements' confidence is capped at HEDGED_CONFIDENCE. (Forgetting a
  document does not recompute the flag: provenance records carry no hedge of their own.)
- What the rules need of the graph (node names, the hedge flags and evidence sources of nearby
  facts) is read once per run and kept current with the run's own writes. Another process
  writing the same facts meanwhile can at worst make one hedge flag or one symmetric edge's
  direction stale; the facts and their evidence stay right.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import NamedTuple

from techgraph.graph.errors import SchemaViolation
from techgraph.graph.model import FactBatch, Node, PropertyValue, Provenance, Relationship
from techgraph.graph.store import Direction, GraphStore, Step

from .documents import Document, DocumentError, Read, Skipped
from .model import ExtractedRelation, Extraction, Extractor, Mention

# Documents per extract_many call: large enough for nlp.pipe to batch well, small enough that a
# chunk's texts and extractions stay a small part of memory.
CHUNK_DOCUMENTS = 64
# ... or fewer, once their texts add up to this many characters (a few large documents).
CHUNK_CHARS = 2_000_000
# Facts per write transaction: a chunk's documents are written together, each whole, in
# transactions of about this many facts (one document's, however many, at least).
GROUP_FACTS = 10_000
# Confidence ceilings (docs/extraction.md: discovered entities and hedged relations carry a
# lower confidence). Ceilings rather than factors, so that an extractor that already lowered
# them is not lowered twice.
DISCOVERED_CONFIDENCE = 0.6
HEDGED_CONFIDENCE = 0.5
# Texts longer than this go to the extractor in segments cut at paragraph (else line, else
# sentence) breaks: spaCy refuses texts over nlp.max_length (1,000,000 characters) and its parser
# needs about 1 GB of memory per 100,000 characters of one text.
SEGMENT_CHARS = 100_000
# Surface forms kept on a MENTIONS edge (for review; a long document may spell a name many ways).
MAX_FORMS = 10
SYMMETRIC = frozenset({"COOPERATES_WITH"})
MENTIONS = "MENTIONS"

RelKey = tuple[str, str, str]


class Status(StrEnum):
    INGESTED = "ingested"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass
class DocumentResult:
    """What happened to one input, with what was extracted from it (for --json and reviews)."""

    name: str
    path: str
    status: Status
    doc_id: str | None = None
    reason: str | None = None
    words: int = 0
    extraction: Extraction | None = None
    names: dict[str, str] = field(default_factory=dict)
    """Entity id -> the name written (the graph's name for known entities)."""
    discovered: set[str] = field(default_factory=set)
    written: dict[RelKey, Relationship] = field(default_factory=dict)
    """The relationships written, by the key the graph holds them under."""
    statement_keys: dict[int, RelKey] = field(default_factory=dict)
    """Index in extraction.relations -> the key its fact was written under."""
    notes: list[str] = field(default_factory=list)
    """Mentions and relations left out, and why."""

    @property
    def entity_ids(self) -> list[str]:
        return list(self.names)


@dataclass
class BuiltBatch:
    batch: FactBatch
    names: dict[str, str]
    discovered: set[str]
    written: dict[RelKey, Relationship]
    statement_keys: dict[int, RelKey]
    notes: list[str]


@dataclass(frozen=True)
class KnownNode:
    """What the pipeline needs of a node the graph holds: the name to keep, and whether it was
    itself discovered (then it keeps collecting evidence and can be forgotten)."""

    name: str
    discovered: bool

    @classmethod
    def of(cls, node: Node) -> KnownNode:
        return cls(node.name, node.props.get("discovered") is True)


@dataclass
class RelState:
    """What the pipeline needs of a relationship the graph holds: its `hedged` property and the
    sources of its evidence (to tell this document's own earlier statements from others')."""

    hedged: bool | None
    sources: set[str]

    @classmethod
    def of(cls, rel: Relationship) -> RelState:
        hedged = rel.props.get("hedged")
        return cls(hedged if isinstance(hedged, bool) else None, {p.source for p in rel.provenance})


def document_id(key: str) -> str:
    """`doc:` + sha256 of the document's key (its absolute path, or the sha256 of stdin)."""
    return "doc:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def count_words(text: str) -> int:
    """Words as white-space separated runs: cheap, and the same whatever the extractor counts."""
    return len(text.split())


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def segments(text: str, limit: int | None = None) -> list[tuple[int, str]]:
    """(offset, piece) covering the text, each at most `limit` characters, cut after the last
    paragraph break before the limit, else the last line break, else the last sentence end,
    else (one huge word) at the limit itself."""
    limit = limit or SEGMENT_CHARS
    out: list[tuple[int, str]] = []
    start = 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        cut = -1
        for sep in ("\n\n", "\n", ". "):
            at = window.rfind(sep)
            if at > 0:
                cut = at + len(sep)
                break
        if cut <= 0:
            cut = limit
        out.append((start, text[start : start + cut]))
        start += cut
    out.append((start, text[start:]))
    return out


def _merge(offsets: Sequence[int], parts: Sequence[Extraction]) -> Extraction:
    """One extraction from those of a text's segments, offsets shifted into the whole text."""
    if len(parts) == 1 and offsets[0] == 0:
        return parts[0]
    merged = Extraction()
    for offset, part in zip(offsets, parts, strict=True):
        merged.mentions.extend(
            replace(m, start=m.start + offset, end=m.end + offset) for m in part.mentions
        )
        merged.relations.extend(
            replace(r, start=r.start + offset, end=r.end + offset) for r in part.relations
        )
        merged.words += part.words
    return merged


class _Ready(NamedTuple):
    """A document extracted and ready to write."""

    result: DocumentResult
    doc: Document
    extraction: Extraction
    existed: bool
    """Whether the graph held an earlier version, whose facts the write replaces."""

    @property
    def doc_id(self) -> str:
        assert self.result.doc_id is not None  # every document to write has one
        return self.result.doc_id


@dataclass
class _Chunk:
    """A chunk on its way through: results in input order; `todo` the documents to extract
    (with whether the graph held an earlier version); `ready` them with their extractions."""

    results: list[DocumentResult]
    todo: list[tuple[DocumentResult, Document, bool]]
    ready: list[_Ready] = field(default_factory=list)


class IngestPipeline:
    """Ingests documents into one store with one extractor (see the module docstring).

    With `overlap` (the default), a chunk's batches are written on a second thread while the
    next chunk is extracted: on Neo4j most of a write is waiting for the server, on the embedded
    store for fsync, and that time is otherwise lost. Only one thread touches the store at a
    time: the next chunk's unchanged-check reads the graph before the previous chunk's writes
    start, and extraction does not touch the store.
    """

    def __init__(
        self,
        store: GraphStore,
        extractor: Extractor,
        *,
        chunk_size: int = CHUNK_DOCUMENTS,
        force: bool = False,
        clock: Callable[[], str] = now_iso,
        overlap: bool = True,
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self.store = store
        self.extractor = extractor
        self.chunk_size = chunk_size
        self.force = force
        self.clock = clock
        self.overlap = overlap
        self._seen: set[str] = set()
        # What this run has learnt of the graph, kept up to date with its own writes, so that
        # each node and each (node, relationship type) is read once per run and not once per
        # chunk: hub nodes (country:CHN) and oft-repeated facts carry evidence from every
        # document, and reading it all back for every chunk would grow with the corpus.
        self._nodes: dict[str, KnownNode | None] = {}
        self._rels: dict[RelKey, RelState] = {}
        self._expanded: set[tuple[str, str]] = set()

    def ingest(self, items: Iterable[Read]) -> Iterator[DocumentResult]:
        """One result per input, in input order, as each chunk is written."""
        previous: _Chunk | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="techgraph-ingest") as pool:
            for items_of_chunk in self._chunks(items):
                current = self._check(items_of_chunk)  # reads the graph: no write in flight
                writing = None
                if previous is not None:
                    if self.overlap:
                        writing = pool.submit(self._write_chunk, previous)
                    else:
                        self._write_chunk(previous)
                self._extract_chunk(current)  # meanwhile, previous chunk's writes
                if previous is not None:
                    if writing is not None:
                        writing.result()  # re-raises what the writes raised
                    yield from previous.results
                previous = current
            if previous is not None:
                self._write_chunk(previous)
                yield from previous.results

    def _chunks(self, items: Iterable[Read]) -> Iterator[list[Read]]:
        chunk: list[Read] = []
        documents = chars = 0
        for item in items:
            chunk.append(item)
            if isinstance(item, Document):
                documents += 1
                chars += len(item.text)
            if documents >= self.chunk_size or chars >= CHUNK_CHARS:
                yield chunk
                chunk, documents, chars = [], 0, 0
        if chunk:
            yield chunk

    # -- one chunk -----------------------------------------------------------------------------

    def _check(self, items: Sequence[Read]) -> _Chunk:
        """Results for every input; the documents to extract are those new or changed."""
        results: list[DocumentResult] = []
        todo: list[tuple[DocumentResult, Document, bool]] = []
        docs = [i for i in items if isinstance(i, Document)]
        stored = self.store.get_nodes([document_id(d.key) for d in docs]) if docs else {}
        for item in items:
            if isinstance(item, DocumentError):
                results.append(
                    DocumentResult(item.name, item.path, Status.FAILED, None, item.reason)
                )
                continue
            if isinstance(item, Skipped):
                reason = f"unsupported file type {item.suffix}"
                results.append(DocumentResult(item.name, item.path, Status.SKIPPED, None, reason))
                continue
            doc_id = document_id(item.key)
            result = DocumentResult(
                item.name, item.path, Status.UNCHANGED, doc_id, words=count_words(item.text)
            )
            results.append(result)
            previous = stored.get(doc_id)
            if doc_id in self._seen:
                result.reason = "given more than once; ingested once"
            elif (
                not self.force
                and previous is not None
                and previous.props.get("content_sha256") == item.content_sha256
            ):
                result.reason = "same content as when it was ingested"
            else:
                todo.append((result, item, previous is not None))
            self._seen.add(doc_id)
        return _Chunk(results, todo)

    def _extract_chunk(self, chunk: _Chunk) -> None:
        """Extract the chunk's new and changed documents (no store access: see overlap)."""
        if not chunk.todo:
            return
        extractions = self._extract([doc.text for _, doc, _ in chunk.todo])
        for (result, doc, existed), extraction in zip(chunk.todo, extractions, strict=True):
            if isinstance(extraction, str):
                result.status = Status.FAILED
                result.reason = extraction
            else:
                result.extraction = extraction
                chunk.ready.append(_Ready(result, doc, extraction, existed))

    def _write_chunk(self, chunk: _Chunk) -> None:
        """Write the extracted documents, each replacing its earlier version, several to a
        transaction (store.write_documents; at most GROUP_FACTS facts): on Neo4j a commit costs
        about as much as a small document's statements. A group the schema refuses is written
        again one document per transaction, so that only the documents at fault fail."""
        if not chunk.ready:
            return
        self._learn(chunk.ready)
        group: list[tuple[_Ready, BuiltBatch]] = []
        facts = 0
        for item in chunk.ready:
            built = self._build(item)
            # What the next document of the group must see, as if this one were written.
            self._remember(built, item.doc_id, item.existed)
            group.append((item, built))
            facts += len(built.batch)
            if facts >= GROUP_FACTS:
                self._write_group(group)
                group, facts = [], 0
        if group:
            self._write_group(group)

    def _write_group(self, group: Sequence[tuple[_Ready, BuiltBatch]]) -> None:
        try:
            self.store.write_documents([(b.batch, item.doc_id) for item, b in group])
        except SchemaViolation as exc:
            # Nothing of the group was written: what the run remembered of it goes (the
            # documents built after this, here or in later groups, learn the graph again), and
            # each document is built again and written on its own.
            self._nodes.clear()
            self._rels.clear()
            self._expanded.clear()
            if len(group) == 1:
                self._failed(group[0][0].result, exc)
                return
            for item, _ in group:
                self._write_alone(item)
            return
        for item, built in group:
            self._done(item.result, built)

    def _write_alone(self, item: _Ready) -> None:
        built = self._build(item)
        try:
            self.store.write(built.batch, replace_source=item.doc_id)
        except SchemaViolation as exc:
            self._failed(item.result, exc)
            return
        self._remember(built, item.doc_id, item.existed)
        self._done(item.result, built)

    def _learn(self, items: Sequence[_Ready]) -> None:
        """Read what the graph holds of the documents' entities and candidate facts."""
        ids: set[str] = set()
        candidates: set[RelKey] = set()
        for item in items:
            ids.update(m.id for m in item.extraction.mentions)
            for r in item.extraction.relations:
                ids.update((r.source, r.target))
                if not r.negated:
                    candidates.add((r.source, r.type, r.target))
        self._learn_nodes(ids)
        self._learn_relations(candidates)

    def _build(self, item: _Ready) -> BuiltBatch:
        # Reads nothing while the run knows all the document needs (the chunk's _learn), only
        # after a refused group made it forget.
        self._learn([item])
        return build_batch(
            item.doc,
            item.doc_id,
            item.extraction,
            self.extractor,
            self._nodes,
            self._rels,
            self.store,
            ingested_at=self.clock(),
        )

    @staticmethod
    def _failed(result: DocumentResult, exc: SchemaViolation) -> None:
        result.status = Status.FAILED
        result.reason = f"its facts were refused by the schema, nothing written: {exc}"

    @staticmethod
    def _done(result: DocumentResult, built: BuiltBatch) -> None:
        result.status = Status.INGESTED
        result.reason = None
        result.names = built.names
        result.discovered = built.discovered
        result.written = built.written
        result.statement_keys = built.statement_keys
        result.notes = built.notes

    def _learn_nodes(self, ids: set[str]) -> None:
        unknown = sorted(i for i in ids if i not in self._nodes)
        if not unknown:
            return
        found = self.store.get_nodes(unknown)
        for node_id in unknown:
            node = found.get(node_id)
            self._nodes[node_id] = KnownNode.of(node) if node is not None else None

    def _learn_relations(self, keys: set[RelKey]) -> None:
        """Read the relationships the graph holds around the candidate facts (both directions
        of the symmetric ones): what the hedge and direction rules need."""
        schema = self.store.schema
        wanted = {
            (origin, rtype)
            for source, rtype, target in keys
            if rtype in schema.relationship_types
            for origin in ((source, target) if rtype in SYMMETRIC else (source,))
        } - self._expanded
        if not wanted:
            return
        origins = sorted({o for o, _ in wanted})
        types = sorted({t for _, t in wanted})
        rows = self.store.expand(origins, [Step(t, Direction.OUT) for t in types])
        for _, neighbour in rows:
            rel = neighbour.relationship
            self._rels.setdefault(rel.key, RelState.of(rel))
        self._expanded.update((o, t) for o in origins for t in types)

    def _remember(self, built: BuiltBatch, doc_id: str, existed: bool) -> None:
        """After a write, what later documents of the run must see of it."""
        for node in built.batch.nodes:
            if node.id != doc_id:
                self._nodes[node.id] = KnownNode(node.name, node.props.get("discovered") is True)
        if existed:  # the write forgot the earlier version's evidence
            for key, state in list(self._rels.items()):
                if doc_id in state.sources:
                    state.sources.discard(doc_id)
                    if not state.sources:
                        del self._rels[key]
        for key, rel in built.written.items():
            state = self._rels.setdefault(key, RelState(None, set()))
            state.sources.add(doc_id)
            hedged = rel.props.get("hedged")
            if isinstance(hedged, bool):
                state.hedged = hedged

    def _extract(self, texts: list[str]) -> list[Extraction | str]:
        """Extractions in order; a text the extractor fails on becomes its reason (a str).

        Long texts go to the extractor in segments (see `segments`), all of the chunk's segments
        in one extract_many call; the offsets are shifted back into the whole text."""
        pieces = [segments(text) for text in texts]
        flat = [segment for parts in pieces for _, segment in parts]
        try:
            extracted = list(self.extractor.extract_many(flat))
            if len(extracted) != len(flat):
                raise RuntimeError(
                    f"extract_many returned {len(extracted)} extractions for {len(flat)} texts"
                )
        except Exception:
            return [self._extract_one(parts) for parts in pieces]  # find out which text failed
        out: list[Extraction | str] = []
        at = 0
        for parts in pieces:
            out.append(_merge([offset for offset, _ in parts], extracted[at : at + len(parts)]))
            at += len(parts)
        return out

    def _extract_one(self, parts: list[tuple[int, str]]) -> Extraction | str:
        try:
            return _merge([o for o, _ in parts], [self.extractor.extract(t) for _, t in parts])
        except Exception as exc:  # an extractor bug on one text must not stop the others
            return f"extraction failed ({type(exc).__name__}: {exc})"


# -- building one document's batch --------------------------------------------------------------


def build_batch(
    doc: Document,
    doc_id: str,
    extraction: Extraction,
    extractor: Extractor,
    nodes: Mapping[str, KnownNode | None],
    stored_rels: Mapping[RelKey, RelState],
    store: GraphStore,
    *,
    ingested_at: str,
) -> BuiltBatch:
    """The facts of one document (see the module docstring for the rules).

    `nodes` says what the graph holds of the ids the extraction names (None: nothing);
    `stored_rels` what it holds of the candidate facts (absent: nothing). Nothing is written.
    """
    schema = store.schema
    name, version = extractor.name, extractor.version
    notes: list[str] = []
    batch = FactBatch()
    doc_props: dict[str, PropertyValue] = {
        "path": doc.path,
        "content_sha256": doc.content_sha256,
        "words": count_words(doc.text),
        "ingested_at": ingested_at,
        "format": doc.format,
    }
    batch.nodes.append(
        Node(doc_id, doc.name, (), doc_props, (Provenance(doc_id, name, version, 1.0),))
    )

    # Entities: one node and one MENTIONS edge each, however often they are mentioned.
    mention_targets = schema.relationship_type(MENTIONS).targets
    by_id: dict[str, list[Mention]] = defaultdict(list)
    for m in extraction.mentions:
        try:
            node_type = schema.node_type_of(m.id).name
        except SchemaViolation as exc:
            notes.append(f"mention {m.text!r} left out: {exc.message}")
            continue
        if node_type not in mention_targets:
            notes.append(f"mention {m.text!r} left out: a {node_type} cannot be mentioned")
            continue
        by_id[m.id].append(m)
    names: dict[str, str] = {}
    discovered: set[str] = set()
    for entity_id, mentions in by_id.items():
        first = min(mentions, key=lambda m: m.start)
        stored = nodes.get(entity_id)
        is_discovered = (
            stored.discovered if stored is not None else any(m.discovered for m in mentions)
        )
        confidence = max(m.confidence for m in mentions)
        if is_discovered:
            confidence = min(confidence, DISCOVERED_CONFIDENCE)
            discovered.add(entity_id)
        prov = Provenance(doc_id, name, version, confidence, start=first.start, end=first.end)
        node_name = stored.name if stored is not None else first.name
        names[entity_id] = node_name
        if is_discovered:
            batch.nodes.append(Node(entity_id, node_name, (), {"discovered": True}, (prov,)))
        elif stored is not None:
            batch.nodes.append(Node(entity_id, node_name))  # as the graph has it: no renaming
        else:
            # Named by the extractor's gazetteer, absent from the graph (loaded elsewhere, or
            # deleted since): provenance from the document lets forgetting it remove it again.
            batch.nodes.append(Node(entity_id, node_name, (), {}, (prov,)))
        forms = list(dict.fromkeys(m.text for m in mentions))[:MAX_FORMS]
        batch.relationships.append(
            Relationship(
                doc_id, MENTIONS, entity_id, {"mentions": len(mentions), "forms": forms}, (prov,)
            )
        )

    # Relations: negated ones are not facts; the rest grouped by the key they are written under.
    statements: dict[RelKey, list[tuple[int, ExtractedRelation]]] = defaultdict(list)
    statement_keys: dict[int, RelKey] = {}
    for index, r in enumerate(extraction.relations):
        if r.negated:
            continue
        where = f"{r.source} -[{r.type}]-> {r.target}"
        missing = [e for e in (r.source, r.target) if e not in names]
        if missing:
            notes.append(f"relation {where} left out: {', '.join(missing)} not among the mentions")
            continue
        if r.source == r.target:
            notes.append(f"relation {where} left out: it joins an entity to itself")
            continue
        try:
            schema.validate_relationship(Relationship(r.source, r.type, r.target))
        except SchemaViolation as exc:
            notes.append(f"relation left out: {exc.message}")
            continue
        key = _oriented((r.source, r.type, r.target), stored_rels)
        statements[key].append((index, r))
        statement_keys[index] = key
    written: dict[RelKey, Relationship] = {}
    for key, stated in statements.items():
        provenance = tuple(
            dict.fromkeys(
                Provenance(
                    doc_id,
                    name,
                    version,
                    min(r.confidence, HEDGED_CONFIDENCE) if r.hedged else r.confidence,
                    sentence=r.sentence,
                    start=r.start,
                    end=r.end,
                )
                for _, r in stated
            )
        )
        props: dict[str, PropertyValue] = {}
        all_hedged = all(r.hedged for _, r in stated)
        before = _assertion_elsewhere(stored_rels.get(key), doc_id)
        if all_hedged and before != "asserted":
            props["hedged"] = True
        elif not all_hedged and before == "hedged":
            props["hedged"] = False
        rel = Relationship(key[0], key[1], key[2], props, provenance)
        batch.relationships.append(rel)
        written[key] = rel
    return BuiltBatch(batch, names, discovered, written, statement_keys, notes)


def _oriented(key: RelKey, stored_rels: Mapping[RelKey, RelState]) -> RelKey:
    """The key a fact is written under: a symmetric one in the direction the graph has."""
    source, rtype, target = key
    if rtype not in SYMMETRIC:
        return key
    reverse = (target, rtype, source)
    if key in stored_rels:
        return key
    if reverse in stored_rels:
        return reverse
    return (min(source, target), rtype, max(source, target))


def _assertion_elsewhere(state: RelState | None, doc_id: str) -> str | None:
    """How the graph holds a fact apart from this document's own earlier version (which the
    write forgets): None (not at all), "hedged" or "asserted"."""
    if state is None or not state.sources - {doc_id}:
        return None
    return "hedged" if state.hedged is True else "asserted"
