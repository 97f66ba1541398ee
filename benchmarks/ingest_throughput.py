"""How fast `techgraph ingest` turns text into graph facts: words per second, end to end.

A script, not a test. It builds a corpus by repeating the project's policy briefs
(ingest/corpus/briefs/*.md; the test fixtures if those are absent) until it holds `--words`
words, one file per copy, then for each backend (embedded, Neo4j) and each extractor mode (with
the statistical model, rules only) ingests it into a fresh graph holding the reference data and
prints a table. The time counted is the whole ingest as `techgraph ingest` runs it: reading the
files, extraction, building the batches and one write per document. Building the extractor and
loading the reference data are reported apart (they are paid once per run, not per word).

Targets (issue 4, on 2 cores): >= 5,000 words/s with the model, >= 50,000 words/s rules only.

    techgraph neo4j start --home /tmp/neo4j-ingest --bolt-port 37687 --http-port 37474
    python benchmarks/ingest_throughput.py --words 300000            # both backends, both modes
    python benchmarks/ingest_throughput.py --backend embedded --mode rules --words 50000
    techgraph neo4j stop --home /tmp/neo4j-ingest

The benchmark empties the Neo4j database it is pointed at (default bolt://127.0.0.1:37687, never
the test suite's 7687): it refuses one that holds entities unless it carries this benchmark's
marker or the test suite's (both say the database is disposable), or `--force` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from techgraph.api.runtime import tune_gc
from techgraph.graph.embedded import EmbeddedStore
from techgraph.graph.model import FactBatch, WriteSummary
from techgraph.graph.store import GraphStore
from techgraph.ingest.documents import Read, read_documents
from techgraph.ingest.model import Extraction, Extractor
from techgraph.ingest.pipeline import IngestPipeline, Status
from techgraph.ingest.reference import load_reference

ROOT = Path(__file__).resolve().parent.parent
BRIEFS = ROOT / "ingest" / "corpus" / "briefs"
FALLBACK = ROOT / "tests" / "fixtures" / "docs"
TARGETS = {"model": 5_000, "rules": 50_000}
DEFAULT_URI = "bolt://127.0.0.1:37687"
MARKER = "TechgraphIngestBenchMarker"
DISPOSABLE_MARKERS = (MARKER, "TechgraphTestMarker")


@dataclass
class Row:
    backend: str
    mode: str
    documents: int
    words: int
    seconds: float
    extract_seconds: float
    write_seconds: float
    read_seconds: float
    setup_seconds: float
    failed: int
    relations: int
    model_loaded: bool

    @property
    def words_per_second(self) -> float:
        return self.words / self.seconds if self.seconds else 0.0


class _TimedExtractor:
    """Passes calls through to the real extractor and adds up the time spent inside it."""

    def __init__(self, inner: Extractor) -> None:
        self.inner = inner
        self.name = inner.name
        self.version = inner.version
        self.seconds = 0.0

    def extract(self, text: str) -> Extraction:
        started = time.perf_counter()
        try:
            return self.inner.extract(text)
        finally:
            self.seconds += time.perf_counter() - started

    def extract_many(self, texts: Iterable[str]) -> Iterator[Extraction]:
        started = time.perf_counter()
        try:
            done = list(self.inner.extract_many(texts))
        finally:
            self.seconds += time.perf_counter() - started
        return iter(done)


# -- the corpus --------------------------------------------------------------------------------


def build_corpus(target_words: int, into: Path) -> tuple[int, int, Path]:
    """Copies of the briefs under `into` until they hold target_words: (files, words, source)."""
    source = BRIEFS if any(BRIEFS.glob("*.md")) else FALLBACK
    originals = sorted(p for p in source.rglob("*") if p.suffix in (".md", ".txt"))
    if not originals:
        raise SystemExit(f"no briefs to build a corpus from in {BRIEFS} or {FALLBACK}")
    texts = [(p.stem, p.read_text(encoding="utf-8")) for p in originals]
    into.mkdir(parents=True, exist_ok=True)
    words = files = 0
    while words < target_words:
        for stem, text in texts:
            # A different key per copy (its path); the same text, as a corpus that keeps
            # restating the same facts would be: evidence accumulates on the same edges.
            (into / f"{files:05d}-{stem}.md").write_text(text, encoding="utf-8")
            files += 1
            words += len(text.split())
            if words >= target_words:
                break
    return files, words, source


# -- one run -------------------------------------------------------------------------------------


def open_neo4j(uri: str, user: str, password: str, force: bool) -> GraphStore:
    from techgraph.graph.neo4j_store import Neo4jStore

    store = Neo4jStore(uri, user, password, connect_timeout=5.0)
    with store._driver.session(database=store.database) as session:
        entities = session.run("MATCH (n:Entity) RETURN count(n) AS n").single(strict=True)["n"]
        marked = session.run(
            "MATCH (m) WHERE any(l IN labels(m) WHERE l IN $labels) RETURN count(m) AS n",
            labels=list(DISPOSABLE_MARKERS),
        ).single(strict=True)["n"]
        if entities and not marked and not force:
            store.close()
            raise SystemExit(
                f"{uri} holds {entities} entities that neither this benchmark nor the test suite "
                "wrote; the benchmark empties its database. Point --uri at a server of its own "
                "(techgraph neo4j start --home /tmp/neo4j-ingest --bolt-port 37687 --http-port "
                "37474) or pass --force."
            )
        session.run(f"MERGE (:{MARKER} {{note: 'disposable: the ingest benchmark empties it'}})")
    store.init()
    return store


def run_once(
    store: GraphStore,
    corpus: Path,
    mode: str,
    reference: FactBatch,
    backend: str,
    overlap: bool = True,
) -> Row:
    from techgraph.api.cli_ingest import make_extractor

    store.clear()
    setup_started = time.perf_counter()
    store.write(reference)
    # The extractor `techgraph ingest` makes (worker processes included).
    extractor = make_extractor(store.entity_names(), use_model=None if mode == "model" else False)
    setup = time.perf_counter() - setup_started
    model_loaded = bool(getattr(extractor, "uses_model", mode == "model"))
    timed = _TimedExtractor(extractor)
    pipeline = IngestPipeline(store, timed, overlap=overlap)
    read_seconds = write_seconds = 0.0
    write, write_documents = store.write, store.write_documents

    def clocked(call: Callable[..., WriteSummary]) -> Callable[..., WriteSummary]:
        def clocked_call(*args: Any, **kwargs: Any) -> WriteSummary:
            nonlocal write_seconds
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                write_seconds += time.perf_counter() - started

        return clocked_call

    store.write = clocked(write)  # type: ignore[method-assign]
    store.write_documents = clocked(write_documents)  # type: ignore[method-assign]

    def reading() -> Iterator[Read]:
        nonlocal read_seconds
        items = iter(read_documents([corpus]))
        while True:
            started = time.perf_counter()
            item = next(items, None)
            read_seconds += time.perf_counter() - started
            if item is None:
                return
            yield item

    started = time.perf_counter()
    try:
        results = list(pipeline.ingest(reading()))
    finally:
        seconds = time.perf_counter() - started
        del store.write, store.write_documents  # back to the class's methods
        close = getattr(extractor, "close", None)
        if close is not None:
            close()  # its worker processes
    ingested = [r for r in results if r.status is Status.INGESTED]
    return Row(
        backend=backend,
        mode=mode,
        documents=len(ingested),
        words=sum(r.words for r in ingested),
        seconds=seconds,
        extract_seconds=timed.seconds,
        write_seconds=write_seconds,
        read_seconds=read_seconds,
        setup_seconds=setup,
        failed=sum(r.status is Status.FAILED for r in results),
        relations=sum(len(r.written) for r in ingested),
        model_loaded=model_loaded,
    )


# -- the table -----------------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    head = (
        f"{'backend':<9} {'extractor':<10} {'docs':>5} {'words':>8} {'seconds':>8} "
        f"{'words/s':>9} {'extract':>8} {'write':>7} {'read':>6} {'setup':>6}  target"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        target = TARGETS[r.mode]
        verdict = "met" if r.words_per_second >= target else "MISSED"
        mode = r.mode if r.model_loaded or r.mode == "rules" else "rules*"
        lines.append(
            f"{r.backend:<9} {mode:<10} {r.documents:>5} {r.words:>8,} {r.seconds:>8.1f} "
            f"{r.words_per_second:>9,.0f} {r.extract_seconds:>7.1f}s {r.write_seconds:>6.1f}s "
            f"{r.read_seconds:>5.1f}s {r.setup_seconds:>5.1f}s  >= {target:,}: {verdict}"
        )
    lines.append(
        "extract: inside the extractor; write: inside store.write_documents (one call per group "
        "of documents; with the default overlap, partly hidden behind the next chunk's "
        "extraction); read: files."
    )
    if any(r.mode == "model" and not r.model_loaded for r in rows):
        lines.append("rules*: no spaCy model is installed, so 'model' ran on rules only.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    tune_gc()  # as `techgraph ingest` runs
    parser = argparse.ArgumentParser(
        prog="python benchmarks/ingest_throughput.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--words", type=int, default=300_000, help="corpus size in words")
    parser.add_argument("--backend", choices=("embedded", "neo4j", "both"), default="both")
    parser.add_argument("--mode", choices=("model", "rules", "both"), default="both")
    parser.add_argument("--uri", default=DEFAULT_URI)
    parser.add_argument("--user", default=os.environ.get("TECHGRAPH_NEO4J_USER", "neo4j"))
    parser.add_argument(
        "--password", default=os.environ.get("TECHGRAPH_NEO4J_PASSWORD", "techgraph")
    )
    parser.add_argument("--force", action="store_true", help="empty a Neo4j database anyway")
    parser.add_argument("--json", action="store_true", help="the rows as JSON on stdout")
    parser.add_argument(
        "--no-overlap",
        action="store_true",
        help="write each chunk before extracting the next (to measure what overlap brings)",
    )
    args = parser.parse_args(argv)

    backends = ["embedded", "neo4j"] if args.backend == "both" else [args.backend]
    modes = ["model", "rules"] if args.mode == "both" else [args.mode]
    work = Path(tempfile.mkdtemp(prefix="techgraph-ingest-bench-"))
    rows: list[Row] = []
    try:
        files, words, source = build_corpus(args.words, work / "corpus")
        print(f"corpus: {files} files, {words:,} words (copies of {source})", file=sys.stderr)
        reference = load_reference()
        for backend in backends:
            for mode in modes:
                if backend == "embedded":
                    store: GraphStore = EmbeddedStore(work / f"graph-{mode}")
                else:
                    store = open_neo4j(args.uri, args.user, args.password, args.force)
                try:
                    print(f"running {backend} / {mode} ...", file=sys.stderr)
                    row = run_once(
                        store, work / "corpus", mode, reference, backend, not args.no_overlap
                    )
                    rows.append(row)
                    print(
                        f"  {row.words_per_second:,.0f} words/s ({row.seconds:.1f} s)",
                        file=sys.stderr,
                    )
                finally:
                    if backend == "neo4j":
                        store.clear()  # leave the disposable database empty
                    store.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        out: list[dict[str, Any]] = [
            {**asdict(r), "words_per_second": round(r.words_per_second)} for r in rows
        ]
        print(json.dumps(out, indent=2))
    else:
        print(table(rows))


if __name__ == "__main__":
    main()
