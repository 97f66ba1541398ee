"""A Neo4j Browser guide made of the shipped explorations, and the small server that offers it.

Browser fetches a custom guide (`:guide URL`) and a remote style sheet (`:style URL`) with
cross-origin requests from the page, and only from hosts its allowlist names; the default
allowlist has `localhost`. So the guide is served on this machine, with CORS headers, by
`techgraph browser guide`, and needs no network. It is rendered from browser/explorations at
each request, so the guide and the files users paste cannot drift apart.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import Exploration, explorations, style_sheet

GUIDE_PATH = "/techgraph.html"
STYLE_PATH = "/techgraph.grass"
# Browser's guide fetch sends these headers, which makes the request a preflighted one.
ALLOWED_HEADERS = "pragma, cache-control, content-type"


def _runnable(text: str) -> str:
    # Browser turns `pre.runnable` into a block that copies its text into the editor on click.
    return f'<pre class="code runnable">{html.escape(text)}</pre>'


def _slide(e: Exploration) -> str:
    paragraphs = "\n".join(
        "<p>" + "<br>".join(html.escape(line) for line in lines) + "</p>" for lines in e.paragraphs
    )
    params = _runnable("\n".join(e.param_lines)) if e.params else ""
    return (
        '<slide class="row-fluid">\n'
        f"<h3>{html.escape(e.title)}</h3>\n"
        f"{paragraphs}\n"
        "<p>Click a block to copy it into the editor, then run it: the parameters first, then "
        f"the query (<code>browser/explorations/{html.escape(e.name)}.cypher</code>).</p>\n"
        f"{params}\n{_runnable(e.query)}\n"
        "</slide>"
    )


def render_guide(base_url: str = "http://localhost:8001") -> str:
    """The guide's HTML: an opening slide (style sheet, how to use it), one per exploration."""
    items = explorations()
    index = "".join(f"<li>{html.escape(e.title)}</li>" for e in items)
    first = (
        '<slide class="row-fluid">\n'
        "<h3>techgraph in Neo4j Browser</h3>\n"
        "<p>Technologies, firms, countries, agencies, alliances and documents, with the "
        "evidence behind every relationship (its <code>provenance</code>, "
        "<code>share</code> and <code>year</code>: click a relationship to see them).</p>\n"
        "<p>First apply techgraph's style sheet (one colour per node type, names as "
        "captions):</p>\n"
        f"{_runnable(f':style {base_url}{STYLE_PATH}')}\n"
        f"<p>The explorations on the next slides:</p><ol>{index}</ol>\n"
        "</slide>"
    )
    slides = "\n".join([first, *(_slide(e) for e in items)])
    return (
        '<article class="guide">\n<carousel class="deck container-fluid">\n'
        f"{slides}\n</carousel>\n</article>\n"
    )


class _Handler(BaseHTTPRequestHandler):
    server_version = "techgraph-guide"

    def _headers(self, status: HTTPStatus, content_type: str | None, length: int) -> None:
        self.send_response(status)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", ALLOWED_HEADERS)
        self.send_header("Cache-Control", "no-cache")
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def do_OPTIONS(self) -> None:
        self._headers(HTTPStatus.NO_CONTENT, None, 0)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        address = self.server.server_address
        port = address[1] if isinstance(address, tuple) else 8001
        host = self.headers.get("Host") or f"localhost:{port}"
        body: str | None
        content_type = "text/plain; charset=utf-8"
        if path in ("/", GUIDE_PATH):
            body, content_type = render_guide(f"http://{host}"), "text/html; charset=utf-8"
        elif path == STYLE_PATH:
            body = style_sheet()
        elif path.startswith("/explorations/") and path.endswith(".cypher"):
            wanted = path.removeprefix("/explorations/").removesuffix(".cypher")
            body = next((e.text for e in explorations() if e.name == wanted), None)
        else:
            body = None
        if body is None:
            data = b"not found\n"
            self._headers(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", len(data))
        else:
            data = body.encode("utf-8")
            self._headers(HTTPStatus.OK, content_type, len(data))
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the command prints what to type in Browser, not every request."""


def make_server(host: str = "127.0.0.1", port: int = 8001) -> ThreadingHTTPServer:
    """The guide server, bound but not yet serving (port 0 picks a free port)."""
    return ThreadingHTTPServer((host, port), _Handler)


@contextmanager
def serving(host: str = "127.0.0.1", port: int = 0) -> Iterator[ThreadingHTTPServer]:
    """Serve in a background thread for the duration of a `with` block (tests use this)."""
    server = make_server(host, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
