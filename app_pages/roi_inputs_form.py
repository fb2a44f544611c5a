"""The ROI inputs editor: load the sample YAML or an upload, edit roles, rates and money in forms, get YAML.

The editor works on the YAML layout (`analytics.roi_inputs.roi_inputs_to_dict`): what the forms hold is
validated by `roi_inputs_from_dict`, so the page shows the same messages as loading a bad file would.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import pandas as pd
import streamlit as st
import yaml

import analytics as an
from analytics.roi_inputs import roi_inputs_from_dict, roi_inputs_to_dict
from app_pages import conformance_state as cs
from baton.errors import BatonError

SAMPLE = "roi_inputs.yaml"
SOURCES = {"sample": "Sample inputs (roi_inputs.yaml)", "upload": "Upload a YAML file"}
BASE = "roi_base"  # session_state[BASE] = (source digest, YAML layout dict being edited)
_MONEY_KEYS = ("investment", "running_cost_per_year", "horizon_years", "discount_rate")
_COSTS = {
    "errors": ("cost_per_error", "Cost per error"),
    "sla_breaches": ("cost_per_breach", "Cost per SLA breach"),
}
_ROLE_COLS = [
    "role",
    "hourly_cost",
    "minutes_before",
    "minutes_after",
    "change_expected",
    "change_conservative",
    "change_optimistic",
]


def _load_source() -> tuple[str, dict[str, Any]] | None:
    """(digest, parsed YAML) of the chosen source; None while no file is uploaded."""
    source = st.radio(
        "ROI inputs", list(SOURCES), format_func=SOURCES.__getitem__, key="roi_source", horizontal=True
    )
    if source == "sample":
        path = cs.models_dir() / SAMPLE
        if not path.is_file():
            st.info(f"No `{SAMPLE}` in `{cs.models_dir()}`; upload an inputs file instead.")
            return None
        data = path.read_bytes()
    else:
        up = st.file_uploader("ROI inputs (YAML)", type=["yaml", "yml"], key="roi_upload")
        if up is None:
            st.info("Upload a YAML file with the business-case inputs (see sample_logs/roi_inputs.yaml).")
            return None
        data = up.getvalue()
    try:
        parsed = roi_inputs_to_dict(roi_inputs_from_dict(yaml.safe_load(data)))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        st.error(f"Cannot read the ROI inputs: not valid YAML ({exc}); fix the syntax")
        return None
    except BatonError as exc:
        st.error(f"Cannot use the ROI inputs: {exc}")
        return None
    return hashlib.sha256(data).hexdigest(), parsed


def _base() -> dict[str, Any] | None:
    """The inputs being edited; a newly chosen source replaces them (and resets the form widgets)."""
    loaded = _load_source()
    if loaded is None:
        return None
    digest, parsed = loaded
    held = st.session_state.get(BASE)
    if held is None or held[0] != digest:
        for key in [k for k in st.session_state if str(k).startswith("roi_f_")]:
            del st.session_state[key]
        st.session_state[BASE] = (digest, parsed)
    return dict(st.session_state[BASE][1])


def _num(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def roles_frame(data: dict[str, Any]) -> pd.DataFrame:
    """The YAML layout's roles as the editor's table (minutes before/after, or the change's three values)."""
    rows = []
    for r in data.get("roles", []):
        change = r.get("minutes_change") or {}
        rows.append(
            (
                r["role"],
                r["hourly_cost"],
                r.get("minutes_before"),
                r.get("minutes_after"),
                change.get("expected"),
                change.get("conservative"),
                change.get("optimistic"),
            )
        )
    return pd.DataFrame(rows, columns=_ROLE_COLS).astype({c: float for c in _ROLE_COLS[1:]})


def roles_from_frame(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The editor's table back in the YAML layout: minutes before and after win over the change columns."""
    out: list[dict[str, Any]] = []
    for row in frame.to_dict("records"):
        if not str(row.get("role") or "").strip():
            continue  # an empty row added in the editor
        entry: dict[str, Any] = {"role": str(row["role"]).strip(), "hourly_cost": _num(row["hourly_cost"])}
        before, after = _num(row["minutes_before"]), _num(row["minutes_after"])
        if before is not None and after is not None:
            out.append(entry | {"minutes_before": before, "minutes_after": after})
            continue
        names = ("expected", "conservative", "optimistic")
        entry["minutes_change"] = {n: _num(row[f"change_{n}"]) for n in names}
        out.append(entry)
    return out


def _money_form(data: dict[str, Any]) -> dict[str, Any]:
    """Volume, investment, running cost, horizon, discount rate, ramp and costs per error and breach."""
    measured = data.get("annual_volume") == "measured"
    volume = data.get("measured_annual_volume") if measured else data.get("annual_volume")
    v: dict[str, Any] = {}
    with st.form("roi_money"):
        c = st.columns(4)
        v["how"] = c[0].radio(
            "Annual volume", ["given", "measured"], index=int(measured), key="roi_f_volume_how"
        )
        v["volume"] = c[0].number_input("Cases per year", 0.0, None, float(volume or 0), key="roi_f_volume")
        v["investment"] = c[1].number_input(
            "One-off investment", 0.0, None, float(data["investment"]), key="roi_f_investment"
        )
        v["running_cost_per_year"] = c[1].number_input(
            "Running cost per year", 0.0, None, float(data["running_cost_per_year"]), key="roi_f_running"
        )
        v["horizon_years"] = c[2].number_input(
            "Horizon (years)", 1, 30, int(data["horizon_years"]), key="roi_f_horizon"
        )
        v["discount_rate"] = c[2].number_input(
            "Discount rate (0.08 = 8%)",
            0.0,
            0.99,
            float(data["discount_rate"]),
            format="%.3f",
            key="roi_f_rate",
        )
        ramp = ", ".join(f"{x:g}" for x in data.get("adoption_ramp") or [])
        v["ramp"] = c[3].text_input("Adoption ramp (share per year)", ramp, key="roi_f_ramp")
        for key, (unit, label) in _COSTS.items():
            if data.get(key):
                v[key] = c[3].number_input(label, 0.0, None, float(data[key][unit]), key=f"roi_f_{key}")
        st.form_submit_button("Apply", key="roi_apply_money")
    return _with_money(data, v)


def _with_money(data: dict[str, Any], v: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the money form's values ``v``."""
    out = {k: val for k, val in data.items() if k not in ("annual_volume", "measured_annual_volume")}
    if v["how"] == "measured":
        out |= {"annual_volume": "measured", "measured_annual_volume": v["volume"]}
    else:
        out["annual_volume"] = v["volume"]
    out |= {k: v[k] for k in _MONEY_KEYS}
    out["horizon_years"] = int(out["horizon_years"])
    out["adoption_ramp"] = _ramp(v["ramp"])
    for key, (unit, _) in _COSTS.items():
        if key in v:
            out[key] = dict(data[key]) | {unit: v[key]}
    return out


def _ramp(text: str) -> list[Any]:
    """Comma-separated yearly shares; text that is not a number is kept for the validator to name."""
    out: list[Any] = []
    for part in (p.strip() for p in text.split(",")):
        if part:
            try:
                out.append(float(part))
            except ValueError:
                out.append(part)
    return out


def _roles_form(data: dict[str, Any]) -> dict[str, Any]:
    with st.form("roi_roles"):
        st.caption(
            "Minutes of work per case and role. With minutes before and after, the change is after - before "
            "(no interval); otherwise give the change (after - before) and its conservative (larger) and "
            "optimistic bounds."
        )
        frame = st.data_editor(roles_frame(data), num_rows="dynamic", hide_index=True, key="roi_f_roles")
        st.form_submit_button("Apply", key="roi_apply_roles")
    return dict(data) | {"roles": roles_from_frame(frame)}


def edit_inputs() -> an.RoiInputs | None:
    """Draw the ROI inputs editor; the edited, validated inputs (None when none loaded or invalid)."""
    data = _base()
    if data is None:
        return None
    data = _roles_form(_money_form(data))
    try:
        inputs = roi_inputs_from_dict(data)
    except BatonError as exc:
        st.error(f"The ROI inputs are not valid: {exc}")
        return None
    text = "# Baton ROI business-case inputs (edited in the app)\n"
    text += yaml.safe_dump(roi_inputs_to_dict(inputs), sort_keys=False, allow_unicode=True)
    st.download_button("ROI inputs as YAML", text, "roi_inputs.yaml", "application/yaml", key="roi_dl_yaml")
    return inputs
