"""Cached target models and conformance results, keyed like `app_pages.state` plus the model's sha256 and settings.

A model is named by a JSON key: ``{"kind": "file", "path": ..., "sha256": ...}`` for a bundled or uploaded
file (a changed file gets a new key) or ``{"kind": "discovered", "noise": ...}`` for a model discovered from
the filtered log. Every result is cached by (workspace path, log name, import time, filter spec JSON, model
key, settings JSON), so switching tabs, moving the overlay slider or changing the calendar recomputes only
what depends on it. The page's tables (durations in human units) and settings keys are built here too, so
the page only draws.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

import analytics as an
from app_pages.state import Keys, filtered_log
from baton.errors import ModelError
from baton.filters import FilterSpec, VariantSelection
from baton.models.load import read_model
from baton.models.types import TargetModel

MODELS_DIR_ENV = "BATON_MODELS_DIR"
DEFAULT_MODELS_DIR = "sample_logs"
MODEL_SUFFIXES = (".bpmn", ".pnml", ".yaml", ".yml")
_ROOT = Path(__file__).resolve().parents[1]
KINDS = {
    "skipped": "skipped",
    "inserted": "inserted",
    "wrong_order": "wrong order",
    "replay_problem": "replay",
}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DURATIONS = {
    "waiting_median_us": "median waiting",
    "waiting_p90_us": "p90 waiting",
    "processing_median_us": "median processing",
    "processing_sum_us": "total processing",
}


def models_dir() -> Path:
    """The folder of bundled models: $BATON_MODELS_DIR, else ``sample_logs/`` (of the project when the
    working directory has none)."""
    folder = Path(os.environ.get(MODELS_DIR_ENV, DEFAULT_MODELS_DIR))
    if not folder.is_absolute() and not folder.is_dir() and (_ROOT / folder).is_dir():
        return _ROOT / folder
    return folder


def sample_models() -> list[Path]:
    """The model files (.bpmn .pnml .yaml .yml) in `models_dir`, sorted by name."""
    folder = models_dir()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in MODEL_SUFFIXES)


def file_model_key(path: Path) -> str:
    """The model key of a model file: its absolute path and the sha256 of its content."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return json.dumps({"kind": "file", "path": str(path.resolve()), "sha256": digest})


def upload_model_key(name: str, data: bytes) -> str:
    """Keep an uploaded model under the temp folder (by content hash, under its own file name); its key."""
    digest = hashlib.sha256(data).hexdigest()
    safe = re.sub(r"[^\w.\- ]", "_", Path(name).name).lstrip(".") or "model"  # never a path or ".."
    target = Path(tempfile.gettempdir()) / "baton-models" / digest / safe
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return json.dumps({"kind": "file", "path": str(target), "sha256": digest})


def discovered_model_key(noise_threshold: float) -> str:
    """The model key of the model discovered from the filtered log with this IMf noise threshold."""
    return json.dumps({"kind": "discovered", "noise": round(float(noise_threshold), 4)})


@st.cache_data(show_spinner="Reading the model...", max_entries=32)
def _read(path: str, sha256: str) -> TargetModel:
    del sha256  # cache key only: a changed file is read again
    return read_model(path)


@st.cache_data(show_spinner="Discovering a model (inductive miner)...", max_entries=32)
def _discover(keys: Keys, filters_json: str, noise: float) -> TargetModel:
    return an.discover_target_model(filtered_log(keys[0], keys[1], filters_json), noise_threshold=noise)


def target_model(keys: Keys, filters_json: str, model_key: str) -> TargetModel:
    """The target model named by ``model_key`` (cached).

    Raises:
        BatonError: the file cannot be read as a model (the message says why), or discovery failed.
    """
    ref = json.loads(model_key)
    if ref["kind"] == "discovered":
        return _discover(keys, filters_json, float(ref["noise"]))
    return _read(ref["path"], ref["sha256"])


@st.cache_data(show_spinner="Drawing the model...", max_entries=32)
def model_diagram(keys: Keys, filters_json: str, model_key: str) -> str:
    """The model as SVG: a BPMN file's own diagram where it has one, else the layered layout (cached)."""
    from app_pages.model_diagram import diagram_svg

    return diagram_svg(target_model(keys, filters_json, model_key))


@st.cache_data(show_spinner="Writing the model file...", max_entries=32)
def exported_model(keys: Keys, filters_json: str, model_key: str, fmt: str) -> bytes:
    """The model as a BPMN 2.0 (``fmt="bpmn"``) or PNML file's bytes."""
    model = target_model(keys, filters_json, model_key)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"model.{fmt}"
        (an.export_bpmn if fmt == "bpmn" else an.export_pnml)(model, path)
        return path.read_bytes()


def settings_json(alignment_budget_s: float, total_budget_s: float | None, cost_attribute: str) -> str:
    """The conformance settings as a cache key."""
    return json.dumps(
        {
            "alignment_budget_s": alignment_budget_s,
            "total_budget_s": total_budget_s,
            "cost_attribute": cost_attribute,
        },
        sort_keys=True,
    )


@st.cache_data(show_spinner="Checking conformance (replaying and aligning each variant)...", max_entries=32)
def conformance(keys: Keys, filters_json: str, model_key: str, settings: str) -> an.Conformance:
    """`analytics.check_conformance` of the filtered log against the model, with ``settings`` (JSON)."""
    model = target_model(keys, filters_json, model_key)
    return an.check_conformance(filtered_log(keys[0], keys[1], filters_json), model, **json.loads(settings))


@st.cache_data(show_spinner="Computing conformance over time...", max_entries=64)
def over_time(
    keys: Keys, filters_json: str, model_key: str, settings: str, period: str
) -> an.ConformanceOverTime:
    """Share of fitting cases per period of case start (reuses the cached conformance)."""
    result = conformance(keys, filters_json, model_key, settings)
    log = filtered_log(keys[0], keys[1], filters_json)
    return an.conformance_over_time(log, result, period=period)  # type: ignore[arg-type]


@st.cache_data(show_spinner="Laying the model over the map...", max_entries=32)
def overlay(keys: Keys, filters_json: str, model_key: str) -> an.ModelOverlay:
    """`analytics.get_model_overlay` of the filtered log and the model."""
    model = target_model(keys, filters_json, model_key)
    return an.get_model_overlay(filtered_log(keys[0], keys[1], filters_json), model)


def calendar_json(timezone: str, start: str, end: str, weekdays: list[str], holidays: str) -> str:
    """The working-hours settings as a cache key; ``weekdays`` by name (`WEEKDAYS`), ``holidays`` as
    comma-separated YYYY-MM-DD text."""
    return json.dumps(
        {
            "timezone": timezone.strip(),
            "start": start.strip(),
            "end": end.strip(),
            "weekdays": [WEEKDAYS.index(d) for d in weekdays],
            "holidays": [h.strip() for h in holidays.split(",") if h.strip()],
        }
    )


def working_calendar(calendar: str) -> an.WorkingCalendar:
    """The calendar of the JSON settings: ``{}`` is calendar time, else office hours as chosen.

    Raises:
        ModelError: an unknown time zone, an hour that is not HH:MM, no weekday or a holiday that is not
            a YYYY-MM-DD date.
    """
    spec: dict[str, Any] = json.loads(calendar)
    if not spec:
        return an.WorkingCalendar.always()
    if not spec["weekdays"]:
        raise ModelError("working hours need at least one weekday; pick e.g. Mon to Fri")
    holidays = []
    for text in spec["holidays"]:
        try:
            holidays.append(date.fromisoformat(text))
        except ValueError as exc:
            raise ModelError(f"holiday {text!r} is not a date; write YYYY-MM-DD, e.g. 2025-12-25") from exc
    return an.WorkingCalendar.office(
        timezone=spec["timezone"],
        start=spec["start"],
        end=spec["end"],
        weekdays=spec["weekdays"],
        holidays=holidays,
    )


@st.cache_data(show_spinner="Checking SLA timers...", max_entries=64)
def sla(keys: Keys, filters_json: str, model_key: str, calendar: str) -> an.SlaReport:
    """`analytics.check_sla` of the model's timers in the calendar of ``calendar`` (JSON)."""
    model = target_model(keys, filters_json, model_key)
    log = filtered_log(keys[0], keys[1], filters_json)
    return an.check_sla(log, model.timers, calendar=working_calendar(calendar))


@st.cache_data(show_spinner="Checking four-eyes rules and retry limits...", max_entries=32)
def rules(keys: Keys, filters_json: str, model_key: str) -> tuple[an.FourEyesReport, an.RetryReport]:
    """The model's four-eyes rules and retry policies checked on the filtered log."""
    model = target_model(keys, filters_json, model_key)
    log = filtered_log(keys[0], keys[1], filters_json)
    return an.check_four_eyes(log, model.four_eyes), an.check_retries(log, model.retries)


@st.cache_data(show_spinner="Measuring human and system time...", max_entries=32)
def human_system(keys: Keys, filters_json: str, model_key: str) -> an.HumanSystemTimes:
    """Waiting and processing times per owner type of the model's tasks, and handoffs."""
    model = target_model(keys, filters_json, model_key)
    return an.get_human_system_times(filtered_log(keys[0], keys[1], filters_json), model)


@st.cache_data(show_spinner="Finding the cases...", max_entries=64)
def cases_of_variants(
    keys: Keys, filters_json: str, variant_ids: tuple[int, ...], limit: int | None
) -> an.CaseList:
    """The filtered log's cases of the given variants (`find_cases`, ordered by case id, at most ``limit``)."""
    base = FilterSpec.from_dict(json.loads(filters_json)) if filters_json else FilterSpec()
    spec = base.extend(VariantSelection(variant_ids=tuple(variant_ids)))
    return an.find_cases(filtered_log(keys[0], keys[1], spec.to_json()), limit=limit)


# ---- tables as the page shows them ---------------------------------------------------------------------


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as CSV (UTF-8, no index) for a download button."""
    return frame.to_csv(index=False).encode()


def model_tables(model: TargetModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The model's notes (element, type, what is checked instead) and tasks (task, kind, owner, lane)."""
    notes = [(n.element_id, n.element_type, n.message) for n in model.notes]
    tasks = [(t.name, t.kind, t.owner, t.lane or "-") for t in model.tasks]
    return (
        pd.DataFrame(notes, columns=["element", "type", "what is checked instead"]),
        pd.DataFrame(tasks, columns=["task", "kind", "owner", "lane"]),
    )


def deviations_frame(conf: an.Conformance) -> pd.DataFrame:
    """Deviations by activity: activity, deviation, cases, share %, moves."""
    raw = conf.deviations_frame()
    return pd.DataFrame(
        {
            "activity": raw["activity"],
            "deviation": [KINDS[k] for k in raw["kind"]],
            "cases": raw["cases"],
            "share %": (100 * raw["share"]).round(2),
            "moves": raw["moves"],
        }
    )


def variants_with(conf: an.Conformance, activity: str, kind: str) -> tuple[int, ...]:
    """Ids of the variants that have deviation ``kind`` on ``activity``."""
    return tuple(
        v.variant_id
        for v in conf.variants
        if any((d.activity, d.kind) == (activity, kind) for d in v.deviations)
    )


def groups_frame(conf: an.Conformance) -> pd.DataFrame:
    """Deviating and conforming cases: count, median and mean duration, mean cost."""
    rows = [
        (
            name,
            g.cases,
            an.format_duration(g.median_duration_us),
            an.format_duration(g.mean_duration_us),
            "-" if g.mean_cost is None else f"{g.mean_cost:,.2f}",
        )
        for name, g in (("deviating", conf.deviating), ("conforming", conf.conforming))
    ]
    cols = ["cases", "count", "median duration", "mean duration", f"mean {conf.cost_attribute or 'cost'}"]
    return pd.DataFrame(rows, columns=cols)


def cases_frame(cases: an.CaseList) -> pd.DataFrame:
    """Cases with their variant and duration in human units."""
    frame = cases.to_frame().rename(columns={"variant_id": "variant", "n_events": "events"})
    frame["duration"] = [an.format_duration(us) for us in frame.pop("duration_us")]
    return frame


def durations_frame(frame: pd.DataFrame, keep: list[str]) -> pd.DataFrame:
    """``keep`` columns of a human/system times frame plus its waiting and processing times in human units."""
    out = frame[keep].copy()
    for col, label in _DURATIONS.items():
        if col in frame:
            out[label] = [an.format_duration(v) if pd.notna(v) else "-" for v in frame[col]]
    return out
