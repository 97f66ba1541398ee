"""What text extraction produces, before it becomes graph facts (docs/extraction.md).

The extractor (ingest/extract.py) turns one text into an Extraction; the pipeline
(ingest/pipeline.py) turns Extractions into a FactBatch with provenance and writes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Mention:
    """One entity mention, resolved to a node id."""

    id: str
    type: str  # schema node type: Country, Firm, Agency, Alliance, Technology
    name: str  # the node's canonical name (for a discovered entity: the text as written)
    text: str  # the surface form in the document
    start: int  # character offsets in the document text
    end: int
    discovered: bool = False  # found by the statistical NER model, not the gazetteer
    confidence: float = 1.0


@dataclass(frozen=True)
class ExtractedRelation:
    source: str
    type: str  # a schema relationship type
    target: str
    confidence: float
    sentence: str
    start: int  # character offsets of the sentence in the document text
    end: int
    negated: bool = False  # never written to the graph
    hedged: bool = False  # written with hedged=true and a lower confidence


@dataclass
class Extraction:
    mentions: list[Mention] = field(default_factory=list)
    relations: list[ExtractedRelation] = field(default_factory=list)
    words: int = 0


class Extractor(Protocol):
    name: str
    version: str

    def extract(self, text: str) -> Extraction: ...

    def extract_many(self, texts: Iterable[str]) -> Iterator[Extraction]:
        """Several texts at once (spaCy's nlp.pipe), in order."""
        ...
