"""The schema file is the only authority on types, ids and endpoints."""

from __future__ import annotations

import pytest

from techgraph.graph.errors import SchemaViolation
from techgraph.graph.model import FactBatch, Node, Relationship
from techgraph.graph.schema import load_schema

schema = load_schema()


def test_schema_declares_the_agreed_types() -> None:
    assert {"Country", "Firm", "Agency", "Alliance", "Technology", "Document"} <= set(
        schema.node_types
    )
    assert {
        "HEADQUARTERED_IN",
        "SUBSIDIARY_OF",
        "SUPPLIES",
        "PRODUCES",
        "REQUIRES",
        "INVESTS_IN",
        "RESTRICTS_EXPORT_OF",
        "MEMBER_OF",
        "COOPERATES_WITH",
        "MENTIONS",
    } <= set(schema.relationship_types)


@pytest.mark.parametrize(
    ("node_id", "fragment"),
    [
        ("huawei", "is not a node id"),
        ("company:huawei", "is not a node id"),
        ("country:chn", "not a valid Country id"),
        ("country:CHINA", "not a valid Country id"),
        ("firm:Huawei Tech", "not a valid Firm id"),
        ("doc:abc", "not a valid Document id"),
    ],
)
def test_bad_ids_are_refused_with_the_reason(node_id: str, fragment: str) -> None:
    with pytest.raises(SchemaViolation, match=fragment):
        schema.node_type_of(node_id)


def test_wrong_endpoint_types_name_the_allowed_ones() -> None:
    rel = Relationship("country:CHN", "HEADQUARTERED_IN", "firm:huawei")
    with pytest.raises(SchemaViolation, match="joins Firm to Country, not Country to Firm"):
        schema.validate_relationship(rel)


def test_unknown_relationship_type_lists_the_allowed_set() -> None:
    with pytest.raises(SchemaViolation, match=r"unknown relationship type 'OWNS'.*SUBSIDIARY_OF"):
        schema.validate_relationship(Relationship("firm:a", "OWNS", "firm:b"))


@pytest.mark.parametrize(
    ("props", "fragment"),
    [
        ({"id": "x"}, "cannot be used as a property name"),
        ({"Bad Key": 1}, "cannot be used as a property name"),
        ({"nested": {"a": 1}}, "has a value of type dict"),
        ({"mixed": [1, "a"]}, "mixes value types"),
        ({"nan": float("nan")}, "has a value of type float"),
    ],
)
def test_properties_must_be_storable_in_both_backends(props: dict, fragment: str) -> None:
    with pytest.raises(SchemaViolation, match=fragment):
        schema.validate_node(Node("firm:a", "A", props=props))


def test_missing_required_name_is_refused() -> None:
    with pytest.raises(SchemaViolation, match="required property 'name'"):
        schema.validate_node(Node("firm:a", ""))


def test_labels_spliced_into_cypher_come_only_from_the_schema() -> None:
    assert schema.label("Firm") == "`Firm`"
    assert schema.rel_type("SUPPLIES") == "`SUPPLIES`"
    with pytest.raises(SchemaViolation):
        schema.label("Firm` DETACH DELETE n //")
    with pytest.raises(SchemaViolation):
        schema.rel_type("SUPPLIES]->() DELETE r //")


def test_validate_batch_reports_endpoints_outside_the_batch() -> None:
    batch = FactBatch(
        nodes=[Node("firm:a", "A")],
        relationships=[Relationship("firm:a", "HEADQUARTERED_IN", "country:CHN")],
    )
    assert schema.validate_batch(batch) == {"country:CHN"}
