"""Resident memory of the embedded store alone: run as a fresh process on a loaded data directory.

``python -m techgraph.benchmarks.rss DATA_DIR`` imports techgraph, notes the interpreter's RSS,
opens the store (snapshot and journal replayed into networkx), and prints one JSON line with the
RSS after opening, the peak (VmHWM, which includes the parsed JSON while it is turned into the
graph) and the difference. A fresh process matters: in the benchmark's own process the generator's
rows and the Neo4j driver would be counted too.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path


def status_kib(field: str) -> int:
    """One ``VmRSS``/``VmHWM`` line of /proc/self/status, in KiB (Linux only, no psutil needed)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure(data_dir: str) -> dict[str, float | int]:
    from techgraph.graph.embedded import EmbeddedStore  # imported before the baseline reading

    gc.collect()
    before = status_kib("VmRSS")
    started = time.perf_counter()
    store = EmbeddedStore(data_dir)
    counts = store.counts()
    opened = time.perf_counter() - started
    gc.collect()
    after = status_kib("VmRSS")
    result = {
        "open_s": round(opened, 2),
        "nodes": counts.total_nodes,
        "relationships": counts.total_relationships,
        "rss_interpreter_mib": round(before / 1024, 1),
        "rss_open_mib": round(after / 1024, 1),
        "rss_store_mib": round((after - before) / 1024, 1),
        "rss_peak_mib": round(status_kib("VmHWM") / 1024, 1),
    }
    store.close()
    return result


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m techgraph.benchmarks.rss DATA_DIR")
    print(json.dumps(measure(sys.argv[1])))
