"""What every CLI command needs: the settings on the click context and the store they name."""

from __future__ import annotations

import click

from techgraph.graph.store import GraphStore

from .settings import Settings, open_configured_store


def store_from(ctx: click.Context) -> GraphStore:
    """Open the configured store once per command; it is closed when the command ends."""
    root = ctx.find_root()
    existing = root.meta.get("techgraph.store")
    if isinstance(existing, GraphStore):
        return existing
    s: Settings = root.obj
    store = open_configured_store(s)
    root.meta["techgraph.store"] = store
    root.call_on_close(store.close)
    return store
