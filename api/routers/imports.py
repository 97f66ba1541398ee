"""Imports over HTTP: the same importers as `techgraph import eto|csv` (ingest/eto.py,
ingest/edgelist.py), on uploaded files. Each needs an API key.

An import is one atomic write; bad rows are skipped and listed (`row_errors`, as FILE:LINE:
reason), or with `strict=true` any bad row means nothing is written and the answer is a 422.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile

from techgraph.graph.errors import TechgraphError
from techgraph.graph.store import GraphStore
from techgraph.ingest.importing import ImportFileError, ImportReport, write_report

from .. import uploads
from ..deps import AppSettings, Store, WriteAccess, respond
from ..schemas import ImportPublic
from .common import INVALID, UNAVAILABLE, _error

router = APIRouter(prefix="/v1/imports", tags=["imports"], dependencies=[WriteAccess])

IMPORT_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("A file cannot be used at all (missing, not UTF-8, wrong header, not a zip)."),
    401: _error("No API key was sent."),
    403: _error("The API key is wrong, or writes are disabled (no TECHGRAPH_API_KEYS)."),
    413: _error("The upload is larger than TECHGRAPH_MAX_UPLOAD_MB."),
    **INVALID,
    **UNAVAILABLE,
}
StrictParam = Annotated[
    bool, Query(description="Write nothing if any row is bad (the answer is then a 422).")
]


class ImportRefused(TechgraphError):
    """A strict import with bad rows: nothing was written; `row_errors` lists them."""

    status_code = 422

    def __init__(self, message: str, row_errors: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.row_errors = row_errors


@router.post("/eto", response_model=ImportPublic, responses=IMPORT_ERRORS)
def import_eto(
    store: Store,
    settings: AppSettings,
    files: Annotated[
        list[UploadFile],
        File(
            min_length=1,
            description="One zip holding stages.csv, inputs.csv, providers.csv, provision.csv "
            "and sequence.csv (in any folder), or those five files themselves.",
        ),
    ],
    strict: StrictParam = False,
) -> Response:
    """Import an ETO semiconductor supply-chain release (docs/import.md)."""
    from techgraph.ingest.eto import FILES, build_eto, read_eto

    def run(directory: Path) -> ImportReport:
        _place(files, directory, FILES, settings.max_upload_bytes)
        tables = read_eto(directory)
        return build_eto(store, directory, tables)

    return _import(store, run, strict, f"ETO dataset ({len(FILES)} files)")


@router.post("/csv", response_model=ImportPublic, responses=IMPORT_ERRORS)
def import_csv(
    store: Store,
    settings: AppSettings,
    file: Annotated[
        UploadFile,
        File(
            description="An edge list: source,relation,target and optional source_name, "
            "target_name, share, year, citation, properties. Its file name is cited as the "
            "facts' source (`dataset:<name>`)."
        ),
    ],
    strict: StrictParam = False,
) -> Response:
    """Import your own edge list, one relationship per row (docs/import.md)."""
    from techgraph.ingest.edgelist import build_edgelist, read_edgelist

    name = uploads.safe_name(file.filename, "upload.csv")

    def run(directory: Path) -> ImportReport:
        path = directory / name
        uploads.save(file.file, path, settings.max_upload_bytes)
        return build_edgelist(store, path, read_edgelist(path))

    return _import(store, run, strict, name)


def _place(files: list[UploadFile], directory: Path, wanted: dict[str, Any], limit: int) -> None:
    """Put the uploaded ETO files into `directory`: unpack a zip, or save the CSVs by name."""
    if len(files) == 1:
        first = directory / "upload.bin"
        uploads.save(files[0].file, first, limit)
        if uploads.is_zip(first):
            uploads.extract_wanted(first, directory, wanted, limit)
            first.unlink()
            return
        first.unlink()
        files[0].file.seek(0)
    total = 0
    for upload in files:
        name = uploads.safe_name(upload.filename, "")
        if name not in wanted:
            raise ImportFileError(
                f"{upload.filename or 'an unnamed file'!r} is not one of the ETO files "
                f"({', '.join(wanted)}); send those five, or one zip that holds them."
            )
        total += uploads.save(upload.file, directory / name, limit - total)


def _import(
    store: GraphStore, run: Callable[[Path], ImportReport], strict: bool, source: str
) -> Response:
    directory = Path(tempfile.mkdtemp(prefix="techgraph-upload-"))
    try:
        try:
            report = run(directory)
        except TechgraphError as exc:
            raise uploads.scrub_error(exc, directory) from None
        row_errors = [
            {
                "file": uploads.scrub(e.file, directory),
                "line": e.line,
                "reason": uploads.scrub(e.reason, directory),
            }
            for e in report.sorted_errors
        ]
        if strict and row_errors:
            raise ImportRefused(
                f"{report.rows_skipped} of {report.rows_read} rows are bad; with strict=true "
                "nothing was written.",
                row_errors,
            )
        outcome = write_report(store, report, strict)
    finally:
        uploads.remove(directory)
    return respond(
        ImportPublic(
            source=source,
            written=outcome.written,
            rows_read=report.rows_read,
            rows_loaded=report.rows_read - report.rows_skipped,
            rows_skipped=report.rows_skipped,
            row_errors=row_errors,  # type: ignore[arg-type]
            nodes_written=len(report.batch.nodes) if outcome.written else 0,
            relationships_written=len(report.batch.relationships) if outcome.written else 0,
            nodes_new=outcome.after.total_nodes - outcome.before.total_nodes,
            relationships_new=outcome.after.total_relationships
            - outcome.before.total_relationships,
            notes=[uploads.scrub(n, directory) for n in report.notes],
        )
    )
