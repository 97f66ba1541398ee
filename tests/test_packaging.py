"""A plain `pip install .` must carry every package and data file the editable install sees."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_SHIPPED = {"tests", "benchmarks"}  # run from a checkout only
# Folders that are not source: build output, environments, caches, test output.
SKIP = NOT_SHIPPED | {"build", "dist", ".venv", ".git", ".techgraph", "test-output"}


def test_every_python_package_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {"techgraph"}
    for init in ROOT.rglob("__init__.py"):
        rel = init.parent.relative_to(ROOT)
        if rel.parts and rel.parts[0] in SKIP:
            continue
        if rel.parts:
            found.add(".".join(("techgraph", *rel.parts)))
    assert found == listed
