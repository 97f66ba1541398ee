"""The query commands as a user meets them: tables, --json, names or ids, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from techgraph.graph.embedded import EmbeddedStore

from .graphs import supply_chain
from .test_cli import one_error_line, run


@pytest.fixture
def data_dir(tmp_path: Path) -> str:
    EmbeddedStore(tmp_path).write(supply_chain())
    return str(tmp_path)


def test_resolve_prints_matches_and_suggestions(data_dir: str) -> None:
    code, out, _ = run("--data-dir", data_dir, "resolve", "Huawei Technologies")
    assert code == 0 and "firm:huawei" in out
    code, out, _ = run("--data-dir", data_dir, "resolve", "Huawey")
    assert code == 1 and "Did you mean" in out and "firm:huawei" in out


def test_path_json_carries_every_hop_with_its_evidence(data_dir: str) -> None:
    code, out, _ = run("--data-dir", data_dir, "path", "ChipCo", "Parent Holdings", "--json")
    assert code == 0
    (only,) = json.loads(out)["paths"]
    assert [h["type"] for h in only] == ["SUBSIDIARY_OF", "SUBSIDIARY_OF"]
    assert all(h["evidence"][0]["citation"] == "test fixture" for h in only)


def test_suppliers_table_and_json(data_dir: str) -> None:
    code, out, _ = run("--data-dir", data_dir, "suppliers", "Base stations")
    assert code == 0 and "Huawei" in out and "30%" in out
    _, out, _ = run("--data-dir", data_dir, "suppliers", "tech:gallium", "--json")
    assert json.loads(out)["countries"][0] == {
        "country": "country:CHN",
        "share": 0.9,
        "basis": "reported",
        "firms": [],
    }


@pytest.mark.parametrize(
    "args",
    [
        ["deps", "5G", "--depth", "2"],
        ["exposure", "5G", "--origin", "CHN"],
        ["chokepoints", "--threshold", "0.5"],
        ["alternatives", "5G", "--from", "Club"],
        ["alignment", "GaN RF chips", "--alliance", "Club"],
        ["neighbours", "ChipCo", "--type", "SUBSIDIARY_OF", "--direction", "out"],
    ],
)
def test_each_query_prints_a_table_and_valid_json(data_dir: str, args: list[str]) -> None:
    code, out, err = run("--data-dir", data_dir, *args)
    assert code == 0, err
    assert out.strip()
    code, out, err = run("--data-dir", data_dir, *args, "--json")
    assert code == 0, err
    assert json.loads(out)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["exposure", "6G"], "no entity of type tech/firm called '6G'"),
        (["exposure", "Huawey"], "Did you mean Huawei (firm:huawei)?"),
        (["exposure", "5G", "--origin", "Mars"], "is not a country code"),
        (["exposure", "5G", "--origin", "XYZ"], "is not a country in the graph"),
        (["neighbours", "ChipCo", "--type", "OWNS"], "unknown relationship type 'OWNS'"),
        (["path", "Huawei", "firm:huawei"], "are the same entity"),
        (["alternatives", "5G", "--from", "USA,ZZZ"], "'ZZZ' is not a country in the graph"),
    ],
)
def test_bad_input_is_one_clear_line(data_dir: str, args: list[str], message: str) -> None:
    code, _, err = run("--data-dir", data_dir, *args)
    assert code == 1
    assert message in one_error_line(err)


def test_out_of_range_limits_are_refused_by_the_parser(data_dir: str) -> None:
    code, _, err = run("--data-dir", data_dir, "deps", "5G", "--depth", "11")
    assert code == 2 and "11 is not in the range 1<=x<=10" in err
    code, _, err = run("--data-dir", data_dir, "path", "Huawei", "Ericsson", "--max-hops", "0")
    assert code == 2 and "--max-hops" in err
