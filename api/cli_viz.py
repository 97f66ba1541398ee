"""Pictures and exports: `techgraph viz path|deps|exposure`, `techgraph export`, and
`techgraph browser style|explorations|guide` for Neo4j Browser.

`viz` takes the arguments of the query command of the same name (api/cli_queries.py) and writes
one HTML file that opens from disk without network (api/visual.py). `export` writes the whole
graph for Gephi (GraphML) or spreadsheets (CSV). The `browser` group hands out what browser/
ships: the style sheet, the explorations and a guide of them served on localhost.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from techgraph.graph import questions as q
from techgraph.graph.errors import InvalidArgument
from techgraph.graph.store import GraphStore

from .cli import _store
from .cli_queries import (
    _depth_option,
    _origin_option,
    _path_limit_options,
    _rel_types,
    _types_option,
)

_output_option = click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The HTML file to write (it opens from disk, with no network).",
)
_mark_option = click.option(
    "--origin",
    default="CHN",
    show_default=True,
    help="Mark the firms headquartered in this country (ISO 3166-1 alpha-3).",
)


def _written(path: Path, nodes: int, edges: int) -> None:
    click.echo(f"wrote {path} ({nodes} nodes, {edges} relationships); open it in a web browser.")


@click.group("viz")
def viz_group() -> None:
    """Draw an answer as an interactive HTML picture: path, deps or exposure."""


@viz_group.command("path")
@click.argument("source")
@click.argument("target")
@_types_option
@_path_limit_options
@_mark_option
@_output_option
@click.pass_context
def viz_path(
    ctx: click.Context,
    source: str,
    target: str,
    types: str | None,
    max_hops: int,
    k: int,
    origin: str,
    output: Path,
) -> None:
    """The shortest path(s) between two entities, every hop with its evidence on hover."""
    from . import visual

    store = _store(ctx)
    a, b, found = q.paths(store, source, target, _rel_types(types), max_hops, k)
    if not found:
        raise InvalidArgument(
            f"no path of at most {max_hops} hops joins {a.name} and {b.name}; nothing to draw "
            "(try a larger --max-hops or fewer --type restrictions)."
        )
    pic = visual.paths_picture(a, b, found)
    pic.origin = _origin_id(store, origin)
    visual.write_html(store, pic, output)
    _written(output, len(pic.nodes), len(pic.edges))


@viz_group.command("deps")
@click.argument("item")
@_depth_option
@_mark_option
@_output_option
@click.pass_context
def viz_deps(ctx: click.Context, item: str, depth: int, origin: str, output: Path) -> None:
    """The upstream dependency tree of a technology or firm, with who supplies each part."""
    from . import visual

    store = _store(ctx)
    rows = q.dependencies(store, item, depth)
    pic = visual.dependencies_picture(rows, depth)
    pic.origin = _origin_id(store, origin)
    visual.write_html(store, pic, output)
    _written(output, len(pic.nodes), len(pic.edges))


@viz_group.command("exposure")
@click.argument("item")
@_origin_option
@_depth_option
@_output_option
@click.pass_context
def viz_exposure(ctx: click.Context, item: str, origin: str, depth: int, output: Path) -> None:
    """Dependencies of a technology or firm on an origin, each finding's proving path drawn."""
    from . import visual

    store = _store(ctx)
    answer = q.exposure(store, item, origin, depth)
    pic = visual.exposure_picture(answer)
    visual.write_html(store, pic, output)
    _written(output, len(pic.nodes), len(pic.edges))


def _origin_id(store: GraphStore, origin: str) -> str:
    """`CHN` -> `country:CHN`, refused as `exposure --origin` refuses a code it does not know."""
    alpha3 = origin.strip().removeprefix("country:").upper()
    node = store.get_node(f"country:{alpha3}") if re.fullmatch(r"[A-Z]{3}", alpha3) else None
    if node is None:
        raise InvalidArgument(
            f"{origin!r} is not a country in the graph; use ISO 3166-1 alpha-3 such as CHN, "
            "USA or NLD."
        )
    return node.id


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["graphml", "csv"]),
    required=True,
    help="graphml: one file for Gephi or yEd; csv: nodes.csv and edges.csv in a directory.",
)
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(path_type=Path),
    help="The .graphml file, or the directory for the CSV files (created if missing).",
)
@click.pass_context
def export_command(ctx: click.Context, fmt: str, output: Path) -> None:
    """Write the whole graph for Gephi (GraphML) or spreadsheets (CSV), evidence included."""
    from techgraph.graph.export import export

    rows = export(_store(ctx), fmt, output)
    where = output if fmt == "graphml" else f"{output}/nodes.csv and {output}/edges.csv"
    click.echo(f"wrote {where} ({len(rows.nodes)} nodes, {len(rows.edges)} relationships).")


@click.group("browser")
def browser_group() -> None:
    """What techgraph ships for Neo4j Browser: style sheet, explorations, guide."""


@browser_group.command("style")
def browser_style() -> None:
    """Print the Browser style sheet (GRASS); drag browser/techgraph.grass onto Browser, or
    type `:style` and paste it."""
    from techgraph.browser import style_sheet

    click.echo(style_sheet(), nl=False)


@browser_group.command("explorations")
@click.argument("name", required=False)
def browser_explorations(name: str | None) -> None:
    """List the ready Cypher explorations, or print one (to paste into Browser's editor)."""
    from techgraph.browser import exploration, explorations

    if name is None:
        for e in explorations():
            params = ", ".join(f"${k} = {v}" for k, v in e.params.items())
            click.echo(f"{e.name:<30} {e.title}")
            click.echo(f"{'':<30} parameters: {params or 'none'}")
        return
    try:
        found = exploration(name)
    except KeyError as exc:
        raise InvalidArgument(str(exc.args[0])) from None
    click.echo(found.text, nl=False)


@browser_group.command("guide")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--write",
    "write_to",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the guide's HTML to this file instead of serving it (to host it elsewhere).",
)
def browser_guide(port: int, write_to: Path | None) -> None:
    """Serve the explorations as a Browser guide on localhost (Ctrl-C stops it)."""
    from techgraph.browser.guide import GUIDE_PATH, STYLE_PATH, make_server, render_guide

    if write_to is not None:
        write_to.write_text(render_guide(), encoding="utf-8")
        click.echo(f"wrote {write_to}")
        return
    try:
        server = make_server("127.0.0.1", port)
    except OSError as exc:
        raise InvalidArgument(
            f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); choose another --port."
        ) from None
    base = f"http://localhost:{server.server_address[1]}"
    click.echo("Serving the techgraph guide. In Neo4j Browser, run:")
    click.echo(f"  :guide {base}{GUIDE_PATH}")
    click.echo(f"  :style {base}{STYLE_PATH}")
    click.echo("Ctrl-C stops the server.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
