"""Settings of the processes techgraph runs itself (the `techgraph` command, the API server, the
benchmarks), not of programs that import techgraph as a library."""

from __future__ import annotations

import gc

# Collect the youngest generation after 50,000 net allocations instead of CPython's 700.
GC_THRESHOLD = (50_000, 20, 100)


def tune_gc() -> None:
    """Make the cyclic garbage collector run less often.

    A question builds hundreds of thousands of short-lived objects (decoded rows, nodes,
    relationships, hops, findings), and reference counting frees them; the collector finds
    almost nothing. At the default threshold it ran several hundred times per exposure question
    and walked the live objects again each time. Measured on the issue 3 benchmark (Neo4j,
    exposure depth 4, 200 starts, default and tuned run alternately): p99 549 and 536 ms with
    the default, 315 and 289 ms with this one; mean 103-113 ms against 67-68 ms
    (docs/benchmarks.md)."""
    gc.set_threshold(*GC_THRESHOLD)
