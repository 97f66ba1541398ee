"""Settings of the processes techgraph runs itself (the `techgraph` command, the API server, the
benchmarks), not of programs that import techgraph as a library."""

from __future__ import annotations

import gc

# Collect the youngest generation after 500,000 net allocations instead of CPython's 700.
GC_THRESHOLD = (500_000, 20, 100)
# A server collects between requests once this many objects wait in the youngest generation.
BETWEEN_REQUESTS = 20_000


def tune_gc() -> None:
    """Make the cyclic garbage collector run less often.

    A question builds hundreds of thousands of short-lived objects (decoded rows, nodes,
    relationships, hops, findings), and reference counting frees them; the collector finds
    almost nothing. At the default threshold it ran several hundred times per exposure question
    and walked the live objects again each time. Measured on the issue 3 benchmark (Neo4j,
    exposure depth 4, 200 starts, default and tuned run alternately): p99 549 and 536 ms with
    the default, 315 and 289 ms with 50,000; mean 103-113 ms against 67-68 ms
    (docs/benchmarks.md).

    The threshold counts allocations net of frees, so it is reached only while many objects
    stay alive: at 50,000 that was inside the largest exposure questions (the ones that set
    the p99), 28 young collections in 200 questions, ~50 ms each, because everything a
    question has built is still alive and each collection walks all of it to free nothing. At
    500,000 none ran in the 200 (their client CPU time p99 251 -> 149 ms). Cyclic garbage waits
    longer for its collection: a server collects it between requests instead
    (`collect_between_requests`)."""
    gc.set_threshold(*GC_THRESHOLD)


def collect_between_requests() -> None:
    """Collect the young generations when enough objects wait in them: called by a server
    after each request, when that request's own objects are gone.

    The Neo4j driver builds reference cycles by design (a result's handlers are bound methods
    kept in its own dicts; each node refers to the graph that holds it): about 200 objects per
    question that only the collector frees. At the threshold of `tune_gc` they pile up to
    500,000 and one collection then stops the worker for 0.6-0.8 s, in both workers at once
    (they serve the same load). Collecting them here, in pieces of `BETWEEN_REQUESTS`, costs the
    same in total, in pauses of a few tens of milliseconds (docs/benchmarks.md, session 4). A
    large question alone still runs under the 500,000 threshold; one answered while others
    finish has its young objects walked by their collections, as a lower threshold would."""
    young, middle, _ = gc.get_count()
    if young >= BETWEEN_REQUESTS:
        gc.collect(1 if middle >= GC_THRESHOLD[1] else 0)
