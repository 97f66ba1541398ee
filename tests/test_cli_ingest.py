"""`techgraph ingest`: what a user sees, on both backends, with good and bad documents.

These run the real extractor (ingest/extract.py) on rules only (`--no-model`: fast and the same
on every machine); one test uses the statistical model when it is installed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from techgraph.graph.model import FactBatch
from techgraph.graph.store import Direction, GraphStore
from techgraph.ingest import documents
from techgraph.ingest.pipeline import document_id

from .api_helpers import run_cli as run
from .test_documents import make_pdf

FIXTURES = Path(__file__).parent / "fixtures" / "docs"


def ingest(store: GraphStore, *args: str, input: bytes | None = None) -> tuple[int, str, str]:
    return run(store, "ingest", "--no-model", *args, input=input)


def ingest_json(store: GraphStore, *args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = ingest(store, "--json", *args)
    assert err == "", err
    return code, json.loads(out)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """A copy of the fixture documents, which tests may change."""
    target = tmp_path / "docs"
    shutil.copytree(FIXTURES, target)
    return target


def has_edge(store: GraphStore, source: str, rtype: str, target: str) -> bool:
    return any(n.node.id == target for n in store.neighbours(source, [rtype], Direction.OUT))


# -- a new user --------------------------------------------------------------------------------


def test_first_ingest_loads_the_reference_data_and_says_so(store: GraphStore, docs: Path) -> None:
    code, out, err = ingest(store, str(docs))
    assert code == 0, err
    assert err == ""
    assert out.count("held no reference data: loaded it first") == 1
    assert f"3 documents ingested into the {store.backend} graph, 0 unchanged, 0 failed." in out
    assert store.counts().nodes["Document"] == 3
    assert has_edge(store, "firm:huawei", "HEADQUARTERED_IN", "country:CHN")
    assert has_edge(store, "country:NLD", "RESTRICTS_EXPORT_OF", "tech:euv-lithography")
    # The second time: nothing to load, nothing to extract, nothing changes.
    before = store.counts()
    code, out, err = ingest(store, str(docs))
    assert code == 0, err
    assert "reference data" not in out
    assert "0 documents ingested" in out and "3 unchanged, 0 failed." in out
    assert store.counts() == before


def test_a_changed_document_replaces_its_facts(store: GraphStore, docs: Path) -> None:
    assert ingest(store, str(docs))[0] == 0
    brief = docs / "briefs" / "euv-controls.md"
    doc_id = document_id(str(brief.resolve()))
    assert has_edge(store, doc_id, "MENTIONS", "country:USA")
    brief.write_text("Huawei is headquartered in China.\n")
    code, out, _ = ingest(store, str(docs))
    assert code == 0
    assert "1 document ingested" in out and "2 unchanged" in out
    mentioned = {n.node.id for n in store.neighbours(doc_id, ["MENTIONS"], Direction.OUT)}
    assert mentioned == {"firm:huawei", "country:CHN"}
    node = store.get_node(doc_id)
    assert node is not None
    assert node.props["content_sha256"] == hashlib.sha256(brief.read_bytes()).hexdigest()
    assert store.counts().nodes["Document"] == 3


# -- bad input -----------------------------------------------------------------------------------


def bad_directory(root: Path) -> Path:
    root.mkdir()
    (root / "good.md").write_text("Huawei is headquartered in China.\n")
    (root / "empty.txt").write_bytes(b"")
    (root / "binary.txt").write_bytes(b"\x00\x01\x02\x03")
    (root / "latin1.txt").write_bytes(b"Soci\xe9t\xe9 G\xe9n\xe9rale")
    (root / "blank.html").write_text("<html><body><script>x()</script></body></html>")
    (root / "logo.png").write_bytes(b"\x89PNG")
    make_pdf(root / "scan.pdf", None)
    return root


BAD_REASONS = {
    "empty.txt": "empty file",
    "binary.txt": "binary file (it contains NUL bytes), not text",
    "latin1.txt": "invalid UTF-8 at byte 4 (line 1, byte 0xe9); save it as UTF-8",
    "blank.html": "no main text in the HTML page (only navigation, scripts or markup)",
    "scan.pdf": "PDF without a text layer (1 page, no text: a scan?); run OCR on it first "
    "(e.g. ocrmypdf)",
}


def test_a_directory_of_good_and_bad_documents(store: GraphStore, tmp_path: Path) -> None:
    root = bad_directory(tmp_path / "mixed")
    code, out, err = ingest(store, str(root), str(tmp_path / "missing.md"))
    assert code == 1
    # Each failure once on stderr as PATH: reason, and in the summary by name.
    for name, reason in BAD_REASONS.items():
        assert f"{root / name}: {reason}" in err.splitlines()
        assert f"  {name}: {reason}" in out.splitlines()
    assert f"{tmp_path / 'missing.md'}: no such file or directory" in err.splitlines()
    assert len(err.splitlines()) == len(BAD_REASONS) + 1
    assert "1 document ingested" in out and "6 failed, 1 file of other types skipped" in out
    assert "skipped: 1 file (unsupported file type .png)" in out
    # The good one is in the graph; nothing of the failed ones is.
    assert store.get_node(document_id(str((root / "good.md").resolve()))) is not None
    for name in BAD_REASONS:
        assert store.get_node(document_id(str((root / name).resolve()))) is None
    assert store.counts().nodes["Document"] == 1


def test_a_huge_file_is_refused_the_others_ingested(
    store: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(documents, "MAX_TEXT_BYTES", 1000)
    (tmp_path / "huge.txt").write_text("Huawei supplies China Mobile. " * 100)
    (tmp_path / "small.txt").write_text("Huawei is headquartered in China.")
    code, out, err = ingest(store, str(tmp_path))
    assert code == 1
    assert f"{tmp_path / 'huge.txt'}: file of 2.9 KB is over the 1000 bytes limit" in err
    assert "1 document ingested" in out and "1 failed" in out
    assert store.get_node(document_id(str((tmp_path / "huge.txt").resolve()))) is None


def test_no_documents_at_all_is_one_error(store: GraphStore, tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_bytes(b"\x89PNG")
    code, out, err = ingest(store, str(tmp_path))
    assert code == 1 and out == ""
    assert err.startswith(f"error: no documents to ingest in {tmp_path} (1 file of other types)")
    assert len(err.splitlines()) == 1


# -- JSON and stdin ------------------------------------------------------------------------------


def test_json_gives_entities_and_relations_per_document(store: GraphStore, docs: Path) -> None:
    code, answer = ingest_json(store, str(docs / "briefs" / "euv-controls.md"))
    assert code == 0
    assert "held no reference data" in answer["notes"][0]
    [d] = answer["documents"]
    assert d["status"] == "ingested" and d["name"] == "euv-controls.md"
    assert d["id"] == document_id(str((docs / "briefs" / "euv-controls.md").resolve()))
    text = (docs / "briefs" / "euv-controls.md").read_text()
    for e in d["entities"]:
        assert set(e) >= {"id", "type", "name", "span"}
        start, end = e["span"]
        assert text[start:end] == e["text"]
    asml = next(e for e in d["entities"] if e["id"] == "firm:asml")
    assert asml["type"] == "Firm" and asml["name"] == store.get_node("firm:asml").name  # type: ignore[union-attr]
    for r in d["relations"]:
        assert set(r) >= {"source", "type", "target", "confidence", "sentence", "negated", "hedged"}
        start, end = r["span"]
        assert text[start:end].strip() == r["sentence"].strip()
    negated = [r for r in d["relations"] if r["negated"]]
    assert negated and all(not r["written"] for r in negated)
    assert any(
        (r["source"], r["type"], r["target"]) == ("firm:asml", "SUPPLIES", "firm:huawei")
        for r in negated
    )
    summary = answer["summary"]
    assert summary["documents"] == {"ingested": 1, "unchanged": 0, "failed": 0, "skipped": 0}
    assert summary["relations"] >= 3 and summary["negated_statements"] >= 1
    # Unchanged the second time: no extraction to show.
    code, again = ingest_json(store, str(docs / "briefs" / "euv-controls.md"))
    assert code == 0 and again["notes"] == []
    assert again["documents"][0]["status"] == "unchanged"
    assert again["documents"][0]["entities"] is None


def test_json_with_failures_is_still_json_and_exits_1(store: GraphStore, tmp_path: Path) -> None:
    root = bad_directory(tmp_path / "mixed")
    code, answer = ingest_json(store, str(root))
    assert code == 1
    failed = {d["name"]: d["reason"] for d in answer["documents"] if d["status"] == "failed"}
    assert failed == BAD_REASONS
    assert {e["name"] for e in answer["summary"]["errors"]} == set(BAD_REASONS)


def test_stdin(store: GraphStore) -> None:
    data = b"Huawei is headquartered in China."
    code, out, err = ingest(store, "-", input=data)
    assert code == 0, err
    key = hashlib.sha256(data).hexdigest()
    node = store.get_node("doc:" + hashlib.sha256(key.encode()).hexdigest())
    assert node is not None and node.name == "<stdin>" and node.props["path"] == "-"
    code, out, _ = ingest(store, "-", input=data)
    assert code == 0 and "1 unchanged" in out


def test_empty_stdin(store: GraphStore) -> None:
    code, _, err = ingest(store, "-", input=b"")
    assert code == 1
    assert err.splitlines() == ["-: empty file"]


# -- the statistical model -------------------------------------------------------------------------


def test_with_the_model_unknown_firms_are_discovered(
    store: GraphStore, docs: Path, reference: FactBatch
) -> None:
    from techgraph.ingest.extract import SpacyExtractor

    store.write(reference)
    if not SpacyExtractor([], use_model=None).uses_model:
        pytest.skip("no spaCy model installed")
    code, out, err = run(store, "ingest", "--json", str(docs / "briefs" / "sub" / "5g.txt"))
    assert code == 0, err
    [d] = json.loads(out)["documents"]
    found = {e["id"]: e for e in d["entities"]}
    assert found["firm:zhongxing-microwave"]["discovered"] is True
    node = store.get_node("firm:zhongxing-microwave")
    assert node is not None and node.props["discovered"] is True
    assert max(p.confidence for p in node.provenance) <= 0.6
