"""`python -m techgraph.graph.neo4j_server start|stop|status|fetch [--home DIR] ...`

Exit codes: 0 success; 1 an error (one sentence on stderr, plus log lines when a start failed);
3 for `status` when the server is not running (as LSB init scripts do).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from ..errors import TechgraphError
from . import manager

NOT_RUNNING = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m techgraph.graph.neo4j_server",
        description=f"A local Neo4j {manager.neo4j_version()} community server with APOC, "
        f"on {manager.HOST} only.",
    )
    home = argparse.ArgumentParser(add_help=False)
    home.add_argument(
        "--home",
        type=Path,
        default=None,
        help="server directory (conf, data, logs); default $TECHGRAPH_NEO4J_HOME or "
        f"{manager.default_home()}",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    start = commands.add_parser("start", parents=[home], help="start the server and wait for it")
    start.add_argument(
        "--password",
        default=os.environ.get("TECHGRAPH_NEO4J_PASSWORD", manager.DEFAULT_PASSWORD),
        help="password of user neo4j, set on a home's first start "
        "(default $TECHGRAPH_NEO4J_PASSWORD or 'techgraph')",
    )
    start.add_argument("--bolt-port", type=int, default=manager.DEFAULT_BOLT_PORT)
    start.add_argument("--http-port", type=int, default=manager.DEFAULT_HTTP_PORT)
    start.add_argument("--heap", default=manager.DEFAULT_HEAP, help="maximum JVM heap (1g)")
    start.add_argument("--pagecache", default=manager.DEFAULT_PAGECACHE, help="page cache (256m)")
    start.add_argument(
        "--timeout",
        type=float,
        default=manager.DEFAULT_START_TIMEOUT,
        help="seconds to wait for Bolt to answer",
    )

    stop = commands.add_parser("stop", parents=[home], help="stop the server")
    stop.add_argument(
        "--timeout",
        type=float,
        default=manager.DEFAULT_STOP_TIMEOUT,
        help="seconds to wait after SIGTERM before SIGKILL",
    )
    commands.add_parser("status", parents=[home], help="is the server running; exit 3 if not")
    commands.add_parser(
        "fetch", parents=[home], help="download the Neo4j artifacts with Maven (start does too)"
    )
    return parser


def _print_status(st: manager.ServerStatus) -> None:
    state = f"running (pid {st.pid})" if st.running else "not running"
    print(f"Neo4j {state}")
    print(f"  home:    {st.home}")
    print(f"  bolt:    {st.bolt_uri}")
    print(f"  browser: {st.browser_url}")
    print(f"  version: {st.version or '-'}")
    print(f"  log:     {st.log_file}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        if args.command == "start":
            st = manager.start(
                args.home,
                bolt_port=args.bolt_port,
                http_port=args.http_port,
                password=args.password,
                timeout=args.timeout,
                heap=args.heap,
                pagecache=args.pagecache,
            )
            if st.already_running:
                print("Neo4j is already running; nothing started.")
            _print_status(st)
        elif args.command == "stop":
            stopped = manager.stop(args.home, timeout=args.timeout)
            print("Neo4j stopped." if stopped else "Neo4j was not running.")
        elif args.command == "status":
            st = manager.status(args.home)
            _print_status(st)
            return 0 if st.running else NOT_RUNNING
        elif args.command == "fetch":
            jars = manager.fetch(args.home)
            print(f"Neo4j {manager.neo4j_version()}: {len(jars)} jars resolved.")
    except TechgraphError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
