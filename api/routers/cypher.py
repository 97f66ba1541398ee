"""`POST /v1/cypher`: read-only Cypher for power users, on Neo4j, off unless enabled.

The vetting (text, EXPLAIN plan, READ transaction with timeout and row limit) is
api/cypher_guard.py; this route only checks that the endpoint is on and the caller may use it.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request, Response

from ..cypher_guard import CypherDisabled, CypherRunner, CypherUnsupported
from ..deps import AppSettings, Key, check_key, respond
from ..schemas import CypherRequest, CypherResult
from .common import UNAVAILABLE, _error

router = APIRouter(prefix="/v1", tags=["cypher"])
_opening = threading.Lock()


async def cypher_runner(request: Request, settings: AppSettings, key: Key) -> CypherRunner:
    """The app's Cypher runner, once the endpoint is enabled, the caller allowed and the
    backend Neo4j; opened on first use and again after a 503 (see app.py)."""
    if not settings.cypher_enabled:
        raise CypherDisabled(
            "the Cypher endpoint is disabled: set TECHGRAPH_CYPHER_ENABLED=true to enable it."
        )
    if settings.cypher_requires_key or settings.api_read_requires_key:
        check_key(settings, key, "Cypher queries are")
    if settings.backend != "neo4j":
        raise CypherUnsupported(
            f"POST /v1/cypher needs the neo4j backend; this server runs the {settings.backend} "
            "backend, which has no Cypher. Use the /v1 question endpoints instead."
        )
    state = request.app.state
    with _opening:
        if state.cypher is None:
            state.cypher = CypherRunner(
                settings.neo4j_uri,
                settings.neo4j_user,
                settings.neo4j_password.get_secret_value(),
                settings.neo4j_database,
                timeout=settings.cypher_timeout,
                row_limit=settings.cypher_row_limit,
                max_concurrency=settings.cypher_max_concurrency,
            )
        runner: CypherRunner = state.cypher
    return runner


@router.post(
    "/cypher",
    response_model=CypherResult,
    responses={
        400: _error("The query was refused (it writes, administers, loads, or is not valid)."),
        401: _error("No API key was sent (TECHGRAPH_CYPHER_REQUIRES_KEY)."),
        403: _error("The endpoint is disabled, or the API key is wrong."),
        422: _error("The request body is not {query, parameters}."),
        501: _error("The server runs the embedded backend, which has no Cypher."),
        504: _error("The query ran longer than TECHGRAPH_CYPHER_TIMEOUT."),
        **UNAVAILABLE,
    },
)
def run_cypher(
    runner: Annotated[CypherRunner, Depends(cypher_runner)],
    body: Annotated[CypherRequest, Body()],
) -> Response:
    """Run one read-only Cypher query with `$parameters`. Queries that write, call procedures
    other than db.labels, db.relationshipTypes, db.propertyKeys and db.schema.*, call APOC,
    load files, or administer the server are refused (400). Results are cut at
    TECHGRAPH_CYPHER_ROW_LIMIT rows (`truncated`)."""
    answer = runner.run(body.query, body.parameters)
    return respond(
        CypherResult(
            columns=answer.columns,
            rows=answer.rows,
            count=len(answer.rows),
            truncated=answer.truncated,
            row_limit=runner.row_limit,
        )
    )
