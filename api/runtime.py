"""Settings of the processes techgraph runs itself (the `techgraph` command, the API server, the
benchmarks), not of programs that import techgraph as a library."""

from __future__ import annotations

import gc

# Collect the youngest generation after 500,000 net allocations instead of CPython's 700.
GC_THRESHOLD = (500_000, 20, 100)


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
    500,000 none ran in the 200 (their client CPU time p99 251 -> 149 ms). Cyclic garbage,
    which is rare here, waits longer for its collection."""
    gc.set_threshold(*GC_THRESHOLD)
