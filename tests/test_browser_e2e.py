"""End to end in Neo4j Browser, as an analyst uses it: open Browser on the project's Neo4j in
headless Chromium, connect, drop techgraph's style sheet on it, paste an exploration whole and
run it, then run its query for the graph view; check that nodes are drawn in techgraph's colours
and keep a screenshot in test-output/. The guide is opened from the local guide server too.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright; every request that is not for
the Neo4j server or the guide server is refused (this machine has no internet, and Browser
would otherwise try fonts, telemetry and a feedback widget).
"""

from __future__ import annotations

import os
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from techgraph.browser import STYLE_SHEET, exploration
from techgraph.browser.guide import GUIDE_PATH, serving
from techgraph.graph.neo4j_store import Neo4jStore
from techgraph.ingest.reference import load_reference

from .conftest import IN_CI, NEO4J_PASSWORD, NEO4J_URI, NEO4J_USER
from .test_viz import CHROMIUM, CHROMIUM_ARGS, sync_playwright_or_skip

BROWSER_HTTP = os.environ.get("TECHGRAPH_TEST_NEO4J_HTTP", "http://127.0.0.1:7474").rstrip("/")
SCREENSHOTS = Path("test-output")
COUNTRY_FILL = "#4C8EDA"  # node.Country in browser/techgraph.grass; Browser's default differs

pytestmark = [pytest.mark.neo4j, pytest.mark.chromium]


def _browser_reachable() -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{BROWSER_HTTP}/browser/", timeout=10) as response:
            assert response.status == 200
    except OSError as exc:
        message = f"Neo4j Browser is not served at {BROWSER_HTTP}/browser/ ({exc})"
        if IN_CI:
            pytest.fail(f"CI=true and {message}; set TECHGRAPH_TEST_NEO4J_HTTP.")
        pytest.skip(message)


@pytest.fixture
def loaded(neo4j_session_store: Neo4jStore) -> Neo4jStore:
    store = neo4j_session_store
    store.clear()
    store.init()
    store.write(load_reference(schema=store.schema))
    return store


@pytest.fixture
def page(loaded: Neo4jStore) -> Iterator[Any]:
    sync_playwright = sync_playwright_or_skip()
    _browser_reachable()
    allowed = {urlparse(BROWSER_HTTP).netloc}

    def only_local(route: Any) -> None:
        url = urlparse(route.request.url)
        if url.scheme in ("data", "blob") or url.netloc in allowed or url.hostname == "localhost":
            route.continue_()
        else:
            route.abort()

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="techgraph-chromium-"),  # a fresh profile every run
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            context.route("**/*", only_local)
            yield context.new_page()
        finally:
            context.close()


def connect(page: Any) -> None:
    page.goto(f"{BROWSER_HTTP}/browser/", wait_until="domcontentloaded")
    bolt = urlparse(NEO4J_URI)
    page.fill("input[data-testid=boltaddress]", f"{bolt.hostname}:{bolt.port or 7687}")
    page.fill("input[data-testid=username]", NEO4J_USER)
    page.fill("input[data-testid=password]", NEO4J_PASSWORD)
    page.click("button[data-testid=connect]")
    page.wait_for_selector("text=You are connected as user", timeout=30_000)


def run_in_editor(page: Any, text: str) -> None:
    """Type into Browser's editor and run. Lines go in without their indentation, because the
    editor indents new lines itself; no exploration has a string that spans lines."""
    page.locator("[data-testid=activeEditor] .monaco-editor").first.click()
    page.keyboard.insert_text("\n".join(line.strip() for line in text.splitlines()))
    page.click("button[data-testid=editor-Run]")


def drop_style_sheet(page: Any) -> None:
    """What a user does by dragging browser/techgraph.grass onto Browser's window."""
    transfer = page.evaluate_handle(
        """(text) => {
            const dt = new DataTransfer();
            dt.items.add(new File([text], "techgraph.grass", {type: "text/plain"}));
            return dt;
        }""",
        STYLE_SHEET.read_text(encoding="utf-8"),
    )
    for event in ("dragenter", "dragover", "drop"):
        page.dispatch_event("[data-testid=main]", event, {"dataTransfer": transfer})


def latest_frame(page: Any) -> Any:
    return page.locator("[data-testid=frame]").first


def test_exploration_in_browser_draws_the_graph_in_techgraph_colours(page: Any) -> None:
    e = exploration("origin_dependencies")
    connect(page)
    drop_style_sheet(page)
    # Browser answers a dropped style sheet with a `:style` frame showing the sheet it took.
    page.wait_for_selector("text=node.Country", timeout=15_000)

    # Pasted whole, the file runs as three statements, the two :param lines and the query,
    # each with a success mark; Browser shows no result views in such a frame.
    run_in_editor(page, e.text)
    frame = latest_frame(page)
    statements = frame.locator("[data-testid=multi-statement-list] li")
    statements.nth(len(e.params)).wait_for(timeout=60_000)
    assert statements.count() == 1 + len(e.params)
    frame.locator(
        "[data-testid=multi-statement-list] li .fa-check-square-o, "
        "[data-testid=multi-statement-list] li svg"
    ).nth(len(e.params)).wait_for(timeout=60_000)

    # For the graph view: the :param lines, then the query on its own.
    run_in_editor(page, "\n".join(e.param_lines))
    page.wait_for_timeout(1_000)
    run_in_editor(page, e.query)
    frame = latest_frame(page)
    try:
        frame.locator("svg g.node").first.wait_for(timeout=60_000)
    except Exception:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "browser-failure.png"))
        raise
    page.wait_for_timeout(3_000)  # let the force layout settle before the screenshot
    drawn = frame.locator("svg g.node").count()
    fills = frame.locator("svg g.node circle.b-outline").evaluate_all(
        "els => els.map(e => (e.getAttribute('fill') || '').toUpperCase())"
    )
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "browser-origin-dependencies.png"))
    frame.screenshot(path=str(SCREENSHOTS / "browser-origin-dependencies-frame.png"))
    assert drawn >= 20, f"only {drawn} nodes drawn"
    assert COUNTRY_FILL in fills, "the style sheet's Country colour is not in use"
    assert "#F79767" in fills, "the style sheet's Firm colour is not in use"


def test_guide_opens_from_the_local_guide_server(page: Any) -> None:
    connect(page)
    with serving("127.0.0.1", 0) as server:
        run_in_editor(page, f":guide http://localhost:{server.server_address[1]}{GUIDE_PATH}")
        page.wait_for_selector("text=techgraph in Neo4j Browser", timeout=30_000)
        page.screenshot(path=str(SCREENSHOTS / "browser-guide.png"))
        assert page.locator("text=The shortest paths between two firms").count() >= 1
