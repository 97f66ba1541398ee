"""What browser/ ships for Neo4j Browser: the style sheet parses the way Browser parses it, every
exploration runs on the real server and returns rows, and the guide server answers Browser's
cross-origin requests."""

from __future__ import annotations

import hashlib
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from techgraph.browser import (
    Exploration,
    ExplorationError,
    exploration,
    explorations,
    parse_exploration,
    style_sheet,
)
from techgraph.browser.guide import GUIDE_PATH, STYLE_PATH, render_guide, serving
from techgraph.graph import questions as q
from techgraph.graph.model import FactBatch, Node, Provenance, Relationship
from techgraph.graph.neo4j_store import Neo4jStore
from techgraph.ingest.reference import load_reference

NODE_TYPES = ("Country", "Firm", "Agency", "Alliance", "Technology", "Document")
EXPECTED = {
    "origin_dependencies",
    "shortest_path_between_firms",
    "chokepoints",
    "alliance_restrictions",
    "documents_mentioning",
}


def browser_parse_grass(text: str) -> dict[str, dict[str, str]]:
    """Neo4j Browser 5's GRASS parser (graphStyle.parse), transcribed: single quotes protect
    braces, anything outside a block joins the next selector, values split at the first `:`."""
    in_quote = in_block = False
    selector = block = ""
    rules: dict[str, str] = {}
    for ch in text:
        special = True
        if ch == "{":
            if in_quote:
                special = False
            else:
                in_block = True
        elif ch == "}":
            if in_quote:
                special = False
            else:
                in_block = False
                rules[selector] = block
                selector = block = ""
        elif ch == "'":
            in_quote = not in_quote
        else:
            special = False
        if not special:
            if in_block:
                block += ch
            elif not re.match(r"\s", ch):
                selector += ch
    parsed: dict[str, dict[str, str]] = {}
    for sel, body in rules.items():
        parsed[sel] = {}
        for decl in body.split(";"):
            key, _, value = decl.partition(":")
            if key.strip() and value.strip():
                parsed[sel][key.strip()] = value.strip()
    return parsed


# -- the style sheet -------------------------------------------------------------------------------


def test_style_sheet_gives_every_node_type_a_colour_and_the_name_as_caption() -> None:
    rules = browser_parse_grass(style_sheet())
    assert set(rules) >= {"node", "relationship", *(f"node.{t}" for t in NODE_TYPES)}
    colours = set()
    for t in NODE_TYPES:
        rule = rules[f"node.{t}"]
        assert rule["caption"] == "{name}"
        assert re.fullmatch(r"#[0-9A-F]{6}", rule["color"]), rule
        assert re.fullmatch(r"\d+px", rule["diameter"])
        colours.add(rule["color"])
    assert len(colours) == len(NODE_TYPES), "each node type has a colour of its own"
    assert all(
        rule["caption"] == "<type>" for sel, rule in rules.items() if sel.startswith("relationship")
    )
    # The many small things are drawn smaller than the hubs, so large results stay readable.
    size = {t: int(rules[f"node.{t}"]["diameter"].removesuffix("px")) for t in NODE_TYPES}
    assert size["Country"] > size["Firm"] > size["Document"]


def test_style_sheet_has_nothing_browser_would_misread() -> None:
    text = style_sheet()
    # Browser's parser knows no comments and no double quotes: a comment would be glued to the
    # next selector, and `"{name}"` would end its block at the `}`.
    assert "/*" not in text and "//" not in text and '"' not in text
    assert all(re.fullmatch(r"(node|relationship)(\.\w+)?", s) for s in browser_parse_grass(text))


def test_colours_match_the_viz_pictures() -> None:
    from techgraph.api.visual import NODE_COLOURS

    rules = browser_parse_grass(style_sheet())
    for t in NODE_TYPES:
        assert NODE_COLOURS[t] == (rules[f"node.{t}"]["color"], rules[f"node.{t}"]["border-color"])


# -- the exploration files -------------------------------------------------------------------------


def test_every_exploration_parses_with_documented_parameters() -> None:
    found = explorations()
    assert {e.name for e in found} == EXPECTED
    for e in found:
        assert e.params, e.name
        assert e.title and e.description
        for name in e.params:
            assert f"${name}" in e.query, f"{e.name}: :param {name} is not used"
            assert f"${name}" in e.description, f"{e.name}: the comment must document ${name}"
        used = set(re.findall(r"\$([A-Za-z_]\w*)", e.query))
        assert used <= set(e.params), f"{e.name}: parameters without a :param line"
        # Pasted whole, Browser runs the :param lines first: they must open the file.
        assert e.text.startswith(":param ")


def test_exploration_layout_errors_name_the_file() -> None:
    with pytest.raises(ExplorationError, match=r"x\.cypher: the statement must end"):
        parse_exploration("x", "// t\nMATCH (n) RETURN n")
    with pytest.raises(ExplorationError, match=r"x\.cypher:1: write parameters"):
        parse_exploration("x", ":param a = 1;\n// t\nRETURN 1;")
    with pytest.raises(ExplorationError, match="one statement per file"):
        parse_exploration("x", "// t\nRETURN 1;\nRETURN ';';")
    with pytest.raises(KeyError, match="no exploration called 'nope'"):
        exploration("nope")


# -- the guide -------------------------------------------------------------------------------------


def test_guide_has_a_slide_per_exploration_with_runnable_blocks() -> None:
    page = render_guide("http://localhost:8123")
    assert page.count("<slide") == 1 + len(EXPECTED)
    assert ":style http://localhost:8123/techgraph.grass" in page
    assert "<script" not in page
    for e in explorations():
        # The runnable block holds the query exactly (HTML-escaped), so a click copies it whole.
        assert (
            e.query.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace("'", "&#x27;")
            .replace('"', "&quot;")
            in page
        )


@pytest.fixture
def guide_server() -> Iterator[str]:
    with serving("127.0.0.1", 0) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}"


def _fetch(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> Any:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, method=method, headers=headers or {})
    return opener.open(request, timeout=10)


def test_guide_server_answers_browsers_preflight_and_serves_guide_style_and_files(
    guide_server: str,
) -> None:
    # Browser fetches guides with `pragma` and `cache-control` headers: a preflighted request.
    with _fetch(
        guide_server + GUIDE_PATH,
        "OPTIONS",
        {
            "Origin": "http://127.0.0.1:7474",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "pragma,cache-control",
        },
    ) as r:
        assert r.status == 204
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        allowed = {h.strip() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
        assert {"pragma", "cache-control"} <= allowed
    with _fetch(guide_server + GUIDE_PATH, headers={"Pragma": "no-cache"}) as r:
        page = r.read().decode()
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert page.startswith('<article class="guide">')
        assert f":style {guide_server}{STYLE_PATH}" in page
    with _fetch(guide_server + STYLE_PATH) as r:
        assert r.read().decode() == style_sheet()
    with _fetch(guide_server + "/explorations/chokepoints.cypher") as r:
        assert r.read().decode() == exploration("chokepoints").text
    with pytest.raises(urllib.error.HTTPError) as missing:
        _fetch(guide_server + "/explorations/../../etc/passwd")
    assert missing.value.code == 404


# -- on the real server ----------------------------------------------------------------------------

DOC_TEXT = "Huawei supplies 5G base stations to operators across Europe."
DOC_ID = "doc:" + hashlib.sha256(DOC_TEXT.encode()).hexdigest()


def _document_batch() -> FactBatch:
    """A document that mentions Huawei and 5G base stations and states that Huawei makes them."""
    prov = Provenance(
        DOC_ID, "test", "1", 0.9, locator="sentence 1", sentence=DOC_TEXT, start=0, end=60
    )
    return FactBatch(
        nodes=[Node(DOC_ID, "Brief on European 5G suppliers")],
        relationships=[
            Relationship(DOC_ID, "MENTIONS", "firm:huawei", {}, (prov,)),
            Relationship(DOC_ID, "MENTIONS", "tech:5g-base-stations", {}, (prov,)),
            Relationship("firm:huawei", "PRODUCES", "tech:5g-base-stations", {}, (prov,)),
        ],
    )


@pytest.fixture(scope="module")
def reference_server(neo4j_session_store: Neo4jStore) -> Neo4jStore:
    store = neo4j_session_store
    store.clear()
    store.init()
    store.write(load_reference(schema=store.schema))
    store.write(_document_batch())
    return store


def run_exploration(store: Neo4jStore, e: Exploration, **overrides: Any) -> list[dict[str, Any]]:
    """Run an exploration as Browser does: each `:param name => expression` is evaluated on the
    server (`RETURN expression`), then the statement runs with those parameters."""
    with store._driver.session(database=store.database) as session:
        params = {
            k: session.run(f"RETURN {v} AS value").single(strict=True)["value"]
            for k, v in e.params.items()
        }
        params.update(overrides)
        return [record.data() for record in session.run(e.query, params)]


@pytest.mark.neo4j
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_exploration_runs_with_its_default_parameters_and_returns_rows(
    reference_server: Neo4jStore, name: str
) -> None:
    rows = run_exploration(reference_server, exploration(name))
    assert rows, f"{name} returned no rows on the reference data"


@pytest.mark.neo4j
def test_origin_dependencies_find_what_techgraph_exposure_finds(
    reference_server: Neo4jStore,
) -> None:
    e = exploration("origin_dependencies")
    rows = run_exploration(reference_server, e)
    got = {(r["input"], r["supplier"], r["basis"]) for r in rows}
    answer = q.exposure(reference_server, "tech:5g", "CHN", 4)
    expected = {
        (f.input.name, f.supplier.name, f.basis.value.replace("_", " ")) for f in answer.findings
    }
    assert got == expected
    bases = {r["basis"] for r in rows}
    assert {"headquarters", "ultimate parent"} <= bases
    for r in rows:
        proof = r["proof"]  # a path: every finding comes with the relationships that prove it
        assert r["tree"] is not None and r["supply"] is not None and proof is not None
        assert r["sources"], "every supply fact cites its source"


@pytest.mark.neo4j
def test_origin_dependencies_of_another_origin(reference_server: Neo4jStore) -> None:
    rows = run_exploration(
        reference_server,
        exploration("origin_dependencies"),
        tech="tech:semiconductors",
        origin="USA",
    )
    assert rows and {r["basis"] for r in rows} >= {"headquarters"}


@pytest.mark.neo4j
def test_shortest_path_between_firms_matches_techgraph_path(reference_server: Neo4jStore) -> None:
    rows = run_exploration(reference_server, exploration("shortest_path_between_firms"))
    _, _, routes = q.paths(reference_server, "firm:huawei", "firm:asml")
    assert {r["hops"] for r in rows} == {len(routes[0])}
    assert all(len(r["evidence"]) == r["hops"] for r in rows)
    assert all("ASML Annual Report" in " ".join(r["evidence"]) for r in rows)


@pytest.mark.neo4j
def test_chokepoints_agree_with_techgraph_chokepoints(reference_server: Neo4jStore) -> None:
    rows = run_exploration(reference_server, exploration("chokepoints"))
    got = {(r["input"], r["held_by"]) for r in rows}
    expected = {(c.item.name, c.holder.name) for c in q.chokepoints(reference_server, 0.5)}
    assert got == expected
    euv = [r for r in rows if r["input"] == "EUV lithography"]
    assert any("single producer" in r["why"] for r in euv)
    assert any(r["held_by"].startswith("ASML") and "firm share" in r["why"] for r in euv)


@pytest.mark.neo4j
def test_alliance_restrictions_list_every_member_and_the_restrictors(
    reference_server: Neo4jStore,
) -> None:
    rows = run_exploration(reference_server, exploration("alliance_restrictions"))
    members = [r["member"] for r in rows[1:]]
    assert rows[0]["member"].endswith("(the alliance itself)")
    assert sorted(members) == ["Japan", "South Korea", "Taiwan", "United States"]
    us = next(r for r in rows if r["member"] == "United States")
    assert any("RESTRICTS_EXPORT_OF" in x for x in us["restricts"])
    wassenaar = run_exploration(
        reference_server, exploration("alliance_restrictions"), alliance="Wassenaar"
    )
    assert any("RESTRICTS_EXPORT_OF" in x for x in wassenaar[0]["restricts"])
    assert len(wassenaar) == 1 + 42


@pytest.mark.neo4j
def test_documents_mentioning_an_entity_with_sentence_and_stated_facts(
    reference_server: Neo4jStore,
) -> None:
    rows = run_exploration(reference_server, exploration("documents_mentioning"))
    assert [r["document"] for r in rows] == ["Brief on European 5G suppliers"]
    (row,) = rows
    assert row["id"] == DOC_ID
    assert row["sentences"] == [DOC_TEXT]
    assert row["facts"] == ["PRODUCES 5G base stations"]
    assert (
        run_exploration(reference_server, exploration("documents_mentioning"), entity="ASML") == []
    )


# -- the `techgraph browser` commands --------------------------------------------------------------


def test_browser_commands_hand_out_the_shipped_files(tmp_path: Path) -> None:

    from .test_cli import one_error_line, run

    code, out, _ = run("browser", "style")
    assert code == 0 and out == style_sheet()
    code, out, _ = run("browser", "explorations")
    assert code == 0 and all(name in out for name in EXPECTED) and "$threshold = 0.5" in out
    code, out, _ = run("browser", "explorations", "chokepoints.cypher")
    assert code == 0 and out == exploration("chokepoints").text
    code, _, err = run("browser", "explorations", "nope")
    assert code == 1 and "no exploration called 'nope'" in one_error_line(err)
    target = tmp_path / "guide.html"
    code, out, _ = run("browser", "guide", "--write", str(target))
    assert code == 0 and target.read_text(encoding="utf-8") == render_guide()
