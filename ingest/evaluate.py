"""Measure an extractor against the gold standard (docs/extraction.md, "Measuring").

Per document, entities are compared as sets of ids and relations as sets of (source, type,
target) among the non-negated ones, with both ends of COOPERATES_WITH sorted. Counts are kept per
entity type and per relationship type and summed over all documents (micro-average). Negation
and hedging are reported apart: how many negated gold statements the extractor asserted anyway,
and how well the hedge flag agrees on the relations both sides found.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import Extraction, Extractor
from .nlp import node_type

CORPUS_DIR = Path(__file__).with_name("corpus")
BRIEFS_DIR = CORPUS_DIR / "briefs"
GOLD_DIR = CORPUS_DIR / "gold"
SYMMETRIC = frozenset({"COOPERATES_WITH"})
# Targets from docs/extraction.md.
ENTITY_F1_TARGET = 0.90
RELATION_F1_TARGET = 0.70

Triple = tuple[str, str, str]


def relation_key(source: str, rel_type: str, target: str) -> Triple:
    """(source, type, target), with the ends of a symmetric relationship sorted."""
    if rel_type in SYMMETRIC and target < source:
        source, target = target, source
    return (source, rel_type, target)


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass(frozen=True)
class GoldRelation:
    source: str
    type: str
    target: str
    negated: bool = False
    hedged: bool = False
    sentence: str = ""

    @property
    def key(self) -> Triple:
        return relation_key(self.source, self.type, self.target)


@dataclass(frozen=True)
class GoldDocument:
    document: str
    entities: Mapping[str, str]  # id -> node type
    relations: tuple[GoldRelation, ...]


@dataclass
class DocumentResult:
    """What one document got right and wrong (kept for --errors and for tests)."""

    document: str
    entity_fp: list[str] = field(default_factory=list)
    entity_fn: list[str] = field(default_factory=list)
    relation_fp: list[Triple] = field(default_factory=list)
    relation_fn: list[Triple] = field(default_factory=list)
    negated_asserted: list[Triple] = field(default_factory=list)


@dataclass
class Report:
    entities: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    relations: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    documents: list[DocumentResult] = field(default_factory=list)
    negated_gold: int = 0  # negated statements in the gold
    negated_asserted: int = 0  # ... of which the extractor asserted (non-negated)
    negated_flagged: int = 0  # ... of which the extractor found, flagged negated
    hedged_gold: int = 0  # hedged gold relations (non-negated)
    hedged_found: int = 0  # ... that the extractor found at all
    hedged_flagged: int = 0  # ... found and flagged hedged
    hedged_false: int = 0  # found relations flagged hedged that the gold asserts plainly
    words: int = 0

    @property
    def entity_total(self) -> Counts:
        return _total(self.entities.values())

    @property
    def relation_total(self) -> Counts:
        return _total(self.relations.values())

    def meets_targets(self) -> bool:
        return (
            self.entity_total.f1 >= ENTITY_F1_TARGET
            and self.relation_total.f1 >= RELATION_F1_TARGET
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": len(self.documents),
            "words": self.words,
            "entities": {
                "by_type": {k: v.as_dict() for k, v in sorted(self.entities.items())},
                "micro": self.entity_total.as_dict(),
            },
            "relations": {
                "by_type": {k: v.as_dict() for k, v in sorted(self.relations.items())},
                "micro": self.relation_total.as_dict(),
            },
            "negation": {
                "gold_negated": self.negated_gold,
                "wrongly_asserted": self.negated_asserted,
                "flagged_negated": self.negated_flagged,
            },
            "hedging": {
                "gold_hedged": self.hedged_gold,
                "found": self.hedged_found,
                "flagged_hedged": self.hedged_flagged,
                "flagged_but_asserted_in_gold": self.hedged_false,
            },
            "targets": {
                "entity_f1": ENTITY_F1_TARGET,
                "relation_f1": RELATION_F1_TARGET,
                "met": self.meets_targets(),
            },
            "errors": [
                {
                    "document": d.document,
                    "entity_fp": d.entity_fp,
                    "entity_fn": d.entity_fn,
                    "relation_fp": [list(t) for t in d.relation_fp],
                    "relation_fn": [list(t) for t in d.relation_fn],
                    "negated_asserted": [list(t) for t in d.negated_asserted],
                }
                for d in self.documents
            ],
        }


def _total(counts: Iterable[Counts]) -> Counts:
    total = Counts()
    for c in counts:
        total.add(c)
    return total


def _entity_type(node_id: str, given: str | None = None) -> str:
    return given or node_type(node_id) or node_id.partition(":")[0]


def load_gold(path: Path) -> GoldDocument:
    """One gold file (the format of docs/extraction.md), with a message naming a bad field."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entities = {e["id"]: _entity_type(e["id"], e.get("type")) for e in data["entities"]}
        relations = tuple(
            GoldRelation(
                source=r["source"],
                type=r["type"],
                target=r["target"],
                negated=bool(r.get("negated", False)),
                hedged=bool(r.get("hedged", False)),
                sentence=r.get("sentence", ""),
            )
            for r in data.get("relations", [])
        )
        return GoldDocument(data.get("document", path.stem + ".md"), entities, relations)
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a gold file ({exc.__class__.__name__}: {exc})") from None


def corpus_pairs(briefs: Path = BRIEFS_DIR, gold: Path = GOLD_DIR) -> list[tuple[Path, Path]]:
    """(brief, gold) pairs: every brief that has a gold file of the same name, in name order."""
    pairs = []
    for brief in sorted(briefs.glob("*.md")):
        annotation = gold / f"{brief.stem}.json"
        if annotation.exists():
            pairs.append((brief, annotation))
    return pairs


def score_document(gold: GoldDocument, predicted: Extraction, report: Report) -> DocumentResult:
    """Add one document's counts to the report (the arithmetic of docs/extraction.md)."""
    result = DocumentResult(gold.document)
    report.words += predicted.words

    pred_entities = {m.id: m.type for m in predicted.mentions}
    for node_id in sorted(set(gold.entities) | set(pred_entities)):
        etype = gold.entities.get(node_id) or _entity_type(node_id, pred_entities.get(node_id))
        counts = report.entities[etype]
        if node_id in gold.entities and node_id in pred_entities:
            counts.tp += 1
        elif node_id in pred_entities:
            counts.fp += 1
            result.entity_fp.append(node_id)
        else:
            counts.fn += 1
            result.entity_fn.append(node_id)

    gold_rel = {r.key: r for r in gold.relations if not r.negated}
    gold_neg = {r.key for r in gold.relations if r.negated} - set(gold_rel)
    pred_rel: dict[Triple, bool] = {}  # key -> hedged
    pred_neg: set[Triple] = set()
    for rel in predicted.relations:
        key = relation_key(rel.source, rel.type, rel.target)
        if rel.negated:
            pred_neg.add(key)
        else:
            pred_rel[key] = pred_rel.get(key, True) and rel.hedged
    for key in sorted(set(gold_rel) | set(pred_rel)):
        counts = report.relations[key[1]]
        if key in gold_rel and key in pred_rel:
            counts.tp += 1
            if gold_rel[key].hedged:
                report.hedged_found += 1
                report.hedged_flagged += pred_rel[key]
            elif pred_rel[key]:
                report.hedged_false += 1
        elif key in pred_rel:
            counts.fp += 1
            result.relation_fp.append(key)
        else:
            counts.fn += 1
            result.relation_fn.append(key)
    report.hedged_gold += sum(1 for r in gold_rel.values() if r.hedged)
    report.negated_gold += len(gold_neg)
    for key in sorted(gold_neg):
        if key in pred_rel:
            report.negated_asserted += 1
            result.negated_asserted.append(key)
        elif key in pred_neg:
            report.negated_flagged += 1
    report.documents.append(result)
    return result


def evaluate(
    extractor: Extractor,
    pairs: Sequence[tuple[Path, Path]] | None = None,
) -> Report:
    """Run the extractor over the briefs (one nlp.pipe batch) and score it against the gold."""
    pairs = corpus_pairs() if pairs is None else pairs
    golds = [load_gold(g) for _, g in pairs]
    texts = [b.read_text(encoding="utf-8") for b, _ in pairs]
    report = Report()
    for gold, extraction in zip(golds, extractor.extract_many(texts), strict=True):
        score_document(gold, extraction, report)
    return report


def reference_entities() -> list[tuple[str, str, tuple[str, ...]]]:
    """(id, name, aliases and demonyms) of the shipped reference data: what the extractor needs
    to recognise, without opening a store (the eval must not depend on a user's graph)."""
    from .reference import load_reference

    out = []
    for node in load_reference().nodes:
        demonyms = node.props.get("demonyms") or ()
        extra = tuple(str(d) for d in demonyms) if isinstance(demonyms, list | tuple) else ()
        out.append((node.id, node.name, (*node.aliases, *extra)))
    return out
