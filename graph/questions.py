"""The questions analysts come for, on either backend.

Each question is one meaning. Its graph traversals go through the store's primitives
(`expand`, `shortest_paths`, `relationships`, `get_nodes`), which each backend implements twice
over: with networkx for the embedded store and with Cypher from queries/ for Neo4j. What is done
with the rows (aggregating shares, choosing bases, the exposure figure) is written once, here, so
that the two backends cannot disagree on it. docs/queries.md states every rule.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Concatenate, ParamSpec, TypeVar

from .errors import InvalidArgument
from .model import Hop, Node, Relationship, Route
from .store import Direction, GraphStore, Neighbour, Step

MAX_DEPTH = 10
MAX_HOPS = 10
MAX_PATHS = 20
MAX_PARENT_CHAIN = 20  # ownership chains are short; the bound only guards against cycles
DEFAULT_PATH_TYPES_EXCLUDED = ("MENTIONS",)  # "both mentioned in one document" is no link

# How a dependency tree grows out of a technology or firm: what it requires, its subtypes (a
# technology's), the firms that supply it (a firm's). The schema lets IS_TYPE_OF join only
# technologies and SUPPLIES only firms and countries, so one expansion serves both kinds.
TREE_KINDS = ("tech", "firm")
TREE_STEPS = (
    Step("REQUIRES", Direction.OUT),
    Step("IS_TYPE_OF", Direction.IN),
    Step("SUPPLIES", Direction.IN),
)
# Who supplies a node of the tree: producers of a technology, suppliers of a firm (PRODUCES
# ends only at technologies, SUPPLIES never does).
SUPPLIER_STEPS = (Step("PRODUCES", Direction.IN), Step("SUPPLIES", Direction.IN))


def _firm_fact_steps(origin_id: str) -> tuple[Step, ...]:
    """What exposure needs to know of a supplying firm: where it is headquartered, its parent,
    whether it manufactures in the origin (its other sites do not matter), who lists it as a
    restricted party."""
    return (
        Step("HEADQUARTERED_IN", Direction.OUT),
        Step("SUBSIDIARY_OF", Direction.OUT),
        Step("MANUFACTURES_IN", Direction.OUT, to=origin_id),
        Step("RESTRICTS_TRADE_WITH", Direction.IN),
    )


P = ParamSpec("P")
R = TypeVar("R")


def _one_read(
    question: Callable[Concatenate[GraphStore, P], R],
) -> Callable[Concatenate[GraphStore, P], R]:
    """Run a question's reads together (GraphStore.reading)."""

    @functools.wraps(question)
    def asked(store: GraphStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with store.reading():
            return question(store, *args, **kwargs)

    return asked


def check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise InvalidArgument(f"{name} must be between {low} and {high}, not {value}.")


def _share(rel: Relationship) -> float | None:
    value = rel.props.get("share")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _year(rel: Relationship) -> int | None:
    value = rel.props.get("year")
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def citations(rel: Relationship) -> list[str]:
    return sorted({p.citation or p.source for p in rel.provenance})


# -- resolve / search ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchAnswer:
    query: str
    matches: list[Node]
    suggestions: list[Node]


@_one_read
def search(store: GraphStore, text: str, limit: int = 10) -> SearchAnswer:
    """Entities whose id, name, alias or demonym is `text`; close names when none is."""
    resolver = store.resolver()
    hits = resolver.lookup(text)[:limit]
    close = [] if hits else resolver.suggest(text, limit=limit)
    nodes = store.get_nodes([e.id for e in (*hits, *close)])
    return SearchAnswer(
        text,
        [nodes[e.id] for e in hits if e.id in nodes],
        [nodes[e.id] for e in close if e.id in nodes],
    )


# -- neighbours ------------------------------------------------------------------------------------


@_one_read
def neighbours(
    store: GraphStore,
    entity: str,
    rel_types: Sequence[str] | None = None,
    direction: Direction = Direction.BOTH,
) -> tuple[Node, list[Neighbour]]:
    node = store.resolve(entity)
    found = store.neighbours(node.id, rel_types, direction)
    found.sort(key=lambda n: (n.relationship.type, n.node.name, n.node.id))
    return node, found


# -- paths -----------------------------------------------------------------------------------------


@_one_read
def paths(
    store: GraphStore,
    source: str,
    target: str,
    rel_types: Sequence[str] | None = None,
    max_hops: int = 6,
    k: int = 3,
) -> tuple[Node, Node, list[Route]]:
    """Up to k shortest paths between two entities, ignoring direction."""
    check_range("max hops", max_hops, 1, MAX_HOPS)
    check_range("the number of paths", k, 1, MAX_PATHS)
    a, b = store.resolve(source), store.resolve(target)
    if a.id == b.id:
        raise InvalidArgument(f"{source!r} and {target!r} are the same entity ({a.id}).")
    if rel_types:
        for t in rel_types:
            store.schema.relationship_type(t)
        types = list(rel_types)
    else:
        types = [t for t in store.schema.relationship_types if t not in DEFAULT_PATH_TYPES_EXCLUDED]
    found = store.shortest_paths(a.id, b.id, types, max_hops, k)
    found.sort(key=lambda p: [(h.relationship.type, h.end.id) for h in p])
    return a, b, found


# -- suppliers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupplierRow:
    provider: Node
    relationship: Relationship
    country: str | None
    """The provider's country: itself for a country row, its headquarters for a firm."""

    @property
    def share(self) -> float | None:
        return _share(self.relationship)

    @property
    def year(self) -> int | None:
        return _year(self.relationship)


@dataclass(frozen=True)
class CountryShare:
    country: str
    share: float
    basis: str
    """`reported` (a country row) or `sum of firms` (firms headquartered there)."""
    firms: tuple[str, ...] = ()


@dataclass(frozen=True)
class SuppliersAnswer:
    item: Node
    rows: list[SupplierRow]
    countries: list[CountryShare]


def _first_hops(
    starts: Mapping[str, Node], rows: Iterable[tuple[str, Neighbour]]
) -> dict[str, Hop]:
    """One hop per start node: the first by the far end's id where there are several."""
    found: dict[str, Hop] = {}
    for origin, n in sorted(rows, key=lambda r: (r[0], r[1].node.id)):
        if origin not in found:
            found[origin] = Hop(starts[origin], n.relationship, n.node)
    return found


HEADQUARTERS = Step("HEADQUARTERED_IN", Direction.OUT)


def _headquarters(store: GraphStore, nodes: Iterable[Node]) -> dict[str, Hop]:
    """The HEADQUARTERED_IN hop of each firm among `nodes` (the first by country id when a
    firm has two)."""
    firms = _firms(nodes)
    return _first_hops(firms, store.expand(list(firms), [HEADQUARTERS]))


def _firms(nodes: Iterable[Node]) -> dict[str, Node]:
    return {n.id: n for n in nodes if n.prefix == "firm"}


def _country_of(node: Node, hq: Mapping[str, Hop]) -> str | None:
    if node.id.startswith("country:"):
        return node.id
    hop = hq.get(node.id)
    return hop.end.id if hop else None


def _aggregate(rows: Sequence[SupplierRow]) -> list[CountryShare]:
    """Country shares: reported country rows first; where a country has none, the sum of the
    shares of firms headquartered there."""
    reported = {
        r.provider.id: r.share for r in rows if r.provider.id.startswith("country:") and r.share
    }
    summed: dict[str, float] = defaultdict(float)
    firms: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        if r.provider.id.startswith("firm:") and r.country and r.share is not None:
            summed[r.country] += r.share
            firms[r.country].append(r.provider.id)
    out = [CountryShare(c, s or 0.0, "reported") for c, s in reported.items()]
    out += [
        CountryShare(c, round(min(s, 1.0), 6), "sum of firms", tuple(sorted(firms[c])))
        for c, s in summed.items()
        if c not in reported
    ]
    return sorted(out, key=lambda c: (-c.share, c.country))


@_one_read
def suppliers(store: GraphStore, item: str) -> SuppliersAnswer:
    """Who provides technology or input `item`, firms and countries, with share, year, source."""
    node = store.resolve(item, ["tech"])
    rows = _suppliers_of(store, [node]).get(node.id, [])
    return SuppliersAnswer(node, rows, _aggregate(rows))


# -- dependencies ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DependencyRow:
    node: Node
    depth: int
    route: Route
    """How the tree reached this node from the root (its shortest route)."""
    suppliers: list[SupplierRow] = field(default_factory=list)


def _tree(store: GraphStore, root: Node, depth: int) -> list[DependencyRow]:
    """Breadth-first upstream tree: each node once, by its shortest route (ties by id)."""
    rows = [DependencyRow(root, 0, ())]
    seen = {root.id: rows[0]}
    frontier = [root]
    for level in range(1, depth + 1):
        ids = [node.id for node in frontier if node.prefix in TREE_KINDS]
        found = store.expand(ids, TREE_STEPS)
        found.sort(key=lambda r: (r[0], r[1].node.id, r[1].relationship.type))
        nxt: list[Node] = []
        for origin, n in found:
            if n.node.id in seen:
                continue
            parent = seen[origin]
            row = DependencyRow(
                n.node, level, (*parent.route, Hop(parent.node, n.relationship, n.node))
            )
            seen[n.node.id] = row
            rows.append(row)
            nxt.append(n.node)
        frontier = nxt
        if not frontier:
            break
    return rows


def _supply(
    store: GraphStore, nodes: Sequence[Node], then: Sequence[Step]
) -> tuple[list[tuple[str, Neighbour]], list[tuple[str, Neighbour]]]:
    """Who supplies each node (the producers of a technology, the suppliers of a firm), and
    the hops by `then` out of the supplying firms, in one call."""
    ids = [n.id for n in nodes if n.prefix in TREE_KINDS]
    return store.expand_then(ids, SUPPLIER_STEPS, then, ["firm"])


def _supplier_rows(
    found: Sequence[tuple[str, Neighbour]], hq: Mapping[str, Hop]
) -> dict[str, list[SupplierRow]]:
    out: dict[str, list[SupplierRow]] = defaultdict(list)
    for origin, n in found:
        out[origin].append(SupplierRow(n.node, n.relationship, _country_of(n.node, hq)))
    for rows in out.values():
        rows.sort(key=lambda r: (-(r.share or -1.0), r.provider.name, r.provider.id))
    return out


def _suppliers_of(store: GraphStore, nodes: Sequence[Node]) -> dict[str, list[SupplierRow]]:
    found, hq_rows = _supply(store, nodes, [HEADQUARTERS])
    firms = _firms(n.node for _, n in found)
    return _supplier_rows(found, _first_hops(firms, hq_rows))


@_one_read
def dependencies(store: GraphStore, item: str, depth: int = 3) -> list[DependencyRow]:
    """The upstream tree of a technology or firm: what it requires, its subtypes, the firms
    that supply a firm, each with who supplies it."""
    check_range("depth", depth, 1, MAX_DEPTH)
    root = store.resolve(item, ["tech", "firm"])
    tree = _tree(store, root, depth)
    supplied = _suppliers_of(store, [r.node for r in tree])
    return [DependencyRow(r.node, r.depth, r.route, supplied.get(r.node.id, [])) for r in tree]


# -- exposure --------------------------------------------------------------------------------------


class Basis(StrEnum):
    HEADQUARTERS = "headquarters"
    ULTIMATE_PARENT = "ultimate_parent"
    PRODUCTION = "production"
    RESTRICTED_PARTY = "restricted_party"


@dataclass(frozen=True)
class Finding:
    input: Node
    supplier: Node
    basis: Basis
    path: Route
    share: float | None


@dataclass(frozen=True)
class ExposureAnswer:
    item: Node
    origin: Node
    depth: int
    findings: list[Finding]
    inputs_examined: int
    inputs_with_shares: int
    exposure: float | None
    """Share-weighted exposure (docs/queries.md): the mean, over inputs with share data, of the
    share of each input that comes from suppliers of the origin (capped at 1)."""


def _country(store: GraphStore, origin: str) -> Node:
    alpha3 = origin.strip().removeprefix("country:").upper()
    if not re.fullmatch(r"[A-Z]{3}", alpha3):
        raise InvalidArgument(
            f"{origin!r} is not a country code; use ISO 3166-1 alpha-3 such as CHN, USA or NLD."
        )
    node = store.get_node(f"country:{alpha3}")
    if node is None:
        raise InvalidArgument(
            f"{origin!r} is not a country in the graph; use ISO 3166-1 alpha-3 such as CHN, "
            "USA or NLD (load the reference data for all of them)."
        )
    return node


@dataclass
class _FirmFacts:
    """What exposure needs to know of the supplying firms and of the firms above them."""

    hq: dict[str, Hop] = field(default_factory=dict)
    chains: dict[str, list[Hop]] = field(default_factory=dict)
    made: dict[str, list[Neighbour]] = field(default_factory=lambda: defaultdict(list))
    listed: dict[str, list[Neighbour]] = field(default_factory=lambda: defaultdict(list))


def _firm_facts(
    store: GraphStore,
    suppliers: Iterable[Node],
    origin_id: str,
    first: Sequence[tuple[str, Neighbour]],
) -> _FirmFacts:
    """Headquarters, manufacturing sites and restricted-party listings of each supplying firm
    and of every firm up its SUBSIDIARY_OF chain (first parent by id where there are two; the
    chain stops at a firm it has already passed), one expansion per level of ownership.
    `first` holds the suppliers' own facts (_firm_fact_steps), read with the suppliers."""
    facts = _FirmFacts()
    firms = _firms(suppliers)
    known: dict[str, Node] = dict(firms)
    parents: dict[str, Hop] = {}
    todo = list(firms)
    steps = _firm_fact_steps(origin_id)
    for level in range(MAX_PARENT_CHAIN + 1):
        if not todo:
            break
        by_type: dict[str, list[tuple[str, Neighbour]]] = defaultdict(list)
        rows = first if level == 0 else store.expand(todo, steps)
        for origin, n in rows:
            by_type[n.relationship.type].append((origin, n))
        facts.hq.update(_first_hops(known, by_type["HEADQUARTERED_IN"]))
        for origin, n in by_type["MANUFACTURES_IN"]:
            facts.made[origin].append(n)
        for origin, n in by_type["RESTRICTS_TRADE_WITH"]:
            facts.listed[origin].append(n)
        up = _first_hops(known, by_type["SUBSIDIARY_OF"])
        parents.update(up)
        todo = []
        for parent in up.values():
            if parent.end.id not in known:
                known[parent.end.id] = parent.end
                todo.append(parent.end.id)
    for firm in firms:
        chain: list[Hop] = []
        visited = {firm}
        at = firm
        while (step := parents.get(at)) is not None and step.end.id not in visited:
            if len(chain) == MAX_PARENT_CHAIN:
                break
            chain.append(step)
            visited.add(step.end.id)
            at = step.end.id
        facts.chains[firm] = chain
    return facts


@_one_read
def exposure(store: GraphStore, item: str, origin: str = "CHN", depth: int = 4) -> ExposureAnswer:
    """The dependencies of `item` whose supplier is of `origin`, by basis, each with its path.

    Bases: the supplier is headquartered there; the top of its SUBSIDIARY_OF chain is; it
    produces there (a country row for the origin, or the firm manufactures there); or it (or a
    parent) is listed as a restricted party with the origin as the listed country (the listing's
    `listed_country`, else the listed party's headquarters)."""
    check_range("depth", depth, 1, MAX_DEPTH)
    root = store.resolve(item, ["tech", "firm"])
    country = _country(store, origin)
    tree = _tree(store, root, depth)
    found, first_facts = _supply(store, [r.node for r in tree], _firm_fact_steps(country.id))
    facts = _firm_facts(store, (n.node for _, n in found), country.id, first_facts)
    supplied = _supplier_rows(found, facts.hq)

    findings: list[Finding] = []
    for row in tree:
        for s in supplied.get(row.node.id, []):
            supply = Hop(row.node, s.relationship, s.provider)
            route = (*row.route, supply)
            findings += _bases(s, route, country.id, facts)
    findings.sort(key=lambda f: (len(f.path), f.input.name, f.supplier.name, f.basis.value))
    examined = [r for r in tree if r.node.id in supplied]
    return ExposureAnswer(
        root, country, depth, findings, len(examined), *_figure(examined, supplied, findings)
    )


def _bases(s: SupplierRow, route: Route, country_id: str, facts: _FirmFacts) -> list[Finding]:
    item, supplier = route[-1].start, s.provider
    out: list[Finding] = []

    def add(basis: Basis, extra: Sequence[Hop]) -> None:
        out.append(Finding(item, supplier, basis, (*route, *extra), s.share))

    if supplier.id == country_id:
        add(Basis.PRODUCTION, ())
        return out
    if not supplier.id.startswith("firm:"):
        return out
    hq, listed = facts.hq, facts.listed
    own_hq = hq.get(supplier.id)
    if own_hq and own_hq.end.id == country_id:
        add(Basis.HEADQUARTERS, (own_hq,))
    chain = facts.chains.get(supplier.id, [])
    if chain:
        top_hq = hq.get(chain[-1].end.id)
        if top_hq and top_hq.end.id == country_id:
            add(Basis.ULTIMATE_PARENT, (*chain, top_hq))
    for n in sorted(facts.made.get(supplier.id, []), key=lambda n: n.node.id):
        if n.node.id == country_id:
            add(Basis.PRODUCTION, (Hop(supplier, n.relationship, n.node),))
    # A listing of the supplier itself, or of a firm above it in its ownership chain.
    holders = [(supplier, ())] + [(h.end, tuple(chain[: i + 1])) for i, h in enumerate(chain)]
    for party, via in holders:
        for n in sorted(listed.get(party.id, []), key=lambda n: n.node.id):
            listed_country = n.relationship.props.get("listed_country")
            if listed_country:
                match = f"country:{listed_country}" == country_id
            else:
                party_hq = hq.get(party.id)
                match = bool(party_hq and party_hq.end.id == country_id)
            if match:
                add(Basis.RESTRICTED_PARTY, (*via, Hop(party, n.relationship, n.node)))
                break
        else:
            continue
        break
    return out


def _figure(
    examined: Sequence[DependencyRow],
    supplied: dict[str, list[SupplierRow]],
    findings: Sequence[Finding],
) -> tuple[int, float | None]:
    """(inputs with share data, share-weighted exposure): see ExposureAnswer.exposure."""
    exposed = {(f.input.id, f.supplier.id) for f in findings}
    values: list[float] = []
    for row in examined:
        rows = [r for r in supplied[row.node.id] if r.share is not None]
        if not rows:
            continue
        from_origin = [r for r in rows if (row.node.id, r.provider.id) in exposed]
        country_rows = sum(r.share or 0.0 for r in from_origin if r.provider.prefix == "country")
        firm_rows = sum(r.share or 0.0 for r in from_origin if r.provider.prefix != "country")
        # A country row and its firms describe the same production: take the larger, not both.
        values.append(min(1.0, max(country_rows, firm_rows)))
    return len(values), (round(sum(values) / len(values), 6) if values else None)


# -- chokepoints -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chokepoint:
    item: Node
    reason: str
    """`firm share`, `country share` or `single supplier`."""
    holder: Node
    share: float | None
    suppliers: int


@_one_read
def chokepoints(
    store: GraphStore, threshold: float = 0.5, within: str | None = None, depth: int = 4
) -> list[Chokepoint]:
    """Inputs where one firm or one country holds at least `threshold` of supply, or that
    have a single supplier; optionally only inputs in the dependency tree of `within`."""
    if not 0.0 < threshold <= 1.0:
        raise InvalidArgument(
            f"the share threshold must be above 0 and at most 1, not {threshold}."
        )
    rels = store.relationships("PRODUCES")
    if within is not None:
        check_range("depth", depth, 1, MAX_DEPTH)
        scope = {r.node.id for r in _tree(store, store.resolve(within, ["tech", "firm"]), depth)}
        rels = [r for r in rels if r.target in scope]
    by_item: dict[str, list[Relationship]] = defaultdict(list)
    for r in rels:
        by_item[r.target].append(r)
    sources = store.get_nodes(sorted({r.source for r in rels}))
    hq = _headquarters(store, sources.values())
    nodes = {**store.get_nodes([*by_item, *(h.end.id for h in hq.values())]), **sources}
    found: list[Chokepoint] = []
    for item_id, item_rels in by_item.items():
        item = nodes[item_id]
        rows = [
            SupplierRow(nodes[rel.source], rel, _country_of(nodes[rel.source], hq))
            for rel in item_rels
        ]
        if len(rows) == 1:
            found.append(Chokepoint(item, "single supplier", rows[0].provider, rows[0].share, 1))
        for row in rows:
            if row.provider.prefix == "firm" and row.share is not None and row.share >= threshold:
                found.append(Chokepoint(item, "firm share", row.provider, row.share, len(rows)))
        for c in _aggregate(rows):
            if c.share >= threshold and c.country in nodes:
                found.append(
                    Chokepoint(item, "country share", nodes[c.country], c.share, len(rows))
                )
    found.sort(key=lambda c: (c.item.name, c.reason, -(c.share or 0.0), c.holder.id))
    return found


# -- alternatives ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alternative:
    input: Node
    exposed_suppliers: list[Node]
    alternatives: list[SupplierRow]


@_one_read
def members(store: GraphStore, alliance: str) -> tuple[Node, list[Node]]:
    group = store.resolve(alliance, ["alliance"])
    found = store.neighbours(group.id, ["MEMBER_OF"], Direction.IN)
    return group, sorted((n.node for n in found), key=lambda n: n.id)


@_one_read
def country_set(store: GraphStore, spec: str) -> tuple[str, list[Node]]:
    """`quad`, `alliance:ntib` or `USA,JPN,KOR`: a label and the countries it names."""
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if not parts:
        raise InvalidArgument("name an alliance or a comma-separated list of country codes.")
    if len(parts) == 1 and not (len(parts[0]) == 3 and parts[0].isupper()):
        group, countries = members(store, parts[0])
        return group.name, countries
    return ", ".join(parts), [_country(store, p) for p in parts]


@_one_read
def alternatives(
    store: GraphStore, item: str, spec: str, origin: str = "CHN", depth: int = 4
) -> tuple[str, ExposureAnswer, list[Alternative]]:
    """For each input of `item` exposed to `origin`, suppliers of the same input in the chosen
    countries (headquartered there, or the country itself), that are not themselves exposed."""
    label, countries = country_set(store, spec)
    wanted = {c.id for c in countries}
    answer = exposure(store, item, origin, depth)
    exposed: dict[str, dict[str, Node]] = defaultdict(dict)
    inputs: dict[str, Node] = {}
    for f in answer.findings:
        exposed[f.input.id][f.supplier.id] = f.supplier
        inputs[f.input.id] = f.input
    supplied = _suppliers_of(store, list(inputs.values()))
    out = []
    for input_id, node in sorted(inputs.items(), key=lambda kv: kv[1].name):
        alts = [
            s
            for s in supplied.get(input_id, [])
            if s.country in wanted and s.provider.id not in exposed[input_id]
        ]
        out.append(Alternative(node, sorted(exposed[input_id].values(), key=lambda n: n.id), alts))
    return label, answer, out


# -- alignment -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Restriction:
    actor: Node
    technology: Node
    relationship: Relationship
    via: str
    """`itself`, `agency` (one of its government bodies) or `alliance` (a regime it belongs to)."""


@dataclass(frozen=True)
class MemberAlignment:
    country: Node
    restrictions: list[Restriction]

    @property
    def restricts(self) -> bool:
        return bool(self.restrictions)


@_one_read
def alignment(
    store: GraphStore, technology: str, alliance: str
) -> tuple[Node, Node, list[MemberAlignment]]:
    """Which members of an alliance restrict exports of a technology (or of a broader
    technology it is a type of), directly, through an agency, or through a regime."""
    tech = store.resolve(technology, ["tech"])
    group, member_nodes = members(store, alliance)
    covered = {tech.id: tech}
    frontier = [tech.id]
    for _ in range(MAX_DEPTH):  # the technology and everything it is a type of
        up = store.expand(frontier, [Step("IS_TYPE_OF", Direction.OUT)])
        frontier = [n.node.id for _, n in up if n.node.id not in covered]
        covered.update({n.node.id: n.node for _, n in up})
        if not frontier:
            break
    rows = store.expand(list(covered), [Step("RESTRICTS_EXPORT_OF", Direction.IN)])
    by_country: dict[str, list[Restriction]] = defaultdict(list)
    agencies = [n.node.id for _, n in rows if n.node.prefix == "agency"]
    regimes = [n.node.id for _, n in rows if n.node.prefix == "alliance"]
    agency_country = {
        o: n.node.id for o, n in store.expand(agencies, [Step("AGENCY_OF", Direction.OUT)])
    }
    regime_members: dict[str, set[str]] = defaultdict(set)
    for o, n in store.expand(regimes, [Step("MEMBER_OF", Direction.IN)]):
        regime_members[o].add(n.node.id)
    for tech_id, n in rows:
        actor, restricted = n.node, covered[tech_id]
        if actor.prefix == "country":
            by_country[actor.id].append(Restriction(actor, restricted, n.relationship, "itself"))
        elif actor.prefix == "agency" and actor.id in agency_country:
            by_country[agency_country[actor.id]].append(
                Restriction(actor, restricted, n.relationship, "agency")
            )
        elif actor.prefix == "alliance":
            for c in regime_members[actor.id]:
                by_country[c].append(Restriction(actor, restricted, n.relationship, "alliance"))
    result = [
        MemberAlignment(
            m, sorted(by_country.get(m.id, []), key=lambda r: (r.via, r.actor.id, r.technology.id))
        )
        for m in member_nodes
    ]
    return tech, group, result
