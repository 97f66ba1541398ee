"""Entities: search by name, look one up, its neighbours, and the evidence behind relationships."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from techgraph.api import serialize
from techgraph.graph import questions as q
from techgraph.graph.store import Direction, GraphStore, Neighbour

from ..deps import PageOf, ReadAccess, Store, respond
from ..schemas import (
    EntitiesPublic,
    EntityDetail,
    NeighbourPublic,
    NeighboursPublic,
    NodeRef,
    RelationshipsPublic,
)
from .common import READ_ERRORS, EntityParam, TypesParam, rel_types

router = APIRouter(prefix="/v1", tags=["entities"], dependencies=[ReadAccess])

# Search answers are short (a name fits a handful of entities); the cap only bounds the work.
SEARCH_CAP = 1000
SUGGESTIONS = 10


@router.get("/entities", response_model=EntitiesPublic, responses=READ_ERRORS)
def search_entities(
    store: Store,
    page: PageOf,
    q_: Annotated[
        str,
        Query(
            alias="q",
            min_length=1,
            max_length=300,
            description="An id, name, alias, demonym or ISO code.",
            examples=["Huawei"],
        ),
    ],
) -> Response:
    """The entities whose id, name, alias or demonym is `q` (after folding case, accents,
    punctuation and legal suffixes); `suggestions` holds close names when none is."""
    answer = q.search(store, q_, SEARCH_CAP)
    body = serialize.search(answer)
    data, envelope = page(body["matches"])
    return respond(
        EntitiesPublic.model_validate(
            {
                "query": body["query"],
                "data": data,
                "suggestions": body["suggestions"][:SUGGESTIONS],
                **envelope,
            }
        )
    )


@router.get("/entities/{entity:path}", response_model=EntityDetail, responses=READ_ERRORS)
def get_entity(
    store: Store,
    entity: Annotated[
        str,
        Path(
            min_length=1,
            max_length=300,
            description="An id (`firm:huawei`) or a name that fits exactly one entity.",
            examples=["firm:huawei"],
        ),
    ],
) -> Response:
    """One entity by id or name, with its aliases, properties and the sources that vouch for
    it. An unknown name is a 404 with `suggestions`; one that fits several is a 409."""
    node = store.resolve(entity)
    return respond(
        EntityDetail.model_validate(
            {
                **serialize.node_full(node),
                "type": store.schema.node_type_of(node.id).name,
                "evidence": [p.to_dict() for p in node.provenance],
            }
        )
    )


@router.get("/neighbours", response_model=NeighboursPublic, responses=READ_ERRORS)
def neighbours(
    store: Store,
    page: PageOf,
    entity: EntityParam,
    type_: TypesParam = None,
    direction: Direction = Direction.BOTH,
) -> Response:
    """An entity's relationships with the node at the other end, their properties and
    evidence, sorted by type and name."""
    node, found = q.neighbours(store, entity, rel_types(type_), direction)
    data, envelope = page(found)
    return respond(
        NeighboursPublic.model_validate(
            {"entity": serialize.node(node), "data": [_neighbour(n) for n in data], **envelope}
        )
    )


@router.get("/relationships", response_model=RelationshipsPublic, responses=READ_ERRORS)
def relationships(
    store: Store,
    page: PageOf,
    source: EntityParam,
    target: Annotated[
        str | None,
        Query(min_length=1, max_length=300, description="Only relationships to this entity."),
    ] = None,
    type_: TypesParam = None,
    direction: Annotated[
        Direction,
        Query(description="`out`: from source to target (the default); `in`; `both`."),
    ] = Direction.OUT,
) -> Response:
    """The evidence behind relationships: each relationship from `source` (to `target`, of
    `type`) with every provenance record: the sentence and document it was read from, or the
    dataset and row. Evidence from a document names it."""
    node, found = q.neighbours(store, source, rel_types(type_), direction)
    other = store.resolve(target) if target is not None else None
    if other is not None:
        found = [n for n in found if n.node.id == other.id]
    data, envelope = page(found)
    documents = _documents(store, data)
    items = []
    for n in data:
        item = NeighbourPublic.model_validate(_neighbour(n))
        for record in item.relationship.evidence:
            record.document = documents.get(record.source)
        items.append(item)
    return respond(
        RelationshipsPublic(
            source=NodeRef.model_validate(serialize.node(node)),
            target=NodeRef.model_validate(serialize.node(other)) if other else None,
            data=items,
            **envelope,
        )
    )


def _neighbour(n: Neighbour) -> dict[str, object]:
    return {"node": serialize.node(n.node), "relationship": serialize.relationship(n.relationship)}


def _documents(store: GraphStore, found: list[Neighbour]) -> dict[str, NodeRef]:
    """The documents the evidence cites, by id (one look-up for all of them)."""
    ids = sorted(
        {p.source for n in found for p in n.relationship.provenance if p.source.startswith("doc:")}
    )
    nodes = store.get_nodes(ids) if ids else {}
    return {i: NodeRef(id=i, name=n.name) for i, n in nodes.items()}
