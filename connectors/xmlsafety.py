"""Refuse XML that declares a DTD or entities (XXE) before any parser sees the file; gzip aware."""

from __future__ import annotations

import gzip
import io
import zlib
from contextlib import ExitStack
from pathlib import Path
from typing import IO, BinaryIO, cast
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from baton.errors import MalformedSourceError, UnsafeSourceError

GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: Path) -> bool:
    """True when the file starts with the gzip magic bytes (whatever its name says)."""
    with path.open("rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def open_xml_bytes(path: Path) -> IO[bytes]:
    """Open a file for reading as bytes, decompressing it on the fly when it is gzip."""
    return cast(IO[bytes], gzip.open(path, "rb")) if is_gzip(path) else path.open("rb")


def reject_dtd(path_or_stream: str | Path | BinaryIO, *, source_name: str) -> str:
    """Scan an XML source up to its first start tag and refuse any DTD or entity declaration.

    Only the prolog is read (a few kB), so this costs about a millisecond even on large files.
    Gzip-compressed sources are recognised by their magic bytes. A seekable stream is rewound to
    where it was, so the caller can parse it afterwards.

    Args:
        path_or_stream: a file path or a binary stream holding XML (plain or gzip).
        source_name: the name to show in error messages (usually the file name).

    Returns:
        The local name of the root element (namespace removed), e.g. ``"log"``.

    Raises:
        UnsafeSourceError: the XML declares a DOCTYPE / DTD or entities.
        MalformedSourceError: the source is empty, not XML, or a truncated/corrupt gzip.

    Example:
        >>> reject_dtd(io.BytesIO(b"<log><trace/></log>"), source_name="demo.xes")
        'log'
    """
    with ExitStack() as stack:
        if isinstance(path_or_stream, str | Path):
            raw: BinaryIO = stack.enter_context(Path(path_or_stream).open("rb"))
            start = None
        else:
            raw = path_or_stream
            start = raw.tell() if raw.seekable() else None
        try:
            return _scan_prolog(raw, source_name)
        finally:
            if start is not None:
                raw.seek(start)


def _scan_prolog(raw: BinaryIO, source_name: str) -> str:
    """Return the root element's local name, reading only up to the first start tag."""
    head = raw.read(2)
    if not head:
        raise MalformedSourceError(f"{source_name}: the file is empty; expected an XML document")
    stream: IO[bytes] = io.BufferedReader(_Prefixed(head, raw))  # type: ignore[arg-type]
    if head == GZIP_MAGIC:
        stream = cast(IO[bytes], gzip.GzipFile(fileobj=stream, mode="rb"))
    try:
        for _event, element in iterparse(stream, events=("start",), forbid_dtd=True):
            return str(element.tag).rsplit("}", 1)[-1]
    except DefusedXmlException as exc:
        raise UnsafeSourceError(
            f"{source_name}: the XML declares a DTD or entities (<!DOCTYPE ...> / <!ENTITY ...>), which "
            "Baton refuses for safety (XML external entity attacks, XXE, can leak local files); "
            "remove the DOCTYPE declaration from the top of the file (or re-export it without one) "
            "and import again"
        ) from exc
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise MalformedSourceError(
            f"{source_name}: the gzip file is truncated or corrupt ({exc}); re-download or re-export it"
        ) from exc
    except ParseError as exc:
        if "no element found: line 1, column 0" in str(exc):
            raise MalformedSourceError(
                f"{source_name}: the file holds no XML (it is empty after decompression)"
            ) from exc
        raise MalformedSourceError(
            f"{source_name}: not well-formed XML ({exc}); expected an XML document - check that "
            "the file is not binary, truncated or of another format"
        ) from exc
    raise MalformedSourceError(f"{source_name}: no XML element found; expected an XML document")


class _Prefixed(io.RawIOBase):
    """A raw stream that replays bytes already read, then continues with the wrapped stream."""

    def __init__(self, prefix: bytes, rest: BinaryIO) -> None:
        self._prefix = prefix
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
