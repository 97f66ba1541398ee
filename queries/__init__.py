"""The Cypher of techgraph: one statement per ``.cypher`` file, loaded by name.

Values always travel as ``$parameters``. Statements that start from given ids carry
``USING INDEX`` hints, so that their plans seek the ``Entity.id`` index whatever the database's
statistics say (a nearly empty database otherwise invites scans that stay in the plan cache).
A file may hold a ``{{label}}`` or ``{{type}}`` slot for
the one thing Cypher cannot take as a parameter; the caller fills it with a name the schema has
already checked and backtick-quoted (``Schema.label`` / ``Schema.rel_type``), never user text.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

QUERY_DIR = Path(__file__).parent
_SLOT = re.compile(r"\{\{(\w+)\}\}")
# What a slot may hold: a backtick-quoted schema name, a relationship-type alternation built from
# such names (":`A`|`B`", or "" for any type), or a small whole number (a hop bound, which Cypher
# does not accept as a parameter).
_QUOTED = re.compile(r"^(`[A-Za-z_][A-Za-z0-9_]*`|(:`[A-Z_]+`(\|`[A-Z_]+`)*)?|[0-9]{1,2})$")


@cache
def _read(name: str) -> str:
    path = QUERY_DIR / f"{name}.cypher"
    if not path.is_file():
        raise KeyError(f"no query named {name!r} in {QUERY_DIR}")
    return path.read_text(encoding="utf-8").strip()


def load(name: str, **slots: str) -> str:
    """The statement in ``queries/<name>.cypher`` with its slots filled."""
    text = _read(name)
    for key, value in slots.items():
        if not _QUOTED.match(value):
            raise ValueError(f"slot {key} must be schema names in backticks or a number: {value!r}")

    def fill(match: re.Match[str]) -> str:
        try:
            return slots[match.group(1)]
        except KeyError:
            raise ValueError(f"query {name!r} needs slot {match.group(1)!r}") from None

    return _SLOT.sub(fill, text)


def names() -> list[str]:
    return sorted(p.stem for p in QUERY_DIR.glob("*.cypher"))
