"""The analysts' questions, one route each, answered by graph/questions.py (as the CLI is).

docs/queries.md gives each question's exact meaning; the routes only read parameters, call the
question, and page its answer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from techgraph.api import serialize
from techgraph.graph import questions as q

from ..deps import PageOf, ReadAccess, Store, respond
from ..schemas import (
    AlignmentPublic,
    AlternativesPublic,
    ChokepointsPublic,
    DependenciesPublic,
    ExposurePublic,
    PathsPublic,
    SuppliersPublic,
)
from .common import READ_ERRORS, DepthParam, EntityParam, OriginParam, TypesParam, rel_types

router = APIRouter(prefix="/v1", tags=["questions"], dependencies=[ReadAccess])


@router.get("/paths", response_model=PathsPublic, responses=READ_ERRORS)
def paths(
    store: Store,
    page: PageOf,
    source: EntityParam,
    target: EntityParam,
    type_: TypesParam = None,
    max_hops: Annotated[int, Query(ge=1, le=q.MAX_HOPS)] = 6,
    k: Annotated[int, Query(ge=1, le=q.MAX_PATHS, description="At most this many paths.")] = 3,
) -> Response:
    """Up to `k` shortest paths between two entities, ignoring direction, each hop with its
    evidence. Without `type`, every type but MENTIONS is followed."""
    a, b, found = q.paths(store, source, target, rel_types(type_), max_hops, k)
    data, envelope = page(found)
    return respond(
        PathsPublic.model_validate(
            {
                "source": serialize.node(a),
                "target": serialize.node(b),
                "data": [serialize.route(p) for p in data],
                **envelope,
            }
        )
    )


@router.get("/suppliers", response_model=SuppliersPublic, responses=READ_ERRORS)
def suppliers(store: Store, page: PageOf, item: EntityParam) -> Response:
    """Who PRODUCES a technology or input, firms and countries, with share, year and sources;
    `countries` adds the shares up by country."""
    body = serialize.suppliers(q.suppliers(store, item))
    data, envelope = page(body["suppliers"])
    return respond(
        SuppliersPublic.model_validate(
            {"item": body["item"], "countries": body["countries"], "data": data, **envelope}
        )
    )


@router.get("/dependencies", response_model=DependenciesPublic, responses=READ_ERRORS)
def dependencies(store: Store, page: PageOf, item: EntityParam, depth: DepthParam = 3) -> Response:
    """The upstream tree of a technology or firm, breadth first, each node with the route that
    reached it and its suppliers. The root comes first, at depth 0."""
    rows = q.dependencies(store, item, depth)
    data, envelope = page(rows)
    return respond(
        DependenciesPublic.model_validate(
            {
                "item": serialize.node(rows[0].node),
                "depth": depth,
                "data": [serialize.dependency(r) for r in data],
                **envelope,
            }
        )
    )


@router.get("/exposure", response_model=ExposurePublic, responses=READ_ERRORS)
def exposure(
    store: Store,
    page: PageOf,
    item: EntityParam,
    origin: OriginParam = "CHN",
    depth: DepthParam = 4,
) -> Response:
    """The dependencies of `item` whose supplier is of `origin`, by basis (headquarters,
    ultimate parent, production, restricted party), each with the path that proves it, and
    the share-weighted exposure figure."""
    body = serialize.exposure(q.exposure(store, item, origin, depth))
    data, envelope = page(body.pop("findings"))
    return respond(ExposurePublic.model_validate({**body, "data": data, **envelope}))


@router.get("/chokepoints", response_model=ChokepointsPublic, responses=READ_ERRORS)
def chokepoints(
    store: Store,
    page: PageOf,
    threshold: Annotated[
        float, Query(gt=0, le=1, description="Share at or above which one holder is one.")
    ] = 0.5,
    within: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=300,
            description="Only inputs in this technology's or firm's dependency tree.",
        ),
    ] = None,
    depth: DepthParam = 4,
) -> Response:
    """Inputs where one firm or one country holds at least `threshold` of supply, or that have
    a single supplier."""
    scope = store.resolve(within, ["tech", "firm"]) if within is not None else None
    found = q.chokepoints(store, threshold, scope.id if scope else None, depth)
    data, envelope = page(found)
    return respond(
        ChokepointsPublic.model_validate(
            {
                "threshold": threshold,
                "within": serialize.node(scope) if scope else None,
                "data": [serialize.chokepoint(c) for c in data],
                **envelope,
            }
        )
    )


@router.get("/alternatives", response_model=AlternativesPublic, responses=READ_ERRORS)
def alternatives(
    store: Store,
    page: PageOf,
    item: EntityParam,
    from_: Annotated[
        str,
        Query(
            alias="from",
            min_length=1,
            max_length=300,
            description="An alliance (`quad`, `alliance:eu`) or ISO codes (`USA,JPN,KOR`).",
            examples=["quad"],
        ),
    ],
    origin: OriginParam = "CHN",
    depth: DepthParam = 4,
) -> Response:
    """For each input of `item` exposed to `origin`, the suppliers of the same input in the
    chosen countries that are not themselves exposed."""
    label, answer, found = q.alternatives(store, item, from_, origin, depth)
    data, envelope = page(found)
    return respond(
        AlternativesPublic.model_validate(
            {
                "item": serialize.node(answer.item),
                "from": label,
                "origin": serialize.node(answer.origin),
                "data": [serialize.alternative(a) for a in data],
                **envelope,
            }
        )
    )


@router.get("/alignment", response_model=AlignmentPublic, responses=READ_ERRORS)
def alignment(
    store: Store, page: PageOf, technology: EntityParam, alliance: EntityParam
) -> Response:
    """For each member of `alliance`, whether it restricts exports of `technology` (or of a
    broader technology it is a type of): itself, through an agency, or through a regime."""
    tech, group, members = q.alignment(store, technology, alliance)
    data, envelope = page(members)
    return respond(
        AlignmentPublic.model_validate(
            {
                "technology": serialize.node(tech),
                "alliance": serialize.node(group),
                "restricting": sum(m.restricts for m in members),
                "data": [serialize.member_alignment(m) for m in data],
                **envelope,
            }
        )
    )
