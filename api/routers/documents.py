"""`POST /v1/documents`: a text or an uploaded file through the same ingest pipeline as
`techgraph ingest` (ingest/documents.py reads it, ingest/pipeline.py extracts and writes one
batch), answering with what was extracted and written. Needs an API key.

A document's key decides its identity (docs/extraction.md): the `key` field when given (a URL,
a report number), else the sha256 of the content, as for standard input. Sending the same key
again with new content replaces what the old content contributed; the same content again
changes nothing.
"""

from __future__ import annotations

import dataclasses
import tempfile
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile

from techgraph.graph.errors import InvalidArgument, TechgraphError
from techgraph.graph.store import GraphStore
from techgraph.ingest.documents import FORMATS, SUPPORTED, Document, DocumentError, Source, read
from techgraph.ingest.model import Extractor
from techgraph.ingest.pipeline import DocumentResult, IngestPipeline, Status

from .. import uploads
from ..deps import AppSettings, Store, WriteAccess, respond
from ..schemas import DocumentPublic
from .common import INVALID, UNAVAILABLE, _error

router = APIRouter(prefix="/v1", tags=["documents"], dependencies=[WriteAccess])
# spaCy pipelines are not made for concurrent calls, and ingestion is a write: one at a time.
_ingesting = threading.Lock()

Names = list[tuple[str, str, tuple[str, ...]]]


class DocumentRefused(TechgraphError):
    """A document that cannot be read or extracted (empty, binary, not UTF-8, a scan...)."""

    status_code = 422


def make_extractor(names: Names) -> Extractor:
    """The extractor over the graph's names (a spaCy model when installed, else rules only).
    Tests replace this function with a rules-only one, which needs no model."""
    from techgraph.ingest.extract import SpacyExtractor

    extractor: Extractor = SpacyExtractor(names)
    return extractor


def _extractor(request: Request, store: GraphStore) -> Extractor:
    """The app's extractor, rebuilt when the graph's names have changed (its gazetteer is made
    from them; building it is much slower than reading the names)."""
    names = store.entity_names()
    signature = hash(tuple(sorted((i, n, tuple(a)) for i, n, a in names)))
    cached: tuple[int, Extractor] | None = getattr(request.app.state, "extractor", None)
    if cached is None or cached[0] != signature:
        cached = (signature, make_extractor(names))
        request.app.state.extractor = cached
    return cached[1]


@router.post(
    "/documents",
    response_model=DocumentPublic,
    responses={
        400: _error("The request body is not multipart form data that can be parsed."),
        401: _error("No API key was sent."),
        403: _error("The API key is wrong, or writes are disabled (no TECHGRAPH_API_KEYS)."),
        413: _error("The upload is larger than TECHGRAPH_MAX_UPLOAD_MB."),
        **INVALID,
        **UNAVAILABLE,
    },
)
def ingest_document(
    request: Request,
    store: Store,
    settings: AppSettings,
    file: Annotated[
        UploadFile | None,
        File(description=f"A document: {SUPPORTED}. Send either this or `text`."),
    ] = None,
    text: Annotated[
        str | None,
        Form(description="The document's text, if no file is sent (empty: not sent)."),
    ] = None,
    name: Annotated[
        str | None,
        Form(
            max_length=200,
            description="The document's name (default, or empty: the file name, or `text`).",
        ),
    ] = None,
    key: Annotated[
        str | None,
        Form(
            max_length=2000,
            description="What identifies the document across uploads (a URL, a report number); "
            "default, or empty: the sha256 of its content.",
        ),
    ] = None,
    force: Annotated[
        bool, Query(description="Extract again even if the content has not changed.")
    ] = False,
) -> Response:
    """Extract entities and relations from one document and write them to the graph, with the
    sentence and offsets of every statement as evidence. Answers with what was extracted:
    the entities (known or discovered), the relations (negated ones are listed, never
    written), and notes on what was left out."""
    if (file is None) == (text is None):
        raise InvalidArgument("send either a file or a text, not both and not neither.")
    directory = Path(tempfile.mkdtemp(prefix="techgraph-document-"))
    try:
        if file is not None:
            filename = uploads.safe_name(file.filename, "document.txt")
            if Path(filename).suffix.lower() not in FORMATS:
                raise DocumentRefused(
                    f"{filename!r} is not a document techgraph reads; send {SUPPORTED} files."
                )
            path = directory / filename
            uploads.save(file.file, path, settings.max_upload_bytes)
        else:
            filename = "text.txt"
            path = directory / filename
            path.write_text(text or "", encoding="utf-8")
        display = name or (filename if file is not None else "text")
        document = read(Source(path, display))
        if isinstance(document, DocumentError):
            raise DocumentRefused(f"{display}: {uploads.scrub(document.reason, directory)}.")
        document = dataclasses.replace(
            document, key=key or document.content_sha256, name=display, path=display
        )
        with _ingesting:
            pipeline = IngestPipeline(store, _extractor(request, store), force=force)
            (result,) = list(pipeline.ingest([document]))
    finally:
        uploads.remove(directory)
    if result.status is Status.FAILED:
        raise DocumentRefused(f"{display}: {result.reason}.")
    return respond(DocumentPublic.model_validate(_result(result, document)))


def _result(result: DocumentResult, document: Document) -> dict[str, Any]:
    extraction = result.extraction
    mentions = extraction.mentions if extraction else []
    relations = extraction.relations if extraction else []
    written = set(result.statement_keys)
    entities: dict[str, dict[str, Any]] = {}
    for m in mentions:
        entry = entities.setdefault(
            m.id,
            {
                "id": m.id,
                "name": result.names.get(m.id, m.name),
                "type": m.type,
                "discovered": m.discovered,
                "mentions": [],
            },
        )
        if m.text not in entry["mentions"]:
            entry["mentions"].append(m.text)
    return {
        "document": {"id": result.doc_id, "name": document.name},
        "key": document.key,
        "status": result.status.value,
        "reason": result.reason,
        "words": result.words,
        "entities": list(entities.values()),
        "relations": [
            {
                "source": r.source,
                "type": r.type,
                "target": r.target,
                "confidence": r.confidence,
                "sentence": r.sentence,
                "start": r.start,
                "end": r.end,
                "negated": r.negated,
                "hedged": r.hedged,
                "written": i in written,
            }
            for i, r in enumerate(relations)
        ],
        "notes": list(result.notes),
    }
