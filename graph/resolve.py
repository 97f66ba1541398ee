"""From what a user types (an id, a name, an alias, a demonym) to the entity it means.

The same resolver serves the CLI, the API and the importers, on either backend: it is built from
the store's list of names (`GraphStore.entity_names`). A miss comes with fuzzy suggestions
(rapidfuzz); a name that fits several entities lists them instead of guessing.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from .errors import Ambiguous, NotFound

# Endings that name a legal form, not the firm: "Huawei Technologies Co., Ltd." is "Huawei
# Technologies". Compared after lower-casing and replacing punctuation by spaces.
LEGAL_SUFFIXES = (
    "co ltd",
    "company limited",
    "co limited",
    "corporation",
    "corp",
    "incorporated",
    "inc",
    "limited",
    "ltd",
    "llc",
    "plc",
    "ag",
    "gmbh",
    "se",
    "sa",
    "s a",
    "nv",
    "n v",
    "bv",
    "b v",
    "kk",
    "k k",
    "co",
    "company",
    "holdings",
    "holding",
    "group",
    "ab",
    "oyj",
    "asa",
    "spa",
    "s p a",
    "pte",
    "pty",
    "srl",
)
_SUFFIX_RE = re.compile(r"(?:\s+(?:" + "|".join(re.escape(s) for s in LEGAL_SUFFIXES) + r"))+$")
_NON_WORD = re.compile(r"[^\w]+")
# Fuzzy matches below this WRatio score (0-100) are not offered as suggestions: at 80, one
# typo in a short name ("Huawey", "Ericson") still scores above, unrelated names fall below.
SUGGESTION_CUTOFF = 80.0


def normalize(text: str) -> str:
    """Case-, accent- and punctuation-folded form used as the lookup key."""
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    folded = _NON_WORD.sub(" ", folded.replace("&", " and ")).strip()
    folded = re.sub(r"^the\s+", "", folded)
    stripped = _SUFFIX_RE.sub("", folded).strip()
    return stripped or folded


def _similarity(query: str, key: str, *, score_cutoff: float | None = None, **_: object) -> float:
    """WRatio, except that very short keys ("us", "eu") must match as a whole: WRatio's
    partial matching would otherwise offer them for any query that contains their letters."""
    if min(len(query), len(key)) < 4:
        return float(fuzz.ratio(query, key, score_cutoff=score_cutoff))
    return float(fuzz.WRatio(query, key, score_cutoff=score_cutoff))


@dataclass(frozen=True)
class EntityRef:
    id: str
    name: str

    @property
    def type_prefix(self) -> str:
        return self.id.split(":", 1)[0]


class Resolver:
    def __init__(self, entries: Iterable[tuple[str, str, Iterable[str]]]) -> None:
        self._by_id: dict[str, EntityRef] = {}
        self._by_key: dict[str, set[str]] = defaultdict(set)
        for node_id, name, aliases in entries:
            self._by_id[node_id] = EntityRef(node_id, name)
            for label in (name, *aliases):
                key = normalize(label)
                if key:
                    self._by_key[key].add(node_id)
        self._keys = list(self._by_key)

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, node_id: str) -> EntityRef | None:
        return self._by_id.get(node_id)

    def lookup(self, text: str, prefixes: Iterable[str] | None = None) -> list[EntityRef]:
        """Every entity whose id, name or alias is `text` (after normalising), best first."""
        text = text.strip()
        wanted = set(prefixes) if prefixes else None
        if text in self._by_id:
            hits = [self._by_id[text]]
        elif re.fullmatch(r"[A-Z]{3}", text) and f"country:{text}" in self._by_id:
            hits = [self._by_id[f"country:{text}"]]
        else:
            ids = self._by_key.get(normalize(text), set())
            hits = sorted((self._by_id[i] for i in ids), key=lambda e: (e.name, e.id))
        return [h for h in hits if wanted is None or h.type_prefix in wanted]

    def suggest(
        self, text: str, limit: int = 5, prefixes: Iterable[str] | None = None
    ) -> list[EntityRef]:
        """Entities with names close to `text` (rapidfuzz WRatio >= SUGGESTION_CUTOFF)."""
        wanted = set(prefixes) if prefixes else None
        found: dict[str, EntityRef] = {}
        matches = process.extract(
            normalize(text),
            self._keys,
            scorer=_similarity,
            limit=limit * 4,
            score_cutoff=SUGGESTION_CUTOFF,
        )
        for key, _score, _ in matches:
            for node_id in sorted(self._by_key[key]):
                ref = self._by_id[node_id]
                if wanted is None or ref.type_prefix in wanted:
                    found.setdefault(node_id, ref)
        return list(found.values())[:limit]

    def resolve(self, text: str, prefixes: Iterable[str] | None = None) -> EntityRef:
        """Exactly one entity for `text`, or NotFound (with suggestions) / Ambiguous."""
        prefixes = list(prefixes) if prefixes else None
        hits = self.lookup(text, prefixes)
        if len(hits) == 1:
            return hits[0]
        if hits:
            listed = "; ".join(f"{h.id} ({h.name})" for h in hits)
            raise Ambiguous(
                f"{text!r} fits {len(hits)} entities: {listed}. Give the id instead.",
                [(h.id, h.name) for h in hits],
            )
        close = self.suggest(text, prefixes=prefixes)
        hint = (
            " Did you mean " + ", ".join(f"{c.name} ({c.id})" for c in close) + "?"
            if close
            else " Search with `techgraph resolve NAME`, or load the data that holds it."
        )
        kind = f" of type {'/'.join(prefixes)}" if prefixes else ""
        raise NotFound(
            f"no entity{kind} called {text!r} in the graph.{hint}", [(c.id, c.name) for c in close]
        )
