"""The query commands: each prints a readable table, or JSON with --json.

Entities may be given by id (`firm:huawei`) or by name ("Huawei", "Chinese", "the Netherlands").
The answers come from techgraph.graph.questions, the same functions the HTTP API serves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.table import Table

from techgraph.graph import questions as q
from techgraph.graph.store import Direction

from . import serialize
from .cli import _emit, _store
from .render import console, evidence_lines, format_path, render_exposure, share

F = TypeVar("F", bound=Callable[..., Any])


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")(f)


def _rel_types(value: str | None) -> list[str] | None:
    return [t.strip().upper() for t in value.split(",") if t.strip()] if value else None


def _types_option(f: F) -> F:
    return click.option(
        "--type",
        "types",
        help="Only these relationship types, comma-separated (e.g. SUPPLIES,PRODUCES).",
    )(f)


def _path_limit_options(f: F) -> F:
    """--max-hops and -k, shared by `path` and `viz path`."""
    f = click.option(
        "-k",
        "--paths",
        "k",
        default=3,
        show_default=True,
        type=click.IntRange(1, q.MAX_PATHS),
        help="At most this many shortest paths.",
    )(f)
    return click.option(
        "--max-hops", default=6, show_default=True, type=click.IntRange(1, q.MAX_HOPS)
    )(f)


def _origin_option(f: F) -> F:
    return click.option(
        "--origin", default="CHN", show_default=True, help="ISO 3166-1 alpha-3 code."
    )(f)


def _depth_option(f: F) -> F:
    return click.option(
        "--depth",
        default=4,
        show_default=True,
        type=click.IntRange(1, q.MAX_DEPTH),
        help="How many hops upstream.",
    )(f)


@click.command()
@click.argument("name")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@json_option
@click.pass_context
def resolve(ctx: click.Context, name: str, limit: int, as_json: bool) -> None:
    """Find the entities a name, alias, demonym or id stands for (close names on a miss)."""
    answer = q.search(_store(ctx), name, limit)
    if as_json:
        _emit(serialize.search(answer))
        return
    if answer.matches:
        table = Table("id", "name", "aliases")
        for n in answer.matches:
            table.add_row(n.id, n.name, ", ".join(n.aliases[:6]))
        console.print(table)
    elif answer.suggestions:
        console.print(f"No entity is called {name!r}. Did you mean:")
        for n in answer.suggestions:
            console.print(f"  {n.id}  {n.name}")
    else:
        console.print(f"No entity is called {name!r}, and none has a close name.")
    if not answer.matches:
        ctx.exit(1)


@click.command()
@click.argument("entity")
@_types_option
@click.option(
    "--direction",
    type=click.Choice([d.value for d in Direction]),
    default="both",
    show_default=True,
)
@json_option
@click.pass_context
def neighbours(
    ctx: click.Context, entity: str, types: str | None, direction: str, as_json: bool
) -> None:
    """The relationships of one entity, optionally of some types and in one direction."""
    node, found = q.neighbours(_store(ctx), entity, _rel_types(types), Direction(direction))
    if as_json:
        _emit(
            {
                "entity": serialize.node(node),
                "neighbours": [
                    {
                        "node": serialize.node(n.node),
                        "relationship": serialize.relationship(n.relationship),
                    }
                    for n in found
                ],
            }
        )
        return
    table = Table("relationship", "other end", "properties", "sources", title=node.name)
    for n in found:
        r = n.relationship
        arrow = f"-[{r.type}]->" if r.source == node.id else f"<-[{r.type}]-"
        props = ", ".join(f"{k}={v}" for k, v in sorted(r.props.items()))
        table.add_row(arrow, f"{n.node.name} ({n.node.id})", props, "; ".join(q.citations(r)))
    console.print(table)


@click.command()
@click.argument("source")
@click.argument("target")
@_types_option
@_path_limit_options
@json_option
@click.pass_context
def path(
    ctx: click.Context,
    source: str,
    target: str,
    types: str | None,
    max_hops: int,
    k: int,
    as_json: bool,
) -> None:
    """The shortest path(s) between two entities, each hop with its evidence."""
    a, b, found = q.paths(_store(ctx), source, target, _rel_types(types), max_hops, k)
    if as_json:
        _emit(
            {
                "source": serialize.node(a),
                "target": serialize.node(b),
                "paths": [serialize.route(p) for p in found],
            }
        )
        return
    if not found:
        console.print(f"No path of at most {max_hops} hops joins {a.name} and {b.name}.")
        ctx.exit(1)
    console.print(f"{len(found)} shortest path(s) of {len(found[0])} hops, {a.name} to {b.name}:")
    for i, p in enumerate(found, 1):
        console.print(f"{i:>3}. {format_path(p)}")
        for line in evidence_lines(p):
            console.print(f"[dim]{line}[/dim]")


@click.command()
@click.argument("item")
@json_option
@click.pass_context
def suppliers(ctx: click.Context, item: str, as_json: bool) -> None:
    """Who provides a technology or input: firms and countries, with share, year and source."""
    answer = q.suppliers(_store(ctx), item)
    if as_json:
        _emit(serialize.suppliers(answer))
        return
    table = Table("supplier", "kind", "country", "share", "year", "source", title=answer.item.name)
    for r in answer.rows:
        table.add_row(
            r.provider.name,
            r.provider.prefix,
            (r.country or "").removeprefix("country:"),
            share(r.share),
            str(r.year or ""),
            "; ".join(q.citations(r.relationship)),
        )
    console.print(table)
    if answer.countries:
        by_country = Table("country", "share", "basis", title="by country")
        for c in answer.countries:
            by_country.add_row(c.country.removeprefix("country:"), share(c.share), c.basis)
        console.print(by_country)


@click.command()
@click.argument("item")
@_depth_option
@json_option
@click.pass_context
def deps(ctx: click.Context, item: str, depth: int, as_json: bool) -> None:
    """The upstream dependency tree of a technology or firm, with who supplies each part."""
    rows = q.dependencies(_store(ctx), item, depth)
    if as_json:
        _emit([serialize.dependency(r) for r in rows])
        return
    for r in rows:
        via = f"  [dim]({r.route[-1].relationship.type})[/dim]" if r.route else ""
        console.print(f"{'  ' * r.depth}{r.node.name}{via}")
        if r.suppliers:
            names = ", ".join(
                s.provider.name + (f" {share(s.share)}" if s.share is not None else "")
                for s in r.suppliers[:8]
            )
            more = f" and {len(r.suppliers) - 8} more" if len(r.suppliers) > 8 else ""
            console.print(f"{'  ' * r.depth}  [dim]supplied by {names}{more}[/dim]")


@click.command()
@click.argument("item")
@_origin_option
@_depth_option
@json_option
@click.pass_context
def exposure(ctx: click.Context, item: str, origin: str, depth: int, as_json: bool) -> None:
    """Dependencies of a technology or firm whose supplier is of the given origin, by basis."""
    store = _store(ctx)
    answer = q.exposure(store, item, origin, depth)
    if as_json:
        _emit(serialize.exposure(answer))
        return
    render_exposure(answer, store.backend)


@click.command()
@click.option(
    "--threshold",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0, 1, min_open=True),
    help="Share at or above which one holder is a chokepoint.",
)
@click.option("--within", help="Only inputs in the dependency tree of this technology or firm.")
@_depth_option
@json_option
@click.pass_context
def chokepoints(
    ctx: click.Context, threshold: float, within: str | None, depth: int, as_json: bool
) -> None:
    """Inputs where one country or firm holds at least a share, or with a single supplier."""
    found = q.chokepoints(_store(ctx), threshold, within, depth)
    if as_json:
        _emit([serialize.chokepoint(c) for c in found])
        return
    table = Table("input", "why", "held by", "share", "suppliers")
    for c in found:
        table.add_row(c.item.name, c.reason, c.holder.name, share(c.share), str(c.suppliers))
    console.print(table)


@click.command()
@click.argument("item")
@click.option(
    "--from",
    "source",
    required=True,
    help="An alliance (quad, ntib, alliance:eu) or country codes (USA,JPN,KOR).",
)
@click.option("--origin", default="CHN", show_default=True, help="The origin to replace.")
@_depth_option
@json_option
@click.pass_context
def alternatives(
    ctx: click.Context, item: str, source: str, origin: str, depth: int, as_json: bool
) -> None:
    """For each input exposed to an origin, suppliers of it in the chosen countries."""
    label, answer, found = q.alternatives(_store(ctx), item, source, origin, depth)
    if as_json:
        _emit(
            {
                "from": label,
                "origin": serialize.node(answer.origin),
                "inputs": [serialize.alternative(a) for a in found],
            }
        )
        return
    table = Table(
        "input",
        f"exposed to {answer.origin.name}",
        f"alternatives in {label}",
        title=answer.item.name,
    )
    for a in found:
        alts = ", ".join(
            f"{s.provider.name} ({(s.country or '').removeprefix('country:')}"
            f"{', ' + share(s.share) if s.share is not None else ''})"
            for s in a.alternatives
        )
        table.add_row(a.input.name, ", ".join(n.name for n in a.exposed_suppliers), alts or "none")
    console.print(table)


@click.command()
@click.argument("technology")
@click.option("--alliance", required=True, help="The alliance whose members to compare.")
@json_option
@click.pass_context
def alignment(ctx: click.Context, technology: str, alliance: str, as_json: bool) -> None:
    """Which members of an alliance restrict exports of a technology, and which do not."""
    tech, group, rows = q.alignment(_store(ctx), technology, alliance)
    if as_json:
        _emit(
            {
                "technology": serialize.node(tech),
                "alliance": serialize.node(group),
                "members": [serialize.member_alignment(m) for m in rows],
            }
        )
        return
    table = Table("member", "restricts", "how", title=f"{tech.name} in {group.name}")
    for m in rows:
        how = "; ".join(
            f"{r.actor.name} ({r.via}) on {r.technology.name}"
            + (f", {r.relationship.props['year']}" if "year" in r.relationship.props else "")
            for r in m.restrictions
        )
        table.add_row(m.country.name, "yes" if m.restricts else "no", how)
    console.print(table)
    restricting = sum(m.restricts for m in rows)
    console.print(f"{restricting} of {len(rows)} members restrict exports of {tech.name}.")


# Registered on `cli` by api/cli.py, which imports this module (this one does not decorate with
# `cli` itself: in the import cycle a type checker cannot yet know what `cli` is).
COMMANDS = (
    resolve,
    neighbours,
    path,
    suppliers,
    deps,
    exposure,
    chokepoints,
    alternatives,
    alignment,
)
