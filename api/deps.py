"""What the routers depend on: the store, the caller's API key, a page of a list.

Routers receive the store as `Store` (`Annotated[GraphStore, Depends(get_store)]`) and declare the
access they need with `dependencies=[ReadAccess]` or `[WriteAccess]`; nothing else about
connections or keys appears in a route.
"""

from __future__ import annotations

import contextlib
import hmac
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, TypeVar

import anyio.to_thread
from fastapi import Depends, Query, Request, Response, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from techgraph.graph.errors import TechgraphError
from techgraph.graph.model import Counts, FactBatch, Node, Relationship, Route, WriteSummary
from techgraph.graph.store import Direction, GraphStore, Neighbour, Step

from .settings import Settings, open_configured_store

T = TypeVar("T")
MAX_PAGE = 1000
DEFAULT_PAGE = 100

# -- errors of the API's own ---------------------------------------------------------------------


class Unauthorized(TechgraphError):
    """No API key was presented where one is needed."""

    status_code = 401
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": 'Bearer realm="techgraph"'}


class Forbidden(TechgraphError):
    """A wrong API key, or an operation this deployment does not allow (writes, Cypher)."""

    status_code = 403


class PayloadTooLarge(TechgraphError):
    status_code = 413


# -- the store -------------------------------------------------------------------------------------


class SerializedStore(GraphStore):
    """A store whose every call runs under one lock.

    The embedded store is a networkx graph that its readers refresh from the journal and its
    writers mutate; it was written for one thread. The API calls it from the thread pool, so
    each primitive call here holds a lock (with the GIL, pure-Python work does not run in
    parallel anyway, so this costs little). A question makes several calls and holds the lock
    for all of them (`reading`), so that no write lands in the middle of its answer.
    """

    def __init__(self, inner: GraphStore) -> None:
        super().__init__(inner.schema)
        self.inner = inner
        self.backend = inner.backend
        self._lock = threading.RLock()

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            return fn(*args)

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        with self._lock, self.inner.reading():
            yield

    def init(self) -> None:
        self._call(self.inner.init)

    def _write(self, batch: FactBatch, replace_source: str | None = None) -> WriteSummary:
        return self._call(self.inner.write, batch, replace_source)

    def entity_names(self) -> list[tuple[str, str, tuple[str, ...]]]:
        return self._call(self.inner.entity_names)

    def get_node(self, node_id: str) -> Node | None:
        return self._call(self.inner.get_node, node_id)

    def neighbours(
        self,
        node_id: str,
        rel_types: Sequence[str] | None = None,
        direction: Direction = Direction.BOTH,
    ) -> list[Neighbour]:
        return self._call(self.inner.neighbours, node_id, rel_types, direction)

    def get_nodes(self, node_ids: Sequence[str]) -> dict[str, Node]:
        return self._call(self.inner.get_nodes, node_ids)

    def expand(self, node_ids: Sequence[str], steps: Sequence[Step]) -> list[tuple[str, Neighbour]]:
        return self._call(self.inner.expand, node_ids, steps)

    def expand_then(
        self,
        node_ids: Sequence[str],
        steps: Sequence[Step],
        then: Sequence[Step],
        kinds: Sequence[str],
    ) -> tuple[list[tuple[str, Neighbour]], list[tuple[str, Neighbour]]]:
        return self._call(self.inner.expand_then, node_ids, steps, then, kinds)

    def shortest_paths(
        self, source: str, target: str, rel_types: Sequence[str] | None, max_hops: int, k: int
    ) -> list[Route]:
        return self._call(self.inner.shortest_paths, source, target, rel_types, max_hops, k)

    def relationships(self, rel_type: str) -> list[Relationship]:
        return self._call(self.inner.relationships, rel_type)

    def counts(self) -> Counts:
        return self._call(self.inner.counts)

    def clear(self) -> None:
        self._call(self.inner.clear)

    def close(self) -> None:
        self._call(self.inner.close)


_opening = threading.Lock()


def open_app_store(settings: Settings) -> GraphStore:
    store = open_configured_store(settings)
    # The Neo4j driver is thread-safe and pools its connections; the embedded store is not.
    return store if store.backend == "neo4j" else SerializedStore(store)


async def get_store(request: Request) -> GraphStore:
    """The app's store, opened on first use and again after a failure (the error handler drops
    it on a 503), so the service recovers when a Neo4j that was down comes back.

    Async, like every dependency here, so that it runs on the event loop: FastAPI runs a sync
    dependency in the thread pool, one hop per dependency per request, which costs more than
    the cheap work they do. Only opening the store blocks, and that goes to a thread."""
    state = request.app.state
    store: GraphStore | None = state.store
    if store is None:
        store = await anyio.to_thread.run_sync(_open_once, state)
    return store


def _open_once(state: Any) -> GraphStore:
    with _opening:  # two first requests at once must not open two stores
        if state.store is None:
            state.store = open_app_store(state.settings)
        store: GraphStore = state.store
        return store


def drop_store(state: Any) -> None:
    """Close and forget the app's store (after the backend failed); the next request reopens."""
    with _opening:
        store, state.store = state.store, None
    if store is not None:
        # Closing a broken connection may fail too; the store is gone either way.
        with contextlib.suppress(Exception):
            store.close()


Store = Annotated[GraphStore, Depends(get_store)]


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(get_settings_dep)]

# -- API keys --------------------------------------------------------------------------------------

_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="One of TECHGRAPH_API_KEYS."
)
_bearer = HTTPBearer(auto_error=False, description="One of TECHGRAPH_API_KEYS as a bearer token.")


async def presented_key(
    api_key: Annotated[str | None, Security(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> str | None:
    """The key the caller sent, in `X-API-Key` or as `Authorization: Bearer <key>`."""
    if api_key:
        return api_key
    if bearer is not None and bearer.credentials:
        return bearer.credentials
    return None


Key = Annotated[str | None, Depends(presented_key)]


def check_key(settings: Settings, key: str | None, what: str) -> None:
    """401 without a key, 403 with a wrong one (or when no key is configured at all)."""
    if not settings.api_keys:
        raise Forbidden(f"{what} disabled: set TECHGRAPH_API_KEYS to allow them with a key.")
    if key is None:
        raise Unauthorized(
            f"{what} need an API key: send it as `X-API-Key: <key>` or "
            "`Authorization: Bearer <key>`."
        )
    given = key.encode()
    # Compare with every configured key, in constant time, so timing tells nothing.
    matches = [hmac.compare_digest(given, k.get_secret_value().encode()) for k in settings.api_keys]
    if not any(matches):
        raise Forbidden("the API key is not one of TECHGRAPH_API_KEYS.")


async def require_write(settings: AppSettings, key: Key) -> None:
    check_key(settings, key, "writes are")


async def require_read(settings: AppSettings, key: Key) -> None:
    if settings.api_read_requires_key:
        check_key(settings, key, "reads are")


WriteAccess = Depends(require_write)
ReadAccess = Depends(require_read)

# -- pages -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paging:
    """`limit` and `offset` of a list answer."""

    limit: int
    offset: int

    def __call__(self, items: Sequence[T]) -> tuple[list[T], dict[str, int]]:
        """This page of `items` and the envelope fields (count, limit, offset)."""
        page = list(items[self.offset : self.offset + self.limit])
        return page, {"count": len(items), "limit": self.limit, "offset": self.offset}


async def paging(
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE, description="At most this many items.")
    ] = DEFAULT_PAGE,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Skip this many.")] = 0,
) -> Paging:
    return Paging(limit, offset)


PageOf = Annotated[Paging, Depends(paging)]


def respond(model: BaseModel) -> Response:
    """The answer as JSON, from a model the route has already validated.

    Returning a Response skips FastAPI's own pass over the answer, which would validate it
    against the response model a second time (in the thread pool) and then serialise it in
    Python; pydantic-core writes the JSON directly. The route's `response_model` still
    documents the shape in OpenAPI, and the tests hold the answers to it."""
    return Response(model.model_dump_json(by_alias=True), media_type="application/json")
