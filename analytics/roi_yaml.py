"""ROI business-case inputs in and out of YAML: the plain-data layout of sample_logs/roi_inputs.yaml."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from analytics.roi_input_types import SCENARIOS, KpiDelta, RateSaving, RoiInputs, RoleSaving, check_number
from baton.errors import RoiInputError
from baton.yaml_files import read_yaml

TOP_KEYS = {
    "currency",
    "annual_volume",
    "measured_annual_volume",
    "roles",
    "errors",
    "sla_breaches",
    "investment",
    "running_cost_per_year",
    "horizon_years",
    "discount_rate",
    "adoption_ramp",
}
ROLE_KEYS = {"role", "hourly_cost", "minutes_before", "minutes_after", "minutes_change"}
DELTA_KEYS = {"expected", "conservative", "optimistic"}


def load_roi_inputs(path: str | Path, *, measured_volume: float | None = None) -> RoiInputs:
    """Read business-case inputs from a YAML file (``yaml.safe_load``); see sample_logs/roi_inputs.yaml.

    Raises:
        SourceNotFoundError: no such file.
        MalformedSourceError: the file is not valid YAML.
        RoiInputError: an input is missing or invalid; the message names the file and the field.
    """
    source = Path(path)
    data = read_yaml(source, what="the ROI inputs")
    try:
        return roi_inputs_from_dict(data, measured_volume=measured_volume)
    except RoiInputError as exc:
        raise RoiInputError(f"{source.name}: {exc}") from exc


def save_roi_inputs(inputs: RoiInputs, path: str | Path) -> Path:
    """Write ``inputs`` as YAML that ``load_roi_inputs`` reads back to an equal RoiInputs."""
    target = Path(path)
    text = "# Baton ROI business-case inputs (written by analytics.roi_inputs.save_roi_inputs)\n"
    text += yaml.safe_dump(roi_inputs_to_dict(inputs), sort_keys=False, allow_unicode=True)
    target.write_text(text, encoding="utf-8")
    return target


def roi_inputs_to_dict(inputs: RoiInputs) -> dict[str, Any]:
    """Plain data (the YAML layout) for ``inputs``."""
    data: dict[str, Any] = {"currency": inputs.currency}
    if inputs.volume_source == "measured":
        data |= {"annual_volume": "measured", "measured_annual_volume": inputs.annual_volume}
    else:
        data["annual_volume"] = inputs.annual_volume
    data["roles"] = [_role_dict(r) for r in inputs.roles]
    for key, unit in (("errors", "cost_per_error"), ("sla_breaches", "cost_per_breach")):
        rate: RateSaving | None = getattr(inputs, key)
        if rate is not None:
            data[key] = {"rate_change": _delta_dict(rate.rate_change), unit: rate.cost_each}
    data |= {
        "investment": inputs.investment,
        "running_cost_per_year": inputs.running_cost_per_year,
        "horizon_years": inputs.horizon_years,
        "discount_rate": inputs.discount_rate,
        "adoption_ramp": list(inputs.adoption_ramp),
    }
    return data


def _role_dict(role: RoleSaving) -> dict[str, Any]:
    """One role entry: minutes before/after when known, else the minutes change with its bounds."""
    data: dict[str, Any] = {"role": role.role, "hourly_cost": role.hourly_cost}
    if role.minutes_before is not None:
        return data | {"minutes_before": role.minutes_before, "minutes_after": role.minutes_after}
    return data | {"minutes_change": _delta_dict(role.minutes_change)}


def _delta_dict(delta: KpiDelta) -> dict[str, float]:
    """A KPI delta as its three named numbers."""
    return {name: delta.value(name) for name in SCENARIOS}


def roi_inputs_from_dict(data: Any, *, measured_volume: float | None = None) -> RoiInputs:
    """Validate plain data (as ``yaml.safe_load`` returns it) and build RoiInputs."""
    if not isinstance(data, dict):
        raise RoiInputError(
            f"expected a mapping with keys {sorted(TOP_KEYS)} at the top, got {type(data).__name__}"
        )
    _no_unknown(data, TOP_KEYS, "")
    volume, source = _volume(data, measured_volume)
    for key in ("investment", "running_cost_per_year", "horizon_years", "discount_rate"):
        if key not in data:
            raise RoiInputError(f"{key}: missing; add it at the top level (see sample_logs/roi_inputs.yaml)")
    ramp = data.get("adoption_ramp") or []
    if not isinstance(ramp, list):
        raise RoiInputError(
            f"adoption_ramp: expected a list of yearly shares like [0.5, 0.9, 1.0], got {ramp!r}"
        )
    return RoiInputs(
        annual_volume=volume,
        investment=data["investment"],
        running_cost_per_year=data["running_cost_per_year"],
        horizon_years=data["horizon_years"],
        discount_rate=data["discount_rate"],
        roles=tuple(_role(v, i) for i, v in enumerate(_as_list(data.get("roles"), "roles"))),
        errors=_rate(data.get("errors"), "errors", "cost_per_error"),
        sla_breaches=_rate(data.get("sla_breaches"), "sla_breaches", "cost_per_breach"),
        adoption_ramp=tuple(ramp),
        volume_source=source,
        currency=str(data.get("currency", "EUR")),
    )


def _volume(data: dict[str, Any], measured: float | None) -> tuple[float, str]:
    """The annual volume and where it came from; ``measured`` takes the number passed in (or the recorded one)."""
    value = data.get("annual_volume")
    if value is None:
        raise RoiInputError("annual_volume: missing; give cases per year (e.g. 10000) or 'measured'")
    if value != "measured":
        return check_number(value, "annual_volume"), "given"
    number = measured if measured is not None else data.get("measured_annual_volume")
    if number is None:
        raise RoiInputError(
            "annual_volume: 'measured' but no measured number; pass measured_volume= (cases per year counted "
            "in the log) or record it as measured_annual_volume"
        )
    return check_number(number, "measured_annual_volume"), "measured"


def _as_list(value: Any, field: str) -> Sequence[Any]:
    """A list-valued key (absent = empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise RoiInputError(f"{field}: expected a list, got {type(value).__name__}")
    return value


def _no_unknown(mapping: dict[Any, Any], allowed: set[str], field: str) -> None:
    """Refuse misspelt keys."""
    unknown = sorted(str(k) for k in mapping if k not in allowed)
    if unknown:
        where = f"{field}: " if field else ""
        raise RoiInputError(f"{where}unknown key(s) {unknown}; expected some of {sorted(allowed)}")


def _delta(value: Any, field: str) -> KpiDelta:
    """A KPI delta from a plain number (exact) or {expected, conservative, optimistic}."""
    if not isinstance(value, dict):
        return KpiDelta.exact(check_number(value, field))
    _no_unknown(value, DELTA_KEYS, field)
    missing = sorted(DELTA_KEYS - set(value))
    if missing:
        raise RoiInputError(f"{field}: missing {missing}; give expected, conservative and optimistic")
    nums = {k: check_number(value[k], f"{field}.{k}") for k in DELTA_KEYS}
    try:
        return KpiDelta(nums["expected"], nums["conservative"], nums["optimistic"])
    except RoiInputError as exc:
        raise RoiInputError(f"{field}: {exc}") from exc


def _role(value: Any, index: int) -> RoleSaving:
    """One entry of ``roles``."""
    field = f"roles[{index}]"
    if not isinstance(value, dict):
        raise RoiInputError(f"{field}: expected a mapping with keys {sorted(ROLE_KEYS)}, got {value!r}")
    _no_unknown(value, ROLE_KEYS, field)
    for key in ("role", "hourly_cost"):
        if key not in value:
            raise RoiInputError(f"{field}: missing {key}")
    has_minutes = "minutes_before" in value or "minutes_after" in value
    if has_minutes == ("minutes_change" in value):
        raise RoiInputError(f"{field}: give either minutes_before and minutes_after, or minutes_change")
    if has_minutes:
        before = check_number(value.get("minutes_before"), f"{field}.minutes_before", minimum=0)
        after = check_number(value.get("minutes_after"), f"{field}.minutes_after", minimum=0)
        return RoleSaving.from_minutes(value["role"], value["hourly_cost"], before, after)
    return RoleSaving(
        value["role"], value["hourly_cost"], _delta(value["minutes_change"], f"{field}.minutes_change")
    )


def _rate(value: Any, field: str, unit: str) -> RateSaving | None:
    """``errors`` or ``sla_breaches``: {rate_change, cost_per_error | cost_per_breach}."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RoiInputError(f"{field}: expected a mapping with rate_change and {unit}, got {value!r}")
    _no_unknown(value, {"rate_change", unit}, field)
    if "rate_change" not in value or unit not in value:
        raise RoiInputError(f"{field}: needs rate_change and {unit}")
    cost = check_number(value[unit], f"{field}.{unit}", minimum=0)
    return RateSaving(_delta(value["rate_change"], f"{field}.rate_change"), cost)
