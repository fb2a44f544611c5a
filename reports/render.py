"""Write a report file in one of the formats (HTML, PDF, Excel), atomically: a temp file renamed into place."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from baton.errors import UnsupportedFormatError
from reports.content import ReportContent

FORMATS = ("html", "pdf", "xlsx")


def render_bytes(content: ReportContent, fmt: str = "html") -> bytes:
    """The report as the bytes of one format (``html`` is UTF-8 text)."""
    return _renderer(fmt)(content)


def _renderer(fmt: str) -> Callable[[ReportContent], bytes]:
    if fmt == "html":
        from reports.html import render_html

        return lambda content: render_html(content).encode("utf-8")
    if fmt == "pdf":
        from reports.pdf import render_pdf

        return render_pdf
    if fmt == "xlsx":
        from reports.excel import render_xlsx

        return render_xlsx
    raise UnsupportedFormatError(f"report format {fmt!r} is unknown; use one of {list(FORMATS)}")


def write_report(content: ReportContent, path: str | Path, fmt: str = "html") -> Path:
    """Render ``content`` and write it to ``path``; a reader never sees a half-written file.

    The bytes go to a temporary file in the target folder, which is then renamed over ``path``; on any
    error the temporary file is removed and ``path`` is left as it was.

    Args:
        content: what the report says.
        path: the file to write (its folder must exist).
        fmt: ``html`` (self-contained, opens offline), ``pdf`` (vector, A4) or ``xlsx`` (formulas).

    Returns:
        The path written.

    Raises:
        UnsupportedFormatError: ``fmt`` is not one of FORMATS.
        FileNotFoundError: the target folder does not exist.
    """
    target = Path(path)
    data = render_bytes(content, fmt)
    if not target.parent.is_dir():
        raise FileNotFoundError(
            f"{target.parent}: no such folder for the report {target.name}; create it first"
        )
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
