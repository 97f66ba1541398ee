"""`techgraph viz path|deps|exposure -o FILE.html`: one file that opens from disk with no network,
nodes coloured by type, firms of the origin marked, the evidence on every relationship.

The pictures are checked twice: in their embedded data (on both backends), and by opening one in
headless Chromium with every request but the file itself refused, to see it draw the graph.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest

from techgraph.graph.store import GraphStore

from .conftest import IN_CI, NEO4J_URI
from .graphs import supply_chain
from .test_cli import one_error_line, run

CHROMIUM = os.environ.get("TECHGRAPH_TEST_CHROMIUM", "/usr/bin/chromium")
# No internet here: without these, Chromium's background services flood refused connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # containers often have a small /dev/shm
]


def _cli_args(store: GraphStore, tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    if store.backend == "neo4j":
        return ["--backend", "neo4j"], {"TECHGRAPH_NEO4J_URI": NEO4J_URI}
    return ["--data-dir", str(tmp_path / "graph")], {}


def draw(store: GraphStore, tmp_path: Path, *args: str) -> tuple[str, dict[str, Any]]:
    """Run `techgraph viz ARGS -o picture.html`; the page and the data embedded in it."""
    store.write(supply_chain())
    base, env = _cli_args(store, tmp_path)
    target = tmp_path / "picture.html"
    code, out, err = run(*base, "viz", *args, "-o", str(target), env=env)
    assert code == 0, err
    assert out.startswith(f"wrote {target} (")
    page = target.read_text(encoding="utf-8")
    match = re.search(r'<script id="techgraph-data" type="application/json">(.*?)</script>', page)
    assert match is not None
    return page, json.loads(match.group(1))


def assert_self_contained(page: str) -> None:
    """Nothing in the page is fetched from anywhere: no external script, style sheet, image,
    font or import, and a Content-Security-Policy that would refuse one anyway."""
    assert not re.search(r"<(script|img|iframe|link)\b[^>]*\b(src|href)\s*=", page, re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page, re.I)
    assert "@import" not in page
    assert "default-src 'none'" in page
    assert "vis.Network" in page and "vis-network" in page  # the library is inlined


def nodes_by_id(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in data["nodes"]}


def test_exposure_picture_marks_origin_firms_and_carries_evidence(
    store: GraphStore, tmp_path: Path
) -> None:
    page, data = draw(store, tmp_path, "exposure", "5G", "--origin", "CHN")
    assert_self_contained(page)
    assert data["title"] == "5G: dependencies of China origin"
    nodes = nodes_by_id(data)
    # Every supplier with a finding is drawn, with the path that proves it.
    assert {"firm:huawei", "firm:chipco", "firm:parent", "country:CHN", "tech:5g"} <= set(nodes)
    huawei, ericsson, chipco = nodes["firm:huawei"], nodes["firm:ericsson"], nodes["firm:chipco"]
    assert huawei["group"] == "Firm" and huawei["color"]["background"] == "#F79767"
    assert nodes["country:CHN"]["color"]["background"] == "#4C8EDA"
    # Huawei (headquarters) and ChipCo (ultimate parent) are of the origin; Ericsson, which
    # only manufactures there, keeps its ordinary border.
    assert huawei["color"]["border"] == chipco["color"]["border"] == "#C62828"
    assert ericsson["color"]["border"] != "#C62828"
    assert huawei["label"] == "Huawei\n[CHN]" and chipco["label"] == "ChipCo\n[NLD]"
    assert "supplies Base stations: headquarters, restricted party" in huawei["info"]["notes"]
    edges = {e["id"]: e for e in data["edges"]}
    produces = edges["firm:huawei|PRODUCES|tech:base-stations"]
    rows = dict(produces["info"]["rows"])
    assert rows["share"] == "30%" and rows["year"] == "2023"
    assert produces["info"]["evidence"][0]["citation"] == "test fixture"
    assert produces["width"] > edges["tech:5g|REQUIRES|tech:base-stations"]["width"]
    assert {item["label"] for item in data["legend"]} >= {"Firm", "firm of China origin"}


def test_path_picture_draws_every_hop(store: GraphStore, tmp_path: Path) -> None:
    page, data = draw(store, tmp_path, "path", "ChipCo", "Parent Holdings")
    assert_self_contained(page)
    assert [e["id"] for e in data["edges"]] == [
        "firm:chipco|SUBSIDIARY_OF|firm:mid",
        "firm:mid|SUBSIDIARY_OF|firm:parent",
    ]
    nodes = nodes_by_id(data)
    # The two ends are the focus; Parent Holdings, headquartered in China, is marked (--origin
    # defaults to CHN, as for exposure).
    assert nodes["firm:chipco"]["size"] > nodes["firm:mid"]["size"]
    assert nodes["firm:parent"]["color"]["border"] == "#C62828"


def test_deps_picture_has_the_tree_and_its_suppliers(store: GraphStore, tmp_path: Path) -> None:
    _, data = draw(store, tmp_path, "deps", "5G", "--depth", "3", "--origin", "SWE")
    ids = {(e["from"], e["label"], e["to"]) for e in data["edges"]}
    assert ("tech:5g", "REQUIRES", "tech:base-stations") in ids
    assert ("tech:gan-rf-chips", "IS_TYPE_OF", "tech:rf-chips") in ids
    assert ("firm:ericsson", "PRODUCES", "tech:base-stations") in ids
    nodes = nodes_by_id(data)
    assert nodes["firm:ericsson"]["color"]["border"] == "#C62828"  # of the chosen origin
    assert nodes["firm:huawei"]["color"]["border"] != "#C62828"


def test_text_from_the_graph_cannot_break_out_of_the_page(tmp_path: Path) -> None:
    from techgraph.graph.embedded import EmbeddedStore
    from techgraph.graph.model import FactBatch, Node, Provenance, Relationship

    store = EmbeddedStore(tmp_path / "graph")
    store.write(supply_chain())
    evil = "</script><script>alert(1)</script>"
    prov = Provenance("dataset:x", "test", "1", citation=evil, sentence=evil)
    store.write(
        FactBatch(
            [Node("firm:evil", evil)],
            [Relationship("firm:evil", "PRODUCES", "tech:gallium", {}, (prov,))],
        )
    )
    store.close()
    target = tmp_path / "x.html"
    code, _, err = run(
        "--data-dir", str(tmp_path / "graph"), "viz", "deps", "Gallium", "-o", str(target)
    )
    assert code == 0, err
    page = target.read_text(encoding="utf-8")
    assert evil not in page and "<script>alert(1)" not in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["exposure", "6G"], "no entity of type tech/firm called '6G'"),
        (["exposure", "5G", "--origin", "XYZ"], "is not a country in the graph"),
        (["path", "ChipCo", "Gallium", "--type", "SUBSIDIARY_OF"], "no path of at most 6 hops"),
        (["path", "ChipCo", "Huawei", "--origin", "Mars"], "'Mars' is not a country"),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    from techgraph.graph.embedded import EmbeddedStore

    EmbeddedStore(tmp_path / "graph").write(supply_chain())
    code, _, err = run(
        "--data-dir", str(tmp_path / "graph"), "viz", *args, "-o", str(tmp_path / "x.html")
    )
    assert code == 1 and message in one_error_line(err)
    assert not (tmp_path / "x.html").exists()


def test_output_is_required(tmp_path: Path) -> None:
    code, _, err = run("--data-dir", str(tmp_path), "viz", "exposure", "5G")
    assert code == 2 and "Missing option '-o'" in err


# -- in a real browser, offline --------------------------------------------------------------------


def sync_playwright_or_skip() -> Any:
    """Playwright and Debian's chromium, or a skip (a failure with CI=true, where .ci/run
    installs both)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if IN_CI:
            pytest.fail("CI=true and Playwright is not installed (pip install -e '.[test]').")
        pytest.skip("Playwright is not installed")
    if not Path(CHROMIUM).is_file():
        if IN_CI:
            pytest.fail(f"CI=true and {CHROMIUM} is missing (apt-get install chromium).")
        pytest.skip(f"no {CHROMIUM} (apt-get install chromium)")
    return sync_playwright


@pytest.mark.chromium
def test_picture_draws_in_chromium_with_every_network_request_refused(tmp_path: Path) -> None:
    from techgraph.graph.embedded import EmbeddedStore

    sync_playwright = sync_playwright_or_skip()
    EmbeddedStore(tmp_path / "graph").write(supply_chain())
    target = tmp_path / "exposure.html"
    code, _, err = run(
        "--data-dir", str(tmp_path / "graph"), "viz", "exposure", "5G", "-o", str(target)
    )
    assert code == 0, err
    requested: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="techgraph-chromium-"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
        )
        try:
            context.route(
                "**/*",
                lambda route: (
                    route.continue_() if route.request.url.startswith("file://") else route.abort()
                ),
            )
            page = context.new_page()
            page.on("request", lambda r: requested.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(target.as_uri())
            page.wait_for_selector("body[data-ready=true]", timeout=60_000)
            drawn = page.evaluate("window.techgraphNetwork.body.data.nodes.length")
            title = page.text_content("#title")
            # Hovering Huawei shows its tooltip, built from the evidence.
            position = page.evaluate(
                "(() => { const n = window.techgraphNetwork;"
                " return n.canvasToDOM(n.getPositions(['firm:huawei'])['firm:huawei']); })()"
            )
            box = page.locator("#graph").bounding_box()
            assert box is not None
            page.mouse.move(box["x"] + position["x"], box["y"] + position["y"])
            page.wait_for_selector("div.vis-tooltip", state="visible", timeout=10_000)
            tooltip = page.text_content("div.vis-tooltip") or ""
            out = Path("test-output")
            out.mkdir(exist_ok=True)
            page.screenshot(path=str(out / "viz-exposure.png"))
        finally:
            context.close()
    assert requested == [target.as_uri()], "the picture fetched something besides itself"
    assert not errors, errors
    assert title == "5G: dependencies of China origin"
    assert drawn >= 10
    assert "firm:huawei" in tooltip and "supplies Base stations" in tooltip
