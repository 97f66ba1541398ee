"""`techgraph eval`: how well text extraction does on the gold standard (docs/extraction.md).

The extractor is built from the shipped reference data, not from the user's store, so the figures
depend on the code and the corpus only. Exit code 0, or 1 with --check when a target is missed
(or on a bad corpus).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from techgraph.ingest.evaluate import (
    BRIEFS_DIR,
    ENTITY_F1_TARGET,
    GOLD_DIR,
    RELATION_F1_TARGET,
    Counts,
    Report,
    corpus_pairs,
    evaluate,
    reference_entities,
)


@click.command("eval")
@click.option(
    "--briefs",
    type=click.Path(path_type=Path, file_okay=False),
    default=BRIEFS_DIR,
    show_default="ingest/corpus/briefs",
    help="Directory of the briefs (*.md).",
)
@click.option(
    "--gold",
    type=click.Path(path_type=Path, file_okay=False),
    default=GOLD_DIR,
    show_default="ingest/corpus/gold",
    help="Directory of the gold annotations (<brief name>.json).",
)
@click.option(
    "--no-model", is_flag=True, help="Rules only: no statistical model, even if installed."
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--errors", is_flag=True, help="Also list each document's misses and false hits.")
@click.option(
    "--check",
    is_flag=True,
    help=f"Exit 1 unless entity F1 >= {ENTITY_F1_TARGET} and relation F1 >= {RELATION_F1_TARGET}.",
)
def eval_command(
    briefs: Path, gold: Path, no_model: bool, as_json: bool, errors: bool, check: bool
) -> None:
    """Score text extraction against the gold standard: precision, recall and F1 per entity type
    and per relationship type, micro totals, and how negation and hedges were handled."""
    from techgraph.ingest.extract import SpacyExtractor

    pairs = corpus_pairs(briefs, gold)
    if not pairs:
        click.echo(
            f"error: no brief in {briefs} has a gold file in {gold} (same name, .json).", err=True
        )
        sys.exit(1)
    extractor = SpacyExtractor(reference_entities(), use_model=False if no_model else None)
    started = time.perf_counter()
    try:
        report = evaluate(extractor, pairs)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    seconds = time.perf_counter() - started
    mode = extractor.pipeline.model or "rules only"
    if as_json:
        data = report.as_dict()
        data["extractor"] = {"name": extractor.name, "version": extractor.version, "model": mode}
        data["seconds"] = round(seconds, 3)
        if not errors:
            data.pop("errors")
        click.echo(json.dumps(data, indent=2))
    else:
        _print(report, mode, seconds, errors)
    if check and not report.meets_targets():
        sys.exit(1)


def _table(title: str, rows: dict[str, Counts], total: Counts) -> Table:
    table = Table(title=title, title_justify="left")
    for name in ("type", "gold", "found", "correct", "P", "R", "F1"):
        table.add_column(name, justify="left" if name == "type" else "right")
    for name, c in sorted(rows.items()):
        table.add_row(*_cells(name, c))
    table.add_section()
    table.add_row(*_cells("micro", total), style="bold")
    return table


def _cells(name: str, c: Counts) -> list[str]:
    return [
        name,
        str(c.tp + c.fn),
        str(c.tp + c.fp),
        str(c.tp),
        f"{c.precision:.3f}",
        f"{c.recall:.3f}",
        f"{c.f1:.3f}",
    ]


def _print(report: Report, mode: str, seconds: float, errors: bool) -> None:
    console = Console(width=100)
    console.print(
        f"{len(report.documents)} documents, {report.words} words, extractor model: {mode}, "
        f"{seconds:.2f} s"
    )
    console.print(
        _table("Entities (sets of ids per document)", report.entities, report.entity_total)
    )
    console.print(
        _table(
            "Relations (non-negated (source, type, target) per document)",
            report.relations,
            report.relation_total,
        )
    )
    console.print(
        f"Negation: {report.negated_gold} negated gold statements; "
        f"{report.negated_asserted} wrongly asserted, {report.negated_flagged} found and flagged."
    )
    console.print(
        f"Hedges: {report.hedged_gold} hedged gold relations; {report.hedged_found} found, "
        f"{report.hedged_flagged} of them flagged hedged; {report.hedged_false} flagged hedged "
        "that the gold asserts."
    )
    ent, rel = report.entity_total.f1, report.relation_total.f1
    verdict = "met" if report.meets_targets() else "NOT met"
    console.print(
        f"Targets (entity F1 >= {ENTITY_F1_TARGET}, relation F1 >= {RELATION_F1_TARGET}): "
        f"{verdict} (entity {ent:.3f}, relation {rel:.3f})."
    )
    if errors:
        for d in report.documents:
            if not (d.entity_fp or d.entity_fn or d.relation_fp or d.relation_fn):
                continue
            console.print(f"\n[bold]{d.document}[/bold]")
            for label, items in (
                ("entity false hit", d.entity_fp),
                ("entity missed", d.entity_fn),
                ("relation false hit", [" ".join(t) for t in d.relation_fp]),
                ("relation missed", [" ".join(t) for t in d.relation_fn]),
                ("negated but asserted", [" ".join(t) for t in d.negated_asserted]),
            ):
                for item in items:
                    console.print(f"  {label}: {item}", markup=False)
