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
    tops = [d for d in ROOT.iterdir() if d.is_dir() and d.name not in SKIP]
    for init in (i for top in tops for i in top.rglob("__init__.py")):
        rel = init.parent.relative_to(ROOT)
        found.add(".".join(("techgraph", *rel.parts)))
    assert found == listed
