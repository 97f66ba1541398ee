"""The HTTP API's response models: the JSON shapes of `api/serialize.py` (the CLI's --json), typed.

Routers build every answer as `serialize.X(answer)` and validate it into these models, so the API
and the CLI cannot drift apart: a field added to serialize.py without a field here fails the
response validation in the tests. Lists come as `XsPublic` envelopes in the manner of the
full-stack FastAPI template: `data` (one page), `count` (all of them), `limit` and `offset`,
next to the answer's own header fields (the item asked about, the exposure figure, ...).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer

# -- building blocks -----------------------------------------------------------------------------


class NodeRef(BaseModel):
    """An entity by id and name (serialize.node)."""

    id: str = Field(examples=["firm:huawei"])
    name: str = Field(examples=["Huawei Technologies Co., Ltd."])


class EntityPublic(NodeRef):
    """An entity with its aliases and properties (serialize.node_full)."""

    aliases: list[str] = Field(examples=[["Huawei", "华为"]])
    properties: dict[str, Any] = Field(examples=[{"founded": 1987}])


class EvidencePublic(BaseModel):
    """One provenance record: where a statement of a fact came from.

    `source` is a document id (`doc:<sha256>`) or a dataset (`reference:firms.yaml`,
    `dataset:eto/provision.csv`); `locator` is the row or line in it; `sentence` with its
    character offsets `start`/`end` when the fact was read from text. Fields the record does not
    have are null. `document` names the document where the source is one the graph holds.
    """

    source: str = Field(examples=["reference:relations.yaml"])
    extractor: str = Field(examples=["reference-loader"])
    extractor_version: str = Field(examples=["1"])
    confidence: float = Field(examples=[1.0])
    locator: str | None = Field(default=None, examples=["line 12"])
    sentence: str | None = None
    start: int | None = None
    end: int | None = None
    citation: str | None = Field(
        default=None, examples=["Huawei Investment & Holding Co., Ltd. Annual Report 2023"]
    )
    document: NodeRef | None = None

    # Records leave out what they do not have (as serialize.py and the CLI's --json do). No
    # return annotation: with one, pydantic would publish the schema as a bare object.
    @model_serializer(mode="wrap")
    def _without_nulls(self, handler):  # type: ignore[no-untyped-def]
        return {k: v for k, v in handler(self).items() if v is not None}


class EntityDetail(EntityPublic):
    """An entity as `GET /v1/entities/{entity}` gives it: with its type and its own evidence."""

    type: str = Field(examples=["Firm"])
    evidence: list[EvidencePublic]


class RelationshipPublic(BaseModel):
    """A relationship with its properties and evidence (serialize.relationship)."""

    source: str = Field(examples=["firm:huawei"])
    type: str = Field(examples=["HEADQUARTERED_IN"])
    target: str = Field(examples=["country:CHN"])
    properties: dict[str, Any]
    confidence: float | None = Field(examples=[1.0])
    evidence: list[EvidencePublic]


class HopPublic(BaseModel):
    """One step of a path (serialize.hop): the relationship read from `from` to `to`;
    `direction` says whether that is the relationship's own direction."""

    model_config = ConfigDict(populate_by_name=True)

    from_: NodeRef = Field(alias="from")
    to: NodeRef
    direction: Literal["forward", "backward"]
    source: str = Field(examples=["firm:huawei"])
    type: str = Field(examples=["PRODUCES"])
    target: str = Field(examples=["tech:5g-base-stations"])
    properties: dict[str, Any]
    confidence: float | None = Field(examples=[1.0])
    evidence: list[EvidencePublic]


class Page(BaseModel):
    """What every list answer carries besides its page of `data`."""

    count: int = Field(description="How many items the whole answer has.", examples=[42])
    limit: int = Field(description="The page size asked for.", examples=[100])
    offset: int = Field(description="How many items were skipped.", examples=[0])


class SupplierRowPublic(BaseModel):
    """Who provides an input (serialize.supplier_row); `country` is the supplier's own for a
    country row, its headquarters for a firm."""

    provider: NodeRef
    kind: str = Field(examples=["firm"])
    country: str | None = Field(examples=["country:CHN"])
    share: float | None = Field(examples=[0.3])
    year: int | None = Field(examples=[2023])
    sources: list[str]


# -- search, lookup, neighbours, relationships ---------------------------------------------------


class EntitiesPublic(Page):
    """The entities a name, alias, demonym or id stands for; close names when none does."""

    query: str = Field(examples=["Huawei"])
    data: list[EntityPublic]
    suggestions: list[NodeRef] = Field(
        description="Entities with a close name, given only when nothing matches."
    )


class NeighbourPublic(BaseModel):
    node: NodeRef = Field(description="The node at the other end.")
    relationship: RelationshipPublic


class NeighboursPublic(Page):
    entity: NodeRef
    data: list[NeighbourPublic]


class RelationshipsPublic(Page):
    """The relationships from `source` (to `target` when given) with the evidence behind each."""

    source: NodeRef
    target: NodeRef | None
    data: list[NeighbourPublic]


# -- the questions ---------------------------------------------------------------------------------


class PathsPublic(Page):
    source: NodeRef
    target: NodeRef
    data: list[list[HopPublic]] = Field(description="Each path as its hops, shortest first.")


class CountrySharePublic(BaseModel):
    country: str = Field(examples=["country:CHN"])
    share: float = Field(examples=[0.9])
    basis: str = Field(examples=["reported"], description="`reported` or `sum of firms`.")
    firms: list[str]


class SuppliersPublic(Page):
    item: NodeRef
    data: list[SupplierRowPublic]
    countries: list[CountrySharePublic]


class DependencyPublic(BaseModel):
    node: NodeRef
    depth: int
    route: list[HopPublic] = Field(description="How the tree reached this node from the root.")
    suppliers: list[SupplierRowPublic]


class DependenciesPublic(Page):
    item: NodeRef
    depth: int
    data: list[DependencyPublic]


class FindingPublic(BaseModel):
    input: NodeRef
    supplier: NodeRef
    basis: Literal["headquarters", "ultimate_parent", "production", "restricted_party"]
    share: float | None
    path: list[HopPublic] = Field(description="The chain of relationships that proves it.")


class ExposurePublic(Page):
    item: NodeRef
    origin: NodeRef
    depth: int
    inputs_examined: int
    inputs_with_shares: int
    exposure: float | None = Field(
        description="Share-weighted exposure (docs/queries.md); null without share data."
    )
    data: list[FindingPublic]


class ChokepointPublic(BaseModel):
    item: NodeRef
    reason: Literal["firm share", "country share", "single supplier"]
    holder: NodeRef
    share: float | None
    suppliers: int


class ChokepointsPublic(Page):
    threshold: float
    within: NodeRef | None
    data: list[ChokepointPublic]


class AlternativePublic(BaseModel):
    input: NodeRef
    exposed_suppliers: list[NodeRef]
    alternatives: list[SupplierRowPublic]


class AlternativesPublic(Page):
    model_config = ConfigDict(populate_by_name=True)

    item: NodeRef
    from_: str = Field(alias="from", examples=["Quad"])
    origin: NodeRef
    data: list[AlternativePublic]


class RestrictionPublic(BaseModel):
    actor: NodeRef
    technology: NodeRef
    via: Literal["itself", "agency", "alliance"]
    year: Any = None
    sources: list[str]


class MemberAlignmentPublic(BaseModel):
    country: NodeRef
    restricts: bool
    restrictions: list[RestrictionPublic]


class AlignmentPublic(Page):
    technology: NodeRef
    alliance: NodeRef
    restricting: int = Field(description="How many members restrict exports of it.")
    data: list[MemberAlignmentPublic]


# -- service -------------------------------------------------------------------------------------


class Health(BaseModel):
    status: Literal["ok"]
    backend: str = Field(examples=["neo4j"])


class Stats(BaseModel):
    nodes: dict[str, int] = Field(examples=[{"Firm": 151, "Country": 249}])
    relationships: dict[str, int] = Field(examples=[{"PRODUCES": 120}])


class RowErrorPublic(BaseModel):
    file: str = Field(examples=["provision.csv"])
    line: int = Field(examples=[7])
    reason: str = Field(examples=["share_provided '30%' is not a number"])


class ImportPublic(BaseModel):
    """What an import read and wrote. Bad rows are skipped and listed; with `strict`, any bad
    row means nothing is written (and the answer is a 422)."""

    source: str = Field(examples=["ETO dataset (5 files)"])
    written: bool
    rows_read: int
    rows_loaded: int
    rows_skipped: int
    row_errors: list[RowErrorPublic]
    nodes_written: int
    relationships_written: int
    nodes_new: int = Field(description="How much the graph's node count grew.")
    relationships_new: int
    notes: list[str]


class ExtractedEntity(BaseModel):
    id: str = Field(examples=["firm:huawei"])
    name: str = Field(examples=["Huawei Technologies Co., Ltd."])
    type: str = Field(examples=["Firm"])
    discovered: bool = Field(
        description="Found by the statistical model, not among the graph's names."
    )
    mentions: list[str] = Field(description="How the document writes it.", examples=[["Huawei"]])


class ExtractedRelationPublic(BaseModel):
    source: str = Field(examples=["firm:huawei"])
    type: str = Field(examples=["HEADQUARTERED_IN"])
    target: str = Field(examples=["country:CHN"])
    confidence: float
    sentence: str
    start: int = Field(description="Character offset of the sentence in the document's text.")
    end: int
    negated: bool = Field(description="The sentence denies it; never written.")
    hedged: bool = Field(description="Stated as possible, not asserted; written as hedged.")
    written: bool


class DocumentPublic(BaseModel):
    """What one document gave: `ingested`, or `unchanged` when the same content was already
    ingested under the same key (nothing was extracted again)."""

    document: NodeRef
    key: str
    status: Literal["ingested", "unchanged"]
    reason: str | None
    words: int
    entities: list[ExtractedEntity]
    relations: list[ExtractedRelationPublic]
    notes: list[str]


class CypherRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(
        min_length=1,
        max_length=20_000,
        examples=["MATCH (f:Firm)-[:HEADQUARTERED_IN]->(:Country {id: $c}) RETURN f.name LIMIT 5"],
    )
    parameters: dict[str, Any] = Field(default_factory=dict, examples=[{"c": "country:CHN"}])


class CypherResult(BaseModel):
    columns: list[str]
    rows: list[dict[str, Any]] = Field(
        description="Nodes as {element_id, labels, properties}, relationships as {element_id, "
        "type, start, end, properties}, paths as {nodes, relationships}; temporal values as "
        "ISO 8601 strings."
    )
    count: int = Field(description="Rows returned.")
    truncated: bool = Field(description="Whether the result had more rows than `row_limit`.")
    row_limit: int


class FieldError(BaseModel):
    location: str = Field(examples=["query.depth"])
    message: str = Field(examples=["Input should be less than or equal to 10"])


class ErrorBody(BaseModel):
    """Every error of the API has this shape; the optional lists appear where they apply."""

    error: str = Field(examples=["NotFound"], description="The kind of error.")
    message: str = Field(
        examples=["no entity called 'Huawey' in the graph. Did you mean Huawei?"],
        description="What was wrong and what to do, in one or two sentences.",
    )
    suggestions: list[NodeRef] | None = Field(
        default=None, description="Close names, for an unknown entity (404)."
    )
    candidates: list[NodeRef] | None = Field(
        default=None, description="The entities an ambiguous name fits (409)."
    )
    fields: list[FieldError] | None = Field(
        default=None, description="Each parameter that was refused (422)."
    )
    row_errors: list[RowErrorPublic] | None = Field(
        default=None, description="The bad rows of a strict import that was refused (422)."
    )
