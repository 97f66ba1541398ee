"""The HTTP service (FastAPI). This first cut answers /health and /stats on either backend;
the full /v1 query API grows here on the same store and error handling.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from techgraph import __version__
from techgraph.graph.errors import TechgraphError
from techgraph.graph.factory import open_store
from techgraph.graph.store import GraphStore

from .settings import Settings, get_settings


class Health(BaseModel):
    status: str
    backend: str


class Stats(BaseModel):
    nodes: dict[str, int]
    relationships: dict[str, int]


class ErrorBody(BaseModel):
    error: str
    message: str


def get_store(request: Request) -> GraphStore:
    """The app's store, opened on first use and again after a failure, so the service
    recovers when a Neo4j that was down comes back."""
    state = request.app.state
    if state.store is None:
        settings: Settings = state.settings
        state.store = open_store(
            settings.backend,
            data_dir=settings.data_dir,
            neo4j_uri=settings.neo4j_uri,
            neo4j_user=settings.neo4j_user,
            neo4j_password=settings.neo4j_password.get_secret_value(),
            neo4j_database=settings.neo4j_database,
        )
    store: GraphStore = state.store
    return store


Store = Annotated[GraphStore, Depends(get_store)]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = None
        yield
        if app.state.store is not None:
            app.state.store.close()

    app = FastAPI(title="techgraph", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.store = None

    @app.exception_handler(TechgraphError)
    async def techgraph_error(request: Request, exc: TechgraphError) -> JSONResponse:
        if exc.status_code == 503 and request.app.state.store is not None:
            request.app.state.store.close()
            request.app.state.store = None
        body = ErrorBody(error=type(exc).__name__, message=exc.message)
        return JSONResponse(status_code=exc.status_code, content=body.model_dump())

    @app.get("/health", response_model=Health, responses={503: {"model": ErrorBody}})
    def health(s: Store) -> Health:
        s.counts()
        return Health(status="ok", backend=s.backend)

    @app.get("/stats", response_model=Stats, responses={503: {"model": ErrorBody}})
    def stats(s: Store) -> Stats:
        counts = s.counts()
        return Stats(nodes=counts.nodes, relationships=counts.relationships)

    return app
