"""What techgraph ships for Neo4j Browser: a style sheet and ready explorations.

The files sit next to this module, so they install with the package: `techgraph browser style`
prints the sheet and `techgraph browser guide` serves the explorations as a Browser guide from an
installed copy as well as from a checkout. docs/browser.md explains how to use them.

An exploration is one `.cypher` file a user can paste whole into Browser's editor: first its
`:param name => expression;` lines (Browser runs them as commands), then a `//` comment block
saying what it answers, then one Cypher statement that ends with `;`. This module parses that
layout so that the tests, the guide and the CLI read the very text users paste.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
STYLE_SHEET = HERE / "techgraph.grass"
EXPLORATIONS = HERE / "explorations"

# The order the guide and `techgraph browser explorations` present them in: the headline
# question first. Files not named here follow in alphabetical order.
ORDER = (
    "origin_dependencies",
    "shortest_path_between_firms",
    "chokepoints",
    "alliance_restrictions",
    "documents_mentioning",
)

_PARAM = re.compile(r"^:param\s+([A-Za-z_][A-Za-z0-9_]*)\s*=>\s*(.+?)\s*;?\s*$")


class ExplorationError(ValueError):
    """An exploration file does not have the layout described in this module's docstring."""


@dataclass(frozen=True)
class Exploration:
    name: str
    """The file's stem, e.g. `origin_dependencies`."""
    title: str
    """The first comment line: what the exploration answers."""
    description: str
    """The rest of the comment block as written: paragraphs apart by an empty line, list items
    indented."""
    params: dict[str, str]
    """Parameter name -> the Cypher expression after `=>` (Browser evaluates it on the server)."""
    query: str
    """The Cypher statement, without its closing semicolon."""
    text: str
    """The whole file, as a user pastes it into Browser."""

    @property
    def param_lines(self) -> list[str]:
        return [f":param {k} => {v};" for k, v in self.params.items()]

    @property
    def paragraphs(self) -> list[list[str]]:
        """The description as paragraphs, each a list of lines: a line indented in the file (a
        list item) stays a line of its own, other lines are joined into running text."""
        out: list[list[str]] = []
        for block in self.description.split("\n\n"):
            lines: list[str] = []
            for line in block.splitlines():
                if line.startswith(" ") or not lines:
                    lines.append(line.strip())
                else:
                    lines[-1] += " " + line.strip()
            if lines:
                out.append(lines)
        return out


def style_sheet() -> str:
    """The GRASS style sheet's text."""
    return STYLE_SHEET.read_text(encoding="utf-8")


def parse_exploration(name: str, text: str) -> Exploration:
    """Split an exploration file into its parameters, comment block and statement."""
    params: dict[str, str] = {}
    comments: list[str] = []
    body: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if body:
            body.append(line)
        elif stripped.startswith(":param"):
            match = _PARAM.match(stripped)
            if match is None:
                raise ExplorationError(
                    f"{name}.cypher:{number}: write parameters as `:param name => value;`."
                )
            params[match.group(1)] = match.group(2)
        elif stripped.startswith("//"):
            comments.append(stripped[2:].removeprefix(" ").rstrip())
        elif stripped:
            body.append(line)
    query = "\n".join(body).strip()
    if not query.endswith(";"):
        raise ExplorationError(f"{name}.cypher: the statement must end with `;`.")
    query = query[:-1].rstrip()
    if ";" in _strip_strings(query):
        raise ExplorationError(f"{name}.cypher: one statement per file, please.")
    if not comments:
        raise ExplorationError(f"{name}.cypher: say what it answers in a `//` comment block.")
    return Exploration(
        name=name,
        title=comments[0].strip(),
        description="\n".join(comments[1:]).strip("\n"),
        params=params,
        query=query,
        text=text,
    )


def _strip_strings(cypher: str) -> str:
    return re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "''", cypher)


def explorations() -> list[Exploration]:
    """Every exploration shipped in browser/explorations, in presentation order."""
    files = {p.stem: p for p in EXPLORATIONS.glob("*.cypher")}
    names = [n for n in ORDER if n in files] + sorted(n for n in files if n not in ORDER)
    return [parse_exploration(n, files[n].read_text(encoding="utf-8")) for n in names]


def exploration(name: str) -> Exploration:
    """One exploration by file stem (`chokepoints`) or file name (`chokepoints.cypher`)."""
    stem = name.removesuffix(".cypher")
    for found in explorations():
        if found.name == stem:
            return found
    known = ", ".join(e.name for e in explorations())
    raise KeyError(f"no exploration called {name!r}; there are: {known}.")
