"""`techgraph ingest PATH...`: documents (text, Markdown, HTML, PDF, stdin) into the graph.

Thin, like the rest of the CLI: ingest/documents.py reads the files, ingest/pipeline.py extracts
and writes one batch per document; this module builds the extractor from the graph's names,
shows progress, and tells the user what happened. Documents that cannot be read or extracted are
listed by name with the reason (on stderr, `PATH: reason`, as the importers do) and never stop
the others. Exit codes: 0 every document ingested or unchanged, 1 any document failed.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import click

from techgraph.graph.errors import TechgraphError
from techgraph.graph.store import GraphStore
from techgraph.ingest.documents import (
    SUPPORTED,
    DocumentError,
    Found,
    Read,
    Skipped,
    Source,
    discover,
    read,
)
from techgraph.ingest.model import Extractor
from techgraph.ingest.pipeline import DocumentResult, IngestPipeline, Status

EXIT_SOME_FAILED = 1
Names = list[tuple[str, str, tuple[str, ...]]]


class ExtractorUnavailable(TechgraphError):
    status_code = 503


def make_extractor(names: Names, use_model: bool | None) -> Extractor:
    """The real extractor over the graph's names (tests replace this function), with as many
    extraction processes as suit it (`default_processes`)."""
    try:
        from techgraph.ingest.extract import SpacyExtractor
    except ImportError as exc:
        raise ExtractorUnavailable(
            f"text extraction is not available ({exc}); reinstall techgraph with "
            "`pip install -e .`."
        ) from None
    extractor: Extractor = SpacyExtractor(names, use_model=use_model, processes=None)
    return extractor


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print per document what was extracted.")
@click.option(
    "--no-model",
    is_flag=True,
    help="Rules only (the graph's names and cue words): much faster, discovers no new firms.",
)
@click.option(
    "--force", is_flag=True, help="Extract again documents whose content has not changed."
)
@click.pass_context
def ingest_command(
    ctx: click.Context, paths: tuple[str, ...], as_json: bool, no_model: bool, force: bool
) -> None:
    """Extract entities and relations from documents and add them to the graph.

    PATH is a .txt, .md, .html/.htm or .pdf file, a directory (read recursively), or - for
    standard input. Each document is written in one transaction; ingesting it again changes
    nothing unless its content changed, in which case its old facts are replaced. If the graph
    holds no reference data yet, it is loaded first.
    """
    from techgraph.api.cli import _emit, _load_reference, _store  # lazily: cli.py imports us

    found = discover(paths)  # cheap: no file is opened yet
    if not any(isinstance(f, Source | DocumentError) for f in found):
        skipped = sum(isinstance(f, Skipped) for f in found)
        raise TechgraphError(
            f"no documents to ingest in {', '.join(paths)}"
            + (f" ({_n(skipped, 'file')} of other types)" if skipped else "")
            + f"; techgraph reads {SUPPORTED} files."
        )
    store = _store(ctx)
    notes: list[str] = []
    names = store.entity_names()
    if not any(entity_id.startswith("country:") for entity_id, _, _ in names):
        _load_reference(store)
        names = store.entity_names()
        notes.append(
            f"the {store.backend} graph held no reference data: loaded it first ({len(names)} "
            "countries, firms, technologies, alliances and agencies) so that names in the "
            "documents are recognised."
        )
        if not as_json:
            click.echo(f"note: {notes[-1]}")
    extractor = make_extractor(names, use_model=False if no_model else None)
    pipeline = IngestPipeline(store, extractor, force=force)

    started = time.perf_counter()
    results: list[DocumentResult] = []
    show_progress = not as_json and len(found) > 1 and sys.stderr.isatty()
    with _progress(len(found), show_progress) as advance:
        for result in pipeline.ingest(_read_all(found)):
            results.append(result)
            advance(result.name)
    seconds = time.perf_counter() - started

    summary = _summary(results, store, extractor, seconds)
    failed = [r for r in results if r.status is Status.FAILED]
    if as_json:
        _emit(
            {"documents": [_document_json(r) for r in results], "summary": summary, "notes": notes}
        )
    else:
        for r in failed:
            click.echo(f"{r.path}: {r.reason}", err=True)
        _print_summary(summary, results, store.backend)
    if failed:
        ctx.exit(EXIT_SOME_FAILED)


def _read_all(found: Iterable[Found]) -> Iterator[Read]:
    """Read each document only when the pipeline asks for it (one in memory at a time, plus
    the chunk being extracted)."""
    for item in found:
        yield read(item) if isinstance(item, Source) else item


def _progress(total: int, show: bool) -> AbstractContextManager[Callable[[str], None]]:
    """A progress bar on stderr (only on a terminal, never in --json mode), transient."""
    if not show:
        return nullcontext(lambda _name: None)
    return _RichProgress(total)


class _RichProgress:
    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(
            TextColumn("ingesting"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[name]}"),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.progress.add_task("ingest", total=total, name="")

    def __enter__(self) -> Callable[[str], None]:
        self.progress.__enter__()
        return self.advance

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def advance(self, name: str) -> None:
        self.progress.update(self.task, advance=1, name=name)


# -- what is printed ---------------------------------------------------------------------------


def _summary(
    results: Sequence[DocumentResult], store: GraphStore, extractor: Extractor, seconds: float
) -> dict[str, Any]:
    by_status = Counter(r.status for r in results)
    ingested = [r for r in results if r.status is Status.INGESTED]
    entities = {e for r in ingested for e in r.names}
    discovered = {e for r in ingested for e in r.discovered}
    relations = [rel for r in ingested for rel in r.written.values()]
    negated = sum(
        1 for r in ingested if r.extraction for rel in r.extraction.relations if rel.negated
    )
    words = sum(r.words for r in ingested)
    return {
        "backend": store.backend,
        "extractor": {"name": extractor.name, "version": extractor.version},
        "documents": {s.value: by_status.get(s, 0) for s in Status},
        "entities": len(entities),
        "discovered_entities": len(discovered),
        "relations": len(relations),
        "hedged_relations": sum(1 for rel in relations if rel.props.get("hedged") is True),
        "negated_statements": negated,
        "left_out": sum(len(r.notes) for r in ingested),
        "words": words,
        "seconds": round(seconds, 3),
        "words_per_second": round(words / seconds) if seconds > 0 else None,
        "errors": [
            {"name": r.name, "path": r.path, "reason": r.reason}
            for r in results
            if r.status is Status.FAILED
        ],
    }


def _print_summary(
    summary: dict[str, Any], results: Sequence[DocumentResult], backend: str
) -> None:
    d = summary["documents"]
    click.echo(
        f"{_n(d['ingested'], 'document')} ingested into the {backend} graph, "
        f"{d['unchanged']} unchanged, {d['failed']} failed"
        + (f", {_n(d['skipped'], 'file')} of other types skipped" if d["skipped"] else "")
        + "."
    )
    if d["ingested"]:
        rate = summary["words_per_second"]
        click.echo(
            f"entities: {summary['entities']} ({summary['discovered_entities']} discovered); "
            f"relations: {summary['relations']} ({summary['hedged_relations']} hedged; "
            f"{_n(summary['negated_statements'], 'negated statement')} not written"
            + (f"; {summary['left_out']} left out, see --json" if summary["left_out"] else "")
            + f"); {summary['words']:,} words in {summary['seconds']:.1f} s"
            + (f" ({rate:,} words/s)." if rate else ".")
        )
    if summary["errors"]:
        click.echo("failed:")
        for e in summary["errors"]:
            click.echo(f"  {e['name']}: {e['reason']}")
    skipped = Counter(r.reason for r in results if r.status is Status.SKIPPED)
    for reason, count in sorted(skipped.items(), key=lambda kv: str(kv[0])):
        click.echo(f"skipped: {_n(count, 'file')} ({reason})")


def _document_json(r: DocumentResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": r.name,
        "path": r.path,
        "id": r.doc_id,
        "status": r.status.value,
        "reason": r.reason,
        "words": r.words,
        "entities": None,
        "relations": None,
    }
    if r.extraction is None or r.status is not Status.INGESTED:
        return out  # nothing extracted (failed or unchanged: --force extracts again)
    out["entities"] = [
        {
            "id": m.id,
            "type": m.type,
            "name": r.names.get(m.id, m.name),
            "text": m.text,
            "span": [m.start, m.end],
            "discovered": m.id in r.discovered,
            "confidence": m.confidence,
        }
        for m in r.extraction.mentions
    ]
    out["relations"] = [
        {
            "source": rel.source,
            "type": rel.type,
            "target": rel.target,
            "confidence": rel.confidence,
            "sentence": rel.sentence,
            "span": [rel.start, rel.end],
            "negated": rel.negated,
            "hedged": rel.hedged,
            "written": i in r.statement_keys,
        }
        for i, rel in enumerate(r.extraction.relations)
    ]
    out["notes"] = r.notes
    return out


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
