"""Health and counts, at the root (for load balancers, compose health checks) and under /v1."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ..deps import ReadAccess, Store, respond
from ..schemas import Health, Stats
from .common import AUTH, UNAVAILABLE

router = APIRouter(tags=["service"])


@router.get("/health", response_model=Health, responses=UNAVAILABLE)
@router.get("/v1/health", response_model=Health, responses=UNAVAILABLE)
def health(store: Store) -> Response:
    """200 when the backend answers a query, 503 when it cannot be reached. Needs no key, so
    that monitoring works whatever TECHGRAPH_API_READ_REQUIRES_KEY says."""
    store.counts()
    return respond(Health(status="ok", backend=store.backend))


@router.get(
    "/stats", response_model=Stats, responses={**UNAVAILABLE, **AUTH}, dependencies=[ReadAccess]
)
@router.get(
    "/v1/stats",
    response_model=Stats,
    responses={**UNAVAILABLE, **AUTH},
    dependencies=[ReadAccess],
)
def stats(store: Store) -> Response:
    """Node counts by type and relationship counts by type."""
    counts = store.counts()
    return respond(Stats(nodes=counts.nodes, relationships=counts.relationships))
