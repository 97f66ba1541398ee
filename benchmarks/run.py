"""The issue-3 benchmark: load rates and exposure latency on the embedded store and on Neo4j.

    python -m techgraph.benchmarks.run --scale 1.0 --backend both            # the full run
    python -m techgraph.benchmarks.run --scale 0.02 --backend embedded       # a quick look

What it measures, in one run (docs/benchmarks.md has the figures and the targets):

1. **Load.** The synthetic graph (benchmarks/generate.py) is written with the project's own
   writers, ``EmbeddedStore.write`` and ``Neo4jStore.write``, in FactBatch chunks (20,000
   relationships by default). Only the ``write`` calls are timed; building the FactBatch objects
   is the caller's work and is not. On Neo4j the same run also times the row-at-a-time baseline:
   one auto-commit ``MERGE`` per relationship (queries/bench_merge_relationship_row.cypher, the
   batched statement without its UNWIND) on a seeded sample (5,000 by default), whose rate is
   extrapolated; those relationships are deleted again so that the batched load creates every
   relationship afresh. The ratio batched / row-at-a-time is the figure issue 3 asks for.
2. **Memory.** The embedded store's RSS at full size, in a fresh process (benchmarks/rss.py).
3. **Queries.** ``exposure`` to depth 4 for origin CHN from 200 seeded random technologies, after a
   warm-up, per backend: p50 and p99 in ms and the embedded/Neo4j ratio. The timed call is
   ``timed_query`` below, built once from ``--query-impl``; when the query layer moves, change
   DEFAULT_QUERY_IMPL (or pass the option) and nothing else.

Neo4j safety: the benchmark empties the database it is pointed at, so it refuses one holding any
node it did not create (it leaves a ``:TechgraphBenchMarker`` node) unless ``--force``; its
default URI is bolt://127.0.0.1:17687, the server ``python -m techgraph.benchmarks.server start``
runs, never the test suite's 7687.

Bounded in time: the load is bounded by ``--scale``; the baseline stops after
``--baseline-budget`` seconds and each backend's queries after ``--query-budget`` seconds, and a
figure measured on fewer samples than asked says so.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import importlib.util
import json
import logging
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import neo4j

from techgraph.api.runtime import tune_gc
from techgraph.graph.embedded import EmbeddedStore
from techgraph.graph.model import Relationship
from techgraph.graph.neo4j_store import CHUNK as NEO4J_UNWIND_ROWS
from techgraph.graph.neo4j_store import Neo4jStore
from techgraph.graph.neo4j_store import _rel_row as neo4j_rel_row  # the writer's own row format
from techgraph.graph.store import GraphStore
from techgraph.queries import load as cypher

from .generate import ORIGIN, SyntheticSupplyChain

DEFAULT_URI = "bolt://127.0.0.1:17687"
# The query under test: "module:function", called as function(store, root_id, ORIGIN, DEPTH).
# When `exposure` moves or changes, this line is the one to edit. Until commit 69f6d01 it was
# "techgraph.graph.exposure:exposure" (a neighbours() walk); 85b1929 replaced it with this one.
DEFAULT_QUERY_IMPL = "techgraph.graph.questions:exposure"
DEPTH = 4

TARGET_BATCHED_REL_S = 30_000.0
TARGET_P50_MS = 50.0
TARGET_P99_MS = 250.0
TARGET_EMBEDDED_RATIO = 3.0

QueryFn = Callable[[GraphStore, str], Any]


def query_function(spec: str = DEFAULT_QUERY_IMPL) -> QueryFn:
    """Resolve the query implementation once and return THE timed call (the one place)."""
    module_name, _, attr = spec.partition(":")
    impl = getattr(importlib.import_module(module_name), attr or "exposure")

    def timed_query(store: GraphStore, root_id: str) -> Any:
        return impl(store, root_id, ORIGIN, DEPTH)

    return timed_query


def result_size(result: Any) -> int:
    """How many findings a query returned, whatever shape the query layer gives its answer."""
    if hasattr(result, "__len__"):
        return len(result)
    findings = getattr(result, "findings", None)
    return len(findings) if findings is not None else 0


# -- reporting helpers -----------------------------------------------------------------------------


def log(message: str) -> None:
    """Progress goes to stderr, so that ``--json`` leaves stdout to the figures."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 200 samples is the 198th smallest)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "neo4j_driver": neo4j.__version__,
        # The driver's optional Rust extension packs parameters natively (docs/benchmarks.md).
        "neo4j_rust_ext": importlib.util.find_spec("neo4j._rust") is not None,
    }


def load_average() -> list[float]:
    """The machine is shared: each phase records the load around it, to read its figures by."""
    return [round(x, 2) for x in os.getloadavg()]


@dataclass
class Timer:
    """Sums the time of the calls it wraps, and counts them. ``cpu_seconds`` is this process's
    CPU time in them: on Neo4j the rest of the wall time is spent waiting for the server, which
    tells a client-bound load from a server-bound one even on a busy machine."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0
    calls: int = 0
    samples: list[float] = field(default_factory=list)

    @contextlib.contextmanager
    def measure(self) -> Iterator[None]:
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self.cpu_seconds += time.process_time() - cpu_started
            self.seconds += elapsed
            self.calls += 1
            self.samples.append(elapsed)


# -- load ------------------------------------------------------------------------------------------


def write_nodes(store: GraphStore, plan: SyntheticSupplyChain, batch_size: int) -> Timer:
    """Write every node through ``store.write``; only the write calls are timed."""
    timer = Timer()
    for batch in plan.node_batches(batch_size):
        with timer.measure():
            store.write(batch)
    return timer


def write_relationships(store: GraphStore, plan: SyntheticSupplyChain, batch_size: int) -> Timer:
    """Write every relationship through ``store.write``; only the write calls are timed."""
    timer = Timer()
    done = 0
    for batch in plan.relationship_batches(batch_size):
        with timer.measure():
            store.write(batch)
        done += len(batch.relationships)
        if timer.calls % 5 == 0:
            rate = done / timer.seconds
            log(f"  {store.backend}: {done:,} relationships, {rate:,.0f} rel/s so far")
    return timer


def load_figures(
    store: GraphStore,
    plan: SyntheticSupplyChain,
    args: argparse.Namespace,
    nodes: Timer,
    rels: Timer,
    load_before: list[float],
) -> dict[str, Any]:
    """Check the store holds exactly the generated graph, and say how fast it got there."""
    counts = store.counts()
    got = (counts.total_nodes, counts.total_relationships)
    if got != (len(plan.nodes), len(plan.relationships)):
        raise SystemExit(
            f"{store.backend} holds {got[0]} nodes and {got[1]} relationships after the load, "
            f"not {len(plan.nodes)} and {len(plan.relationships)}."
        )
    return {
        "nodes": len(plan.nodes),
        "node_batches": nodes.calls,
        "node_seconds": round(nodes.seconds, 2),
        "nodes_per_s": round(len(plan.nodes) / nodes.seconds),
        "relationships": len(plan.relationships),
        "relationship_batches": rels.calls,
        "batch_size": args.batch_rels,
        "relationship_seconds": round(rels.seconds, 2),
        "relationships_per_s": round(len(plan.relationships) / rels.seconds),
        "client_cpu_s": round(rels.cpu_seconds, 2),
        "slowest_batch_s": round(max(rels.samples), 2),
        "fastest_batch_s": round(min(rels.samples), 2),
        "load_average": [load_before, load_average()],
    }


# -- Neo4j -----------------------------------------------------------------------------------------


def claim_database(driver: neo4j.Driver, database: str, uri: str, force: bool) -> None:
    """Refuse a database holding nodes the benchmark did not create, then mark it as ours."""
    with driver.session(database=database) as session:
        row = session.run(cypher("bench_database_owner")).single(strict=True)
        if row["foreign"] and not row["marked"] and not force:
            raise SystemExit(
                f"{uri} holds {row['foreign']:,} nodes that the benchmark did not create, and the "
                "benchmark empties its database. Start its own server (python -m "
                "techgraph.benchmarks.server start) or pass --force if this data may go."
            )
        session.run(cypher("bench_create_marker")).consume()


def server_memory(driver: neo4j.Driver, database: str) -> dict[str, str]:
    with contextlib.suppress(neo4j.exceptions.Neo4jError), driver.session(database=database) as s:
        return {r["name"]: str(r["value"]) for r in s.run(cypher("bench_memory_config"))}
    return {}


def baseline_in_sync() -> bool:
    """Whether the row-at-a-time statement is still the batched one minus its UNWIND: the
    baseline is only a fair comparison while both do the same work per relationship."""

    def body(name: str) -> list[str]:
        lines = cypher(name, type="`X`").splitlines()
        return [line for line in lines if not line.lstrip().startswith("//")]

    batched, single = body("merge_relationships"), body("bench_merge_relationship_row")
    return batched[1:] == single[1:] and (batched[0], single[0]) == (
        "UNWIND $rows AS row",
        "WITH $row AS row",
    )


def row_at_a_time(
    driver: neo4j.Driver, database: str, plan: SyntheticSupplyChain, args: argparse.Namespace
) -> dict[str, Any]:
    """One auto-commit MERGE per relationship on a seeded sample; deleted again afterwards."""
    rng = random.Random(args.seed + 2)
    total = len(plan.relationships)
    sample = sorted(rng.sample(range(total), min(args.baseline_rels, total)))
    rels: list[Relationship] = [plan.relationship(i) for i in sample]
    timer = Timer()
    load_before = load_average()
    written: list[Relationship] = []
    with driver.session(database=database) as session:
        budget_end = time.monotonic() + args.baseline_budget
        for rel in rels:
            query = cypher("bench_merge_relationship_row", type=f"`{rel.type}`")
            with timer.measure():
                row = neo4j_rel_row(rel)  # the same conversion the batched writer makes
                result = session.run(query, row=row).single(strict=True)
            if result["written"] != 1:
                raise SystemExit(f"the baseline MERGE of {rel.key} wrote {result['written']} rows")
            written.append(rel)
            if time.monotonic() > budget_end:
                spent = f"{args.baseline_budget:.0f} s"
                log(f"  baseline budget of {spent} spent after {len(written)} relationships")
                break
        by_type: dict[str, list[dict[str, str]]] = defaultdict(list)
        for rel in written:
            by_type[rel.type].append({"source": rel.source, "target": rel.target})
        deleted = 0
        for rtype, rows in by_type.items():
            query = cypher("bench_delete_relationships", type=f"`{rtype}`")
            deleted += session.run(query, rows=rows).single(strict=True)["deleted"]
        if deleted != len(written):
            raise SystemExit(f"deleted {deleted} baseline relationships, not {len(written)}")
    return {
        "relationships": len(written),
        "asked": len(rels),
        "seconds": round(timer.seconds, 2),
        "relationships_per_s": round(len(written) / timer.seconds),
        "median_ms": round(statistics.median(timer.samples) * 1000, 2),
        "mode": "one auto-commit transaction per relationship; rate extrapolated from the sample",
        "statement_in_sync": baseline_in_sync(),
        "load_average": [load_before, load_average()],
    }


def neo4j_load(plan: SyntheticSupplyChain, args: argparse.Namespace) -> dict[str, Any]:
    driver = neo4j.GraphDatabase.driver(
        args.uri, auth=(args.user, args.password), notifications_min_severity="OFF"
    )
    try:
        claim_database(driver, args.database, args.uri, args.force)
        store = Neo4jStore(args.uri, args.user, args.password, args.database)
        try:
            info: dict[str, Any] = {"server": store.server_info()}
            info["memory"] = server_memory(driver, args.database)
            if args.skip_load:
                counts = store.counts()
                if (counts.total_nodes, counts.total_relationships) != (
                    len(plan.nodes),
                    len(plan.relationships),
                ):
                    raise SystemExit(
                        f"--skip-load: {args.uri} holds {counts.total_nodes} nodes and "
                        f"{counts.total_relationships} relationships, not this scale's "
                        f"{len(plan.nodes)} and {len(plan.relationships)}; load it first."
                    )
                return info
            log("neo4j: emptying the benchmark database")
            store.clear()  # relationships first, in small transactions (since e3568c7)
            store.init()
            log("neo4j: loading nodes")
            load_before = load_average()
            node_timer = write_nodes(store, plan, args.batch_nodes)
            if args.baseline_rels > 0:
                log(f"neo4j: row-at-a-time baseline on {args.baseline_rels:,} relationships")
                info["row_at_a_time"] = row_at_a_time(driver, args.database, plan, args)
            log("neo4j: batched relationship load")
            rel_timer = write_relationships(store, plan, args.batch_rels)
            info["load"] = load_figures(store, plan, args, node_timer, rel_timer, load_before)
            info["load"]["unwind_rows_per_statement"] = NEO4J_UNWIND_ROWS
            if "row_at_a_time" in info:
                info["batched_over_row_at_a_time"] = round(
                    info["load"]["relationships_per_s"]
                    / info["row_at_a_time"]["relationships_per_s"],
                    1,
                )
            return info
        finally:
            store.close()
    finally:
        driver.close()


# -- embedded --------------------------------------------------------------------------------------


def embedded_rss(data_dir: Path) -> dict[str, Any]:
    """RSS of a fresh interpreter that only opens the loaded store (benchmarks/rss.py)."""
    out = subprocess.run(
        [sys.executable, "-m", "techgraph.benchmarks.rss", str(data_dir)],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def embedded_load(
    plan: SyntheticSupplyChain, data_dir: Path, args: argparse.Namespace
) -> dict[str, Any]:
    info: dict[str, Any] = {"data_dir": str(data_dir)}
    if not args.skip_load:
        if data_dir.exists():
            shutil.rmtree(data_dir)
        store = EmbeddedStore(data_dir)
        try:
            load_before = load_average()
            nodes = write_nodes(store, plan, args.batch_nodes)
            rels = write_relationships(store, plan, args.batch_rels)
            info["load"] = load_figures(store, plan, args, nodes, rels, load_before)
        finally:
            store.close()
            del store
            gc.collect()
        info["load"]["fsync"] = "one fsync per batch (journal append); compactions included"
    if not args.no_rss:
        log("embedded: resident memory of the loaded store, in a fresh process")
        info["rss"] = embedded_rss(data_dir)
    return info


# -- queries ---------------------------------------------------------------------------------------


def query_bench(
    store: GraphStore,
    timed_query: QueryFn,
    starts: Sequence[str],
    warmup: Sequence[str],
    budget_s: float,
) -> dict[str, Any]:
    """Warm up, then time each start once; stop early if the budget is spent (and say so)."""
    for root in warmup:
        timed_query(store, root)
    times: list[float] = []
    sizes: list[int] = []
    load_before = load_average()
    deadline = time.monotonic() + budget_s
    cpu = 0.0
    for n, root in enumerate(starts, 1):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = timed_query(store, root)
        times.append(time.perf_counter() - started)
        cpu += time.process_time() - cpu_started
        sizes.append(result_size(result))
        if n % 50 == 0:
            p50 = statistics.median(times) * 1000
            log(f"  {store.backend}: {n} queries, p50 so far {p50:.1f} ms")
        if time.monotonic() > deadline:
            log(f"  {store.backend}: query budget of {budget_s:.0f} s spent after {n} queries")
            break
    ms = [t * 1000 for t in times]
    return {
        "queries": len(ms),
        "asked": len(starts),
        "warmup": len(warmup),
        "p50_ms": round(percentile(ms, 50), 1),
        "p90_ms": round(percentile(ms, 90), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1),
        "mean_ms": round(statistics.fmean(ms), 1),
        # Python CPU time over wall time: near 1 means the client is the bottleneck.
        "client_cpu_share": round(cpu / sum(times), 2),
        "findings_mean": round(statistics.fmean(sizes), 1),
        "findings_max": max(sizes),
        "load_average": [load_before, load_average()],
        "findings_by_start": dict(zip(starts, sizes, strict=False)),
        "ms_by_start": dict(zip(starts, (round(x, 1) for x in ms), strict=False)),
    }


def store_calls(store: GraphStore, timed_query: QueryFn, roots: Sequence[str]) -> dict[str, float]:
    """Mean store calls per query (each is a Bolt round trip on Neo4j); not timed."""
    counted: dict[str, int] = defaultdict(int)
    names = ("get_node", "get_nodes", "neighbours", "expand", "shortest_paths", "relationships")
    for name in names:
        method = getattr(store, name, None)
        if method is None:
            continue

        def wrapper(*a: Any, _m: Callable[..., Any] = method, _n: str = name, **k: Any) -> Any:
            counted[_n] += 1
            return _m(*a, **k)

        setattr(store, name, wrapper)
    try:
        for root in roots:
            timed_query(store, root)
    finally:
        for name in names:
            with contextlib.suppress(AttributeError):
                delattr(store, name)
    return {name: round(n / len(roots), 1) for name, n in sorted(counted.items())}


# -- the run ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m techgraph.benchmarks.run",
        description="Load and query benchmark of techgraph's embedded and Neo4j backends.",
    )
    p.add_argument(
        "--scale",
        default="1.0",
        help="fraction of 100,000 nodes (0.1) or a node count (25000, 25k)",
    )
    p.add_argument("--backend", choices=("embedded", "neo4j", "both"), default="both")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--json", action="store_true", help="print the figures as JSON on stdout")
    p.add_argument("--uri", default=DEFAULT_URI, help=f"Neo4j Bolt URI (default {DEFAULT_URI})")
    p.add_argument("--user", default=os.environ.get("TECHGRAPH_NEO4J_USER", "neo4j"))
    p.add_argument("--password", default=os.environ.get("TECHGRAPH_NEO4J_PASSWORD", "techgraph"))
    p.add_argument("--database", default="neo4j")
    p.add_argument(
        "--force", action="store_true", help="empty a Neo4j database the benchmark did not create"
    )
    p.add_argument(
        "--data-dir", type=Path, help="embedded data directory (default: a temporary one, removed)"
    )
    p.add_argument("--batch-rels", type=int, default=20_000, help="relationships per FactBatch")
    p.add_argument("--batch-nodes", type=int, default=20_000, help="nodes per FactBatch")
    p.add_argument(
        "--baseline-rels", type=int, default=5_000, help="row-at-a-time sample (0: skip)"
    )
    p.add_argument("--baseline-budget", type=float, default=180.0, help="seconds")
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--query-budget", type=float, default=900.0, help="seconds per backend")
    p.add_argument("--query-impl", default=DEFAULT_QUERY_IMPL, help="module:function under test")
    p.add_argument("--skip-load", action="store_true", help="reuse a loaded --data-dir / Neo4j")
    p.add_argument("--no-rss", action="store_true", help="skip the embedded RSS measurement")
    args = p.parse_args(argv)
    if args.skip_load and args.backend != "neo4j" and args.data_dir is None:
        p.error("--skip-load needs --data-dir for the embedded backend")
    return args


def run(args: argparse.Namespace) -> dict[str, Any]:
    backends = ("embedded", "neo4j") if args.backend == "both" else (args.backend,)
    timed_query = query_function(args.query_impl) if args.queries > 0 else None
    report: dict[str, Any] = {
        "command": "python -m techgraph.benchmarks.run " + " ".join(sys.argv[1:]),
        "machine": machine(),
        "load_average_at_start": load_average(),
        "seed": args.seed,
        "query": {"impl": args.query_impl, "origin": ORIGIN, "depth": DEPTH},
    }
    log(f"generating the synthetic graph (scale {args.scale}, seed {args.seed})")
    started = time.perf_counter()
    plan = SyntheticSupplyChain(args.scale, args.seed)
    report["generate_s"] = round(time.perf_counter() - started, 2)
    report["sizes"] = {"nodes": len(plan.nodes), "relationships": len(plan.relationships)}
    rng = random.Random(args.seed + 1)
    picked = rng.sample(plan.technologies, min(len(plan.technologies), args.queries + args.warmup))
    warmup, starts = picked[: args.warmup], picked[args.warmup :]

    temp_dir = None
    data_dir = args.data_dir
    if "embedded" in backends and data_dir is None:
        temp_dir = tempfile.mkdtemp(prefix="techgraph-bench-")
        data_dir = Path(temp_dir) / "graph"
    try:
        if "embedded" in backends:
            assert data_dir is not None
            log(f"embedded: loading into {data_dir}")
            report["embedded"] = embedded_load(plan, data_dir, args)
        if "neo4j" in backends:
            log(f"neo4j: {args.uri}")
            report["neo4j"] = neo4j_load(plan, args)
        del plan
        gc.collect()
        if timed_query is not None:
            for backend in backends:
                log(f"{backend}: exposure depth {DEPTH} from {len(starts)} technologies")
                store: GraphStore
                if backend == "embedded":
                    assert data_dir is not None
                    store = EmbeddedStore(data_dir)
                else:
                    store = Neo4jStore(args.uri, args.user, args.password, args.database)
                try:
                    figures = query_bench(store, timed_query, starts, warmup, args.query_budget)
                    if backend == "embedded":
                        figures["store_calls_per_query"] = store_calls(
                            store, timed_query, starts[:20]
                        )
                    report[backend]["query"] = figures
                finally:
                    store.close()
            if len(backends) == 2:
                report["answers_differ"] = disagreements(report)
    finally:
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)
    report["targets"] = targets(report)
    return report


def disagreements(report: dict[str, Any]) -> dict[str, Any]:
    """Starts where the two backends found different numbers of findings: comparing the latency
    of different answers would compare different work, so the table warns about it."""
    emb = report["embedded"]["query"]["findings_by_start"]
    neo = report["neo4j"]["query"]["findings_by_start"]
    both = [r for r in emb if r in neo]
    differ = {r: [emb[r], neo[r]] for r in both if emb[r] != neo[r]}
    return {
        "compared": len(both),
        "differ": len(differ),
        "examples": dict(list(differ.items())[:5]),
    }


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured value and whether it is met."""
    rows: list[dict[str, Any]] = []

    def add(name: str, value: float | None, limit: float, higher_is_better: bool) -> None:
        if value is None:
            return
        met = value >= limit if higher_is_better else value <= limit
        rows.append({"target": name, "value": value, "limit": limit, "met": met})

    neo = report.get("neo4j", {})
    emb = report.get("embedded", {})
    add(
        "neo4j batched load, rel/s >=",
        neo.get("load", {}).get("relationships_per_s"),
        TARGET_BATCHED_REL_S,
        True,
    )
    for name, figures in (("neo4j", neo.get("query")), ("embedded", emb.get("query"))):
        if figures:
            add(f"{name} exposure p50 ms <=", figures["p50_ms"], TARGET_P50_MS, False)
            add(f"{name} exposure p99 ms <=", figures["p99_ms"], TARGET_P99_MS, False)
    if neo.get("query") and emb.get("query"):
        for pct in ("p50", "p99"):
            ratio = round(emb["query"][f"{pct}_ms"] / neo["query"][f"{pct}_ms"], 2)
            report.setdefault("embedded_over_neo4j", {})[pct] = ratio
            add(f"embedded/neo4j {pct} ratio <=", ratio, TARGET_EMBEDDED_RATIO, False)
    return rows


def table(report: dict[str, Any]) -> str:
    """The figures as a plain-text table."""
    lines = [
        f"techgraph benchmark: {report['sizes']['nodes']:,} nodes, "
        f"{report['sizes']['relationships']:,} relationships, seed {report['seed']}",
        f"machine: {report['machine']['cpu']}, {report['machine']['cores']} cores, "
        f"{report['machine']['memory_gib']} GiB, Python {report['machine']['python']}",
        f"generate: {report['generate_s']} s",
        "",
        f"{'figure':<46} {'embedded':>14} {'neo4j':>14}",
    ]
    emb, neo = report.get("embedded", {}), report.get("neo4j", {})

    def row(label: str, e: Any, n: Any) -> None:
        def fmt(v: Any) -> str:
            if v is None:
                return "-"
            return (
                f"{v:,.1f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)
            )

        lines.append(f"{label:<46} {fmt(e):>14} {fmt(n):>14}")

    el, nl = emb.get("load", {}), neo.get("load", {})
    row("load nodes/s", el.get("nodes_per_s"), nl.get("nodes_per_s"))
    row(
        "load relationships/s (batched write)",
        el.get("relationships_per_s"),
        nl.get("relationships_per_s"),
    )
    row("  relationships per batch", el.get("batch_size"), nl.get("batch_size"))
    row("  relationship load, s", el.get("relationship_seconds"), nl.get("relationship_seconds"))
    row("  of which Python CPU in this process, s", el.get("client_cpu_s"), nl.get("client_cpu_s"))
    base = neo.get("row_at_a_time", {})
    if base:
        row(
            f"row-at-a-time MERGE rel/s (sample {base['relationships']:,})",
            None,
            base["relationships_per_s"],
        )
        row("batched / row-at-a-time", None, f"{neo['batched_over_row_at_a_time']}x")
        if not base.get("statement_in_sync", True):
            lines.append(
                "WARNING: queries/bench_merge_relationship_row.cypher is no longer "
                "merge_relationships.cypher without its UNWIND; bring it up to date."
            )
    rss = emb.get("rss", {})
    if rss:
        row("RSS after open, MiB (fresh process)", rss["rss_open_mib"], None)
        row("  of which the store, MiB", rss["rss_store_mib"], None)
        row("  peak while opening, MiB", rss["rss_peak_mib"], None)
        row("  open (snapshot + journal), s", rss["open_s"], None)
    eq, nq = emb.get("query", {}), neo.get("query", {})
    if eq or nq:
        asked = eq.get("asked") or nq.get("asked")
        row(
            f"exposure depth {DEPTH}: queries timed (of {asked})",
            eq.get("queries"),
            nq.get("queries"),
        )
        for key in ("p50_ms", "p90_ms", "p99_ms", "max_ms", "findings_mean", "client_cpu_share"):
            row(f"  {key}", eq.get(key), nq.get(key))
    ratio = report.get("embedded_over_neo4j")
    if ratio:
        row("embedded / neo4j latency (p50, p99)", f"{ratio['p50']}x, {ratio['p99']}x", None)
    calls = eq.get("store_calls_per_query")
    if calls:
        lines.append("store calls per query: " + ", ".join(f"{k} {v}" for k, v in calls.items()))
    differ = report.get("answers_differ")
    if differ and differ["differ"]:
        lines.append(
            f"WARNING: the backends' answers differ for {differ['differ']} of "
            f"{differ['compared']} starts (findings embedded vs neo4j, e.g. "
            f"{differ['examples']}); their latencies measure different work."
        )
    loads = [f"start {report['load_average_at_start'][0]}"]
    for backend in ("embedded", "neo4j"):
        for phase in ("load", "query"):
            figures = report.get(backend, {}).get(phase, {})
            if "load_average" in figures:
                during = max(figures["load_average"][0][0], figures["load_average"][1][0])
                loads.append(f"{backend} {phase} {during}")
    lines.append("1-minute load average (2 cores; shared machine): " + ", ".join(loads))
    lines.append("")
    for t in report["targets"]:
        mark = "met   " if t["met"] else "MISSED"
        lines.append(f"{mark} {t['target']} {t['limit']:,}: {t['value']:,}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    # The server's notifications (e.g. "label does not exist" on an empty database) are logged
    # by the driver as warnings; they are noise here.
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    tune_gc()  # as the techgraph command and the API server run
    args = parse_args(argv)
    report = run(args)
    print(json.dumps(report, indent=2) if args.json else table(report))


if __name__ == "__main__":
    main()
