"""Start and stop the benchmark's own Neo4j, apart from the test suite's server on 7687.

``python -m techgraph.benchmarks.server start|stop|status``. The test suite empties the database
on 7687, so the benchmark runs its own server in /tmp/neo4j-bench on Bolt 17687 / HTTP 17474.
`techgraph neo4j start` cannot size the JVM; this calls the launcher's ``start()`` with a 2 GiB
heap and a 1 GiB page cache (the launcher's 1g / 256m defaults leave the full-scale store, about
0.5 GiB on disk, mostly outside the page cache). ``stop`` is ``techgraph neo4j stop --home``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from techgraph.graph.neo4j_server import manager

HOME = Path("/tmp/neo4j-bench")
BOLT_PORT = 17687
HTTP_PORT = 17474
HEAP = "2g"
PAGECACHE = "1g"
# A server of its own for a bulk load: it starts with its whole heap (Neo4j's advice: initial =
# maximum) and keeps the state of large write transactions off the heap. Measured on the
# 500,000-relationship load, quiet machine, alternately (docs/benchmarks.md, session 3): 34-44
# young collections against 43-63 with the launcher's defaults, load rate 21,000-22,000 rel/s
# either way; on a busy machine the collections' pauses halved (8 s against 13-16 s).
SETTINGS = {"db.tx_state.memory_allocation": "OFF_HEAP"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m techgraph.benchmarks.server")
    parser.add_argument("action", choices=("start", "stop", "status"))
    parser.add_argument("--home", type=Path, default=HOME)
    parser.add_argument("--bolt-port", type=int, default=BOLT_PORT)
    parser.add_argument("--http-port", type=int, default=HTTP_PORT)
    parser.add_argument("--heap", default=HEAP)
    parser.add_argument("--pagecache", default=PAGECACHE)
    parser.add_argument("--password", default=manager.DEFAULT_PASSWORD)
    parser.add_argument(
        "--neo4j-defaults",
        action="store_true",
        help="start with the launcher's defaults (a quarter of the heap at first, transaction "
        "state on the heap) instead of the bulk-load settings, to compare",
    )
    args = parser.parse_args(argv)
    if args.action == "start":
        status = manager.start(
            args.home,
            bolt_port=args.bolt_port,
            http_port=args.http_port,
            password=args.password,
            heap=args.heap,
            pagecache=args.pagecache,
            initial_heap=None if args.neo4j_defaults else args.heap,
            settings=None if args.neo4j_defaults else SETTINGS,
        )
        note = " (already running: heap and page cache are those it was started with)"
        print(f"{status.bolt_uri} pid {status.pid}{note if status.already_running else ''}")
    elif args.action == "stop":
        stopped = manager.stop(args.home)
        print(f"{'stopped' if stopped else 'no server was running in'} {args.home}")
    else:
        status = manager.status(args.home)
        print(f"{'running' if status.running else 'stopped'}: {status.bolt_uri} pid {status.pid}")


if __name__ == "__main__":
    main()
