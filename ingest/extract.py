"""Text -> Extraction: entity mentions resolved to node ids, and relations between them.

`SpacyExtractor` implements the Extractor protocol of ingest/model.py (docs/extraction.md is the
contract). Mentions come from three places, in this order of trust:

1. the gazetteer (ingest/nlp.py): every name, alias and demonym in the graph;
2. abbreviations the document defines ("... in the United States (CFIUS)"): the short form is an
   alias of the long one for the rest of that document;
3. the statistical NER (with a model only): ORG spans the gazetteer did not explain, resolved to a
   known node (exact name after normalising, then a close spelling) or else discovered as a new
   `firm:<slug>` with `discovered=True` and a lower confidence;
4. context (with a model only): the small NER misses or mislabels many firms ("Megvii" as a
   place, "Bosch" as a person), so capitalised names that the sentence presents as firms (listed
   with firms, after a firm noun, before a firm description or "of <country>") are discovered
   too. People, dates, money and places are never firms on their own.

Relations are left to ingest/relations.py.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from multiprocessing.pool import Pool

from rapidfuzz import fuzz, process
from spacy.tokens import Doc, Span, Token

from techgraph.graph.resolve import LEGAL_SUFFIXES, Resolver, normalize
from techgraph.graph.store import GraphStore

from .model import Extraction, Mention
from .nlp import Gazetteer, Pipeline, Tokens, load_pipeline, node_type
from .relations import FIRM_NOUNS_CORE, Ent, extract_relations

EXTRACTOR_NAME = "techgraph-spacy"
EXTRACTOR_VERSION = "0.1.0"

# Confidence of a mention by how it was found.
CONF_GAZETTEER = 1.0
CONF_ABBREVIATION = 0.95  # defined in the document itself
CONF_RESOLVED = 0.9  # an NER span whose normalised name is a known name or alias
CONF_FUZZY = 0.8  # an NER span close in spelling to a known name
CONF_DISCOVERED = 0.6  # an NER span that names nothing in the graph

# Close spellings: fuzz.ratio (normalised Levenshtein similarity, 0-100) between the normalised
# NER text and a known normalised name. At 90, one typo in a name of 7+ characters still
# resolves ("Ericson" 93, "Qualcom" 93, "Huawey Technologies" 95), while two firms that share a
# word stay apart ("Samsung Biologics" vs "Samsung Electronics" 72, "China Telecom" vs "China
# Mobile" 64). WRatio is not used here: it scores a name that merely contains another ("Samsung
# Biologics" / "Samsung") at 90. Below 7 characters one edit is too large a share of the name
# ("Intela" vs "Intel" is 91 and another firm), so short names must match exactly.
FUZZY_THRESHOLD = 90.0
FUZZY_MIN_CHARS = 7
# Only these kinds of node can be what an ORG span names.
ORG_PREFIXES = ("firm", "agency", "alliance")

# Head words of ORG spans that name institutions or instruments, not firms: a parliament, a
# ministry, a law, a list. The gazetteer knows the agencies the graph holds; the others are not
# firms and are not invented as such.
NON_FIRM_WORDS = frozenset(
    [
        "act",
        "acts",
        "administration",
        "agency",
        "army",
        "assembly",
        "authority",
        "board",
        "bureau",
        "cabinet",
        "commission",
        "committee",
        "congress",
        "council",
        "court",
        "department",
        "directive",
        "force",
        "forces",
        "government",
        "house",
        "initiative",
        "institute",
        "institutes",
        "list",
        "ministry",
        "navy",
        "office",
        "parliament",
        "party",
        "police",
        "programme",
        "program",
        "regulation",
        "regulations",
        "regime",
        "rule",
        "rules",
        "senate",
        "strategy",
        "summit",
        "treaty",
        "union",
        "university",
        "agreement",
        "dialogue",
        "declaration",
        "framework",
        "alliance",
        "coalition",
        "forum",
        "user",
        "users",
        "status",
        "licence",
        "license",
        "treasury",
        "secretary",
    ]
)
# Words that end a firm's name rather than extend it ("Huawei chairman", "Samsung said").
_ROLE_WORDS = frozenset(
    [
        "chairman",
        "chairwoman",
        "chair",
        "ceo",
        "cfo",
        "cto",
        "chief",
        "president",
        "founder",
        "executive",
        "executives",
        "director",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "said",
        "says",
        "told",
        "founder",
        "board",
        "shareholders",
        "employees",
    ]
)
_ABBR_RE = re.compile(r"^(?=(?:.*[A-Z]){2})[A-Z][A-Za-z0-9&.\-]{1,11}$")
_SLUG_RE = re.compile(r"[^a-z0-9]+")
_LEADING_DET = frozenset({"the", "a", "an", "its", "their", "this", "that"})


def slug(name: str) -> str:
    """The key of a discovered firm's id (docs/extraction.md): normalise, then runs of anything
    but a-z and 0-9 become one hyphen. "Zhongxing Microwave Co., Ltd." -> "zhongxing-microwave"."""
    return _SLUG_RE.sub("-", normalize(name)).strip("-")


@dataclass(frozen=True)
class _Cand:
    """A mention before it becomes a Mention: token range, node id and how it was found."""

    start: int
    end: int
    id: str
    type: str
    discovered: bool = False
    confidence: float = CONF_GAZETTEER
    name: str | None = None  # for discovered entities: the name as written


@dataclass(frozen=True)
class Resolved:
    """What a name resolved to (see SpacyExtractor.resolve_org_name)."""

    id: str
    type: str
    discovered: bool
    confidence: float
    name: str | None = None


class SpacyExtractor:
    """The Extractor of docs/extraction.md on spaCy: gazetteer, NER discovery, relation rules."""

    name = EXTRACTOR_NAME
    version = EXTRACTOR_VERSION

    def __init__(
        self,
        entities: GraphStore | Iterable[tuple[str, str, Sequence[str]]],
        use_model: bool | None = None,
        batch_size: int = 32,
        processes: int | None = 1,
    ) -> None:
        """entities: the graph (its `entity_names()`) or (id, name, aliases) triples. Both the
        gazetteer and the resolver are built here, once; extraction then only reads them.

        processes: with more than one, `extract_many` spreads its texts over that many worker
        processes (see `extract_many`); 1 extracts in this process; None chooses (see
        `default_processes`)."""
        if processes is not None and processes < 1:
            raise ValueError("processes must be at least 1")
        rows = entities.entity_names() if isinstance(entities, GraphStore) else entities
        triples = [(i, n, tuple(a)) for i, n, a in rows if node_type(i) is not None and n]
        self.pipeline: Pipeline = load_pipeline(use_model)
        self.nlp = self.pipeline.nlp
        self.gazetteer = Gazetteer(self.nlp, triples)
        self.resolver = Resolver(triples)
        self.batch_size = batch_size
        # The close-spelling index: normalised names of the kinds an ORG span can name.
        fuzzy: dict[str, set[str]] = {}
        for node_id, name, aliases in triples:
            if node_id.partition(":")[0] in ORG_PREFIXES:
                for label in (name, *aliases):
                    key = normalize(label)
                    if len(key) >= FUZZY_MIN_CHARS:
                        fuzzy.setdefault(key, set()).add(node_id)
        self._fuzzy = fuzzy
        self._fuzzy_keys = sorted(fuzzy)
        self.processes = processes or default_processes(self.pipeline.has_model)
        self._pool: Pool | None = None

    @property
    def uses_model(self) -> bool:
        return self.pipeline.has_model

    # -- the protocol --------------------------------------------------------------------------

    def extract(self, text: str) -> Extraction:
        return self._from_doc(self.nlp(text))

    def extract_many(self, texts: Iterable[str]) -> Iterator[Extraction]:
        """Several texts at once through nlp.pipe (batched), in order.

        With `processes` > 1 the texts are dealt round-robin to worker processes, each running
        nlp.pipe and the rules on its share, and only the (small) extractions come back: spaCy's
        own `n_process` would send every parsed Doc back to be read here, on one core. The
        workers are forked from this process on first use (they inherit the loaded pipeline and
        gazetteer instead of loading them again), so the first call must not come from a process
        whose other threads hold locks (a web server's): the API keeps processes=1."""
        if self.processes == 1:
            yield from self._extract_here(texts)
            return
        batch = list(texts)
        if len(batch) < 2:
            yield from self._extract_here(batch)
            return
        n = min(self.processes, len(batch))
        shares = self._workers().map(_extract_in_worker, [batch[k::n] for k in range(n)])
        for i in range(len(batch)):
            yield shares[i % n][i // n]

    def _extract_here(self, texts: Iterable[str]) -> Iterator[Extraction]:
        for doc in self.nlp.pipe(texts, batch_size=self.batch_size):
            yield self._from_doc(doc)

    def _workers(self) -> Pool:
        if self._pool is None:
            # fork: a worker gets this extractor (initargs are not pickled when forking).
            context = multiprocessing.get_context("fork")
            pool = context.Pool(self.processes, initializer=_adopt, initargs=(self,))
            weakref.finalize(self, pool.terminate)
            self._pool = pool
        return self._pool

    def close(self) -> None:
        """Stop the worker processes, if any were started."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None

    # -- mentions ------------------------------------------------------------------------------

    def _from_doc(self, doc: Doc) -> Extraction:
        toks = Tokens(doc)  # the rules read token attributes from here (see Tokens)
        cands = self._mentions(toks)
        mentions = [self._mention(toks, c) for c in cands]
        ents = [Ent(c.start, c.end, c.id, c.type) for c in cands]
        relations = extract_relations(doc, ents, parsed=self.pipeline.has_model, tokens=toks)
        words = count_words(toks)
        return Extraction(mentions=mentions, relations=relations, words=words)

    def _mention(self, toks: Tokens, c: _Cand) -> Mention:
        text = toks.span_text(c.start, c.end)
        if c.discovered:
            name = c.name or text
        else:
            ref = self.resolver.get(c.id)
            name = ref.name if ref else text
        return Mention(
            id=c.id,
            type=c.type,
            name=name,
            text=text,
            start=toks.idx[c.start],
            end=toks.end_char(c.end),
            discovered=c.discovered,
            confidence=c.confidence,
        )

    def _mentions(self, toks: Tokens) -> list[_Cand]:
        doc = toks.doc
        cands = [
            _Cand(start, end, node_id, label)
            for start, end, label, node_id in self.gazetteer.matches(toks)
            if node_id and not (label == "Technology" and _in_title_of_law(toks, start, end))
        ]
        if self.pipeline.has_model:
            cands = self._add_ner(toks, cands)
            # twice: a name found in context is context for the next ("Megvii, Yitu and Huawei")
            cands = self._discover_in_context(doc, self._discover_in_context(doc, cands))
            cands = self._merge_bracketed(doc, cands)
            cands = self._repeat_discovered(doc, cands)
        else:
            cands = self._drop_extended_names(toks, cands)
        return self._abbreviations(toks, cands)

    def _discover_in_context(self, doc: Doc, cands: list[_Cand]) -> list[_Cand]:
        """Names the small NER model misses or mislabels ("Megvii" as a place, "Bosch" as a
        person) are firms where the sentence says so: listed with known firms ("SenseTime,
        Megvii, Yitu and iFlytek"), after a firm noun ("the Finnish start-up IQM Quantum
        Computers", "developers such as DeepSeek"), before a firm description ("Gotion High-Tech,
        a Chinese battery maker") or an origin ("Syrah Resources of Australia")."""
        # A capitalised technology word can end a firm's name ("IQM Quantum Computers"): such
        # matches do not stop a run of capitalised words, and are dropped if one takes them in.
        soft = [
            c
            for c in cands
            if c.type == "Technology"
            and all(t.is_title or t.is_upper for t in doc[c.start : c.end])
            and doc[c.end - 1].lower_ in FIRM_NAME_TAILS
        ]
        taken = {i for c in cands if c not in soft for i in range(c.start, c.end)}
        firm_at = {i: c for c in cands if c.type == "Firm" for i in range(c.start, c.end)}
        country_at = {i for c in cands if c.type == "Country" for i in range(c.start, c.end)}
        out = list(cands)
        for start, end in _proper_runs(doc, taken):
            # "IQM" before the NER's "Quantum Computers": one discovered name
            joined = next((c for c in out if c.discovered and c.start == end), None)
            if joined is not None and not _in_heading(doc, doc[start:end]):
                found = self.resolve_org_name(doc[start : joined.end].text)
                if found is not None and found.discovered:
                    out = [c for c in out if c is not joined]
                    out.append(
                        _Cand(
                            start, joined.end, found.id, "Firm", True, found.confidence, found.name
                        )
                    )
                    taken.update(range(start, end))
                    continue
            if _in_heading(doc, doc[start:end]) or (start - 1) in taken or end in taken:
                continue  # a heading, or more words of a name already found
            if not any(start <= c.start < end for c in soft) and any(
                c.start <= start < c.end for c in soft
            ):
                continue  # only the technology words themselves
            if not (
                _listed_with_firm(doc, start, end, firm_at)
                or _after_firm_noun(doc, start)
                or _before_description(doc, end)
                or _before_origin(doc, end, country_at)
            ):
                continue
            span = doc[start:end]
            found = self.resolve_org_name(span.text)
            if found is None or (found.discovered and not _firm_like(span, acronyms=True)):
                continue
            cand = _Cand(
                start, end, found.id, found.type, found.discovered, found.confidence, found.name
            )
            out = [c for c in out if not (c in soft and start <= c.start < end)]
            out.append(cand)
            taken.update(range(start, end))
            if cand.type == "Firm":
                for i in range(start, end):
                    firm_at[i] = cand
        return sorted(out, key=lambda c: c.start)

    def _merge_bracketed(self, doc: Doc, cands: list[_Cand]) -> list[_Cand]:
        """ "CSIC Pride (Nanjing) Cryogenic Technology" is one firm, though the NER reads two
        names and a place: two discovered names joined by a bracketed word become one."""
        out = list(cands)
        for a in cands:
            b = next((c for c in cands if c.start == a.end + 3), None)
            if (
                b is None
                or not (a.discovered and b.discovered)
                or doc[a.end].text != "("
                or doc[a.end + 2].text != ")"
            ):
                continue
            found = self.resolve_org_name(doc[a.start : b.end].text)
            if found is None or a not in out or b not in out:
                continue
            out = [c for c in out if c is not a and c is not b and not a.end <= c.start < b.start]
            out.append(
                _Cand(
                    a.start,
                    b.end,
                    found.id,
                    found.type,
                    found.discovered,
                    found.confidence,
                    found.name,
                )
            )
        return sorted(out, key=lambda c: c.start)

    def _repeat_discovered(self, doc: Doc, cands: list[_Cand]) -> list[_Cand]:
        """A discovered name stands for the same firm wherever the document repeats it, even where
        the NER missed it or the gazetteer saw a known name inside ("Zhongxing Microwave" is not
        ZTE, whose alias is "Zhongxing")."""
        found = [c for c in cands if c.discovered]
        if not found:
            return cands
        out = list(cands)
        for c in found:
            words = [t.text for t in doc[c.start : c.end]]
            # the name without its legal suffix: "Zhongxing Microwave Co., Ltd." -> 2 words
            while len(words) > 1 and normalize(" ".join(words[:-1])) == normalize(" ".join(words)):
                words.pop()
            n = len(words)
            for i in range(len(doc) - n + 1):
                if [t.text for t in doc[i : i + n]] != words:
                    continue
                if any(o.start <= i < o.end and o.discovered for o in out):
                    continue
                clash = [o for o in out if o.start < i + n and i < o.end]
                if any(o.start < i or o.end > i + n for o in clash):
                    continue
                out = [o for o in out if o not in clash]
                out.append(replace(c, start=i, end=i + n))
        return sorted(out, key=lambda c: c.start)

    def _drop_extended_names(self, toks: Tokens, cands: list[_Cand]) -> list[_Cand]:
        """Without NER, "Samsung Biologics" would read as Samsung Electronics: a known firm's
        name followed by further capitalised words that make another name is left out (it would be
        a wrong fact), unless the longer name is the same firm ("Huawei Technologies Co")."""
        taken = {i for c in cands for i in range(c.start, c.end)}
        kept: list[_Cand] = []
        for c in cands:
            if c.type == "Firm":
                end = _name_extension(toks, c.end, taken, parsed=False)
                if end > c.end:
                    hits = self.resolver.lookup(toks.span_text(c.start, end))
                    if not hits or hits[0].id != c.id:
                        continue
            kept.append(c)
        return kept

    def _add_ner(self, toks: Tokens, cands: list[_Cand]) -> list[_Cand]:
        """Fold the NER's ORG spans into the gazetteer's mentions (see the module docstring)."""
        doc = toks.doc
        by_token: dict[int, _Cand] = {}
        for c in cands:
            for i in range(c.start, c.end):
                by_token[i] = c
        out = list(cands)
        removed: set[int] = set()  # ids (python id()) of gazetteer candidates replaced
        for ent in doc.ents:
            span = _trim(ent)
            if span is None or _in_heading(doc, span):
                continue  # nothing left, or a Markdown heading (title case misleads the NER)
            if (
                span.end < len(doc)
                and doc[span.end].lower_ in _FIRM_NOUNS
                and doc[span.end].is_lower
                and span.start > 0
                and doc[span.start - 1].lower_ in ("a", "an")
            ):
                continue  # "a Hefei company": a place describing a firm
            inner = {
                id(by_token[i]): by_token[i] for i in range(span.start, span.end) if i in by_token
            }
            inside = list(inner.values())
            # A gazetteer match that sticks out of the NER span: the spans disagree; the
            # gazetteer's exact name wins.
            if any(c.start < span.start or c.end > span.end for c in inside):
                continue
            covered = sum(c.end - c.start for c in inside)
            if covered == span.end - span.start:
                continue  # the gazetteer explains the whole span
            # Not an organisation by the NER, but a known firm's name followed by more of a
            # proper name ("Samsung Biologics" read as PERSON) is still another firm.
            if ent.label_ != "ORG" and not (
                len(inside) == 1
                and inside[0].start == span.start
                and inside[0].type == "Firm"
                and ent.label_ in ("PERSON", "PRODUCT", "WORK_OF_ART", "FAC")
                and _name_extension(toks, inside[0].end, set(), parsed=True) >= span.end
            ):
                continue
            new = self._resolve_org(toks, span, inside)
            if new is None:
                continue
            for c in inside:
                removed.add(id(c))
            out.append(new)
        return sorted((c for c in out if id(c) not in removed), key=lambda c: c.start)

    def resolve_org_name(self, text: str) -> Resolved | None:
        """What an organisation's name means: the known node whose name or alias it is after
        normalising (legal suffixes, articles, case, accents), else the one it is a close
        spelling of (FUZZY_THRESHOLD), else a discovered `firm:<slug>`. None when the name fits
        several known entities (no guess) or has no slug."""
        hits = [h for h in self.resolver.lookup(text) if h.type_prefix in ORG_PREFIXES]
        if len(hits) == 1:
            return Resolved(hits[0].id, _type(hits[0].id), False, CONF_RESOLVED)
        if hits:
            return None
        key = normalize(text)
        if len(key) >= FUZZY_MIN_CHARS and self._fuzzy_keys:
            best = process.extractOne(
                key, self._fuzzy_keys, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD
            )
            if best is not None:
                ids = sorted(self._fuzzy[best[0]])
                if len(ids) > 1:
                    return None
                return Resolved(ids[0], _type(ids[0]), False, CONF_FUZZY)
        key = slug(text)
        if not key:
            return None
        return Resolved(f"firm:{key}", "Firm", True, CONF_DISCOVERED, _strip_det(text))

    def _resolve_org(self, toks: Tokens, span: Span, inside: list[_Cand]) -> _Cand | None:
        """What an ORG span that the gazetteer does not fully explain stands for, or None."""
        text = span.text
        known = [h for h in self.resolver.lookup(text) if h.type_prefix in ORG_PREFIXES]
        if len(known) != 1:
            # The span holds known names: it is a new name only if they are a country, demonym
            # or technology inside a firm's name ("China Telecom", "Semiconductor Manufacturing
            # ..."), or a known firm's name that it extends ("Samsung Biologics"). An agency, an
            # alliance or two firms inside mean the NER joined separate names.
            firms = [c for c in inside if c.type == "Firm"]
            if any(c.type in ("Agency", "Alliance") for c in inside):
                return None
            if firms and (len(firms) > 1 or firms[0].start != span.start):
                return None
            if firms:
                stop = _name_extension(toks, firms[0].end, set(), parsed=True)
                rest = span.doc[stop : span.end]
                if stop == firms[0].end or not all(
                    t.is_punct or t.lower_.rstrip(".") in _LEGAL_WORDS for t in rest
                ):
                    return None  # "ASML Holding N.V. of Veldhoven" is ASML, in Veldhoven
        found = self.resolve_org_name(text)
        context = _after_firm_noun(span.doc, span.start) or _before_description(span.doc, span.end)
        if found is None or (found.discovered and not _firm_like(span, acronyms=context)):
            return None
        return _Cand(
            span.start,
            span.end,
            found.id,
            found.type,
            found.discovered,
            found.confidence,
            found.name,
        )

    def _abbreviations(self, toks: Tokens, cands: list[_Cand]) -> list[_Cand]:
        """ "Long Name (ABBR)" and "ABBR (Long Name)" make ABBR an alias of Long Name for the rest
        of the document; the document's own definition beats the gazetteer's reading of ABBR."""
        texts = toks.text
        defined: dict[str, _Cand] = {}
        by_start = {c.start: c for c in cands}
        by_end = {c.end: c for c in cands}
        for c in cands:
            # Long Name ( ABBR )
            j = c.end
            if j + 2 < len(texts) and texts[j] == "(" and texts[j + 2] == ")":
                abbr = texts[j + 1]
                if _ABBR_RE.match(abbr) and normalize(abbr) != normalize(
                    toks.span_text(c.start, c.end)
                ):
                    defined.setdefault(abbr, c)
        for i in range(len(texts) - 3):
            # ABBR ( Long Name )
            if texts[i + 1] == "(" and _ABBR_RE.match(texts[i]):
                inner = by_start.get(i + 2)
                if (
                    inner is not None
                    and inner.end < len(texts)
                    and texts[inner.end] == ")"
                    and texts[i] not in defined
                    and by_end.get(i + 1) is None
                ):
                    defined.setdefault(texts[i], inner)
        if not defined:
            return cands
        out: list[_Cand] = []
        taken: dict[int, _Cand] = {}
        for c in cands:
            if c.end - c.start == 1 and texts[c.start] in defined:
                continue  # re-added below with the document's meaning
            out.append(c)
            for i in range(c.start, c.end):
                taken[i] = c
        for i, text in enumerate(texts):
            target = defined.get(text)
            if target is None or i in taken:
                continue
            out.append(
                replace(
                    target,
                    start=i,
                    end=i + 1,
                    confidence=min(target.confidence, CONF_ABBREVIATION),
                )
            )
        return sorted(out, key=lambda c: c.start)


def default_processes(model: bool) -> int:
    """Extraction processes for a batch ingest. With the statistical model, one per core this
    process may run on, at most 4 (each holds its own copy of spaCy's working memory): the
    model's parse is nearly all of an ingest's time, and 2 processes extract 1.7x as fast on 2
    cores. Rules only, 1: their extraction costs less than shipping texts and results between
    processes (2 processes were 0.7x as fast)."""
    return max(1, min(4, len(os.sched_getaffinity(0)))) if model else 1


# The extractor a worker process runs (set in each worker by `_adopt`, never in the parent).
_WORKER_EXTRACTOR: SpacyExtractor | None = None


def _adopt(extractor: SpacyExtractor) -> None:
    global _WORKER_EXTRACTOR
    _WORKER_EXTRACTOR = extractor
    extractor.processes = 1  # a worker extracts in itself
    extractor._pool = None


def _extract_in_worker(texts: list[str]) -> list[Extraction]:
    assert _WORKER_EXTRACTOR is not None, "not in an extraction worker"
    return list(_WORKER_EXTRACTOR._extract_here(texts))


def count_words(toks: Tokens) -> int:
    """Word tokens, a word being what a reader counts: "5G" (two tokens to spaCy) and
    "Huawei's" are one word each, punctuation is none."""
    words = 0
    starts = True  # whether a word token here starts a word (the previous token ends one)
    for lex, space_after in zip(toks.lex, toks.space_after, strict=True):
        if lex.is_punct or lex.is_space:
            starts = True
            continue
        if starts:
            words += 1
        starts = bool(space_after)
    return words


_LEGAL_WORDS = frozenset(w for s in LEGAL_SUFFIXES for w in s.split())
_LAW_WORDS = frozenset({"act", "law", "regulation", "directive", "bill", "statute", "order"})
_TITLE_GLUE = frozenset({"and", "of", "the", "for", "on", "in", "to", "&", "-"})


def _in_title_of_law(toks: Tokens, start: int, end: int) -> bool:
    """Whether words sit inside the title of a law ("the Secure and Trusted Communications
    Networks Act", "the CHIPS and Science Act"): there they name no technology."""
    lex = toks.lex
    if not all(t.is_title or t.is_upper or not t.is_alpha for t in lex[start:end]):
        return False
    j = end
    while j < len(lex) and (lex[j].is_title or lex[j].is_upper or lex[j].lower_ in _TITLE_GLUE):
        if lex[j].lower_ in _LAW_WORDS and lex[j].is_title:
            return True
        j += 1
    return False


def _type(node_id: str) -> str:
    found = node_type(node_id)
    if found is None:  # pragma: no cover - ORG_PREFIXES are all node types
        raise ValueError(node_id)
    return found


def _trim(ent: Span) -> Span | None:
    """An NER span without a leading article or a trailing possessive or punctuation."""
    start, end = ent.start, ent.end
    doc = ent.doc
    for tok in ent:  # a name does not run across a line break
        if "\n" in tok.text or ("\n" in tok.whitespace_ and tok.i + 1 < end):
            end = tok.i if "\n" in tok.text else tok.i + 1
            break
    while start < end and (doc[start].lower_ in _LEADING_DET or doc[start].is_punct):
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].lower_ in ("'s", "\u2019s", "'")):
        end -= 1
    if start >= end or not any(c.isalpha() for c in doc[start:end].text):
        return None
    return doc[start:end]


_OWNER_NOUNS = frozenset(
    {"subsidiary", "unit", "affiliate", "division", "arm", "parent", "shareholder", "owner"}
)
_NAME_GLUE = frozenset({"&", "-", "of", "for", "at", "the", "and"})
# Discovery also reads an organisation's name out of a partner or rival phrase ("its rival
# X", "start-up Y").
_FIRM_NOUNS = FIRM_NOUNS_CORE | {"partner", "rival", "rivals", "shareholder", "up"}


# Last words of firms' names that the gazetteer also knows as technologies.
FIRM_NAME_TAILS = frozenset(
    [
        "technology",
        "technologies",
        "computers",
        "computing",
        "systems",
        "networks",
        "semiconductor",
        "semiconductors",
        "electronics",
        "materials",
        "robotics",
        "communications",
        "devices",
        "instruments",
        "microsystems",
        "microelectronics",
    ]
)


def _proper_runs(doc: Doc, taken: set[int]) -> Iterator[tuple[int, int]]:
    """Maximal runs of capitalised words that no mention covers ("Tokyo Ohka Kogyo", "Moore
    Threads", "Hefei National Laboratory for Physical Sciences at the Microscale")."""
    i = 0
    n = len(doc)
    while i < n:
        tok = doc[i]
        if i in taken or not _capitalised(tok) or (tok.is_sent_start and tok.is_stop):
            i += 1
            continue
        j = i + 1
        while j < n and j not in taken:
            if _capitalised(doc[j]):
                j += 1
                continue
            # "CSIC Pride (Nanjing) Cryogenic Technology": a place in brackets inside a name
            if (
                j + 3 < n
                and doc[j].text == "("
                and _capitalised(doc[j + 1])
                and doc[j + 2].text == ")"
                and j + 3 not in taken
                and _capitalised(doc[j + 3])
            ):
                j += 3
                continue
            # glue words continue a name only when a capitalised word follows
            k = j
            while k < n and k not in taken and doc[k].lower_ in _NAME_GLUE and k - j < 2:
                k += 1
            if k > j and k < n and k not in taken and _capitalised(doc[k]):
                if doc[j].lower_ == "and" and doc[k - 1].lower_ == "and":
                    break  # "Megvii, Yitu and iFlytek" is a list, not one name
                j = k
                continue
            break
        yield i, j
        i = j


def _capitalised(tok: Token) -> bool:
    text = tok.text
    return (
        any(c.isupper() for c in text)
        and any(c.isalpha() for c in text)
        and not tok.is_punct
        and tok.pos_ in ("PROPN", "NOUN", "ADJ", "X", "")
    )


def _listed_with_firm(doc: Doc, start: int, end: int, firm_at: dict[int, _Cand]) -> bool:
    for step, edge in ((-1, start - 1), (1, end)):
        k = edge
        seps = 0
        while 0 <= k < len(doc) and doc[k].text in (",", "and", "or") and seps < 2:
            k += step
            seps += 1
        if seps and 0 <= k < len(doc) and k in firm_at:
            return True
    return False


def _after_firm_noun(doc: Doc, start: int) -> bool:
    """After a firm noun ("the start-up IQM"), a firm noun and "of" ("a subsidiary of TDK"), or
    a country's possessive ("Japan's TDK")."""
    if start >= 2 and doc[start - 1].lower_ == "of" and doc[start - 2].lower_ in _OWNER_NOUNS:
        return True
    if (
        start >= 2
        and doc[start - 1].lower_ in ("'s", "\u2019s")
        and doc[start - 2].ent_type_
        in (
            "GPE",
            "NORP",
        )
    ):
        return True
    k = start - 1
    if k >= 1 and doc[k].lower_ == "as" and doc[k - 1].lower_ == "such":
        k -= 2
    elif k >= 0 and doc[k].lower_ in ("including", "like"):
        k -= 1
    return k >= 0 and doc[k].lower_ in _FIRM_NOUNS and doc[k].is_lower


def _before_description(doc: Doc, end: int) -> bool:
    if end >= len(doc) or doc[end].text != ",":
        return False
    words = [t for t in doc[end + 1 : end + 9]]
    if not words or words[0].lower_ not in ("a", "an", "another", "the", "one"):
        return False
    for t in words[1:]:
        if t.lower_ in _FIRM_NOUNS and t.is_lower:
            return True
        if t.text in (",", ";", ".") or t.pos_ == "VERB":
            return False
    return False


def _before_origin(doc: Doc, end: int, country_at: set[int]) -> bool:
    return end + 1 < len(doc) and doc[end].lower_ == "of" and end + 1 in country_at


def _in_heading(doc: Doc, span: Span) -> bool:
    """Whether the span is on a Markdown heading line ("# The Global Race for Chip Subsidies").
    Walks back over tokens to the line start (doc.text would rebuild the whole text)."""
    i = span.start
    while i > 0:
        prev = doc[i - 1]
        if "\n" in prev.whitespace_ or "\n" in prev.text:
            break
        i -= 1
    return doc[i].text.startswith("#")


def _strip_det(text: str) -> str:
    return re.sub(r"^(?:the|The)\s+", "", text).strip()


def _firm_like(span: Span, acronyms: bool = False) -> bool:
    """Could this ORG span be a firm? Not an institution or a law ("Congress", "the Entity
    List"), not an undefined short acronym (NER reads "EUV", "DRAM" as ORG), not lower case."""
    words = [t for t in span if any(c.isalpha() for c in t.text)]
    if not words:
        return False
    if any(t.lower_ in NON_FIRM_WORDS for t in words):
        return False
    short = len(span) == 1 and span.text.isupper() and len(span.text) <= 5
    if short and not acronyms and "&" not in span.text:  # "AT&T" is a firm's name
        return False
    return not span.text.islower()


def _name_extension(toks: Tokens, end: int, taken: set[int], *, parsed: bool) -> int:
    """Where a proper name that starts before `end` really ends: the following capitalised words
    that are no other known name, no role ("chairman") and (with a parse) proper nouns."""
    j = end
    while j < len(toks):
        t = toks.lex[j]
        if j in taken or not t.is_alpha or not (t.is_title or t.is_upper):
            break
        if t.lower_ in _ROLE_WORDS or toks.sent_start[j]:
            break
        if parsed and toks.pos[j] != "PROPN":
            break
        j += 1
    return j
