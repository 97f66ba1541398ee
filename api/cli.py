"""The `techgraph` command line. Thin: it reads settings, opens a store and calls the core.

Every TechgraphError becomes one line on stderr and a non-zero exit code; no tracebacks.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from techgraph import __version__
from techgraph.graph import questions
from techgraph.graph.errors import TechgraphError
from techgraph.graph.factory import BACKENDS
from techgraph.graph.store import GraphStore
from techgraph.ingest.reference import load_reference

from . import serialize
from .context import store_from
from .render import render_exposure
from .runtime import tune_gc
from .settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
EXIT_ERROR = 1


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_ERROR)


class _Group(click.Group):
    """Turns techgraph errors raised anywhere below into one clear line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TechgraphError as exc:
            _fail(exc.message)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="techgraph")
@click.option(
    "--backend",
    envvar="TECHGRAPH_BACKEND",
    help=f"Where the graph lives: {' or '.join(BACKENDS)} [env TECHGRAPH_BACKEND; "
    "default embedded].",
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    envvar="TECHGRAPH_DATA_DIR",
    help="Directory of the embedded graph [env TECHGRAPH_DATA_DIR; default "
    "~/.local/share/techgraph].",
)
@click.pass_context
def cli(ctx: click.Context, backend: str | None, data_dir: Path | None) -> None:
    """techgraph: technologies, firms and countries, and the evidence that links them."""
    overrides: dict[str, Any] = {}
    if backend:
        overrides["backend"] = backend
    if data_dir:
        overrides["data_dir"] = data_dir
    try:
        ctx.obj = Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"TECHGRAPH_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        _fail(f"a setting has a value techgraph cannot use ({problems}).")


def _store(ctx: click.Context) -> GraphStore:
    return store_from(ctx)


@cli.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Prepare the backend: uniqueness constraints and indexes on Neo4j."""
    store = _store(ctx)
    store.init()
    click.echo(f"{store.backend} backend ready.")


@cli.command("load-reference")
@click.pass_context
def load_reference_cmd(ctx: click.Context) -> None:
    """Load the shipped reference data (countries, technologies, firms, alliances, agencies)."""
    store = _store(ctx)
    _load_reference(store)
    _print_counts(store)


def _load_reference(store: GraphStore) -> None:
    store.init()
    store.write(load_reference(schema=store.schema))


@cli.command()
@click.pass_context
def stats(ctx: click.Context) -> None:
    """Count nodes and relationships by type."""
    _print_counts(_store(ctx))


def _print_counts(store: GraphStore) -> None:
    counts = store.counts()
    table = Table(title=f"techgraph ({store.backend} backend)")
    table.add_column("type")
    table.add_column("count", justify="right")
    for name, n in sorted(counts.nodes.items()):
        table.add_row(name, str(n))
    table.add_section()
    for name, n in sorted(counts.relationships.items()):
        table.add_row(name, str(n))
    table.add_section()
    table.add_row("nodes", str(counts.total_nodes))
    table.add_row("relationships", str(counts.total_relationships))
    Console().print(table)


@cli.command()
@click.option("--tech", default="tech:5g", show_default=True, help="The technology to examine.")
@click.option("--origin", default="CHN", show_default=True, help="ISO 3166-1 alpha-3 code.")
@click.option(
    "--depth", default=4, show_default=True, type=click.IntRange(1, 10), help="REQUIRES hops."
)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.pass_context
def demo(ctx: click.Context, tech: str, origin: str, depth: int, as_json: bool) -> None:
    """Load the reference data and show a supply chain's dependencies on one country.

    By default: the inputs of a 5G network build-out whose suppliers are of Chinese origin
    (headquarters, ultimate parent, production or restricted-party listing), each with the
    path of relationships that proves it.
    """
    store = _store(ctx)
    _load_reference(store)
    answer = questions.exposure(store, tech, origin, depth)
    if as_json:
        _emit(serialize.exposure(answer))
        return
    render_exposure(answer, store.backend)


@cli.command()
@click.pass_context
def compact(ctx: click.Context) -> None:
    """Fold the embedded store's journal into a fresh snapshot."""
    from techgraph.graph.embedded import EmbeddedStore

    store = _store(ctx)
    if not isinstance(store, EmbeddedStore):
        _fail("compact applies to the embedded backend only; Neo4j manages its own files.")
        return
    store.compact()
    click.echo(f"compacted {store.data_dir}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (each opens its own store; settings come from the environment). "
    "Each new connection goes to the worker holding the fewest.",
)
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="A line per request on standard output.",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, access_log: bool) -> None:
    """Run the HTTP API (uvicorn) on the configured backend (docs/api.md)."""
    import uvicorn

    from .app import create_app
    from .workers import WorkerFailed, run

    if workers == 1:
        uvicorn.run(create_app(ctx.obj), host=host, port=port, access_log=access_log)
        return
    # Several workers build their apps from the environment: pass the CLI's choices on there.
    s: Settings = ctx.obj
    os.environ["TECHGRAPH_BACKEND"] = s.backend
    os.environ["TECHGRAPH_DATA_DIR"] = str(s.data_dir)
    app = "techgraph.api.app:create_app"
    if sys.platform != "linux":  # api/workers.py needs Linux's sequenced-packet sockets
        uvicorn.run(app, factory=True, host=host, port=port, workers=workers, access_log=access_log)
        return
    try:
        run(app, host, port, workers, access_log=access_log)
    except OSError as e:
        _fail(f"cannot listen on {host}:{port}: {e.strerror or e}")
    except WorkerFailed as e:
        _fail(str(e))


@cli.group()
def neo4j() -> None:
    """Run a local Neo4j 5.26 server (from Maven Central, on Java 17), no Docker needed."""


_home_option = click.option(
    "--home",
    type=click.Path(path_type=Path),
    envvar="TECHGRAPH_NEO4J_HOME",
    help="Server directory (conf, data, logs) [env TECHGRAPH_NEO4J_HOME; default "
    "~/.local/share/techgraph/neo4j].",
)


def _print_status(st: Any) -> None:
    state = "running" if st.running else "stopped"
    click.echo(f"Neo4j {st.version or ''} {state}".replace("  ", " "))
    if st.pid:
        click.echo(f"  pid      {st.pid}")
    click.echo(f"  bolt     {st.bolt_uri}")
    click.echo(f"  browser  {st.browser_url}")
    click.echo(f"  home     {st.home}")
    click.echo(f"  log      {st.log_file}")


@neo4j.command("start")
@_home_option
@click.option(
    "--password",
    envvar="TECHGRAPH_NEO4J_PASSWORD",
    default="techgraph",
    show_default=True,
    help="Password of user neo4j, set on the first start of a home [env TECHGRAPH_NEO4J_PASSWORD].",
)
@click.option("--bolt-port", default=7687, show_default=True, type=click.IntRange(1, 65535))
@click.option("--http-port", default=7474, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--heap", default="1g", show_default=True, help="Maximum JVM heap, in Neo4j's size syntax."
)
@click.option("--pagecache", default="256m", show_default=True, help="Neo4j's page cache size.")
@click.option("--timeout", default=180.0, show_default=True, help="Seconds to wait for Bolt.")
def neo4j_start(
    home: Path | None,
    password: str,
    bolt_port: int,
    http_port: int,
    heap: str,
    pagecache: str,
    timeout: float,
) -> None:
    """Fetch Neo4j if needed, start it and wait until Bolt answers. Heap and page cache take
    effect on a start, not on a server already running."""
    from techgraph.graph.neo4j_server import manager

    st = manager.start(
        home,
        bolt_port=bolt_port,
        http_port=http_port,
        password=password,
        timeout=timeout,
        heap=heap,
        pagecache=pagecache,
    )
    if st.already_running:
        click.echo("Neo4j was already running; left it as it is.")
    _print_status(st)


@neo4j.command("stop")
@_home_option
def neo4j_stop(home: Path | None) -> None:
    """Stop the local server (SIGTERM, then SIGKILL if it does not exit)."""
    from techgraph.graph.neo4j_server import manager

    click.echo("stopped" if manager.stop(home) else "Neo4j was not running.")


@neo4j.command("status")
@_home_option
def neo4j_status(home: Path | None) -> None:
    """Say whether the local server runs, with its PID, Bolt URI and Browser URL."""
    from techgraph.graph.neo4j_server import manager

    st = manager.status(home)
    _print_status(st)
    if not st.running:
        sys.exit(3)


def _emit(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def main() -> None:
    tune_gc()
    cli(prog_name="techgraph")


# The query commands live in their own module; the importers are one group of their own.
from .cli_eval import eval_command  # noqa: E402
from .cli_import import import_group  # noqa: E402
from .cli_ingest import ingest_command  # noqa: E402
from .cli_queries import COMMANDS as QUERY_COMMANDS  # noqa: E402
from .cli_viz import browser_group, export_command, viz_group  # noqa: E402

for query_command in QUERY_COMMANDS:
    cli.add_command(query_command)
cli.add_command(ingest_command)
cli.add_command(import_group)
cli.add_command(eval_command)
cli.add_command(viz_group)
cli.add_command(export_command)
cli.add_command(browser_group)
# `python -m techgraph` runs main (__main__.py at the package root). Running this module as a
# script would import it twice, and its command modules would see the half-made copy.
