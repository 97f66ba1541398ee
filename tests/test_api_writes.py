"""Writes over HTTP on both backends: API keys (401/403), ETO and edge-list uploads, strict
imports, unusable files, size limits, and uploads that try to escape their directory."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from techgraph.graph.model import FactBatch
from techgraph.graph.store import Direction, GraphStore

from .api_helpers import KEY, OTHER_KEY, client_for
from .test_api import assert_error, ok

FIXTURES = Path(__file__).parent / "fixtures"
ETO = FIXTURES / "eto"
ETO_FILES = ["stages.csv", "inputs.csv", "providers.csv", "provision.csv", "sequence.csv"]
EDGES = FIXTURES / "edgelist" / "suppliers.csv"
AUTH = {"X-API-Key": KEY}


@pytest.fixture
def graph(store: GraphStore, reference: FactBatch) -> GraphStore:
    store.write(reference)
    return store


@pytest.fixture
def client(graph: GraphStore) -> Iterator[TestClient]:
    with client_for(graph, api_keys=[KEY, OTHER_KEY], max_upload_mb=1) as c:
        yield c


def eto_zip(
    directory: Path = ETO, folder: str = "release-2024/", extra: dict[str, bytes] | None = None
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ETO_FILES:
            zf.write(directory / name, folder + name)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()


def csv_upload(path: Path = EDGES, name: str | None = None) -> dict[str, Any]:
    return {"file": (name or path.name, path.read_bytes(), "text/csv")}


# -- keys -----------------------------------------------------------------------------------------


def test_writes_are_disabled_without_configured_keys(graph: GraphStore) -> None:
    with client_for(graph) as client:
        response = client.post("/v1/imports/csv", files=csv_upload(), headers=AUTH)
    body = assert_error(response, 403, "Forbidden")
    assert body["message"] == (
        "writes are disabled: set TECHGRAPH_API_KEYS to allow them with a key."
    )


def test_a_missing_key_is_a_401_and_a_wrong_one_a_403(client: TestClient) -> None:
    missing = client.post("/v1/imports/csv", files=csv_upload())
    assert_error(missing, 401, "Unauthorized")
    assert missing.headers["www-authenticate"].startswith("Bearer")
    wrong = client.post("/v1/imports/csv", files=csv_upload(), headers={"X-API-Key": "x" * 30})
    assert_error(wrong, 403, "Forbidden")
    basic = client.post(
        "/v1/imports/csv", files=csv_upload(), headers={"Authorization": "Basic Zm9vOmJhcg=="}
    )
    assert_error(basic, 401, "Unauthorized")


def test_keys_work_in_either_header(client: TestClient) -> None:
    ok(client.post("/v1/imports/csv", files=csv_upload(), headers={"X-API-Key": OTHER_KEY}))
    bearer = {"Authorization": f"Bearer {KEY}"}
    ok(client.post("/v1/imports/csv", files=csv_upload(), headers=bearer))


def test_reads_are_open_unless_configured_otherwise(graph: GraphStore) -> None:
    with client_for(graph, api_keys=[KEY]) as client:
        ok(client.get("/v1/entities/firm:asml"))
        ok(client.get("/v1/entities/firm:asml", headers={"X-API-Key": "wrong" * 5}))
    with client_for(graph, api_keys=[KEY], api_read_requires_key=True) as client:
        assert_error(client.get("/v1/entities/firm:asml"), 401, "Unauthorized")
        assert_error(client.get("/stats", headers={"X-API-Key": "w" * 20}), 403, "Forbidden")
        ok(client.get("/v1/entities/firm:asml", headers=AUTH))
        ok(client.get("/v1/exposure", params={"item": "tech:5g"}, headers=AUTH))
        ok(client.get("/health"))  # monitoring needs no key
        security = client.get("/openapi.json").json()["paths"]["/v1/exposure"]["get"]["security"]
        assert {} not in security


def test_short_keys_are_refused_at_start_up(graph: GraphStore) -> None:
    from techgraph.graph.errors import ConfigError

    with (
        pytest.raises(ConfigError, match="shorter than 16 characters"),
        client_for(graph, api_keys=["short"]),
    ):
        pass


# -- imports --------------------------------------------------------------------------------------


def test_eto_import_from_a_zip(client: TestClient, graph: GraphStore) -> None:
    before = ok(client.get("/stats"))
    zipped = eto_zip(extra={"release-2024/README.txt": b"not imported"})
    body = ok(
        client.post(
            "/v1/imports/eto", files={"files": ("eto.zip", zipped, "application/zip")}, headers=AUTH
        )
    )
    assert body["written"] is True and body["rows_skipped"] == 0 and body["row_errors"] == []
    assert body["rows_loaded"] == body["rows_read"] > 0
    assert body["nodes_new"] > 0 and body["relationships_new"] > 0
    produces = [
        n
        for n in graph.neighbours("firm:asml", ["PRODUCES"], Direction.OUT)
        if n.node.id == "tech:euv-lithography"
    ]
    assert produces and produces[0].relationship.props["share"] == 1.0
    after = ok(client.get("/stats"))
    assert sum(after["nodes"].values()) == sum(before["nodes"].values()) + body["nodes_new"]
    # Importing the same release again changes nothing.
    again = ok(
        client.post(
            "/v1/imports/eto", files={"files": ("eto.zip", zipped, "application/zip")}, headers=AUTH
        )
    )
    assert again["nodes_new"] == 0 and again["relationships_new"] == 0


def test_eto_import_from_the_five_files(client: TestClient) -> None:
    files = [("files", (name, (ETO / name).read_bytes(), "text/csv")) for name in ETO_FILES]
    body = ok(client.post("/v1/imports/eto", files=files, headers=AUTH))
    assert body["written"] is True and body["rows_skipped"] == 0


def test_eto_bad_rows_are_listed_by_file_and_line_and_strict_writes_nothing(
    client: TestClient,
) -> None:
    bad = eto_zip(ETO / "bad", folder="")
    upload = {"files": ("bad.zip", bad, "application/zip")}
    before = ok(client.get("/stats"))
    refused = client.post("/v1/imports/eto", files=upload, params={"strict": "true"}, headers=AUTH)
    body = assert_error(refused, 422, "ImportRefused")
    assert "nothing was written" in body["message"]
    errors = {(e["file"], e["line"]): e["reason"] for e in body["row_errors"]}
    assert errors[("provision.csv", 3)].startswith("share_provided 1.5 is outside 0..1")
    # Messages name files as sent, never by the server's temporary directory.
    assert errors[("provision.csv", 7)] == (
        "provider_id 'P6' refers to providers.csv:4, a row that was skipped"
    )
    assert all(
        "/tmp" not in e["file"] and "techgraph-upload" not in e["reason"]
        for e in body["row_errors"]
    )
    assert ok(client.get("/stats")) == before
    loaded = ok(client.post("/v1/imports/eto", files=upload, headers=AUTH))
    assert (
        loaded["written"] is True
        and loaded["rows_skipped"]
        == len({(e["file"], e["line"]) for e in loaded["row_errors"]})
        > 0
    )


def test_an_eto_upload_missing_files_is_a_400_naming_them(client: TestClient) -> None:
    files = [("files", (name, (ETO / name).read_bytes(), "text/csv")) for name in ETO_FILES[:3]]
    body = assert_error(
        client.post("/v1/imports/eto", files=files, headers=AUTH), 400, "ImportFileError"
    )
    assert "provision.csv" in body["message"] and "sequence.csv" in body["message"]
    assert "/tmp" not in body["message"] and "techgraph-upload" not in body["message"]
    stray = [("files", ("notes.txt", b"hello", "text/plain"))] * 2
    body = assert_error(
        client.post("/v1/imports/eto", files=stray, headers=AUTH), 400, "ImportFileError"
    )
    assert "notes.txt" in body["message"]


def test_zip_entries_cannot_escape_the_upload_directory(client: TestClient, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name in ETO_FILES:
            zf.write(ETO / name, "../../../../tmp/" + name)
        zf.writestr("../../../../tmp/techgraph-escaped.txt", "x")
    response = client.post(
        "/v1/imports/eto",
        files={"files": ("evil.zip", buffer.getvalue(), "application/zip")},
        headers=AUTH,
    )
    ok(response)  # the five files are taken by their names alone, into the upload directory
    assert not Path("/tmp/techgraph-escaped.txt").exists()


def test_csv_import_cites_the_uploaded_file_name(client: TestClient, graph: GraphStore) -> None:
    body = ok(
        client.post(
            "/v1/imports/csv", files=csv_upload(name="../../my suppliers.csv"), headers=AUTH
        )
    )
    assert body["source"] == "my-suppliers.csv"
    assert body["written"] is True and body["rows_skipped"] == 0
    rel = next(
        n.relationship
        for n in graph.neighbours("firm:acme-optics", ["PRODUCES"], Direction.OUT)
        if n.node.id == "tech:lithography-optics"
    )
    assert {p.source for p in rel.provenance} == {"dataset:my-suppliers.csv"}


def test_csv_bad_rows_and_unusable_files(client: TestClient) -> None:
    bad = ok(
        client.post(
            "/v1/imports/csv", files=csv_upload(FIXTURES / "edgelist" / "bad.csv"), headers=AUTH
        )
    )
    assert bad["rows_skipped"] > 0
    assert all(e["file"] == "bad.csv" for e in bad["row_errors"])
    assert any("MAKES" in e["reason"] for e in bad["row_errors"])
    not_utf8 = {
        "file": (
            "latin.csv",
            "source,relation,target\nfirm:é,PRODUCES,tech:x\n".encode("latin-1"),
            "text/csv",
        )
    }
    body = assert_error(
        client.post("/v1/imports/csv", files=not_utf8, headers=AUTH), 400, "ImportFileError"
    )
    assert body["message"].startswith("latin.csv is not UTF-8")
    header = {"file": ("h.csv", b"src,rel\n", "text/csv")}
    assert_error(client.post("/v1/imports/csv", files=header, headers=AUTH), 400, "ImportFileError")
    assert_error(client.post("/v1/imports/csv", headers=AUTH), 422, "InvalidArgument")


def test_uploads_over_the_limit_are_a_413(client: TestClient) -> None:
    big = b"source,relation,target\n" + b"x" * (2 * 1024 * 1024)
    body = assert_error(
        client.post("/v1/imports/csv", files={"file": ("big.csv", big, "text/csv")}, headers=AUTH),
        413,
        "PayloadTooLarge",
    )
    assert "TECHGRAPH_MAX_UPLOAD_MB" in body["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the body is counted as it streams
        boundary = b"--b\r\nContent-Disposition: form-data; name=file; filename=a.csv\r\n\r\n"
        yield boundary
        for _ in range(40):
            yield b"y" * 65536
        yield b"\r\n--b--\r\n"

    streamed = client.post(
        "/v1/imports/csv",
        content=chunks(),
        headers={**AUTH, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert_error(streamed, 413, "PayloadTooLarge")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ETO_FILES:
            zf.writestr(name, b"a" * (5 * 1024 * 1024))  # 25 MiB unpacked, ~25 KiB packed
    body = assert_error(
        client.post(
            "/v1/imports/eto",
            files={"files": ("b.zip", bomb.getvalue(), "application/zip")},
            headers=AUTH,
        ),
        413,
        "PayloadTooLarge",
    )
    assert "unpacks to" in body["message"]


def test_a_file_that_is_not_a_zip_nor_a_csv(client: TestClient) -> None:
    junk = {"files": ("eto.zip", b"PK\x03\x04 broken", "application/zip")}
    assert_error(client.post("/v1/imports/eto", files=junk, headers=AUTH), 400, "ImportFileError")
