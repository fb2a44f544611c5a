"""The notebook facade: events out as pandas/Arrow with every row and value; logs handed to pm4py."""

from __future__ import annotations

import csv
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import baton

BASE = datetime(2024, 1, 1, tzinfo=UTC)

rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(["c1", "c2", "c3", "007", "c 5"]),
        st.sampled_from(["Submit", "Check", "Approve", 'Say "hi"', "Päy, now"]),
        st.integers(0, 10_000),  # minutes after BASE (many ties)
        st.floats(0, 1e6, allow_nan=False).map(lambda x: round(x, 2)),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=25, deadline=None)
@given(rows_strategy)
def test_csv_to_duckdb_to_pandas_keeps_every_row(rows: list[tuple[str, str, int, float]]) -> None:
    """Every CSV row comes back out of the workspace with the same case, activity, instant and cost."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["case", "activity", "time", "cost"])
            for case, act, minutes, cost in rows:
                w.writerow([case, act, (BASE + timedelta(minutes=minutes)).isoformat(), cost])
        ws = baton.open_workspace()
        report = ws.import_file(
            path,
            name="x",
            case_id_key="case",
            activity_key="activity",
            timestamp_key="time",
            case_attributes=[],
        )
        distinct = {(c, a, m) for c, a, m, _ in rows}
        assert report.rows_read == len(rows)
        assert report.rows_loaded == len(distinct)  # exact repeats are rejected as duplicates, not lost
        out = ws.log("x").to_pandas()
        got = sorted(zip(out["case_id"], out["activity"], out["timestamp"], strict=True))
        first_of_each: dict[tuple[str, str, int], float] = {}
        for c, a, m, cost in rows:
            first_of_each.setdefault((c, a, m), cost)
        want = sorted((c, a, BASE + timedelta(minutes=m)) for c, a, m in first_of_each)
        assert got == want
        assert sorted(out["cost"].round(2)) == sorted(first_of_each.values())


def test_to_pandas_respects_filters_and_order(sample_logs: Path) -> None:
    """A filtered log's events are exactly the kept cases' events, in case then event order."""
    ws = baton.open_workspace()
    ws.import_file(sample_logs / "loans_before.parquet", name="b")
    log = ws.log("b").filter(baton.HasRework())
    events = log.to_pandas()
    cases = baton.get_case_durations(log).cases
    assert events["case_id"].nunique() == cases
    assert len(events) == sum(v.count * len(v.activities) for v in baton.get_variants(log).variants)
    df = baton.to_pm4py(log)
    assert list(df["concept:name"]) == list(events["activity"])


def test_exact_mapping_leaves_unset_keys_unmapped_and_source_label_is_stored(sample_logs: Path) -> None:
    """exact_mapping=True maps only the keywords given (no suggested resource or start time), and
    source_label replaces the path as the log's recorded source (an upload's own file name)."""
    keys = {"case_id_key": "case_id", "activity_key": "activity", "timestamp_key": "timestamp"}
    with baton.open_workspace() as ws:
        suggested = ws.import_file(sample_logs / "loans_before.csv", name="a", **keys)
        exact = ws.import_file(
            sample_logs / "loans_before.csv", name="b", exact_mapping=True, source_label="upload.csv", **keys
        )
        assert {"resource_key", "start_timestamp_key"} <= set(suggested.mapping)
        assert exact.mapping == keys
        assert ws.info("b").source == "upload.csv" and ws.info("a").source.endswith("loans_before.csv")
        assert ws.info("b").mapping["mapping"] == keys and not ws.info("b").has_start_timestamps


def test_a_submodule_can_be_the_first_import() -> None:
    """Importing a baton submodule first (no `import baton` before) works: the lazy API does not get in the way."""
    import subprocess
    import sys

    code = "from baton.pm4py_bridge.nets import spec_to_pm4py; import baton; print(baton.check_conformance.__name__)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "check_conformance"
