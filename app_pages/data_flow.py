"""The Data page's logic without Streamlit: server files, previews, dry-run imports, uploads, log tables."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import python_calamine

from baton.api import Workspace, default_log_name, open_workspace
from baton.demo import DEMO_LOGS
from baton.errors import MalformedSourceError, UnsupportedFormatError
from baton.schema import MAPPING_KEYS, REQUIRED_KEYS
from baton.store import ImportReport, LogInfo
from baton.store.ingest import Progress
from connectors import SUFFIXES, detect_format
from connectors.base import SOURCE_ROW
from connectors.mapping import CONFIDENT_OPTIONAL, KeySuggestion, suggest_mapping
from connectors.ocel import list_object_types

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "sample_logs"
PREVIEW_ROWS = 20
#: Extensions for the upload widget (``.xes.gz`` is checked by the connector: the widget sees ``.gz``);
#: ``.json`` uploads are read as OCEL 2.0 JSON (see ``uploaded_copy``).
UPLOAD_TYPES = sorted({suffix.rsplit(".", 1)[-1] for suffix in SUFFIXES} | {"json"})
KEY_LABELS = {
    "case_id_key": "Case id",
    "activity_key": "Activity",
    "timestamp_key": "Timestamp (end)",
    "start_timestamp_key": "Start timestamp",
    "resource_key": "Resource",
    "lifecycle_key": "Lifecycle transition",
}


def data_dir() -> Path:
    """The server directory whose files can be imported: $BATON_DATA_DIR, else the project's sample_logs."""
    return Path(os.environ.get("BATON_DATA_DIR", str(SAMPLE_DIR))).expanduser()


def supported_files(directory: Path) -> list[Path]:
    """Files directly in ``directory`` whose suffix a connector reads, by name; none if it is missing."""
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.iterdir(), key=lambda p: p.name.lower()):
        try:
            detect_format(path)
        except UnsupportedFormatError:
            continue
        if path.is_file():
            found.append(path)
    return found


@dataclass(frozen=True, slots=True)
class SourcePreview:
    """A source as read, reduced to what the mapping step shows."""

    format: str
    rows: int
    columns: tuple[str, ...]
    head: pd.DataFrame
    suggestions: tuple[KeySuggestion, ...]
    default_mapping: dict[str, str]

    def initial_mapping(self) -> dict[str, str | None]:
        """Pre-filled choices: the format's mapping, else the suggestion (optional keys only if confident)."""
        chosen: dict[str, str | None] = {}
        for s in self.suggestions:
            column = self.default_mapping.get(s.key)
            if column is None and (s.key in REQUIRED_KEYS or s.confidence >= CONFIDENT_OPTIONAL):
                column = s.column
            chosen[s.key] = column if column in self.columns else None
        return chosen

    def suggestions_frame(self) -> pd.DataFrame:
        """One row per mapping key: suggested column, confidence and reason."""
        return pd.DataFrame(
            [(KEY_LABELS[s.key], s.column or "-", s.confidence, s.reason) for s in self.suggestions],
            columns=["key", "suggested column", "confidence", "reason"],
        )


@dataclass(frozen=True, slots=True)
class ReaderChoice:
    """A reader option to pick before a file can be read: an OCEL object type or a workbook's sheet."""

    option: str  # the reader keyword: "object_type" or "sheet"
    label: str
    values: tuple[str, ...]


def reader_choice(path: Path) -> ReaderChoice | None:
    """What must be chosen before ``path`` is read: OCEL object types, sheets of a multi-sheet workbook.

    Returns:
        None for formats read without a choice and for workbooks with one sheet.

    Raises:
        MalformedSourceError: an OCEL log without any object (nothing could become a case).
    """
    fmt = detect_format(path)
    if fmt == "ocel":
        types = tuple(list_object_types(path))
        if not types:
            raise MalformedSourceError(f"{path}: the OCEL log has no object types; no object can be a case")
        return ReaderChoice("object_type", "Object type (cases)", types)
    if fmt == "excel":
        sheets = sheet_names(path)
        return ReaderChoice("sheet", "Sheet", sheets) if len(sheets) > 1 else None
    return None


def sheet_names(path: Path) -> tuple[str, ...]:
    """The sheets of a workbook in file order; none if it cannot be opened (reading it then says why)."""
    try:
        with python_calamine.CalamineWorkbook.from_path(str(path)) as book:
            return tuple(book.sheet_names)
    except Exception:  # noqa: BLE001 - calamine raises unrelated types; the connector reports the cause
        return ()


def suggested_log_name(source: Path, reader_options: Mapping[str, str] | None = None) -> str:
    """The default log name: the file name without suffixes, plus ``_<object type>`` for an OCEL log."""
    base = default_log_name(source)
    object_type = (reader_options or {}).get("object_type")
    return f"{base}_{'_'.join(object_type.split())}" if object_type else base


def preview(ws: Workspace, path: Path, reader_options: Mapping[str, str] | None = None) -> SourcePreview:
    """Read ``path`` with ``reader_options`` (``object_type=``, ``sheet=``; nothing stored), suggest a mapping."""
    raw = ws.read(path, **(reader_options or {}))
    table = raw.table.drop_columns([SOURCE_ROW]) if SOURCE_ROW in raw.table.column_names else raw.table
    return SourcePreview(
        format=raw.format,
        rows=raw.table.num_rows,
        columns=tuple(table.column_names),
        head=table.slice(0, PREVIEW_ROWS).to_pandas(),
        suggestions=suggest_mapping(raw.table).keys,
        default_mapping=dict(raw.default_mapping),
    )


@dataclass(frozen=True, slots=True)
class ImportRequest:
    """What the user chose: reader options (OCEL object type, sheet), the mapping and the time zone."""

    mapping: tuple[tuple[str, str | None], ...]
    source_timezone: str = "UTC"
    reader_options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(
        cls,
        mapping: dict[str, str | None],
        source_timezone: str = "UTC",
        reader_options: Mapping[str, str] | None = None,
    ) -> ImportRequest:
        """A request from ``{key: column or None}`` (keys in ``MAPPING_KEYS`` order) and reader options."""
        options = tuple(sorted((reader_options or {}).items()))
        return cls(tuple((k, mapping.get(k)) for k in MAPPING_KEYS), source_timezone, options)

    def keywords(self) -> dict[str, str]:
        """The mapped keys as ``Workspace.import_file`` keywords (unmapped ones left out)."""
        return {k: v for k, v in self.mapping if v}

    def reader_kwargs(self) -> dict[str, str]:
        """The reader options as keywords for ``Workspace.read`` and ``Workspace.import_file``."""
        return dict(self.reader_options)


def dry_run(
    path: Path, request: ImportRequest, *, source_label: str | None = None, progress: Progress | None = None
) -> ImportReport:
    """Import ``path`` into a throwaway in-memory workspace and return its report; nothing is kept."""
    with open_workspace() as scratch:
        name = suggested_log_name(Path(source_label) if source_label else path, request.reader_kwargs())
        return run_import(scratch, path, name, request, source_label=source_label, progress=progress)


def run_import(
    ws: Workspace,
    path: Path,
    name: str,
    request: ImportRequest,
    *,
    source_label: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import ``path`` as log ``name`` (atomic; replaces a log of that name) with exactly the chosen mapping.

    ``source_label`` is stored as the log's source (an upload's file name, not its temporary copy).
    """
    return ws.import_file(
        path,
        name=name,
        source_timezone=request.source_timezone,
        progress=progress,
        exact_mapping=True,
        source_label=source_label,
        **request.keywords(),  # type: ignore[arg-type]
        **request.reader_kwargs(),  # type: ignore[arg-type]
    )


def findings_detail(report: ImportReport) -> pd.DataFrame:
    """Every reject reason and warning: severity, count, message and up to a few sample rows."""
    frame = report.to_frame()
    frame["samples"] = ["; ".join(_sample_text(sample) for sample in f.samples[:3]) for f in report.findings]
    return frame


def _sample_text(sample: dict[str, object]) -> str:
    raw = sample.get("raw")
    if isinstance(raw, dict):
        values = {k: v for k, v in raw.items() if k != SOURCE_ROW}
        return f"row {sample.get('row')}: {values}"
    return ", ".join(f"{k}={v}" for k, v in sample.items())


@contextmanager
def uploaded_copy(filename: str, data: bytes) -> Iterator[Path]:
    """An upload written to a temporary file with its original name and suffix; removed on exit.

    A ``.json`` upload is written as ``.jsonocel`` (OCEL 2.0 JSON; the connectors know no other JSON).
    """
    name = Path(filename.replace("\\", "/")).name.strip() or "upload"
    name = name + "ocel" if name.lower().endswith(".json") else name
    with tempfile.TemporaryDirectory(prefix="baton-upload-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        yield path


def friendly_message(message: str, path: Path, shown_as: str) -> str:
    """An error message with a temporary file's path replaced by the name the user knows."""
    return message.replace(str(path), shown_as)


def logs_frame(infos: list[LogInfo]) -> pd.DataFrame:
    """The catalog with provenance, one row per log."""
    rows = [
        {
            "name": i.name,
            "source": i.source,
            "format": i.source_format,
            "imported at": i.imported_at,
            "rows read": i.rows_read,
            "rows loaded": i.rows_loaded,
            "rows rejected": i.rows_rejected,
            "events": i.events,
            "cases": i.cases,
            "checksum": i.checksum[:12],
        }
        for i in infos
    ]
    return pd.DataFrame(rows)


def rejects_csv(ws: Workspace, name: str) -> bytes:
    """The rejected source rows of a log as CSV: source row, reason, detail and the raw values."""
    return ws.rejects(name).to_pandas().to_csv(index=False).encode("utf-8")


def import_demo(ws: Workspace, sample_dir: Path = SAMPLE_DIR) -> list[ImportReport]:
    """Import the demo logs (``baton.demo.DEMO_LOGS``) from ``sample_dir`` into ``ws``."""
    return [ws.import_file(sample_dir / file, name=name) for name, file in DEMO_LOGS.items()]
