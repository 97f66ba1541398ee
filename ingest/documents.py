"""Reading the documents `techgraph ingest` is given: files, directories and stdin, as text.

Each input becomes either a `Document` (its key, name, path, text and the sha256 of its bytes) or
a `DocumentError` that says in one phrase why it cannot be read. One bad file never stops the
others: the pipeline ingests the documents and the CLI lists the errors by name.

What is read:

- `.txt` and `.md`: the UTF-8 text as it is (a BOM is dropped; UTF-16 with a BOM is decoded), so
  that the character offsets stored with every fact point into the file a reviewer opens.
- `.html` / `.htm`: the main text only, without navigation, headers, footers, scripts or styles:
  trafilatura (a maintained boilerplate remover) when it is installed and finds text, else a
  small standard-library parser that drops those elements. Paragraphs are separated by a blank
  line so that headings do not run into the next sentence. Offsets then refer to this text.
- `.pdf`: the text layer, page by page (pypdf). A scan without one is refused: OCR it first.
- `-`: standard input, as plain text (as HTML when it starts like an HTML page).

Size: a document is refused, not truncated, when its file is over `MAX_TEXT_BYTES` (text and
HTML) or `MAX_PDF_BYTES` (PDF, whose images weigh more than their text), or when the text it
yields is over `MAX_TEXT_BYTES` as UTF-8. The size is checked with stat() before anything is
read, and reads stop one byte past the limit (stdin and files that grow), so a 100 MB file costs
nothing. Ingesting part of a document would store facts that look complete but are not.

Directories are walked recursively in sorted order, without following symbolic links to
directories (no cycles) and without hidden files or directories (`.git`, `.DS_Store`). Files of
other types found there are skipped and counted (`Skipped`), not errors: a folder of saved web
pages holds images, scripts and styles beside its HTML. A file of another type named explicitly
is an error.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import logging
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO

# Limits, read when a document is read (tests lower them with monkeypatch).
MAX_TEXT_BYTES = 10 * 1024 * 1024
MAX_PDF_BYTES = 100 * 1024 * 1024

STDIN = "-"
TEXT_SUFFIXES = {".txt": "text", ".md": "markdown", ".markdown": "markdown"}
HTML_SUFFIXES = {".html": "html", ".htm": "html"}
PDF_SUFFIXES = {".pdf": "pdf"}
FORMATS = {**TEXT_SUFFIXES, **HTML_SUFFIXES, **PDF_SUFFIXES}
SUPPORTED = ", ".join(sorted(FORMATS))

# Like git: a NUL byte in the first 8,000 bytes means the file is not text.
BINARY_SNIFF_BYTES = 8000
# Well-known signatures, so that the error can say what the file is.
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF"),
    (b"PK\x03\x04", "a ZIP archive (or .docx/.xlsx/.epub)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "an executable"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.doc/.xls)"),
)
_HTML_START = re.compile(rb"^\s*(?:<!doctype\s+html|<html[\s>])", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


@dataclass(frozen=True)
class Document:
    """One readable document.

    `key` identifies it across runs (docs/extraction.md): the absolute path of a file, or for
    stdin the sha256 of its content. `content_sha256` is the sha256 of the bytes as read, which
    the pipeline compares with the stored Document node to skip unchanged documents before any
    extraction.
    """

    key: str
    name: str
    path: str
    text: str
    content_sha256: str
    format: str


@dataclass(frozen=True)
class DocumentError:
    """A document that cannot be ingested, and why, in words a user can act on."""

    name: str
    path: str
    reason: str


@dataclass(frozen=True)
class Skipped:
    """A file of an unsupported type met while walking a directory (not a failure)."""

    name: str
    path: str
    suffix: str


@dataclass(frozen=True)
class Source:
    """One input found by `discover`, not read yet: a path, or stdin."""

    path: Path | None  # None for stdin
    display: str

    @property
    def name(self) -> str:
        return "<stdin>" if self.path is None else self.path.name


Found = Source | DocumentError | Skipped
Read = Document | DocumentError | Skipped


class _Refused(Exception):
    """Raised while reading one document; becomes its DocumentError."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- finding documents -------------------------------------------------------------------------


def discover(paths: Iterable[str | Path]) -> list[Found]:
    """Expand the given paths into the documents to read, in order, each key once.

    Cheap (no file is opened), so the caller knows how many documents there are before reading
    them; a path that does not exist or cannot be listed becomes an error here.
    """
    found: list[Found] = []
    seen: set[str] = set()
    stdin_taken = False
    for raw in paths:
        text = str(raw)
        if text == STDIN:
            if not stdin_taken:
                found.append(Source(None, STDIN))
                stdin_taken = True
            continue
        path = Path(text).expanduser()
        for item in _expand(path, text):
            if isinstance(item, Source) and item.path is not None:
                key = str(item.path.resolve())
                if key in seen:
                    continue
                seen.add(key)
            found.append(item)
    return found


def _expand(path: Path, display: str) -> Iterator[Found]:
    try:
        is_dir = path.is_dir()
        exists = is_dir or path.exists() or path.is_symlink()
    except OSError as exc:
        yield DocumentError(path.name or display, display, _os_reason(exc))
        return
    if not exists:
        yield DocumentError(path.name or display, display, "no such file or directory")
        return
    if not is_dir:
        suffix = path.suffix.lower()
        if suffix not in FORMATS:
            what = f"type {suffix}" if suffix else "type (no extension)"
            yield DocumentError(
                path.name, display, f"unsupported file {what}; techgraph reads {SUPPORTED}"
            )
            return
        yield Source(path, display)
        return
    errors: list[OSError] = []
    walked = os.walk(path, onerror=errors.append, followlinks=False)
    for root, dirs, files in walked:
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            file = Path(root) / name
            shown = str(file)
            suffix = file.suffix.lower()
            if suffix not in FORMATS:
                yield Skipped(name, shown, suffix or "(none)")
            else:
                yield Source(file, shown)
        yield from _walk_errors(errors, path)
    yield from _walk_errors(errors, path)


def _walk_errors(errors: list[OSError], top: Path) -> Iterator[DocumentError]:
    """Directories os.walk could not list, as errors (it reports them through onerror)."""
    while errors:
        exc = errors.pop(0)
        where = str(getattr(exc, "filename", None) or top)
        yield DocumentError(Path(where).name, where, _os_reason(exc))


def read_documents(paths: Iterable[str | Path], stdin: BinaryIO | None = None) -> Iterator[Read]:
    """Every document under the paths, read one at a time (see `discover` and `read`)."""
    for item in discover(paths):
        yield read(item, stdin) if isinstance(item, Source) else item


# -- reading one document ----------------------------------------------------------------------


def read(source: Source, stdin: BinaryIO | None = None) -> Document | DocumentError:
    """Read one document; every problem becomes a DocumentError, never an exception."""
    try:
        if source.path is None:
            if stdin is None and sys.stdin.isatty():
                # Reading would wait for the user to type: say what was probably meant.
                raise _Refused(
                    "standard input is a terminal, not a document; pipe one in "
                    "(techgraph ingest - < brief.txt)"
                )
            return _read_stdin(stdin if stdin is not None else sys.stdin.buffer)
        return _read_file(source.path, source.display)
    except _Refused as exc:
        return DocumentError(source.name, source.display, exc.reason)
    except OSError as exc:
        return DocumentError(source.name, source.display, _os_reason(exc))


def _read_stdin(stream: BinaryIO) -> Document:
    data = _read_bounded(stream, MAX_TEXT_BYTES)
    fmt = "html" if _HTML_START.match(data[:1024]) else "text"
    text = _html_text(data) if fmt == "html" else _decode_text(data)
    digest = hashlib.sha256(data).hexdigest()
    # The key of stdin is its content: the same text piped twice is the same document.
    return Document(
        key=digest, name="<stdin>", path=STDIN, text=text, content_sha256=digest, format=fmt
    )


def _read_file(path: Path, display: str) -> Document:
    fmt = FORMATS[path.suffix.lower()]
    limit = MAX_PDF_BYTES if fmt == "pdf" else MAX_TEXT_BYTES
    st = path.stat()
    if st.st_size > limit:
        raise _Refused(
            f"file of {_size(st.st_size)} is over the {_size(limit)} limit for "
            f"{'PDF' if fmt == 'pdf' else 'text'} documents; split it"
        )
    with path.open("rb") as fh:
        data = _read_bounded(fh, limit)
    if fmt == "pdf":
        text = _pdf_text(data)
    elif fmt == "html":
        text = _html_text(data)
    else:
        text = _decode_text(data)
    return Document(
        key=str(path.resolve()),
        name=path.name,
        path=display,
        text=text,
        content_sha256=hashlib.sha256(data).hexdigest(),
        format=fmt,
    )


def _read_bounded(stream: BinaryIO, limit: int) -> bytes:
    """At most limit + 1 bytes: enough to know the input is too large, never more."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise _Refused(f"more than {_size(limit)}, over the limit for one document; split it")
    if not data:
        raise _Refused("empty file")
    return data


def _check_text_size(text: str) -> str:
    if not text.strip():
        raise _Refused("no text (only white space)")
    if len(text) > MAX_TEXT_BYTES or len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise _Refused(f"its text is over the {_size(MAX_TEXT_BYTES)} limit for one document")
    return text


def _decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), or UTF-16 with a BOM; anything else is refused."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _check_text_size(data.decode("utf-16"))
        except UnicodeDecodeError:
            raise _Refused("invalid UTF-16 after a UTF-16 byte-order mark") from None
    _refuse_binary(data)
    return _check_text_size(_utf8(data))


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex()
        raise _Refused(
            f"invalid UTF-8 at byte {exc.start} (line {line}, byte 0x{bad}); save it as UTF-8"
        ) from None


def _refuse_binary(data: bytes) -> None:
    for magic, what in MAGIC:
        if data.startswith(magic):
            raise _Refused(f"binary file ({what}), not text")
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        raise _Refused("binary file (it contains NUL bytes), not text")


# -- HTML --------------------------------------------------------------------------------------


def _html_text(data: bytes) -> str:
    _refuse_binary(data)
    try:
        html = _utf8(data)
    except _Refused:
        # Pages often declare another charset (<meta charset="windows-1252">); honour it.
        declared = _META_CHARSET.search(data[:4096])
        if declared is None:
            raise
        try:
            html = data.decode(declared.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            raise _Refused(
                f"cannot decode it as UTF-8 nor as its declared charset "
                f"{declared.group(1).decode('ascii', 'replace')}"
            ) from None
    text = _paragraphs(html_main_text(html))
    if not text.strip():
        raise _Refused("no main text in the HTML page (only navigation, scripts or markup)")
    return _check_text_size(text)


def html_main_text(html: str) -> str:
    """The main text of an HTML page: trafilatura's, else the fallback parser's."""
    text = _trafilatura_text(html)
    if text and text.strip():
        return text
    return fallback_html_text(html)


def _trafilatura_text(html: str) -> str | None:
    try:
        import trafilatura
    except ImportError:  # not installed, or its lxml lacks the html-clean part
        return None
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    try:
        result = trafilatura.extract(
            html,
            include_comments=False,
            include_tables=True,
            include_links=False,
            include_images=False,
            favor_recall=True,
            deduplicate=False,
            with_metadata=False,
        )
    except Exception:  # a parser failure on odd markup: the fallback still reads the page
        return None
    return result if isinstance(result, str) else None


def _paragraphs(text: str) -> str:
    """One paragraph per line, separated by blank lines: sentence splitters then keep a heading
    or a list item out of the next sentence."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n\n".join(line for line in lines if line)


# Elements whose text is never main text.
_SKIP = frozenset(
    {"script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside",
     "form", "button", "select", "iframe", "head", "title", "menu", "dialog"}
)  # fmt: skip
_BLOCK = frozenset(
    {"p", "div", "section", "article", "main", "li", "ul", "ol", "table", "tr", "td", "th",
     "h1", "h2", "h3", "h4", "h5", "h6", "br", "hr", "blockquote", "pre", "dd", "dt", "dl",
     "figcaption", "caption", "body"}
)  # fmt: skip
_MAIN = frozenset({"main", "article"})


class _MainTextParser(HTMLParser):
    """Text outside navigation, scripts and styles; only that of <main>/<article> if any."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip_depth = 0
        self.main_depth = 0
        self.all: list[str] = []
        self.main: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag in _MAIN:
            self.main_depth += 1
        if tag in _BLOCK:
            self._text("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self._text("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _MAIN:
            self.main_depth = max(0, self.main_depth - 1)
        if tag in _BLOCK:
            self._text("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self._text(data)

    def _text(self, data: str) -> None:
        self.all.append(data)
        if self.main_depth:
            self.main.append(data)


def fallback_html_text(html: str) -> str:
    """The standard-library reading of a page, used when trafilatura is absent or finds nothing."""
    parser = _MainTextParser()
    parser.feed(html)
    parser.close()
    main = "".join(parser.main)
    return main if main.strip() else "".join(parser.all)


# -- PDF ---------------------------------------------------------------------------------------


def _pdf_text(data: bytes) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:
        raise _Refused("reading PDFs needs pypdf (pip install pypdf)") from None
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise _Refused("encrypted PDF; save an unprotected copy")
        pages: list[str] = []
        size = 0
        for page in reader.pages:
            text = (page.extract_text() or "").strip()
            size += len(text) + 2
            if size > MAX_TEXT_BYTES:
                raise _Refused(
                    f"its text layer is over the {_size(MAX_TEXT_BYTES)} limit for one "
                    "document; split it"
                )
            pages.append(text)
    except _Refused:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _Refused(f"not a readable PDF ({detail})") from None
    except Exception as exc:  # pypdf raises assorted errors on damaged files
        raise _Refused(f"not a readable PDF ({type(exc).__name__})") from None
    text = "\n\n".join(p for p in pages if p)
    if not text.strip():
        raise _Refused(
            f"PDF without a text layer ({len(pages)} page{'s' if len(pages) != 1 else ''}, no "
            "text: a scan?); run OCR on it first (e.g. ocrmypdf)"
        )
    return _check_text_size(text)


# -- wording -----------------------------------------------------------------------------------


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied (cannot read it)"
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    return f"cannot read it ({exc.strerror or type(exc).__name__})"


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if n >= 1024:
        return f"{n / 1024:.1f} KB".replace(".0 KB", " KB")
    return f"{n} bytes"
