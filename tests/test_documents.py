"""Reading documents (ingest/documents.py): formats, stdin, and every kind of bad input."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from techgraph.ingest import documents
from techgraph.ingest.documents import (
    Document,
    DocumentError,
    Skipped,
    discover,
    fallback_html_text,
    read,
    read_documents,
)

FIXTURES = Path(__file__).parent / "fixtures" / "docs"
PAGE = FIXTURES / "page.html"


def make_pdf(path: Path, lines: list[str] | None) -> Path:
    """A one-page PDF: with a text layer showing `lines`, or a blank page (like a scan)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=612, height=792)
    if lines:
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
        )
        ops = ["BT", "/F1 12 Tf", "72 720 Td", "14 TL"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def only(path: Path | str) -> Document | DocumentError | Skipped:
    [item] = list(read_documents([path]))
    return item


def error_of(path: Path | str) -> str:
    item = only(path)
    assert isinstance(item, DocumentError), item
    return item.reason


# -- what is read -------------------------------------------------------------------------------


def test_text_and_markdown_are_read_verbatim(tmp_path: Path) -> None:
    text = "# Brief\n\nHuawei supplies China Mobile.\r\nÉtude: ASML.\n"
    path = tmp_path / "brief.md"
    path.write_bytes(text.encode("utf-8"))
    item = only(path)
    assert isinstance(item, Document)
    assert item.text == text  # offsets point into the file as written
    assert item.key == str(path.resolve()) and item.name == "brief.md"
    assert item.content_sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert item.format == "markdown"


def test_the_key_is_the_absolute_path_however_it_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.txt").write_text("Huawei.")
    monkeypatch.chdir(tmp_path)
    relative = only("a.txt")
    absolute = only(tmp_path / "a.txt")
    assert isinstance(relative, Document) and isinstance(absolute, Document)
    assert relative.key == absolute.key == str((tmp_path / "a.txt").resolve())
    assert relative.path == "a.txt"  # shown as the user typed it


def test_bom_and_utf16_are_decoded(tmp_path: Path) -> None:
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbfHuawei supplies ASML.")
    (tmp_path / "u16.txt").write_bytes("Huawei supplies ASML.".encode("utf-16"))
    for name in ("bom.txt", "u16.txt"):
        item = only(tmp_path / name)
        assert isinstance(item, Document) and item.text == "Huawei supplies ASML."


def test_html_main_text_drops_navigation_scripts_and_styles() -> None:
    item = only(PAGE)
    assert isinstance(item, Document) and item.format == "html"
    assert "The Netherlands restricts exports of EUV lithography to China." in item.text
    assert "The United States cooperates with the Netherlands" in item.text
    for boilerplate in ("Home", "Intel", "Samsung", "font-family", "TSMC", "Cookie", "Qualcomm"):
        assert boilerplate not in item.text, boilerplate
    # Paragraphs stay apart, so the heading is not glued to the first sentence.
    assert "\n\n" in item.text


def test_html_fallback_parser_without_trafilatura(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(documents, "_trafilatura_text", lambda html: None)
    item = only(PAGE)
    assert isinstance(item, Document)
    assert "The Netherlands restricts exports of EUV lithography to China." in item.text
    for boilerplate in ("Home", "Intel", "Samsung", "font-family", "TSMC", "Cookie", "Qualcomm"):
        assert boilerplate not in item.text, boilerplate
    # Without <main>/<article>, everything outside navigation and scripts is the text.
    bare = "<html><body><nav>Menu</nav><p>Huawei supplies ASML.</p><script>x()</script></body>"
    assert fallback_html_text(bare).strip() == "Huawei supplies ASML."


def test_html_in_its_declared_charset(tmp_path: Path) -> None:
    html = (
        '<html><head><meta charset="windows-1252"></head><body><p>Soci\xe9t\xe9 G\xe9n\xe9rale '
        "supplies ASML with capital, and more words here.</p></body></html>"
    )
    path = tmp_path / "page.htm"
    path.write_bytes(html.encode("cp1252"))
    item = only(path)
    assert isinstance(item, Document) and "Société Générale" in item.text


def test_html_with_no_main_text(tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    path.write_text("<html><head><script>var a = 1;</script></head><body></body></html>")
    assert "no main text" in error_of(path)


def test_pdf_text_layer(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "brief.pdf", ["Huawei supplies China Mobile.", "ASML (NL)."])
    item = only(path)
    assert isinstance(item, Document) and item.format == "pdf"
    assert "Huawei supplies China Mobile." in item.text and "ASML (NL)." in item.text
    assert item.content_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_stdin_is_keyed_by_its_content() -> None:
    data = b"Huawei supplies China Mobile."
    [source] = discover(["-", "-"])  # stdin can be read once
    item = read(source, io.BytesIO(data))
    assert isinstance(item, Document)
    assert item.key == hashlib.sha256(data).hexdigest() == item.content_sha256
    assert item.name == "<stdin>" and item.path == "-" and item.text == data.decode()
    html = read(source, io.BytesIO(PAGE.read_bytes()))
    assert isinstance(html, Document) and html.format == "html" and "Intel" not in html.text


def test_stdin_on_a_terminal_is_not_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.BytesIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal(b""))
    [source] = discover(["-"])
    item = read(source)
    assert isinstance(item, DocumentError)
    assert item.reason.startswith("standard input is a terminal, not a document")


# -- directories ----------------------------------------------------------------------------------


def test_directories_are_walked_recursively_in_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.md").write_text("Z.")
    (tmp_path / "a.txt").write_text("A.")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG...")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD.txt").write_text("hidden")
    (tmp_path / ".notes.txt").write_text("hidden")
    found = discover([tmp_path, tmp_path / "a.txt"])  # a.txt twice: once
    # A directory's own files first (sorted), then its sub-directories (sorted).
    assert [(type(f).__name__, f.name) for f in found] == [
        ("Source", "a.txt"),
        ("Skipped", "logo.png"),
        ("Source", "z.md"),
    ]
    skipped = found[1]
    assert isinstance(skipped, Skipped) and skipped.suffix == ".png"


def test_a_named_file_of_another_type_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "report.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "README").write_text("x")
    assert "unsupported file type .docx" in error_of(tmp_path / "report.docx")
    assert "unsupported file type (no extension)" in error_of(tmp_path / "README")


# -- bad input ------------------------------------------------------------------------------------


def test_empty_and_blank_files(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text("  \n\t\n")
    assert error_of(tmp_path / "empty.txt") == "empty file"
    assert error_of(tmp_path / "blank.md") == "no text (only white space)"


def test_binary_files(tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_bytes(b"abc\x00\x01\x02def")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\nrest")
    (tmp_path / "doc.md").write_bytes(b"%PDF-1.7 rest")
    assert error_of(tmp_path / "data.txt") == "binary file (it contains NUL bytes), not text"
    assert error_of(tmp_path / "image.txt") == "binary file (a PNG image), not text"
    assert error_of(tmp_path / "doc.md") == "binary file (a PDF), not text"


def test_invalid_utf8_says_where(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"Huawei supplies\nSoci\xe9t\xe9 G\xe9n\xe9rale.")
    reason = error_of(path)
    assert reason == "invalid UTF-8 at byte 20 (line 2, byte 0xe9); save it as UTF-8"


def test_a_huge_file_is_refused_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as fh:  # 100 MB + 1 byte, sparse: no disk used, nothing to read
        fh.truncate(100 * 1024 * 1024 + 1)

    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", no_open)
    assert error_of(huge) == ("file of 100 MB is over the 10 MB limit for text documents; split it")


def test_the_limit_holds_for_stdin_and_pdf_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(documents, "MAX_TEXT_BYTES", 100)
    [source] = discover(["-"])
    stream = io.BytesIO(b"x" * 10_000)
    item = read(source, stream)
    assert isinstance(item, DocumentError) and "over the limit" in item.reason
    assert stream.tell() == 101  # read one byte past the limit, no more
    pdf = make_pdf(tmp_path / "long.pdf", ["Huawei supplies China Mobile. " * 3] * 5)
    assert "text layer is over the 100 bytes limit" in error_of(pdf)
    (tmp_path / "big.txt").write_text("y" * 101)
    assert "over the 100 bytes limit" in error_of(tmp_path / "big.txt")


def test_a_pdf_without_a_text_layer(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "scan.pdf", None)
    assert error_of(path) == (
        "PDF without a text layer (1 page, no text: a scan?); run OCR on it first (e.g. ocrmypdf)"
    )


def test_a_damaged_pdf(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    assert error_of(path).startswith("not a readable PDF")


def test_unreadable_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert error_of(tmp_path / "missing.md") == "no such file or directory"
    locked = tmp_path / "locked.txt"
    locked.write_text("Huawei.")
    original = Path.open

    def deny(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", deny)
    assert error_of(locked) == "permission denied (cannot read it)"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_file_without_read_permission(tmp_path: Path) -> None:
    locked = tmp_path / "locked.txt"
    locked.write_text("Huawei.")
    locked.chmod(0)
    try:
        assert error_of(locked) == "permission denied (cannot read it)"
    finally:
        locked.chmod(0o644)


def test_a_directory_of_good_and_bad_files(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("Huawei supplies China Mobile.")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x00")
    (tmp_path / "bad.txt").write_bytes(b"\xff")
    make_pdf(tmp_path / "scan.pdf", None)
    items = list(read_documents([tmp_path]))
    by_name = {i.name: i for i in items}
    assert isinstance(by_name["good.md"], Document)
    reasons = {n: i.reason for n, i in by_name.items() if isinstance(i, DocumentError)}
    assert set(reasons) == {"empty.txt", "bin.txt", "bad.txt", "scan.pdf"}
    assert reasons["bad.txt"].startswith("invalid UTF-8 at byte 0")
