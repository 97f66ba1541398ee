"""What several routers share: parameter types, the error responses each route declares."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import Query

from techgraph.graph import questions as q
from techgraph.graph.schema import load_schema

from ..schemas import ErrorBody

# The relationship types of graph/schema.yaml as an enum, so that OpenAPI lists them and an
# unknown type is a 422 before any route runs.
RelType = StrEnum(  # type: ignore[misc]
    "RelType", {name: name for name in load_schema().relationship_types}
)

EntityParam = Annotated[
    str,
    Query(
        min_length=1,
        max_length=300,
        description="An entity by id (`firm:huawei`), name, alias or, for a country, "
        "demonym or ISO code.",
        examples=["Huawei"],
    ),
]
TypesParam = Annotated[
    list[RelType] | None,
    Query(
        alias="type",
        description="Only these relationship types (repeat the parameter for several).",
    ),
]
DepthParam = Annotated[
    int, Query(ge=1, le=q.MAX_DEPTH, description="How many hops upstream the tree grows.")
]
OriginParam = Annotated[
    str,
    Query(
        pattern=r"^(country:)?[A-Za-z]{3}$",
        description="The origin country, ISO 3166-1 alpha-3.",
        examples=["CHN"],
    ),
]


Responses = dict[int | str, dict[str, Any]]


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


NOT_FOUND: Responses = {
    404: _error("No entity of that id or name; `suggestions` lists close names.")
}
AMBIGUOUS: Responses = {409: _error("The name fits several entities; `candidates` lists them.")}
INVALID: Responses = {422: _error("A parameter was refused; `fields` says which and why.")}
UNAVAILABLE: Responses = {503: _error("The backend cannot be reached; try again when it is back.")}
AUTH: Responses = {
    401: _error("An API key is needed (TECHGRAPH_API_READ_REQUIRES_KEY) and none was sent."),
    403: _error("The API key is wrong."),
}
# Every read that takes entities by name.
READ_ERRORS: Responses = {
    **NOT_FOUND,
    **AMBIGUOUS,
    **INVALID,
    **UNAVAILABLE,
    **AUTH,
}


def rel_types(types: list[RelType] | None) -> list[str] | None:
    return [t.value for t in types] if types else None
