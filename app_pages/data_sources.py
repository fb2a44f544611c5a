"""The Data page's source step: choosing an upload or server file, and its reader options (object type, sheet)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from app_pages.data_flow import (
    UPLOAD_TYPES,
    ReaderChoice,
    data_dir,
    reader_choice,
    supported_files,
    uploaded_copy,
)

_UPLOAD = "Upload a file"
_SERVER = "A file on the server"


@dataclass(frozen=True, slots=True)
class Source:
    """The file the user chose: an upload (bytes) or a server path."""

    label: str
    key: str
    data: bytes | None = None
    path: Path | None = None


@contextmanager
def local_path(source: Source) -> Iterator[Path]:
    """A path to read: the server file itself, or the upload copied to a temporary file (removed after)."""
    if source.path is not None:
        yield source.path
        return
    with uploaded_copy(source.label, source.data or b"") as path:
        yield path


def choose_source() -> Source | None:
    """An upload widget or a server file list; the chosen file, or None while nothing is chosen."""
    origin = st.radio("Source", [_UPLOAD, _SERVER], horizontal=True, key="origin")
    if origin == _UPLOAD:
        limit = st.get_option("server.maxUploadSize")
        upload = st.file_uploader(
            "CSV, Excel, Parquet, XES (.xes, .xes.gz) or OCEL 2.0 (JSON, XML, SQLite)",
            type=UPLOAD_TYPES,
            key=f"upload_{st.session_state.get('upload_round', 0)}",
        )
        st.caption(f"Files up to {limit:,} MB. Larger files: run `baton import FILE` on the server.")
        if upload is None:
            return None
        return Source(upload.name, f"upload:{upload.file_id}:{upload.size}", data=upload.getvalue())
    folder = data_dir()
    files = supported_files(folder)
    if not files:
        st.info(f"No supported files in {folder} (set BATON_DATA_DIR to another directory).")
        return None
    path = st.selectbox(f"File in {folder}", files, format_func=lambda p: p.name, key="server_file")
    stat = path.stat()
    return Source(path.name, f"server:{path}:{stat.st_mtime_ns}:{stat.st_size}", path=path)


@st.cache_data(show_spinner="Reading the file...", max_entries=8)
def _choice(key: str, _path: Path) -> ReaderChoice | None:
    del key  # cache key only: upload id or server path and modification time
    return reader_choice(_path)


def choose_reader_options(source: Source, path: Path) -> dict[str, str]:
    """The reader options the file needs, picked before its preview: OCEL object type or workbook sheet.

    Raises:
        BatonError: the file cannot be read far enough to list its object types.
    """
    choice = _choice(source.key, path)
    if choice is None:
        return {}
    value = st.selectbox(
        choice.label,
        choice.values,
        key=f"reader_{choice.option}_{source.key}",
        help="Each object of this type becomes a case; its events are those related to it."
        if choice.option == "object_type"
        else "The workbook has several sheets; the log is read from this one.",
    )
    return {choice.option: str(value)}
