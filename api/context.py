"""What every CLI command needs: the settings on the click context and the store they name."""

from __future__ import annotations

import click

from techgraph.graph.factory import open_store
from techgraph.graph.store import GraphStore

from .settings import Settings


def store_from(ctx: click.Context) -> GraphStore:
    """Open the configured store once per command; it is closed when the command ends."""
    root = ctx.find_root()
    existing = root.meta.get("techgraph.store")
    if isinstance(existing, GraphStore):
        return existing
    s: Settings = root.obj
    store = open_store(
        s.backend,
        data_dir=s.data_dir,
        neo4j_uri=s.neo4j_uri,
        neo4j_user=s.neo4j_user,
        neo4j_password=s.neo4j_password.get_secret_value(),
        neo4j_database=s.neo4j_database,
    )
    root.meta["techgraph.store"] = store
    root.call_on_close(store.close)
    return store
