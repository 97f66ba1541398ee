"""Answers as pictures: one self-contained HTML file per answer, drawn with vis-network.

The file must open from disk on a machine without network (an analyst's laptop on a plane, a
screened environment), so vis-network's script and style sheet are copied into it from the
build that the pyvis package ships, and a Content-Security-Policy forbids any other fetch.
pyvis's own page template is not used because it still loads Bootstrap from a CDN.

Nodes are filled by node type (the colours of browser/techgraph.grass) and firms carry their
headquarters country in the label; firms of the origin country (headquartered there, or, in an
exposure answer, with an ultimate parent there) get a thick red border. Hovering a node or a
relationship shows its evidence: sources, sentences, share, year and confidence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from techgraph.graph import questions as q
from techgraph.graph.errors import TechgraphError
from techgraph.graph.model import Hop, Node, Relationship, Route
from techgraph.graph.store import Direction, GraphStore, Step

# Fill and border per node type: the same colours as the Neo4j Browser style sheet.
NODE_COLOURS: dict[str, tuple[str, str]] = {
    "Country": ("#4C8EDA", "#2870C2"),
    "Alliance": ("#C990C0", "#B261A5"),
    "Firm": ("#F79767", "#F36924"),
    "Agency": ("#57C7E3", "#23B3D7"),
    "Technology": ("#FFC454", "#D7A013"),
    "Document": ("#A5ABB6", "#747B8A"),
}
NODE_SIZES = {"Country": 28, "Alliance": 26, "Firm": 20, "Agency": 18, "Technology": 18}
ORIGIN_BORDER = "#C62828"
EDGE_COLOURS = {
    "PRODUCES": "#F36924",
    "SUPPLIES": "#F36924",
    "HEADQUARTERED_IN": "#2870C2",
    "MANUFACTURES_IN": "#2870C2",
    "SUBSIDIARY_OF": "#B261A5",
    "RESTRICTS_EXPORT_OF": "#DA4B4B",
    "RESTRICTS_TRADE_WITH": "#DA4B4B",
    "MENTIONS": "#C7CAD1",
}
DEFAULT_EDGE_COLOUR = "#8A8F99"
VIS_VERSION = "9.1.2"


class VisualUnavailable(TechgraphError):
    """The vis-network build cannot be found (pyvis is not installed)."""


@dataclass
class Picture:
    """The nodes and relationships an answer is drawn with, and what to say about them."""

    title: str
    subtitle: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[tuple[str, str, str], Relationship] = field(default_factory=dict)
    focus: set[str] = field(default_factory=set)
    """The entities the question was about (drawn larger, with a dark border)."""
    origin: str | None = None
    """The origin country's id: its firms are marked."""
    origin_firms: set[str] = field(default_factory=set)
    """Firms marked as of the origin even where their own headquarters are elsewhere."""
    notes: dict[str, list[str]] = field(default_factory=dict)
    """Extra lines for a node's tooltip (e.g. the exposure findings it is a supplier in)."""

    def add_node(self, node: Node) -> None:
        self.nodes.setdefault(node.id, node)

    def add_relationship(self, rel: Relationship, start: Node, end: Node) -> None:
        self.add_node(start)
        self.add_node(end)
        self.edges.setdefault(rel.key, rel)

    def add_route(self, route: Route) -> None:
        for hop in route:
            self.add_relationship(hop.relationship, hop.start, hop.end)

    def note(self, node_id: str, text: str) -> None:
        lines = self.notes.setdefault(node_id, [])
        if text not in lines:
            lines.append(text)


# -- answers to pictures -------------------------------------------------------------------------


def paths_picture(source: Node, target: Node, routes: list[Route]) -> Picture:
    hops = f"{len(routes[0])} hops" if routes else "no path"
    pic = Picture(
        f"{source.name} to {target.name}",
        f"{len(routes)} shortest path(s), {hops}",
        focus={source.id, target.id},
    )
    pic.add_node(source)
    pic.add_node(target)
    for route in routes:
        pic.add_route(route)
    return pic


def dependencies_picture(rows: list[q.DependencyRow], depth: int) -> Picture:
    root = rows[0].node
    pic = Picture(
        f"Dependencies of {root.name}",
        f"{len(rows) - 1} upstream items within {depth} hops, with their suppliers",
        focus={root.id},
    )
    pic.add_node(root)
    for row in rows:
        if row.route:
            last: Hop = row.route[-1]
            pic.add_relationship(last.relationship, last.start, last.end)
        for s in row.suppliers:
            pic.add_relationship(s.relationship, s.provider, row.node)
    return pic


def exposure_picture(answer: q.ExposureAnswer) -> Picture:
    figure = "no share data" if answer.exposure is None else f"{answer.exposure:.0%}"
    pic = Picture(
        f"{answer.item.name}: dependencies of {answer.origin.name} origin",
        f"{len(answer.findings)} findings within {answer.depth} hops; share-weighted exposure "
        f"{figure} over {answer.inputs_with_shares} of {answer.inputs_examined} inputs with "
        "share data",
        focus={answer.item.id},
        origin=answer.origin.id,
    )
    pic.add_node(answer.item)
    pic.add_node(answer.origin)
    bases: dict[str, dict[str, list[str]]] = {}
    for f in answer.findings:
        pic.add_route(f.path)
        found = bases.setdefault(f.supplier.id, {}).setdefault(f.input.name, [])
        if (basis := f.basis.value.replace("_", " ")) not in found:
            found.append(basis)
        if f.basis in (q.Basis.HEADQUARTERS, q.Basis.ULTIMATE_PARENT):
            pic.origin_firms.add(f.supplier.id)
    for supplier, inputs in bases.items():
        for input_name, found in inputs.items():
            pic.note(supplier, f"supplies {input_name}: {', '.join(found)}")
    return pic


# -- pictures to HTML ----------------------------------------------------------------------------


def _headquarters(store: GraphStore, pic: Picture) -> dict[str, str]:
    """Each firm's headquarters country id: from the picture's own edges where it has them,
    else one batched look-up through the store."""
    found: dict[str, str] = {}
    for (source, rtype, target), _ in sorted(pic.edges.items()):
        if rtype == "HEADQUARTERED_IN":
            found.setdefault(source, target)
    missing = sorted(i for i in pic.nodes if i.startswith("firm:") and i not in found)
    rows = store.expand(missing, [Step("HEADQUARTERED_IN", Direction.OUT)])
    for origin, n in sorted(rows, key=lambda r: (r[0], r[1].node.id)):
        found.setdefault(origin, n.node.id)
    return found


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _node_data(store: GraphStore, pic: Picture, node: Node, hq: dict[str, str]) -> dict[str, Any]:
    kind = store.schema.node_type_of(node.id).name
    fill, border = NODE_COLOURS.get(kind, ("#A5ABB6", "#747B8A"))
    country = node.id if kind == "Country" else hq.get(node.id)
    code = country.removeprefix("country:") if country else None
    of_origin = pic.origin is not None and (
        node.id in pic.origin_firms or (kind == "Firm" and country == pic.origin)
    )
    label = node.name if len(node.name) <= 32 else node.name[:30] + "…"
    if kind == "Firm" and code:
        label += f"\n[{code}]"
    width = 4 if of_origin else 3 if node.id in pic.focus else 1.5
    size = NODE_SIZES.get(kind, 16) + (8 if node.id in pic.focus else 0)
    return {
        "id": node.id,
        "label": label,
        "group": kind,
        "shape": "dot",
        "size": size,
        "borderWidth": width,
        "color": {
            "background": fill,
            "border": ORIGIN_BORDER if of_origin else "#2A2C34" if node.id in pic.focus else border,
            "highlight": {"background": fill, "border": "#2A2C34"},
            "hover": {"background": fill, "border": "#2A2C34"},
        },
        "font": {"size": 13 if node.id in pic.focus else 11, "multi": False},
        "info": {
            "heading": node.name,
            "rows": [
                ["id", node.id],
                ["type", kind],
                *([["country", code]] if code and kind != "Country" else []),
                *([["also known as", ", ".join(node.aliases[:8])]] if node.aliases else []),
                *(
                    [["origin", "of the origin country"]]
                    if of_origin and pic.origin is not None
                    else []
                ),
            ],
            "notes": pic.notes.get(node.id, []),
            "evidence": [],
        },
    }


def _edge_data(rel: Relationship, names: dict[str, str]) -> dict[str, Any]:
    share = _number(rel.props.get("share"))
    rows: list[list[str]] = [["from", names.get(rel.source, rel.source)]]
    rows.append(["to", names.get(rel.target, rel.target)])
    if share is not None:
        rows.append(["share", f"{share:.0%}" if share >= 0.01 else f"{share:.2%}"])
    for key in sorted(rel.props):
        if key != "share":
            rows.append([key, str(rel.props[key])])
    if rel.confidence is not None:
        rows.append(["confidence", f"{rel.confidence:.2f}"])
    evidence = [
        {
            "citation": p.citation or p.source,
            "source": p.source,
            "sentence": p.sentence or "",
            "locator": p.locator or "",
            "extractor": f"{p.extractor} {p.extractor_version}",
        }
        for p in rel.provenance
    ]
    colour = EDGE_COLOURS.get(rel.type, DEFAULT_EDGE_COLOUR)
    return {
        "id": "|".join(rel.key),
        "from": rel.source,
        "to": rel.target,
        "label": rel.type,
        "arrows": "to",
        "width": 1.5 + (6 * share if share is not None else 0),
        "dashes": rel.type == "MENTIONS",
        "color": {"color": colour, "highlight": "#2A2C34", "hover": "#2A2C34"},
        "font": {"size": 9, "align": "middle", "color": "#4A4F59", "strokeWidth": 3},
        "info": {"heading": rel.type, "rows": rows, "notes": [], "evidence": evidence},
    }


def _vis_asset(name: str) -> str:
    try:
        base = resources.files("pyvis") / "lib" / f"vis-{VIS_VERSION}"
        return (base / name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        raise VisualUnavailable(
            f"the vis-network {VIS_VERSION} build that techgraph draws with comes with the "
            "pyvis package, which is missing; install it with `pip install pyvis` (or "
            "reinstall techgraph)."
        ) from None


def _script_json(data: object) -> str:
    """JSON that is safe inside a <script> element: no `</script>`, no `<!--`."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _legend(pic: Picture, store: GraphStore) -> list[dict[str, str]]:
    kinds = sorted({store.schema.node_type_of(i).name for i in pic.nodes})
    items = [{"label": k, "fill": NODE_COLOURS[k][0], "border": NODE_COLOURS[k][1]} for k in kinds]
    if pic.origin is not None:
        name = pic.nodes[pic.origin].name if pic.origin in pic.nodes else pic.origin
        items.append(
            {"label": f"firm of {name} origin", "fill": "#FFFFFF", "border": ORIGIN_BORDER}
        )
    return items


def render_html(store: GraphStore, pic: Picture) -> str:
    """The picture as one HTML document that loads nothing from anywhere."""
    hq = _headquarters(store, pic)
    names = {n.id: n.name for n in pic.nodes.values()}
    nodes = [_node_data(store, pic, pic.nodes[i], hq) for i in sorted(pic.nodes)]
    edges = [_edge_data(pic.edges[k], names) for k in sorted(pic.edges)]
    data = {
        "title": pic.title,
        "subtitle": pic.subtitle,
        "nodes": nodes,
        "edges": edges,
        "legend": _legend(pic, store),
    }
    return _PAGE.substitute(
        title=_html_text(pic.title),
        vis_css=_vis_asset("vis-network.css"),
        vis_js=_vis_asset("vis-network.min.js"),
        data=_script_json(data),
    )


def _html_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_html(store: GraphStore, pic: Picture, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(store, pic), encoding="utf-8")
    return path


# The page. `$` placeholders are filled by string.Template; the script builds tooltips and the
# details panel with DOM calls and textContent, so no text from the graph is parsed as HTML.
_PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none';
      script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="techgraph viz">
<title>$title</title>
<style>$vis_css</style>
<style>
  html, body { margin: 0; height: 100%; font-family: "Helvetica Neue", Helvetica, Arial, sans-serif;
               color: #2A2C34; background: #F5F6F8; }
  header { padding: 10px 16px 6px; background: #FFFFFF; border-bottom: 1px solid #D8DBE0; }
  header h1 { font-size: 18px; margin: 0 0 2px; }
  header p { font-size: 13px; margin: 0; color: #5A5F69; }
  #legend { display: flex; flex-wrap: wrap; gap: 14px; font-size: 12px; margin-top: 6px; }
  #legend span.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 50%;
                        border: 3px solid; vertical-align: middle; margin-right: 4px; }
  main { position: absolute; top: 86px; bottom: 0; left: 0; right: 0; display: flex; }
  #graph { flex: 1; background: #FFFFFF; }
  #details { width: 340px; overflow: auto; border-left: 1px solid #D8DBE0; padding: 10px 14px;
             font-size: 13px; background: #FAFBFC; }
  #details h2, .tip h2 { font-size: 14px; margin: 0 0 6px; }
  table.props { border-collapse: collapse; margin-bottom: 6px; }
  table.props td { padding: 1px 8px 1px 0; vertical-align: top; }
  table.props td:first-child { color: #5A5F69; white-space: nowrap; }
  .evidence { border-top: 1px solid #E1E4E8; padding-top: 4px; margin-top: 4px; }
  .evidence .sentence { font-style: italic; }
  .evidence .meta { color: #5A5F69; font-size: 11px; }
  div.vis-tooltip { white-space: normal; max-width: 420px; font-size: 12px; padding: 8px;
                    font-family: "Helvetica Neue", Helvetica, Arial, sans-serif;
                    background: #FFFFFF; border: 1px solid #B9BEC7; border-radius: 4px;
                    box-shadow: 0 2px 6px rgba(0,0,0,0.15); }
</style>
</head>
<body>
<header>
  <h1 id="title"></h1>
  <p id="subtitle"></p>
  <div id="legend"></div>
</header>
<main>
  <div id="graph"></div>
  <aside id="details"><p>Hover over a node or relationship for its evidence; click to keep it
  here.</p></aside>
</main>
<script>$vis_js</script>
<script id="techgraph-data" type="application/json">$data</script>
<script>
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("techgraph-data").textContent);
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function describe(info) {
    var box = el("div", "tip");
    box.appendChild(el("h2", null, info.heading));
    var table = el("table", "props");
    info.rows.forEach(function (r) {
      var tr = el("tr");
      tr.appendChild(el("td", null, r[0]));
      tr.appendChild(el("td", null, r[1]));
      table.appendChild(tr);
    });
    box.appendChild(table);
    info.notes.forEach(function (n) { box.appendChild(el("div", "note", n)); });
    info.evidence.forEach(function (ev) {
      var d = el("div", "evidence");
      d.appendChild(el("div", "citation", ev.citation));
      if (ev.sentence) {
        d.appendChild(el("div", "sentence", "\\u201c" + ev.sentence + "\\u201d"));
      }
      var meta = [ev.source, ev.locator, ev.extractor].filter(Boolean).join(" \\u00b7 ");
      d.appendChild(el("div", "meta", meta));
      box.appendChild(d);
    });
    return box;
  }
  document.getElementById("title").textContent = data.title;
  document.getElementById("subtitle").textContent = data.subtitle;
  var legend = document.getElementById("legend");
  data.legend.forEach(function (item) {
    var s = el("span");
    var sw = el("span", "swatch");
    sw.style.background = item.fill;
    sw.style.borderColor = item.border;
    s.appendChild(sw);
    s.appendChild(document.createTextNode(item.label));
    legend.appendChild(s);
  });
  var byId = {};
  data.nodes.forEach(function (n) { n.title = describe(n.info); byId[n.id] = n; });
  data.edges.forEach(function (e) { e.title = describe(e.info); byId[e.id] = e; });
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var network = new vis.Network(document.getElementById("graph"), {nodes: nodes, edges: edges}, {
    interaction: {hover: true, tooltipDelay: 120, navigationButtons: false},
    physics: {solver: "forceAtlas2Based",
              forceAtlas2Based: {gravitationalConstant: -60, springLength: 110},
              stabilization: {iterations: 400}},
    edges: {smooth: {type: "continuous"}},
    layout: {improvedLayout: data.nodes.length < 150}
  });
  var details = document.getElementById("details");
  network.on("click", function (params) {
    var id = params.nodes.length ? params.nodes[0] : (params.edges.length ? params.edges[0] : null);
    if (id === null || !byId[id]) { return; }
    details.replaceChildren(describe(byId[id].info));
  });
  network.once("stabilizationIterationsDone", function () {
    network.setOptions({physics: false});
    network.fit();
    document.body.setAttribute("data-ready", "true");
  });
  window.techgraphNetwork = network;
})();
</script>
</body>
</html>
"""
)
