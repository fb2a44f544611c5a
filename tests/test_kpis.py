"""KPI catalogue, settings, per-case KPIs and their summary: sample-log facts, pandas, hand-made logs, invariants."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.kpi_catalogue import CATALOGUE, KpiSettings
from analytics.kpis import get_case_kpis, get_kpis
from baton.models.load import read_model

END = ("Disburse Loan", "Reject Application", "Cancel Application")
LOGS = ("loans_before", "loans_after")
US_PER_HOUR = 3_600_000_000


@pytest.fixture(scope="module")
def sample_ws(sample_logs: Path) -> Iterator:
    """One workspace holding both sample logs (from Parquet) under their file names."""
    from baton.api import open_workspace

    ws = open_workspace()
    for name in LOGS:
        ws.import_file(sample_logs / f"{name}.parquet", name=name)
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def facts(sample_logs: Path) -> dict:
    """The generator's facts about both sample logs."""
    return json.loads((sample_logs / "facts.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def csv_frames(sample_logs: Path) -> dict[str, pd.DataFrame]:
    """Each sample log's CSV with both timestamp columns parsed to UTC (the independent reference)."""
    frames = {}
    for name in LOGS:
        df = pd.read_csv(sample_logs / f"{name}.csv", keep_default_na=False, na_values={"cost": [""]})
        for col in ("timestamp", "start_timestamp"):
            df[col] = pd.to_datetime(df[col].replace("", None), format="ISO8601", utc=True)
        frames[name] = df
    return frames


def _complete_cases(df: pd.DataFrame) -> pd.Index:
    last = df.groupby("case_id", sort=False)["activity"].last()
    return last.index[last.isin(END)]


# ---- catalogue and settings ---------------------------------------------------------------------------


def test_catalogue_holds_every_kpi_with_a_definition() -> None:
    """The catalogue names the fourteen KPIs, each with a unit, direction and a sentence-long definition."""
    assert list(CATALOGUE) == [
        "cycle_time_median", "cycle_time_mean", "cycle_time_p90", "waiting_time", "processing_time",
        "throughput", "wip", "rework_rate", "error_rate", "first_time_right_rate", "sla_compliance",
        "handoffs_per_case", "automation_rate", "cost_per_case",
    ]  # fmt: skip
    assert all(d.key == key and len(d.definition) > 60 for key, d in CATALOGUE.items())
    assert CATALOGUE["processing_time"].needs == "start timestamps"
    assert CATALOGUE["first_time_right_rate"].better == "higher"
    assert {d.unit for d in CATALOGUE.values()} == {"duration", "share", "count", "money", "per_period"}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"error_activities": "Correct Data Entry Error"}, "error_activities"),
        ({"end_activities": ("",)}, "end_activities"),
        ({"system_resource_prefix": ""}, "system_resource_prefix"),
        ({"sla_threshold": timedelta(0)}, "sla_threshold"),
        ({"hourly_rates": {"clerk": -1.0}, "resource_roles": {"a": "clerk"}}, "hourly_rates"),
        ({"hourly_rates": {"clerk": 42.0}, "resource_roles": {"a": "underwriter"}}, "hourly_rates"),
        ({"hourly_rates": {"clerk": 42.0}}, "resource_roles"),
        ({"period": "year"}, "period"),
    ],
)
def test_bad_settings_name_the_field(kwargs: dict, field: str) -> None:
    """Invalid settings raise ValueError naming the field and what is expected."""
    with pytest.raises(ValueError, match=f"KpiSettings.{field}: got .*; expected"):
        KpiSettings(**kwargs)


def test_sla_threshold_and_timers_are_exclusive(sample_logs: Path) -> None:
    """Setting both an SLA threshold and SLA timers is refused."""
    timers = read_model(sample_logs / "loans_target.yaml").timers
    with pytest.raises(ValueError, match="both sla_threshold and sla_timers"):
        KpiSettings(sla_threshold=timedelta(days=2), sla_timers=timers)


# ---- the sample logs against facts.json and pandas ----------------------------------------------------


@pytest.mark.parametrize("name", LOGS)
def test_sample_logs_match_their_facts(sample_ws, facts: dict, name: str) -> None:
    """Median completed-case hours, total cost, rework cases and running cases equal facts.json."""
    fact = facts[name]
    summary = get_kpis(sample_ws.log(name), KpiSettings(end_activities=END))
    assert summary["cycle_time_median"].value == pytest.approx(fact["median_completed_case_hours"], abs=0.005)
    table = summary.per_case.to_pandas()
    assert round(table["cost"].sum(), 2) == fact["total_cost_eur"]
    assert int(table["rework"].sum()) == fact["rework_cases"]
    assert summary.cases - summary.complete_cases == fact["running_cases"]
    assert summary["cycle_time_median"].excluded == fact["running_cases"]
    assert summary.cost_source == "sum of the event attribute 'cost' over each case's steps"


@pytest.mark.parametrize("name", LOGS)
def test_automation_and_error_rates_match_facts(sample_ws, facts: dict, name: str) -> None:
    """Over all cases, the 'sys_' automation rate is system_event_share and the error rate data-entry errors."""
    fact = facts[name]
    cfg = KpiSettings(system_resource_prefix="sys_", error_activities=("Correct Data Entry Error",))
    summary = get_kpis(sample_ws.log(name), cfg)
    assert abs(summary["automation_rate"].value - fact["system_event_share"]) <= 1e-4
    assert summary["error_rate"].value == pytest.approx(
        fact["data_entry_error_cases"] / fact["cases"], abs=1e-12
    )
    assert summary["error_rate"].cases == fact["cases"]
    assert summary.notes[0].startswith("completeness unknown")


@pytest.mark.parametrize("name", LOGS)
def test_handoffs_match_pandas(sample_ws, csv_frames: dict, name: str) -> None:
    """Handoffs per case (resource changes between consecutive events) equal pandas on the CSV."""
    df = csv_frames[name]
    nxt = df.groupby("case_id")["resource"].shift(-1)
    expected = (nxt.notna() & (nxt != df["resource"])).groupby(df["case_id"]).sum()
    summary = get_kpis(sample_ws.log(name), KpiSettings(end_activities=END))
    table = summary.per_case.to_pandas().set_index("case_id")
    assert (table["handoffs"] == expected.reindex(table.index)).all()
    done = _complete_cases(df)
    assert summary["handoffs_per_case"].value == pytest.approx(expected[done].mean(), rel=1e-12)
    assert summary["handoffs_per_case"].cases == len(done)


@pytest.mark.parametrize("name", LOGS)
def test_waiting_and_processing_match_pandas(sample_ws, csv_frames: dict, name: str) -> None:
    """Waiting: next step's start (else completion) minus this completion, overlaps as 0; touch: end - start."""
    df = csv_frames[name]
    next_begin = (
        df.groupby("case_id")["start_timestamp"]
        .shift(-1)
        .fillna(df.groupby("case_id")["timestamp"].shift(-1))
    )
    wait_us = ((next_begin - df["timestamp"]).dt.total_seconds().clip(lower=0) * 1e6).fillna(0)
    work_us = ((df["timestamp"] - df["start_timestamp"]).dt.total_seconds() * 1e6).fillna(0)
    table = get_case_kpis(sample_ws.log(name)).to_pandas().set_index("case_id")
    waiting = wait_us.groupby(df["case_id"]).sum().reindex(table.index)
    processing = work_us.groupby(df["case_id"]).sum().reindex(table.index)
    assert (table["waiting_us"] == waiting.round().astype("int64")).all()
    assert (table["processing_us"] == processing.round().astype("int64")).all()


def test_empty_selection_gives_no_values(sample_ws) -> None:
    """A filter selecting no case gives an empty per-case table and every KPI without a value."""
    from baton.filters import CaseAttribute

    summary = get_kpis(
        sample_ws.log("loans_after").filter(CaseAttribute("product", ("none",))), KpiSettings()
    )
    assert (summary.cases, summary.per_case.num_rows, summary.periods) == (0, 0, ())
    assert all(v.value is None and not v.available for v in summary.values)


@pytest.mark.parametrize("name", LOGS)
def test_cost_from_hourly_rates_matches_pandas(sample_ws, csv_frames: dict, name: str) -> None:
    """Processing time x hourly rate per role equals pandas; resources without a role cost nothing."""
    df = csv_frames[name]
    people = sorted(r for r in df["resource"].unique() if not r.startswith("sys_"))
    roles = {r: ("clerk" if i % 2 else "underwriter") for i, r in enumerate(people[1:])}  # people[0]: no role
    rates = {"clerk": 42.0, "underwriter": 68.0}
    hours = (df["timestamp"] - df["start_timestamp"]).dt.total_seconds().fillna(0) / 3600
    step_cost = hours * df["resource"].map(roles).map(rates).fillna(0)
    expected = step_cost.groupby(df["case_id"]).sum()
    summary = get_kpis(
        sample_ws.log(name), KpiSettings(end_activities=END, hourly_rates=rates, resource_roles=roles)
    )
    table = summary.per_case.to_pandas().set_index("case_id")
    assert table["cost"].to_numpy() == pytest.approx(expected.reindex(table.index).to_numpy(), abs=1e-9)
    assert summary["cost_per_case"].value == pytest.approx(expected[_complete_cases(df)].mean(), rel=1e-12)
    assert summary.cost_source == "processing time x hourly rate of each step's resource role"
    assert any(repr(people[0]) in note and "no role" in note for note in summary.notes)


@pytest.mark.parametrize("name", LOGS)
def test_sla_threshold_compliance_matches_pandas(sample_ws, csv_frames: dict, name: str) -> None:
    """SLA compliance with a 10-day threshold on cycle time equals pandas over completed cases."""
    df = csv_frames[name]
    g = df.groupby("case_id")["timestamp"]
    met = (g.max() - g.min()) <= pd.Timedelta(days=10)
    done = _complete_cases(df)
    summary = get_kpis(sample_ws.log(name), KpiSettings(end_activities=END, sla_threshold=timedelta(days=10)))
    assert summary["sla_compliance"].value == pytest.approx(met[done].mean(), rel=1e-12)
    assert summary["sla_compliance"].cases == len(done)


def test_sla_timers_find_the_injected_breaches(sample_ws, facts: dict, sample_logs: Path) -> None:
    """With the target model's P2D underwriting timer, 567 cases breach and 3,420 were underwritten."""
    timers = read_model(sample_logs / "loans_target.yaml").timers
    table = get_case_kpis(sample_ws.log("loans_after"), KpiSettings(sla_timers=timers)).to_pandas()
    fact = facts["loans_after"]
    assert int((table["sla_met"] == False).sum()) == fact["sla_breach_cases"]  # noqa: E712 - nullable column
    assert int(table["sla_met"].notna().sum()) == fact["underwritten_cases"]
    value = get_kpis(sample_ws.log("loans_after"), KpiSettings(sla_timers=timers))["sla_compliance"]
    assert value.value == pytest.approx(1 - fact["sla_breach_cases"] / fact["underwritten_cases"])
    assert value.cases == fact["underwritten_cases"]
    assert value.note == "1580 complete cases the SLA timers never applied to"


def test_per_case_table_is_typed(sample_ws) -> None:
    """The per-case table has the documented columns and Arrow types (what later statistics resample)."""
    table = get_case_kpis(sample_ws.log("loans_before"), KpiSettings(end_activities=END))
    ts = pa.timestamp("us", tz="UTC")
    expected = [
        ("case_id", pa.string()), ("start", ts), ("end", ts), ("complete", pa.bool_()),
        ("cycle_time_us", pa.int64()), ("waiting_us", pa.int64()), ("processing_us", pa.int64()),
        ("n_events", pa.int64()), ("rework", pa.bool_()), ("has_error", pa.bool_()),
        ("first_time_right", pa.bool_()), ("sla_met", pa.bool_()), ("handoffs", pa.int64()),
        ("system_events", pa.int64()), ("automation_share", pa.float64()), ("cost", pa.float64()),
        ("variant_id", pa.int64()),
    ]  # fmt: skip
    assert [(f.name, f.type) for f in table.schema] == expected
    assert table.num_rows == 5000
    assert table["case_id"][0].as_py() == "B-00001"
    assert table["has_error"].null_count == 5000 and table["sla_met"].null_count == 5000


def test_cost_from_a_case_attribute(sample_ws, csv_frames: dict) -> None:
    """A numeric case attribute is each case's cost as it is (here the loan amount), and the result says so."""
    expected = csv_frames["loans_before"].groupby("case_id")["loan_amount"].first()
    summary = get_kpis(sample_ws.log("loans_before"), KpiSettings(cost_attribute="loan_amount"))
    table = summary.per_case.to_pandas().set_index("case_id")
    assert (table["cost"] == expected.reindex(table.index)).all()
    assert summary["cost_per_case"].value == pytest.approx(expected.mean(), rel=1e-12)
    assert summary.cost_source == "the case attribute 'loan_amount'"


def test_non_numeric_cost_attribute_is_refused(sample_ws) -> None:
    """A cost attribute holding text raises ValueError naming the field and the attribute's type."""
    with pytest.raises(ValueError, match="KpiSettings.cost_attribute: event attribute 'outcome' .* VARCHAR"):
        get_case_kpis(sample_ws.log("loans_after"), KpiSettings(cost_attribute="outcome"))


# ---- a hand-made log: throughput and work in progress per day ----------------------------------------


def _t(day: int, hour: int) -> str:
    return datetime(2025, 1, day, hour, tzinfo=UTC).isoformat()


_KEYS: dict[str, Any] = {
    "case_id_key": "case_id",
    "activity_key": "activity",
    "timestamp_key": "timestamp",
    "resource_key": "resource",
}
TINY = [  # case, activity, timestamp, resource
    ("C1", "A", _t(1, 0), "ann"), ("C1", "End", _t(2, 0), "sys_x"),
    ("C2", "A", _t(1, 12), "ann"), ("C2", "A", _t(2, 6), "bob"), ("C2", "End", _t(3, 12), "sys_x"),
    ("C3", "A", _t(2, 0), "bob"), ("C3", "B", _t(2, 12), "bob"),
    ("C4", "A", _t(3, 0), "ann"), ("C4", "End", _t(3, 18), "ann"),
]  # fmt: skip


@pytest.fixture(scope="module")
def tiny_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """Four cases over 66 hours without start timestamps; C3 never reaches End (running)."""
    from baton.api import open_workspace

    path = tmp_path_factory.mktemp("kpi") / "tiny.csv"
    pd.DataFrame(TINY, columns=["case_id", "activity", "timestamp", "resource"]).to_csv(path, index=False)
    ws = open_workspace()
    ws.import_file(path, name="tiny", exact_mapping=True, **_KEYS)
    yield ws.log("tiny")
    ws.close()


def test_throughput_and_wip_per_day_by_hand(tiny_log) -> None:
    """Hand-computed: completed per day 0/1/2, open cases 36h/24h, 48h/24h, 48h/18h, overall 132h/66h."""
    summary = get_kpis(tiny_log, KpiSettings(end_activities=("End",), period="day"))
    frame = summary.periods_frame()
    assert frame["period_start"].dt.day.tolist() == [1, 2, 3]
    assert frame["started"].tolist() == [2, 1, 1]
    assert frame["completed"].tolist() == [0, 1, 2]
    assert frame["wip"].tolist() == pytest.approx([1.5, 2.0, 48 / 18])
    assert summary["throughput"].value == pytest.approx(1.0)
    assert summary["wip"].value == pytest.approx(2.0)
    assert (summary["wip"].cases, summary["throughput"].cases, summary["throughput"].excluded) == (4, 3, 1)
    assert summary["cycle_time_median"].value == pytest.approx(24.0)  # 24 h, 48 h, 18 h
    assert summary["cycle_time_mean"].value == pytest.approx(30.0)


def test_running_cases_stay_open_until_the_log_end_when_filtered(tiny_log) -> None:
    """Filtered to C1 and C3, running C3 is open until the whole log's end (66 h): (24 + 42) / 66 open."""
    from baton.filters import CaseAttribute

    summary = get_kpis(
        tiny_log.filter(CaseAttribute("case_id", ("C1", "C3"))), KpiSettings(end_activities=("End",))
    )
    assert summary["wip"].value == pytest.approx(1.0)
    assert summary["wip"].note == "1 running cases count as open until the log end"


def test_without_end_activities_every_case_completes(tiny_log) -> None:
    """Completeness unknown: C3 completes at its last event (day 2) and is open 12 hours, not 42."""
    summary = get_kpis(tiny_log, KpiSettings(period="day"))
    assert not summary.completeness_known and summary.complete_cases == 4
    assert summary.periods_frame()["completed"].tolist() == [0, 2, 2]
    assert summary["wip"].value == pytest.approx((24 + 48 + 12 + 18) / 66)


def test_unavailable_kpis_are_listed_with_the_reason(tiny_log) -> None:
    """Without start timestamps, error activities, SLA or cost the KPIs stay in the table, unavailable."""
    summary = get_kpis(tiny_log, KpiSettings(end_activities=("End",), error_activities=("Oops",)))
    frame = summary.to_frame().set_index("key")
    assert list(frame.columns) == ["name", "value", "unit", "cases", "excluded", "note", "definition"]
    assert len(frame) == len(CATALOGUE)
    assert frame.loc["processing_time", "note"] == "not available: the log has no start timestamps"
    assert frame.loc["cost_per_case", "note"].startswith("not available: log 'tiny' has no attribute 'cost'")
    assert frame.loc["automation_rate", "note"].startswith("not available: no system resources marked")
    assert frame.loc["sla_compliance", "note"].startswith("not available: no SLA set")
    assert pd.isna(frame.loc["processing_time", "value"])
    assert frame.loc["error_rate", "value"] == 0.0  # marked but never occurring: a real zero, with a note
    assert "error activities not in this log (never matched): ['Oops']" in summary.notes
    assert frame.loc["rework_rate", "value"] == pytest.approx(1 / 3)  # C2 repeats A
    assert frame.loc["handoffs_per_case", "value"] == pytest.approx((1 + 2 + 0) / 3)
    assert frame.loc["cycle_time_median", "definition"] == CATALOGUE["cycle_time_median"].definition


# ---- invariants on random logs -----------------------------------------------------------------------

_EVENT = st.tuples(
    st.sampled_from("ABE"),
    st.sampled_from(["r1", "r2", "sys_a", ""]),
    st.integers(0, 3000),  # minutes after the previous event
    st.one_of(st.none(), st.integers(0, 600)),  # minutes of work before the timestamp (start)
)
_LOGS = st.lists(st.lists(_EVENT, min_size=1, max_size=6), min_size=1, max_size=8)
_PROPERTY_SETTINGS = KpiSettings(
    end_activities=("E",), error_activities=("B",), system_resource_prefix="sys_",
    sla_threshold=timedelta(hours=20), period="day",
)  # fmt: skip


def _write_log(cases: list[list[tuple]], path: Path) -> None:
    rows, t0 = [], datetime(2025, 3, 1, tzinfo=UTC)
    for i, events in enumerate(cases):
        now = t0 + timedelta(hours=7 * i)
        for activity, resource, gap, work in events:
            now += timedelta(minutes=gap)
            start = "" if work is None else (now - timedelta(minutes=work)).isoformat()
            rows.append((f"c{i}", activity, now.isoformat(), start, resource))
    cols = ["case_id", "activity", "timestamp", "start_timestamp", "resource"]
    pd.DataFrame(rows, columns=cols).to_csv(path, index=False)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=_LOGS)
def test_kpi_invariants_on_random_logs(cases: list[list[tuple]]) -> None:
    """Rates lie in [0, 1], durations are non-negative, first-time-right implies no rework and no error."""
    from baton.api import open_workspace

    with tempfile.TemporaryDirectory() as tmp, open_workspace() as ws:
        path = Path(tmp) / "random.csv"
        _write_log(cases, path)
        has_starts = any(e[3] is not None for c in cases for e in c)
        start_key = "start_timestamp" if has_starts else None  # an all-empty column cannot be mapped
        ws.import_file(path, name="random", exact_mapping=True, start_timestamp_key=start_key, **_KEYS)
        summary = get_kpis(ws.log("random"), _PROPERTY_SETTINGS)
    t = summary.per_case.to_pandas()
    assert len(t) == len(cases)
    for col in ("cycle_time_us", "waiting_us", "processing_us"):
        assert (t[col].dropna() >= 0).all(), col
    ftr = t[t["first_time_right"]]
    assert not ftr["rework"].any() and not ftr["has_error"].fillna(False).any()
    assert t["automation_share"].between(0, 1).all()
    assert (t["handoffs"] <= t["n_events"] - 1).all()
    for v in summary.values:
        if v.value is not None and v.definition.unit == "share":
            assert 0.0 <= v.value <= 1.0, v.key
        if v.value is not None and v.definition.unit in ("duration", "count", "per_period"):
            assert v.value >= 0, v.key
    assert all(p.wip is None or p.wip >= 0 for p in summary.periods)
