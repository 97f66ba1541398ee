"""Uploaded files onto disk, safely, for the importers (which read files by path).

An upload is untrusted: its file name may hold a path (`../../etc/x`), a zip may hold entries that
climb out of the target directory or unpack to gigabytes. Here every name is reduced to a plain
file name, only the files an importer reads are taken out of a zip, and sizes are bounded. Error
messages name files as the user sent them, never by the server's temporary paths.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from techgraph.graph.errors import TechgraphError
from techgraph.ingest.importing import ImportFileError

from .deps import PayloadTooLarge

CHUNK = 1024 * 1024
# A zip may unpack to this many times the upload limit (CSV compresses about 5 to 10 times).
ZIP_EXPANSION = 4
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(filename: str | None, default: str) -> str:
    """The last component of an uploaded file's name, reduced to `[A-Za-z0-9._-]`; `default`
    when nothing usable is left. The importers cite it in provenance (`dataset:<name>`)."""
    base = PurePosixPath((filename or "").replace("\\", "/")).name
    cleaned = _UNSAFE.sub("-", base).strip(".-")[:100]
    return cleaned or default


def save(stream: BinaryIO, target: Path, limit: int) -> int:
    """Copy an upload to `target`, refusing more than `limit` bytes in all."""
    written = 0
    with target.open("wb") as out:
        while chunk := stream.read(CHUNK):
            written += len(chunk)
            if written > limit:
                raise PayloadTooLarge(
                    f"the upload is larger than {limit // (1024 * 1024)} MiB "
                    "(TECHGRAPH_MAX_UPLOAD_MB)."
                )
            out.write(chunk)
    return written


def extract_wanted(archive: Path, directory: Path, wanted: Iterable[str], limit: int) -> list[str]:
    """Take the files named in `wanted` out of a zip (from any folder in it) into `directory`.

    Returns the names found. Entries are matched by their last path component only and written
    under that name, so no entry can land outside `directory`; two entries of the same wanted
    name are refused rather than one silently chosen."""
    wanted = set(wanted)
    try:
        with zipfile.ZipFile(archive) as zf:
            chosen: dict[str, zipfile.ZipInfo] = {}
            for info in zf.infolist():
                name = PurePosixPath(info.filename.replace("\\", "/")).name
                if info.is_dir() or name not in wanted or info.filename.startswith("__MACOSX/"):
                    continue
                if name in chosen:
                    raise ImportFileError(
                        f"the zip holds {name} twice ({chosen[name].filename} and "
                        f"{info.filename}); keep one."
                    )
                chosen[name] = info
            total = sum(i.file_size for i in chosen.values())
            if total > limit * ZIP_EXPANSION:
                raise PayloadTooLarge(
                    f"the zip unpacks to {total // (1024 * 1024)} MiB, more than "
                    f"{ZIP_EXPANSION} times TECHGRAPH_MAX_UPLOAD_MB."
                )
            for name, info in chosen.items():
                with zf.open(info) as src, (directory / name).open("wb") as dst:
                    # The sizes in a zip's directory can lie: count what really comes out.
                    copied = 0
                    while chunk := src.read(CHUNK):
                        copied += len(chunk)
                        if copied > info.file_size:
                            raise ImportFileError(f"the zip entry {info.filename} is damaged.")
                        dst.write(chunk)
            return sorted(chosen)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise ImportFileError(f"the upload is not a zip file that can be read ({exc}).") from None
    except RuntimeError as exc:  # an encrypted entry
        raise ImportFileError(f"the zip cannot be read ({exc}); send it unencrypted.") from None


def is_zip(path: Path) -> bool:
    return zipfile.is_zipfile(path)


def scrub(text: str, directory: Path) -> str:
    """`text` with the temporary directory's path taken out, so messages name files as sent."""
    for form in {str(directory) + "/", str(directory.resolve()) + "/"}:
        text = text.replace(form, "")
    for form in {str(directory), str(directory.resolve())}:
        text = text.replace(form, "the upload")
    return text


def scrub_error(exc: TechgraphError, directory: Path) -> TechgraphError:
    exc.message = scrub(exc.message, directory)
    exc.args = (exc.message,)
    return exc


def remove(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
