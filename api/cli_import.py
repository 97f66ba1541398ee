"""`techgraph import eto DIR` and `techgraph import csv FILE`: structured datasets into the graph.

Thin, like the rest of the CLI: the importers in ingest/ read the files and build one batch; this
module opens the store, writes the batch once, and tells the user what happened. Bad rows go to
stderr as `FILE:LINE: reason` (one per line, the form editors and CI logs link to); the summary
goes to stdout. Exit codes: 0 every row loaded, 1 any row skipped or nothing could be imported.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from techgraph.graph.store import GraphStore
from techgraph.ingest.importing import ImportReport, write_report

EXIT_ROWS_SKIPPED = 1

import_group = click.Group(
    "import",
    help="Import structured datasets (ETO's semiconductor supply chain, your own edge lists). "
    "See docs/import.md for the formats.",
)

_strict_option = click.option(
    "--strict",
    is_flag=True,
    help="Write nothing if any row is bad (default: load the good rows, report the bad ones).",
)


@import_group.command("eto")
@click.argument("directory", type=click.Path(path_type=Path))
@_strict_option
@click.pass_context
def eto_cmd(ctx: click.Context, directory: Path, strict: bool) -> None:
    """Import an ETO semiconductor supply-chain release from DIRECTORY.

    DIRECTORY holds stages.csv, inputs.csv, providers.csv, provision.csv and sequence.csv.
    Files are joined on ids; inputs and firms the graph knows are matched by exact name.
    """
    from techgraph.ingest.eto import build_eto, read_eto

    tables = read_eto(directory)  # file problems are reported before any store is opened
    _run(ctx, lambda store: build_eto(store, directory, tables), strict)


@import_group.command("csv")
@click.argument("file", type=click.Path(path_type=Path))
@_strict_option
@click.pass_context
def csv_cmd(ctx: click.Context, file: Path, strict: bool) -> None:
    """Import an edge list: FILE has the columns source,relation,target (and optional
    source_name, target_name, share, year, citation, properties)."""
    from techgraph.ingest.edgelist import build_edgelist, read_edgelist

    table = read_edgelist(file)
    _run(ctx, lambda store: build_edgelist(store, file, table), strict)


def _run(ctx: click.Context, build: Callable[[GraphStore], ImportReport], strict: bool) -> None:
    from techgraph.api.cli import _store  # lazily: cli.py imports this module

    store = _store(ctx)
    report = build(store)
    for error in report.sorted_errors:
        click.echo(str(error), err=True)
    outcome = write_report(store, report, strict)
    skipped = report.rows_skipped
    rows = f"{report.rows_read - skipped} of {report.rows_read} rows loaded, {skipped} skipped"
    if strict and skipped:
        click.echo(
            f"error: {skipped} of {report.rows_read} rows of {report.source} are bad; with "
            "--strict nothing was written.",
            err=True,
        )
        ctx.exit(EXIT_ROWS_SKIPPED)
    grew_nodes = outcome.after.total_nodes - outcome.before.total_nodes
    grew_rels = outcome.after.total_relationships - outcome.before.total_relationships
    click.echo(f"imported {report.source} into the {store.backend} graph: {rows}.")
    written = f"{_n(len(report.batch.nodes), 'node')} and "
    written += f"{_n(len(report.batch.relationships), 'relationship')} written"
    click.echo(
        f"{written} ({_n(grew_nodes, 'node')} and {_n(grew_rels, 'relationship')} new to the "
        "graph)."
    )
    for note in report.notes:
        click.echo(f"note: {note}")
    if skipped:
        ctx.exit(EXIT_ROWS_SKIPPED)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
