"""Baton's YAML orchestration spec: steps with owners and SLAs, allowed transitions, four-eyes and retries.

Example (``sample_logs/loans_target.yaml`` is a complete one)::

    process: Loan origination (to-be)
    steps:
      - {name: Receive Application, owner: system}
      - {name: Run Credit Check, owner: system}
      - name: Underwrite Application
        owner: human                      # human | system | unknown (default)
        lane: Credit risk                 # optional
        sla: {within: P2D, after: Run Credit Check, until: start, escalate_to: Escalate to Team Lead}
      - {name: Escalate to Team Lead, owner: system}
      - {name: Disburse Loan, owner: system}
    start: [Receive Application]          # steps a case may begin with
    transitions:                          # the allowed directly-follows pairs [from, to]
      - [Receive Application, Run Credit Check]
      - [Run Credit Check, Underwrite Application]
      - [Underwrite Application, Disburse Loan]
    end: [Disburse Loan]                  # steps a case may end with
    four_eyes: [[Underwrite Application, Manager Approval]]   # never the same resource in one case
    retries: {Run KYC Check: 2}           # at most this many occurrences per case

``sla`` keys: ``within`` (ISO 8601 duration, required), ``after`` (the step whose completion starts the
clock; default: the preceding event), ``until`` (``complete`` (default) or ``start``: the clock stops
when work on the step starts), ``escalate_to`` (a step or a list of steps that show the escalation
happened) and ``interrupting`` (default false). The net is a transition-labelled automaton: a place per
step ("that step was the last one done"), a visible transition per start step and per allowed pair
(labelled with the target step) and a silent transition from each end step to the sink, so the model
allows exactly the listed pairs, start and end steps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from baton.errors import ModelError
from baton.models.durations import parse_duration
from baton.models.footprint import explore
from baton.models.types import (
    FourEyesRule,
    ModelNote,
    ModelTask,
    PetriNetSpec,
    RetryPolicy,
    SlaTimer,
    TargetModel,
)
from baton.yaml_files import read_yaml

KEYS = {"process", "steps", "start", "transitions", "end", "four_eyes", "retries"}
STEP_KEYS = {"name", "owner", "lane", "sla"}
SLA_KEYS = {"within", "after", "until", "escalate_to", "interrupting"}
OWNERS = ("human", "system", "unknown")


def read_yaml_spec(path: str | Path, *, name: str | None = None) -> TargetModel:
    """Read a YAML orchestration spec (see the module docstring) into a TargetModel.

    Raises:
        SourceNotFoundError: no such file.
        MalformedSourceError: the file is not valid YAML.
        ModelError: the spec breaks a rule; the message names the YAML path, e.g. ``transitions[3][1]``.
    """
    source = Path(path)
    data = read_yaml(source, what="the YAML spec")
    return model_from_spec(data, source=str(source), name=name)


def model_from_spec(data: Any, *, source: str, name: str | None = None) -> TargetModel:
    """Validate a parsed spec (a dict as ``yaml.safe_load`` returns it) and build the TargetModel.

    Example:
        >>> spec = {"steps": [{"name": "A"}, {"name": "B"}], "start": ["A"], "transitions": [["A", "B"]],
        ...         "end": ["B"]}
        >>> sorted(model_from_spec(spec, source="demo").edges)
        [('A', 'B')]
    """
    file = Path(source).name
    if not isinstance(data, dict):
        raise ModelError(f"{file}: expected a mapping with keys {sorted(KEYS)} at the top of the spec")
    _no_unknown(data, KEYS, "", file)
    tasks, timers_raw = _steps(data.get("steps"), file)
    known = [t.name for t in tasks]
    starts = [_step(v, f"start[{i}]", known, file) for i, v in enumerate(_list(data, "start", file, True))]
    ends = [_step(v, f"end[{i}]", known, file) for i, v in enumerate(_list(data, "end", file, True))]
    pairs = [
        _pair(v, f"transitions[{i}]", known, file) for i, v in enumerate(_list(data, "transitions", file))
    ]
    four_eyes = tuple(
        FourEyesRule(*_pair(v, f"four_eyes[{i}]", known, file))
        for i, v in enumerate(_list(data, "four_eyes", file))
    )
    timers = tuple(_sla(raw, path, step, known, file) for path, step, raw in timers_raw)
    net = _net(known, starts, pairs, ends)
    try:
        footprint = explore(net)
    except ModelError as exc:  # pragma: no cover - an automaton has one token; kept for safety
        raise ModelError(f"{file}: {exc}") from exc
    reached = footprint.starts | {b for _, b in footprint.edges}
    notes = tuple(
        ModelNote(f"steps[{i}]", "step", f"step {s!r} is never reached from a start step")
        for i, s in enumerate(known)
        if s not in reached
    )
    return TargetModel(
        name=name or str(data.get("process") or Path(source).stem),
        source=source,
        format="yaml",
        tasks=tuple(tasks),
        net=net,
        edges=footprint.edges,
        start_activities=footprint.starts,
        end_activities=footprint.ends_at(net.final_marking),
        timers=timers,
        four_eyes=four_eyes,
        retries=_retries(data.get("retries"), known, file),
        notes=notes,
    )


def _no_unknown(mapping: dict[str, Any], allowed: set[str], path: str, file: str) -> None:
    """Refuse misspelt keys."""
    unknown = sorted(str(k) for k in mapping if k not in allowed)
    if unknown:
        where = f"{path}: " if path else ""
        raise ModelError(f"{file}: {where}unknown key(s) {unknown}; expected some of {sorted(allowed)}")


def _list(data: dict[str, Any], key: str, file: str, required: bool = False) -> list[Any]:
    """A list-valued top-level key."""
    value = data.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or (required and not value):
        raise ModelError(f"{file}: {key}: expected a non-empty list of step names, got {value!r}")
    return value


def _steps(value: Any, file: str) -> tuple[list[ModelTask], list[tuple[str, str, Any]]]:
    """The steps as ModelTasks, plus (YAML path, step, raw sla) for the steps with an SLA."""
    if not isinstance(value, list) or not value:
        raise ModelError(f"{file}: steps: expected a non-empty list of {{name: ..., owner: ...}} entries")
    tasks: list[ModelTask] = []
    slas: list[tuple[str, str, Any]] = []
    for i, step in enumerate(value):
        path = f"steps[{i}]"
        if isinstance(step, str):
            step = {"name": step}
        if not isinstance(step, dict) or not isinstance(step.get("name"), str) or not step["name"].strip():
            raise ModelError(f"{file}: {path}: expected a mapping with a non-empty 'name', got {step!r}")
        _no_unknown(step, STEP_KEYS, path, file)
        name = " ".join(step["name"].split())
        if name in {t.name for t in tasks}:
            raise ModelError(f"{file}: {path}.name: step {name!r} is listed twice; step names must be unique")
        owner = step.get("owner", "unknown")
        if owner not in OWNERS:
            raise ModelError(f"{file}: {path}.owner: {owner!r} is not one of {', '.join(OWNERS)}")
        lane = step.get("lane")
        tasks.append(ModelTask(name, name, "step", owner, None if lane is None else str(lane)))
        if step.get("sla") is not None:
            slas.append((f"{path}.sla", name, step["sla"]))
    return tasks, slas


def _step(value: Any, path: str, known: list[str], file: str) -> str:
    """A reference to a declared step."""
    name = " ".join(value.split()) if isinstance(value, str) else value
    if name not in known:
        raise ModelError(f"{file}: {path}: unknown step {value!r}; the steps are {', '.join(known)}")
    return str(name)


def _pair(value: Any, path: str, known: list[str], file: str) -> tuple[str, str]:
    """A ``[from, to]`` pair of declared steps."""
    if not isinstance(value, list) or len(value) != 2:
        raise ModelError(f"{file}: {path}: expected a pair [from step, to step], got {value!r}")
    return _step(value[0], f"{path}[0]", known, file), _step(value[1], f"{path}[1]", known, file)


def _sla(raw: Any, path: str, step: str, known: list[str], file: str) -> SlaTimer:
    """A step's ``sla`` mapping as an SlaTimer."""
    if not isinstance(raw, dict) or "within" not in raw:
        raise ModelError(f"{file}: {path}: expected a mapping with at least 'within' (e.g. within: P2D)")
    _no_unknown(raw, SLA_KEYS, path, file)
    duration = parse_duration(str(raw["within"]), where=f"{file}: {path}.within")
    until = raw.get("until", "complete")
    if until not in ("start", "complete"):
        raise ModelError(f"{file}: {path}.until: {until!r}; expected start or complete")
    after = raw.get("after")
    escalate = raw.get("escalate_to", [])
    escalate = [escalate] if isinstance(escalate, str) else escalate
    if not isinstance(escalate, list):
        raise ModelError(f"{file}: {path}.escalate_to: expected a step name or a list of step names")
    interrupting = raw.get("interrupting", False)
    if not isinstance(interrupting, bool):
        raise ModelError(f"{file}: {path}.interrupting: expected true or false, got {interrupting!r}")
    return SlaTimer(
        id=path,
        task=step,
        duration=duration,
        interrupting=interrupting,
        escalation=tuple(_step(e, f"{path}.escalate_to[{i}]", known, file) for i, e in enumerate(escalate)),
        start_after=None if after is None else _step(after, f"{path}.after", known, file),
        until="start" if until == "start" else "complete",
        source=path,
    )


def _retries(value: Any, known: list[str], file: str) -> tuple[RetryPolicy, ...]:
    """``retries: {step: max attempts}``."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ModelError(f"{file}: retries: expected a mapping {{step: max attempts}}, got {value!r}")
    policies = []
    for step, attempts in value.items():
        name = _step(step, f"retries.{step}", known, file)
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise ModelError(f"{file}: retries.{step}: expected a whole number >= 1, got {attempts!r}")
        policies.append(RetryPolicy(name, attempts))
    return tuple(policies)


def _net(steps: list[str], starts: list[str], pairs: list[tuple[str, str]], ends: list[str]) -> PetriNetSpec:
    """The transition-labelled automaton: place ``done:<step>``; a visible transition per allowed move."""
    moves = [(f"s:{s}", "start", s) for s in dict.fromkeys(starts)]
    moves += [(f"t:{a}>{b}", f"done:{a}", b) for a, b in dict.fromkeys(pairs)]
    transitions = [(t, b) for t, _, b in moves] + [(f"e:{e}", None) for e in dict.fromkeys(ends)]
    arcs: list[tuple[str, str]] = []
    for t, src, b in moves:
        arcs += [(src, t), (t, f"done:{b}")]
    for e in dict.fromkeys(ends):
        arcs += [(f"done:{e}", f"e:{e}"), (f"e:{e}", "end")]
    return PetriNetSpec(
        places=("start", *(f"done:{s}" for s in steps), "end"),
        transitions=tuple(transitions),
        arcs=tuple(arcs),
        initial_marking=(("start", 1),),
        final_marking=(("end", 1),),
    )
