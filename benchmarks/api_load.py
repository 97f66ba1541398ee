"""The issue-5 load test: the HTTP API under 32 concurrent clients, on each backend.

    python -m techgraph.benchmarks.api_load --backend embedded
    python -m techgraph.benchmarks.api_load --backend neo4j --uri bolt://127.0.0.1:47687
    python -m techgraph.benchmarks.api_load --backend both --uri bolt://127.0.0.1:47687 --json

For each backend it loads the reference data (idempotent), starts `techgraph serve` (settings
from the environment; `--server uvicorn` runs uvicorn's own `--workers` instead, to compare) on
a free loopback port in a child process, waits for /health, and then measures with a
small asyncio HTTP/1.1 client (see `Connection`), over keep-alive connections, `--concurrency`
clients at once (32):

1. **Entity lookups**: `GET /v1/entities/{id}` over every entity of the reference data in a
   seeded random order, for `--duration` seconds after a warm-up: requests per second, p50, p99.
2. **Dependency queries**: `GET /v1/dependencies?item=<technology>&depth=3` over the reference
   technologies that have inputs, for `--duration` seconds: p50 and p99 latency, requests/s.

Every response must be a 200 (any other is counted and reported; the run fails if there are
any). The client and the server share the machine, so the figures are what one box serves to
itself; docs/benchmarks.md has the figures, the machine and the targets (>= 1,000 lookups/s,
dependency p99 <= 300 ms on 2 cores).

Neo4j safety: the reference data is merged into the database (nothing is deleted), and only
into one that is empty or marked by an earlier run (`:TechgraphApiBenchMarker`), unless
`--force`. Point it at a server of its own, never the test suite's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from techgraph.graph.embedded import EmbeddedStore
from techgraph.graph.model import FactBatch
from techgraph.graph.neo4j_store import Neo4jStore
from techgraph.graph.store import GraphStore
from techgraph.ingest.reference import load_reference

MARKER = "TechgraphApiBenchMarker"
STARTUP_TIMEOUT_S = 60.0


@dataclass
class Phase:
    name: str
    requests: int
    errors: int
    seconds: float
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    """The slowest answer: a pause that stops a whole worker (the collector's, say) shows here
    even when it holds fewer than 1% of the answers."""


@dataclass
class BackendResult:
    backend: str
    workers: int
    lookups: Phase
    dependencies: Phase


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


# -- the graph ------------------------------------------------------------------------------------


def prepare_neo4j(uri: str, user: str, password: str, force: bool, batch: FactBatch) -> None:
    store = Neo4jStore(uri, user, password)
    try:
        with store._driver.session(database=store.database) as s:
            nodes = s.run("MATCH (n) RETURN count(n) AS n").single(strict=True)["n"]
            marked = s.run(f"MATCH (m:{MARKER}) RETURN count(m) AS n").single(strict=True)["n"]
            if nodes and not marked and not force:
                sys.exit(
                    f"{uri} holds {nodes} nodes that this benchmark did not write; point --uri "
                    "at a server of its own (or pass --force to merge the reference data in)."
                )
            s.run(f"MERGE (:{MARKER} {{note: 'techgraph API load test'}})").consume()
        load(store, batch)
    finally:
        store.close()


def load(store: GraphStore, batch: FactBatch) -> None:
    store.init()
    store.write(batch)


# -- the server -----------------------------------------------------------------------------------


@contextmanager
def server(env: dict[str, str], workers: int, how: str = "techgraph") -> Iterator[str]:
    """The API on a free loopback port, in a child process; yields its base URL. `how` is
    "techgraph" (`techgraph serve`, as users run it: with several workers, each connection goes
    to the worker holding the fewest) or "uvicorn" (uvicorn's own `--workers`, where the
    workers race to accept; kept to compare the two)."""
    port = free_port()
    if how == "techgraph":
        cmd = [sys.executable, "-m", "techgraph", "serve", "--host", "127.0.0.1"]
        cmd += ["--port", str(port), "--workers", str(workers), "--no-access-log"]
    else:
        cmd = [sys.executable, "-m", "uvicorn", "--factory", "techgraph.api.app:create_app"]
        cmd += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        cmd += ["--log-level", "warning", "--no-access-log"]
    log = tempfile.TemporaryFile()  # noqa: SIM115 - kept open for the child's lifetime
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                log.seek(0)
                said = log.read().decode()[-2000:]
                sys.exit(f"the API server exited with {proc.returncode}:\n{said}")
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"the API server did not answer /health within {STARTUP_TIMEOUT_S:.0f} s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# -- the load -------------------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection that sends GETs and reads whole answers.

    A client this small, rather than httpx, because the client shares the machine with the
    server: httpx spends about a millisecond of CPU per request, which at a thousand requests
    a second would take one of the two cores the server is measured on (httpx measured 211
    lookups/s here, where this client measures the server at over 1,000)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def get(self, path: str) -> int:
        """The status code; the body is read (and dropped) so the connection can be reused."""
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = next(
            int(line.split(b":", 1)[1])
            for line in lines
            if line.lower().startswith(b"content-length:")
        )
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


async def run_phase(
    name: str,
    base: str,
    paths: Sequence[str],
    concurrency: int,
    duration: float,
    warmup: float,
) -> Phase:
    """`concurrency` clients, each on its own connection, each sending the next path as soon
    as its last answer came (a closed loop, as 32 busy tools would)."""
    host, port = base.removeprefix("http://").split(":")
    connections = [await Connection.open(host, int(port)) for _ in range(concurrency)]
    latencies: list[float] = []
    errors = 0
    counter = 0
    measuring = False
    stop_at = 0.0

    async def worker(conn: Connection) -> None:
        nonlocal counter, errors
        while time.perf_counter() < stop_at:
            path = paths[counter % len(paths)]
            counter += 1
            started = time.perf_counter()
            status = await conn.get(path)
            elapsed = time.perf_counter() - started
            if measuring:
                errors += status != 200
                latencies.append(elapsed)

    async def for_a_while(seconds: float) -> float:
        nonlocal stop_at
        began = time.perf_counter()
        stop_at = began + seconds
        await asyncio.gather(*(worker(c) for c in connections))
        return time.perf_counter() - began

    try:
        await for_a_while(warmup)
        measuring = True
        seconds = await for_a_while(duration)
    finally:
        for conn in connections:
            conn.close()
    return Phase(
        name=name,
        requests=len(latencies),
        errors=errors,
        seconds=round(seconds, 2),
        requests_per_s=round(len(latencies) / seconds, 1),
        p50_ms=round(percentile(latencies, 50) * 1000, 2),
        p99_ms=round(percentile(latencies, 99) * 1000, 2),
        max_ms=round(max(latencies) * 1000, 2),
    )


def targets(batch: FactBatch, seed: int) -> tuple[list[str], list[str]]:
    """(lookup paths over every entity, dependency paths over technologies with inputs)."""
    rng = random.Random(seed)
    ids = [n.id for n in batch.nodes]
    rng.shuffle(ids)
    with_inputs = sorted(
        {r.source for r in batch.relationships if r.type == "REQUIRES" and r.source[:5] == "tech:"}
    )
    rng.shuffle(with_inputs)
    return (
        [f"/v1/entities/{i}" for i in ids],
        [f"/v1/dependencies?item={t}&depth=3" for t in with_inputs],
    )


def measure(
    backend: str, env: dict[str, str], args: argparse.Namespace, batch: FactBatch
) -> BackendResult:
    lookups, deps = targets(batch, args.seed)

    def run(name: str, paths: Sequence[str]) -> Coroutine[Any, Any, Phase]:
        return run_phase(name, base, paths, args.concurrency, args.duration, args.warmup)

    with server(env, args.workers, args.server) as base:
        print(f"[{backend}] server up at {base}; entity lookups ...", file=sys.stderr)
        lookup_phase = asyncio.run(run("entity lookups", lookups))
        print(f"[{backend}] dependency queries ...", file=sys.stderr)
        deps_phase = asyncio.run(run("dependency queries", deps))
    return BackendResult(backend, args.workers, lookup_phase, deps_phase)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m techgraph.benchmarks.api_load")
    parser.add_argument("--backend", choices=("embedded", "neo4j", "both"), default="embedded")
    parser.add_argument("--uri", default="bolt://127.0.0.1:17687")
    parser.add_argument("--user", default="neo4j")
    parser.add_argument(
        "--password", default=os.environ.get("TECHGRAPH_NEO4J_PASSWORD", "techgraph")
    )
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per phase")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring")
    parser.add_argument("--workers", type=int, default=1, help="API worker processes")
    parser.add_argument(
        "--server",
        choices=("techgraph", "uvicorn"),
        default="techgraph",
        help="techgraph serve (default) or uvicorn's own workers, to compare",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()
    batch = load_reference()
    backends = ["embedded", "neo4j"] if args.backend == "both" else [args.backend]
    results: list[BackendResult] = []
    for backend in backends:
        if backend == "embedded":
            with tempfile.TemporaryDirectory(prefix="techgraph-api-load-") as data_dir:
                load(EmbeddedStore(data_dir), batch)
                env = {"TECHGRAPH_BACKEND": "embedded", "TECHGRAPH_DATA_DIR": data_dir}
                results.append(measure(backend, env, args, batch))
        else:
            prepare_neo4j(args.uri, args.user, args.password, args.force, batch)
            env = {
                "TECHGRAPH_BACKEND": "neo4j",
                "TECHGRAPH_NEO4J_URI": args.uri,
                "TECHGRAPH_NEO4J_USER": args.user,
                "TECHGRAPH_NEO4J_PASSWORD": args.password,
            }
            results.append(measure(backend, env, args, batch))

    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            # Other work on the machine skews every figure: the load before and after the run.
            "load_average_after": os.getloadavg(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "load_average_before": load_before,
        "workers": args.workers,
        "server": args.server,
        "concurrency": args.concurrency,
        "duration_s": args.duration,
        "results": [asdict(r) for r in results],
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"load average before {load_before}, after {os.getloadavg()}")
        for r in results:
            for phase in (r.lookups, r.dependencies):
                print(
                    f"{r.backend:9} {phase.name:19} {phase.requests_per_s:8.1f} req/s  "
                    f"p50 {phase.p50_ms:7.2f} ms  p99 {phase.p99_ms:7.2f} ms  "
                    f"max {phase.max_ms:7.2f} ms  "
                    f"({phase.requests} requests, {phase.errors} errors)"
                )
    if any(p.errors for r in results for p in (r.lookups, r.dependencies)):
        sys.exit(1)


if __name__ == "__main__":
    main()
