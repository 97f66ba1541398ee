"""Answers as plain JSON-ready dicts: one shape for the CLI's --json and the HTTP API."""

from __future__ import annotations

from typing import Any

from techgraph.graph import questions as q
from techgraph.graph.model import Hop, Node, Relationship, Route


def node(n: Node) -> dict[str, Any]:
    return {"id": n.id, "name": n.name}


def node_full(n: Node) -> dict[str, Any]:
    return {"id": n.id, "name": n.name, "aliases": list(n.aliases), "properties": dict(n.props)}


def relationship(r: Relationship) -> dict[str, Any]:
    return {
        "source": r.source,
        "type": r.type,
        "target": r.target,
        "properties": dict(r.props),
        "confidence": r.confidence,
        "evidence": [p.to_dict() for p in r.provenance],
    }


def hop(h: Hop) -> dict[str, Any]:
    return {
        "from": node(h.start),
        "to": node(h.end),
        "direction": "forward" if h.forward else "backward",
        **relationship(h.relationship),
    }


def route(p: Route) -> list[dict[str, Any]]:
    return [hop(h) for h in p]


def supplier_row(r: q.SupplierRow) -> dict[str, Any]:
    return {
        "provider": node(r.provider),
        "kind": r.provider.prefix,
        "country": r.country,
        "share": r.share,
        "year": r.year,
        "sources": q.citations(r.relationship),
    }


def search(a: q.SearchAnswer) -> dict[str, Any]:
    return {
        "query": a.query,
        "matches": [node_full(n) for n in a.matches],
        "suggestions": [node(n) for n in a.suggestions],
    }


def suppliers(a: q.SuppliersAnswer) -> dict[str, Any]:
    return {
        "item": node(a.item),
        "suppliers": [supplier_row(r) for r in a.rows],
        "countries": [
            {"country": c.country, "share": c.share, "basis": c.basis, "firms": list(c.firms)}
            for c in a.countries
        ],
    }


def dependency(r: q.DependencyRow) -> dict[str, Any]:
    return {
        "node": node(r.node),
        "depth": r.depth,
        "route": route(r.route),
        "suppliers": [supplier_row(s) for s in r.suppliers],
    }


def finding(f: q.Finding) -> dict[str, Any]:
    return {
        "input": node(f.input),
        "supplier": node(f.supplier),
        "basis": f.basis.value,
        "share": f.share,
        "path": route(f.path),
    }


def exposure(a: q.ExposureAnswer) -> dict[str, Any]:
    return {
        "item": node(a.item),
        "origin": node(a.origin),
        "depth": a.depth,
        "inputs_examined": a.inputs_examined,
        "inputs_with_shares": a.inputs_with_shares,
        "exposure": a.exposure,
        "findings": [finding(f) for f in a.findings],
    }


def chokepoint(c: q.Chokepoint) -> dict[str, Any]:
    return {
        "item": node(c.item),
        "reason": c.reason,
        "holder": node(c.holder),
        "share": c.share,
        "suppliers": c.suppliers,
    }


def alternative(a: q.Alternative) -> dict[str, Any]:
    return {
        "input": node(a.input),
        "exposed_suppliers": [node(n) for n in a.exposed_suppliers],
        "alternatives": [supplier_row(s) for s in a.alternatives],
    }


def member_alignment(m: q.MemberAlignment) -> dict[str, Any]:
    return {
        "country": node(m.country),
        "restricts": m.restricts,
        "restrictions": [
            {
                "actor": node(r.actor),
                "technology": node(r.technology),
                "via": r.via,
                "year": r.relationship.props.get("year"),
                "sources": q.citations(r.relationship),
            }
            for r in m.restrictions
        ],
    }
