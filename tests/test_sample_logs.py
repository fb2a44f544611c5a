"""The committed demo logs in sample_logs/ agree across CSV, Parquet, XES, the BPMN model and facts.json."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from pathlib import Path

import defusedxml.ElementTree as ET
import pandas as pd
import pyarrow.parquet as pq
import pytest

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
LOGS = ("loans_before", "loans_after")
END_ACTIVITIES = {"Disburse Loan", "Reject Application", "Cancel Application"}
XES = "{http://www.xes-standard.org/}"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
ZONES = {
    "Berlin": "Europe/Berlin",
    "Munich": "Europe/Berlin",
    "London": "Europe/London",
    "New York": "America/New_York",
}


@pytest.fixture(scope="module")
def facts() -> dict:
    """The facts the generator wrote."""
    return json.loads((SAMPLES / "facts.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=LOGS)
def log(request: pytest.FixtureRequest) -> tuple[str, pd.DataFrame]:
    """One log's CSV with both timestamp columns parsed to UTC."""
    df = pd.read_csv(SAMPLES / f"{request.param}.csv", keep_default_na=False, na_values={"cost": [""]})
    for col in ("timestamp", "start_timestamp"):
        df[col + "_utc"] = pd.to_datetime(df[col].replace("", None), format="ISO8601", utc=True)
    return request.param, df


def test_outputs_stay_under_five_megabytes() -> None:
    """Every generated file is small enough to commit (< 5 MB)."""
    outputs = [p for p in SAMPLES.iterdir() if p.suffix != ".py"]
    assert len(outputs) >= 8
    assert all(p.stat().st_size < 5_000_000 for p in outputs), {p.name: p.stat().st_size for p in outputs}


def test_parquet_matches_csv_row_for_row(log: tuple[str, pd.DataFrame]) -> None:
    """Parquet holds the CSV's rows in the same order, with UTC TIMESTAMPTZ columns."""
    name, df = log
    table = pq.read_table(SAMPLES / f"{name}.parquet")
    assert str(table.schema.field("timestamp").type) == "timestamp[us, tz=UTC]"
    pdf = table.to_pandas()
    assert len(pdf) == len(df)
    for col in ("case_id", "activity", "resource", "product", "channel", "region", "loan_amount"):
        assert pdf[col].tolist() == df[col].tolist(), col
    assert (pdf["timestamp"] == df["timestamp_utc"]).all()
    assert pdf["start_timestamp"].isna().tolist() == df["start_timestamp_utc"].isna().tolist()
    has_start = df["start_timestamp_utc"].notna()
    assert (pdf.loc[has_start, "start_timestamp"] == df.loc[has_start, "start_timestamp_utc"]).all()
    assert pdf["cost"].round(2).tolist() == df["cost"].tolist()


def test_csv_offsets_follow_each_branch_zone_with_dst(log: tuple[str, pd.DataFrame]) -> None:
    """Each CSV timestamp carries its region's UTC offset at that instant (e.g. +01:00 in winter, +02:00 in summer)."""
    _, df = log
    for region, zone in ZONES.items():
        rows = df[df["region"] == region]
        expected = rows["timestamp_utc"].dt.tz_convert(zone).map(lambda t: t.isoformat())
        assert (expected == rows["timestamp"]).all(), region
        assert rows["timestamp"].str[-6:].nunique() == 2, f"{region} should show a summer and a winter offset"


def test_rows_ordered_by_case_then_time(log: tuple[str, pd.DataFrame]) -> None:
    """Rows are grouped by case and each step starts after the previous one completed (ties allowed)."""
    _, df = log
    assert df["case_id"].is_monotonic_increasing
    same_case = df["case_id"].eq(df["case_id"].shift())
    assert (df["timestamp_utc"] >= df["timestamp_utc"].shift())[same_case].all()
    prev = df["timestamp_utc"].shift()
    started = same_case & df["start_timestamp_utc"].notna()
    assert (df["start_timestamp_utc"][started] >= prev[started]).all()
    has_start = df["start_timestamp_utc"].notna()
    assert (df["start_timestamp_utc"][has_start] <= df["timestamp_utc"][has_start]).all()


def test_xes_has_a_complete_event_per_csv_row_and_a_start_per_start_timestamp(
    log: tuple[str, pd.DataFrame],
) -> None:
    """The XES has one complete per CSV row (same case, activity, UTC time) and a start per start timestamp."""
    name, df = log
    rows: list[tuple[str, str, str, str]] = []
    traces: dict[str, dict[str, str]] = {}
    with gzip.open(SAMPLES / f"{name}.xes.gz", "rb") as fh:
        for _, elem in ET.iterparse(fh, events=("end",)):
            if elem.tag == f"{XES}trace":
                attrs = {c.get("key"): c.get("value") for c in elem if c.tag != f"{XES}event"}
                traces[attrs["concept:name"]] = attrs
                for ev in elem.iter(f"{XES}event"):
                    values = {c.get("key"): c.get("value") for c in ev}
                    rows.append(
                        (
                            attrs["concept:name"],
                            values["concept:name"],
                            values["lifecycle:transition"],
                            values["time:timestamp"],
                        )
                    )
                elem.clear()
    xes = pd.DataFrame(rows, columns=["case_id", "activity", "transition", "time"])
    complete = xes[xes["transition"] == "complete"].reset_index(drop=True)
    assert len(complete) == len(df)
    assert (xes["transition"] == "start").sum() == df["start_timestamp_utc"].notna().sum()
    assert complete["case_id"].tolist() == df["case_id"].tolist()
    assert complete["activity"].tolist() == df["activity"].tolist()
    assert (pd.to_datetime(complete["time"], format="ISO8601", utc=True) == df["timestamp_utc"]).all()
    first = df.drop_duplicates("case_id").set_index("case_id")
    assert len(traces) == len(first)
    assert all(int(traces[c]["loan_amount"]) == first.at[c, "loan_amount"] for c in first.index[:200])
    assert all(traces[c]["region"] == first.at[c, "region"] for c in first.index[:200])


def test_facts_match_the_csv(log: tuple[str, pd.DataFrame], facts: dict) -> None:
    """facts.json counts (cases, events, running, rework, missing documents, ties) recompute from the CSV."""
    name, df = log
    f = facts[name]
    per_case = df.groupby("case_id", sort=False)
    counts = df.groupby(["case_id", "activity"]).size()
    same = df["case_id"].eq(df["case_id"].shift()) & df["timestamp_utc"].eq(df["timestamp_utc"].shift())
    assert f["cases"] == df["case_id"].nunique() >= 5000
    assert f["events"] == len(df)
    assert f["events_with_start"] == df["start_timestamp_utc"].notna().sum()
    assert f["running_cases"] == (~per_case["activity"].last().isin(END_ACTIVITIES)).sum() > 0
    assert f["rework_cases"] == counts[counts > 1].index.get_level_values(0).nunique()
    assert (
        f["missing_documents_cases"]
        == df.loc[df["activity"] == "Request Missing Documents", "case_id"].nunique()
    )
    assert (
        f["data_entry_error_cases"]
        == df.loc[df["activity"] == "Correct Data Entry Error", "case_id"].nunique()
    )
    assert f["equal_timestamp_pairs"] == same.sum() > 0
    assert f["activities"] == sorted(df["activity"].unique())


def test_before_is_manual_and_after_is_automated(facts: dict) -> None:
    """The story holds: BEFORE is mostly human with more rework and slower cases than AFTER."""
    before, after = facts["loans_before"], facts["loans_after"]
    assert before["system_event_share"] < 0.2 < 0.8 < after["system_event_share"]
    assert before["rework_cases"] > after["rework_cases"]
    assert before["median_completed_case_hours"] > 5 * after["median_completed_case_hours"]
    assert "Re-enter Application Data" in before["activities"]
    assert "Escalate to Team Lead" in after["activities"]


def test_sla_breaches_and_escalations_match_facts(facts: dict) -> None:
    """AFTER cases whose underwriting started > 2 days after the credit check are the breaches facts.json counts."""
    df = pd.read_csv(SAMPLES / "loans_after.csv")
    ts = pd.to_datetime(df["timestamp"], format="ISO8601", utc=True)
    start = pd.to_datetime(df["start_timestamp"], format="ISO8601", utc=True)
    ready = ts[df["activity"] == "Run Credit Check"].groupby(df["case_id"]).max()
    began = start[df["activity"] == "Underwrite Application"].groupby(df["case_id"]).min()
    breached = set(began.index[(began - ready.reindex(began.index)) > timedelta(days=2)])
    escalated = set(df.loc[df["activity"] == "Escalate to Team Lead", "case_id"])
    f = facts["loans_after"]
    assert f["sla_breach_cases"] == len(breached) > 0
    assert f["escalated_cases"] == len(escalated) > 0
    assert f["breached_and_escalated"] == len(breached & escalated)
    assert f["breached_not_escalated"] == len(breached - escalated) > 0
    esc_time = ts[df["activity"] == "Escalate to Team Lead"].groupby(df["case_id"]).first()
    assert ((esc_time - ready.reindex(esc_time.index)) == timedelta(days=2)).all()
    assert (esc_time >= pd.Timestamp(f["sla_monitor_live_from"])).all()


def test_bpmn_tasks_lanes_timer_and_diagram(facts: dict) -> None:
    """The to-be BPMN names the AFTER activities (except the injected re-entry), has lanes, a P2D timer and DI."""
    root = ET.parse(SAMPLES / "loans_target.bpmn").getroot()
    process = root.find(f"{BPMN}process")
    assert process is not None
    service = {e.get("name") for e in process.iter(f"{BPMN}serviceTask")}
    user = {e.get("name") for e in process.iter(f"{BPMN}userTask")}
    assert service | user == set(facts["loans_after"]["activities"]) - {"Re-enter Application Data"}
    assert user == {
        "Correct Data Entry Error",
        "Review Documents",
        "Underwrite Application",
        "Manager Approval",
    }
    ids = {e.get("name"): e.get("id") for e in process if e.get("name")}
    timer = process.find(f"{BPMN}boundaryEvent")
    assert timer is not None and timer.get("attachedToRef") == ids["Underwrite Application"]
    assert timer.findtext(f"{BPMN}timerEventDefinition/{BPMN}timeDuration") == "P2D"
    flows = list(process.iter(f"{BPMN}sequenceFlow"))
    assert any(
        f.get("sourceRef") == timer.get("id") and f.get("targetRef") == ids["Escalate to Team Lead"]
        for f in flows
    )
    lanes = {lane.get("name"): {r.text for r in lane} for lane in process.iter(f"{BPMN}lane")}
    system_lane = next(refs for name, refs in lanes.items() if name.startswith("Automation"))
    assert {ids[n] for n in service} <= system_lane and not {ids[n] for n in user} & system_lane
    shapes = {s.get("bpmnElement") for s in root.iter(f"{BPMNDI}BPMNShape")}
    edges = {e.get("bpmnElement") for e in root.iter(f"{BPMNDI}BPMNEdge")}
    nodes = {e.get("id") for e in process if e.tag not in (f"{BPMN}laneSet", f"{BPMN}sequenceFlow")}
    assert nodes <= shapes and {f.get("id") for f in flows} == edges
