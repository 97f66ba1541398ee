"""Foreign-origin exposure of a technology's supply chain, with the path that proves each finding.

This first version walks the store through its generic `neighbours` call, so it runs unchanged on
both backends. It answers two of the bases DESIGN.md names: a supplier *headquartered* in the
origin country, and a supplier whose *ultimate parent* (the top of its SUBSIDIARY_OF chain) is.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from .errors import NotFound
from .model import Node, Relationship
from .store import Direction, GraphStore

MAX_PARENT_CHAIN = 20  # ownership chains are short; this only guards against a cycle in the data


class Basis(StrEnum):
    HEADQUARTERS = "headquarters"
    ULTIMATE_PARENT = "ultimate_parent"


@dataclass(frozen=True)
class Hop:
    """One step of a proving path: `relationship` read from `start` to `end`."""

    start: Node
    relationship: Relationship
    end: Node

    @property
    def forward(self) -> bool:
        return self.relationship.source == self.start.id


@dataclass(frozen=True)
class Finding:
    input: Node
    supplier: Node
    basis: Basis
    country: Node
    path: tuple[Hop, ...]

    @property
    def share(self) -> float | None:
        produces = next(h.relationship for h in self.path if h.relationship.type == "PRODUCES")
        share = produces.props.get("share")
        return float(share) if isinstance(share, int | float) else None


def exposure(store: GraphStore, root_id: str, origin: str, max_depth: int = 4) -> list[Finding]:
    """Dependencies of `root_id` (to `max_depth` REQUIRES hops) with suppliers of `origin`."""
    root = store.get_node(root_id)
    if root is None:
        raise NotFound(
            f"no entity with id {root_id!r} in the graph; load the reference data first."
        )
    country_id = origin if origin.startswith("country:") else f"country:{origin.upper()}"
    if store.get_node(country_id) is None:
        raise NotFound(f"no country {origin!r} in the graph; use an ISO 3166-1 alpha-3 code.")
    findings: list[Finding] = []
    for tech, route in _inputs(store, root, max_depth):
        for n in store.neighbours(tech.id, ["PRODUCES"], Direction.IN):
            supplier = n.node
            produce = Hop(tech, n.relationship, supplier)
            findings.extend(_origin_findings(store, tech, supplier, country_id, (*route, produce)))
    findings.sort(key=lambda f: (len(f.path), f.input.name, f.supplier.name, f.basis.value))
    return findings


def _inputs(
    store: GraphStore, root: Node, max_depth: int
) -> Iterator[tuple[Node, tuple[Hop, ...]]]:
    """Breadth-first over REQUIRES (and the subtypes of each input): shortest route to each."""
    seen = {root.id}
    queue: deque[tuple[Node, tuple[Hop, ...]]] = deque([(root, ())])
    while queue:
        node, route = queue.popleft()
        yield node, route
        if len(route) >= max_depth:
            continue
        steps = [
            *store.neighbours(node.id, ["REQUIRES"], Direction.OUT),
            *store.neighbours(node.id, ["IS_TYPE_OF"], Direction.IN),
        ]
        for step in sorted(steps, key=lambda s: s.node.id):
            if step.node.id not in seen:
                seen.add(step.node.id)
                queue.append((step.node, (*route, Hop(node, step.relationship, step.node))))


def _origin_findings(
    store: GraphStore, tech: Node, supplier: Node, country_id: str, route: tuple[Hop, ...]
) -> Iterator[Finding]:
    hq = _headquarters(store, supplier)
    if hq is not None and hq.end.id == country_id:
        yield Finding(tech, supplier, Basis.HEADQUARTERS, hq.end, (*route, hq))
    chain: list[Hop] = []
    current = supplier
    seen = {supplier.id}
    for _ in range(MAX_PARENT_CHAIN):
        parents = store.neighbours(current.id, ["SUBSIDIARY_OF"], Direction.OUT)
        if not parents or parents[0].node.id in seen:
            break
        parent = min(parents, key=lambda p: p.node.id)
        chain.append(Hop(current, parent.relationship, parent.node))
        seen.add(parent.node.id)
        current = parent.node
    if chain:
        top_hq = _headquarters(store, current)
        if top_hq is not None and top_hq.end.id == country_id:
            yield Finding(
                tech, supplier, Basis.ULTIMATE_PARENT, top_hq.end, (*route, *chain, top_hq)
            )


def _headquarters(store: GraphStore, firm: Node) -> Hop | None:
    found = store.neighbours(firm.id, ["HEADQUARTERED_IN"], Direction.OUT)
    if not found:
        return None
    first = min(found, key=lambda n: n.node.id)
    return Hop(firm, first.relationship, first.node)


def format_path(path: tuple[Hop, ...]) -> str:
    """`5G -[REQUIRES]-> base stations <-[PRODUCES]- Huawei -[HEADQUARTERED_IN]-> China`."""
    if not path:
        return ""
    parts = [path[0].start.name]
    for hop in path:
        arrow = f"-[{hop.relationship.type}]->" if hop.forward else f"<-[{hop.relationship.type}]-"
        parts.append(f"{arrow} {hop.end.name}")
    return " ".join(parts)
