"""A projected business case before any change: the target model's automation and removed waits, priced."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from analytics.roi import TraceRow
from analytics.roi_inputs import (
    ActivityTimes,
    KpiDelta,
    RoiInputError,
    RoleSaving,
    TargetChanges,
    check_number,
)


@dataclass(frozen=True, slots=True)
class ProjectedCase:
    """A PROJECTION of the saving before any change was made, with the assumptions it rests on."""

    label: str
    saving_per_case: float
    annual_saving: float
    labour_hours_per_year: float
    waiting_hours_removed_per_case: float
    cycle_time_reduction_hours: float
    roles: tuple[RoleSaving, ...]  # exact minutes changes, ready for RoiInputs(roles=...)
    assumptions: tuple[str, ...]
    rows: tuple[TraceRow, ...]

    def trace(self) -> tuple[TraceRow, ...]:
        """Every figure of the projection with its formula, value and inputs."""
        return self.rows


def projected_case(
    activities: Sequence[ActivityTimes],
    changes: TargetChanges,
    *,
    annual_volume: float,
    hourly_cost: Mapping[str, float],
    waiting_cost_per_hour: float = 0.0,
) -> ProjectedCase:
    """Estimate the annual saving if the target automates some steps and removes some waits (a projection).

    Automated steps lose their human work (saved at the role's hourly cost) and cost
    ``system_cost_per_step`` each; removed waits disappear and are worth ``waiting_cost_per_hour``.

    Example:
        >>> acts = [ActivityTimes("Re-key", 1.0, 15.0, 8.0, "clerk"), ActivityTimes("Decide", 1.0, 30.0, 9.0)]
        >>> p = projected_case(acts, TargetChanges({"Re-key"}, {"Re-key"}), annual_volume=1000,
        ...                    hourly_cost={"clerk": 40.0})
        >>> p.annual_saving, p.cycle_time_reduction_hours
        (10000.0, 8.25)
    """
    by_name = _check_projection(activities, changes, annual_volume, hourly_cost, waiting_cost_per_hour)
    auto = [by_name[n] for n in sorted(changes.automated)]
    minutes: dict[str, float] = {}
    for act in auto:
        if act.role is not None:
            minutes[act.role] = minutes.get(act.role, 0.0) + act.per_case * act.processing_minutes
    roles = tuple(RoleSaving(r, hourly_cost[r], KpiDelta.exact(-m)) for r, m in sorted(minutes.items()))
    known = {f"human minutes saved per case [{r}]": m for r, m in minutes.items()}
    known |= {f"hourly_cost[{r.role}]": r.hourly_cost for r in roles}
    known |= {"automated steps per case": sum(a.per_case for a in auto), "annual_volume": annual_volume}
    known |= {"system_minutes": changes.system_minutes, "system_cost_per_step": changes.system_cost_per_step}
    known |= {
        "waiting_cost_per_hour": waiting_cost_per_hour,
        "human hours automated per case": sum(minutes.values()) / 60,
    }
    removed = [by_name[n] for n in sorted(changes.removed_waits)]
    known["waiting hours removed per case"] = sum(a.per_case * a.waiting_hours for a in removed)
    labour = (
        " + ".join(f"human minutes saved per case [{r}] / 60 * hourly_cost[{r}]" for r in sorted(minutes))
        or "0",
        sum(m / 60 * hourly_cost[r] for r, m in minutes.items()),
    )
    rows: list[TraceRow] = []
    for figure, formula, value in _projection_figures(known, labour):
        used = tuple((n, v) for n, v in known.items() if n in formula)
        rows.append(TraceRow(figure, formula, value, used))
        known[figure] = value
    return ProjectedCase(
        label="PROJECTION (no after-period data): savings estimated from the current log and the target model",
        saving_per_case=known["saving per case"],
        annual_saving=known["annual saving"],
        labour_hours_per_year=known["human hours automated per case"] * annual_volume,
        waiting_hours_removed_per_case=known["waiting hours removed per case"],
        cycle_time_reduction_hours=known["cycle-time reduction hours per case"],
        roles=roles,
        assumptions=_assumptions(changes, annual_volume, waiting_cost_per_hour),
        rows=tuple(rows),
    )


def _projection_figures(
    k: Mapping[str, float], labour: tuple[str, float]
) -> Iterator[tuple[str, str, float]]:
    """(figure, formula, value) of the projection in order; ``k`` gains each figure as it is yielded."""
    yield "labour saving per case", labour[0], labour[1]
    cost = k["automated steps per case"] * k["system_cost_per_step"]
    yield "system cost per case", "automated steps per case * system_cost_per_step", cost
    per_case = (
        k["labour saving per case"] - cost + k["waiting hours removed per case"] * k["waiting_cost_per_hour"]
    )
    text = "labour saving per case - system cost per case + waiting hours removed per case * waiting_cost_per_hour"
    yield "saving per case", text, per_case
    yield "annual saving", "annual_volume * saving per case", k["annual_volume"] * per_case
    system_hours = k["automated steps per case"] * k["system_minutes"] / 60
    cycle = k["waiting hours removed per case"] + k["human hours automated per case"] - system_hours
    text = "waiting hours removed per case + human hours automated per case - automated steps per case * system_minutes / 60"
    yield "cycle-time reduction hours per case", text, cycle


def _check_projection(
    activities: Sequence[ActivityTimes],
    changes: TargetChanges,
    annual_volume: float,
    hourly_cost: Mapping[str, float],
    waiting_cost_per_hour: float,
) -> dict[str, ActivityTimes]:
    """Activities by name after checking names, numbers and that every automated human role has a cost."""
    by_name: dict[str, ActivityTimes] = {}
    for act in activities:
        if act.activity in by_name:
            raise RoiInputError(f"activities: {act.activity!r} listed twice; give one row per activity")
        by_name[act.activity] = act
    for field, names in (("automated", changes.automated), ("removed_waits", changes.removed_waits)):
        unknown = sorted(set(names) - set(by_name))
        if unknown:
            raise RoiInputError(
                f"{field}: {unknown} not among the log's activities {sorted(by_name)}; check the spelling"
            )
    check_number(annual_volume, "annual_volume", minimum=0)
    check_number(waiting_cost_per_hour, "waiting_cost_per_hour", minimum=0)
    for name in changes.automated:
        role = by_name[name].role
        if role is not None:
            check_number(
                hourly_cost.get(role), f"hourly_cost[{role}] (role of automated {name!r})", minimum=0
            )
    return by_name


def _assumptions(
    changes: TargetChanges, annual_volume: float, waiting_cost_per_hour: float
) -> tuple[str, ...]:
    """The projection's assumptions in plain words."""
    wait_value = (
        f"Removed waiting time is valued at {waiting_cost_per_hour:g} per hour."
        if waiting_cost_per_hour
        else "Removed waiting time carries no cost: it shortens the cycle time but saves no money here."
    )
    return (
        "This is a projection from the current log and the target model, not a measured before/after result.",
        f"Automated steps ({', '.join(sorted(changes.automated)) or 'none'}) need no human work after the change "
        f"and take {changes.system_minutes:g} system minutes and cost {changes.system_cost_per_step:g} each.",
        f"The waits before {', '.join(sorted(changes.removed_waits)) or 'no step'} disappear completely; "
        "all other waits and human steps stay as they are.",
        f"Activities occur as often per case as in the current log, at {annual_volume:g} cases a year "
        "(same case mix).",
        "Times add up along the case (no parallel work), so the cycle-time reduction is an upper bound.",
        wait_value,
        "One-off investment and running costs are not included; add them in RoiInputs for NPV and payback.",
    )
