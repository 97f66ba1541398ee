"""POST /v1/documents on both backends: a text or a file through the ingest pipeline, what was
extracted in the answer, the evidence in the graph, unchanged and replaced documents, refusals.

The extractor runs on rules only (the graph's names and cue words): fast, deterministic, and no
model needed; the model's own quality is measured elsewhere (techgraph eval).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from techgraph.api.routers import documents
from techgraph.graph.model import FactBatch
from techgraph.graph.store import GraphStore
from techgraph.ingest.model import Extractor

from .api_helpers import KEY, client_for
from .test_api import assert_error, ok

AUTH = {"X-API-Key": KEY}
BRIEF = (
    "Huawei, headquartered in Shenzhen, China, supplies 5G base stations. "
    "ASML does not supply EUV lithography to China."
)


@pytest.fixture
def client(
    store: GraphStore, reference: FactBatch, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    from techgraph.ingest.extract import SpacyExtractor

    def rules_only(names: Any) -> Extractor:
        extractor: Extractor = SpacyExtractor(names, use_model=False)
        return extractor

    monkeypatch.setattr(documents, "make_extractor", rules_only)
    store.write(reference)
    with client_for(store, api_keys=[KEY]) as c:
        yield c


def post(client: TestClient, **fields: Any) -> Any:
    files = fields.pop("files", None)
    return client.post("/v1/documents", data=fields, files=files, headers=AUTH)


def test_a_text_is_extracted_written_and_cited(client: TestClient) -> None:
    body = ok(post(client, text=BRIEF, name="brief.md"))
    assert body["status"] == "ingested" and body["document"]["name"] == "brief.md"
    assert body["document"]["id"].startswith("doc:") and body["words"] == 17
    assert {"firm:huawei", "country:CHN", "firm:asml"} <= {e["id"] for e in body["entities"]}
    huawei = next(e for e in body["entities"] if e["id"] == "firm:huawei")
    assert huawei["mentions"] == ["Huawei"] and huawei["discovered"] is False
    rels = {(r["source"], r["type"], r["target"]): r for r in body["relations"]}
    hq = rels[("firm:huawei", "HEADQUARTERED_IN", "country:CHN")]
    assert hq["written"] is True and BRIEF[hq["start"] : hq["end"]] == hq["sentence"]
    denied = [r for r in body["relations"] if r["negated"]]
    assert denied and not any(r["written"] for r in denied)
    # The graph now cites the sentence and names the document.
    evidence = ok(
        client.get(
            "/v1/relationships",
            params={"source": "firm:huawei", "type": "HEADQUARTERED_IN", "target": "CHN"},
        )
    )["data"][0]["relationship"]["evidence"]
    from_doc = [e for e in evidence if e["source"] == body["document"]["id"]]
    assert from_doc[0]["sentence"] == hq["sentence"]
    assert from_doc[0]["document"] == body["document"]


def test_the_same_content_again_changes_nothing(client: TestClient) -> None:
    first = ok(post(client, text=BRIEF))
    before = ok(client.get("/stats"))
    again = ok(post(client, text=BRIEF))
    assert again["status"] == "unchanged" and again["document"]["id"] == first["document"]["id"]
    assert again["entities"] == [] and again["reason"]
    assert ok(client.get("/stats")) == before


def test_a_key_names_a_document_whose_new_content_replaces_the_old(client: TestClient) -> None:
    first = ok(post(client, text=BRIEF, key="https://example.org/brief-1"))
    second = ok(
        post(
            client,
            text="ASML is headquartered in the Netherlands.",
            key="https://example.org/brief-1",
        )
    )
    assert second["document"]["id"] == first["document"]["id"]
    assert second["status"] == "ingested"
    mentioned = ok(
        client.get("/v1/neighbours", params={"entity": first["document"]["id"], "type": "MENTIONS"})
    )
    assert {n["node"]["id"] for n in mentioned["data"]} == {"firm:asml", "country:NLD"}


def test_files_markdown_and_html(client: TestClient) -> None:
    md = ok(post(client, files={"file": ("notes.md", BRIEF.encode(), "text/markdown")}))
    assert md["document"]["name"] == "notes.md" and md["status"] == "ingested"
    page = f"<html><body><nav>Menu Huawei</nav><p>{BRIEF}</p></body></html>".encode()
    html = ok(post(client, files={"file": ("page.html", page, "text/html")}, key="page"))
    assert "firm:huawei" in {e["id"] for e in html["entities"]}


@pytest.mark.parametrize(
    ("fields", "status", "error", "says"),
    [
        ({}, 422, "InvalidArgument", "send either a file or a text"),
        (
            {"text": BRIEF, "files": {"file": ("a.txt", b"x", "text/plain")}},
            422,
            "InvalidArgument",
            "not both",
        ),
        ({"text": "   "}, 422, "DocumentRefused", "no text"),
        (
            {"files": {"file": ("a.png", b"\x89PNG", "image/png")}},
            422,
            "DocumentRefused",
            "is not a document",
        ),
        (
            {"files": {"file": ("a.txt", b"\x89PNG\r\n", "text/plain")}},
            422,
            "DocumentRefused",
            "binary file",
        ),
        (
            {"files": {"file": ("a.txt", b"caf\xe9", "text/plain")}},
            422,
            "DocumentRefused",
            "invalid UTF-8",
        ),
        ({"files": {"file": ("a.txt", b"", "text/plain")}}, 422, "DocumentRefused", "empty"),
    ],
)
def test_documents_that_cannot_be_read_are_refused(
    client: TestClient, fields: dict[str, Any], status: int, error: str, says: str
) -> None:
    body = assert_error(post(client, **fields), status, error)
    assert says in body["message"]
    assert "/tmp" not in body["message"] and "techgraph-document" not in body["message"]


def test_documents_need_a_key(client: TestClient) -> None:
    assert_error(client.post("/v1/documents", data={"text": BRIEF}), 401, "Unauthorized")
