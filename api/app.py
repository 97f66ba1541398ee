"""The HTTP service (FastAPI): the questions of graph/questions.py under /v1, imports, read-only
Cypher, /health and /stats, on either backend. docs/api.md is the user's guide.

Errors have one JSON shape everywhere (schemas.ErrorBody): techgraph's own errors with their
status codes, FastAPI's validation errors reshaped to it, unknown routes, and a catch-all 500
that logs the traceback server-side and tells the client only an error id.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from techgraph import __version__
from techgraph.graph.errors import Ambiguous, NotFound, TechgraphError

from .deps import drop_store, get_store
from .routers import cypher, documents, entities, imports, questions, system
from .runtime import collect_between_requests, tune_gc
from .schemas import ErrorBody
from .settings import Settings, get_settings

log = logging.getLogger("techgraph.api")

__all__ = ["create_app", "get_store"]

DESCRIPTION = """
A knowledge graph of technologies, firms and countries, and the evidence that links them.

Entities may be named by id (`firm:huawei`), name or alias ("Huawei"), and countries also by
demonym ("Chinese") or ISO code (`CHN`). Every list answer is paged (`limit`, `offset`) and says
how many items there are in all (`count`). Every error is
`{"error": ..., "message": ...}`, with `suggestions` for an unknown entity (404), `candidates`
for an ambiguous name (409) and `fields` for refused parameters (422).

Reads are open unless the server sets TECHGRAPH_API_READ_REQUIRES_KEY; writes (imports) need an
API key in `X-API-Key` or `Authorization: Bearer`. See docs/api.md.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_api()
    tune_gc()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        drop_store(app.state)
        if app.state.cypher is not None:
            app.state.cypher.close()
            app.state.cypher = None

    app = FastAPI(
        title="techgraph",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = None
    app.state.cypher = None

    for router in (
        system.router,
        entities.router,
        questions.router,
        imports.router,
        documents.router,
        cypher.router,
    ):
        app.include_router(router)
    _add_error_handlers(app)
    _mark_optional_auth(app, settings)
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes)
    app.add_middleware(CollectAfter)
    if settings.api_read_concurrency:
        app.add_middleware(ReadLimit, limit=settings.api_read_concurrency)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
        )
    return app


def _mark_optional_auth(app: FastAPI, settings: Settings) -> None:
    """Say in OpenAPI which operations take a key only optionally (an empty security
    requirement, `{}`): the reads, unless TECHGRAPH_API_READ_REQUIRES_KEY; Cypher, unless it
    needs a key. Routes declare keys one way; whether they are required is this deployment's."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            for path, operations in schema.get("paths", {}).items():
                for method, operation in operations.items():
                    security = operation.get("security")
                    if not security:
                        continue
                    if path == "/v1/cypher":
                        optional = not (
                            settings.cypher_requires_key or settings.api_read_requires_key
                        )
                    else:
                        optional = method == "get" and not settings.api_read_requires_key
                    if optional and {} not in security:
                        security.append({})
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def error_response(
    status: int, error: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = ErrorBody(error=error, message=message, **extra)
    return JSONResponse(
        status_code=status, content=body.model_dump(exclude_none=True), headers=headers
    )


def _refs(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"id": i, "name": n} for i, n in pairs]


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TechgraphError)
    async def techgraph_error(request: Request, exc: TechgraphError) -> JSONResponse:
        if exc.status_code == 503:
            # Drop the connections: the next request opens them again, so the service
            # recovers on its own when the backend is back.
            drop_store(request.app.state)
            if request.app.state.cypher is not None:
                runner, request.app.state.cypher = request.app.state.cypher, None
                runner.close()
        extra: dict[str, Any] = {}
        if isinstance(exc, NotFound):
            extra["suggestions"] = _refs(exc.suggestions)
        if isinstance(exc, Ambiguous):
            extra["candidates"] = _refs(exc.candidates)
        if getattr(exc, "row_errors", None) is not None:
            extra["row_errors"] = exc.row_errors  # type: ignore[attr-defined]
        if exc.status_code >= 500:
            log.warning("%s %s: %s", request.method, request.url.path, exc.message)
        return error_response(
            exc.status_code,
            type(exc).__name__,
            exc.message,
            headers=getattr(exc, "headers", None),
            **extra,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = []
        for err in exc.errors():
            location = ".".join(str(part) for part in err.get("loc", ()))
            fields.append({"location": location, "message": str(err.get("msg", "invalid"))})
        first = fields[0] if fields else {"location": "request", "message": "invalid"}
        more = f" (and {len(fields) - 1} more)" if len(fields) > 1 else ""
        message = f"{first['location']}: {first['message']}{more}; see /docs for the parameters."
        return error_response(422, "InvalidArgument", message, fields=fields)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {404: "NotFound", 405: "MethodNotAllowed"}
        message = {
            404: f"there is no endpoint {request.url.path}; see /docs for the endpoints.",
            405: f"{request.method} is not allowed on {request.url.path}.",
        }.get(exc.status_code, str(exc.detail))
        return error_response(
            exc.status_code,
            names.get(exc.status_code, "HTTPError"),
            message,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        error_id = uuid.uuid4().hex[:12]
        log.exception("error %s on %s %s", error_id, request.method, request.url.path)
        return error_response(
            500,
            "InternalError",
            f"the server failed to answer; the error is logged as {error_id}.",
        )


class ReadLimit:
    """At most `limit` reads (GET /v1/...) run at once in this process; the others wait for
    their turn in arrival order, on the event loop (TECHGRAPH_API_READ_CONCURRENCY).

    The routes are synchronous and run in the thread pool, and a question is mostly Python
    (driver, decoding, the tree, the JSON), which runs one thread at a time: sixteen requests in
    sixteen threads only take turns on the GIL, every answer waits for the others' work, and
    each thread switch costs CPU too. Measured on the issue 5 load test (Neo4j, 2 workers, 32
    clients, runs alternated): dependency p99 202-281 ms with 2 or 3 at once against 342-721
    ms unbounded, 5-20 % more requests per second, and ~1 ms less worker CPU per request.
    Imports, documents and Cypher (POST) have their own bounds and are not held here."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith("/v1/")
        ):
            await self.app(scope, receive, send)
            return
        if self._slots is None:  # created on the server's event loop
            self._slots = asyncio.Semaphore(self.limit)
        async with self._slots:
            await self.app(scope, receive, send)


class CollectAfter:
    """Runs the garbage collector's young generations after a request when enough garbage
    waits (`runtime.collect_between_requests`), rather than inside some later request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http":
                collect_between_requests()


class BodyLimit:
    """Refuses request bodies over `limit` bytes with a 413, whether the client declares the
    length or streams the body: uploads are spooled to disk before a route sees them, so the
    bound must hold before that."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._too_large(send)
            return
        seen = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the app's answer to a cut-off body is replaced by the 413 below
            started = True
            await send(message)

        with suppress(_BodyTooLarge):
            await self.app(scope, limited_receive, guarded_send)
        if exceeded and not started:
            await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        response = error_response(
            413,
            "PayloadTooLarge",
            f"the request body is larger than {self.limit // (1024 * 1024)} MiB "
            "(TECHGRAPH_MAX_UPLOAD_MB).",
        )
        await response({"type": "http"}, _no_receive, send)


class _BodyTooLarge(Exception):
    pass


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
