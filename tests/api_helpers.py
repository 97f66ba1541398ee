"""What the API tests share: an app over the same graph as a `store` fixture, and a TCP relay
that stands in for a Neo4j that goes down and comes back."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

from click.testing import CliRunner
from fastapi.testclient import TestClient
from pydantic import SecretStr

from techgraph.api.app import create_app
from techgraph.api.cli import cli
from techgraph.api.settings import Settings
from techgraph.graph.embedded import EmbeddedStore
from techgraph.graph.store import GraphStore

from .conftest import NEO4J_PASSWORD, NEO4J_URI, NEO4J_USER

KEY = "test-key-0123456789abcdef"
OTHER_KEY = "another-key-0123456789abcdef"


def settings_for(store: GraphStore, **overrides: Any) -> Settings:
    """Settings that make the app open the same graph as `store` (its own connection)."""
    if isinstance(store, EmbeddedStore):
        return Settings(backend="embedded", data_dir=store.data_dir, **overrides)
    return neo4j_settings(NEO4J_URI, **overrides)


def neo4j_settings(uri: str, **overrides: Any) -> Settings:
    return Settings(
        backend="neo4j",
        neo4j_uri=uri,
        neo4j_user=NEO4J_USER,
        neo4j_password=SecretStr(NEO4J_PASSWORD),
        **overrides,
    )


@contextlib.contextmanager
def client_for(store: GraphStore, **overrides: Any) -> Iterator[TestClient]:
    """A client of an app over `store`'s graph; server errors come back as responses (500),
    as a real client would see them, instead of being raised into the test."""
    app = create_app(settings_for(store, **overrides))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Relay:
    """A TCP relay from a local port to a Neo4j server: `start()` brings "the server" up,
    `stop()` takes it down (closing every connection), as a restart of Neo4j would."""

    def __init__(self, target_uri: str) -> None:
        parsed = urlparse(target_uri)
        self.target = (parsed.hostname or "127.0.0.1", parsed.port or 7687)
        self.port = free_port()
        self.uri = f"bolt://127.0.0.1:{self.port}"
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):  # wakes the thread blocked in accept()
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._conns.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


def run_cli(store: GraphStore, *args: str, input: bytes | None = None) -> tuple[int, str, str]:
    """The `techgraph` command pointed at a test's store (its data directory, or the test
    Neo4j): exit code, stdout, stderr."""
    if isinstance(store, EmbeddedStore):
        options, env = ["--data-dir", str(store.data_dir)], {}
    else:
        options = ["--backend", "neo4j"]
        env = {"TECHGRAPH_NEO4J_URI": NEO4J_URI, "TECHGRAPH_NEO4J_PASSWORD": NEO4J_PASSWORD}
    result = CliRunner().invoke(
        cli, [*options, *args], env=env, input=input, catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr
