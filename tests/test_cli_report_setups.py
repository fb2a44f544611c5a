"""`baton report` setups: --where, segments, controls (difference-in-differences) and the app's KPI settings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import astuple
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from analytics.before_after import compare_before_after
from analytics.before_after_setup import CutoverSetup, SegmentsSetup, TwoLogsSetup
from analytics.kpi_catalogue import KpiSettings
from baton import cli_report as cr
from baton import schema as s
from baton.cli import app
from baton.filters import CaseAttribute
from reports.build import build_report
from reports.charts import format_kpi_value

ROOT = Path(__file__).resolve().parents[1]
END = ("Disburse Loan", "Reject Application", "Cancel Application")
SETTINGS = KpiSettings(end_activities=END)
N_BOOT = 200
BASE = ["--end-activities", ",".join(END), "--n-boot", str(N_BOOT), "--seed", "0"]
SEGMENTS = ["--log", "loans_before", "--segment-by", "channel", "--before-values", "branch"]
CUTOVER = ["--log", "loans_before", "--cutover", "2025-04-01T00:00Z"]


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory: pytest.TempPathFactory, sample_logs: Path) -> Path:
    """A workspace file with the sample BEFORE and AFTER logs (Parquet)."""
    from baton.api import open_workspace

    path = tmp_path_factory.mktemp("report_setups") / "ws.duckdb"
    with open_workspace(path) as ws:
        for name in ("loans_before", "loans_after"):
            ws.import_file(sample_logs / f"{name}.parquet", name=name)
    return path


@pytest.fixture(scope="module")
def ws(ws_path: Path) -> Iterator[Any]:
    """The workspace opened read-only (as `baton report` opens it)."""
    from baton.api import open_workspace

    workspace = open_workspace(ws_path, read_only=True)
    yield workspace
    workspace.close()


def _opts(tmp: Path, **fields: Any) -> cr.ReportOptions:
    """ReportOptions as the CLI builds them (only the named fields set)."""
    return cr.ReportOptions(tmp / "r.html", n_boot=N_BOOT, end_activities=",".join(END), **fields)


def _invoke(ws_path: Path, out: Path, *args: str) -> Any:
    return CliRunner().invoke(
        app, ["report", *args, *BASE, "--output", str(out), "--workspace", str(ws_path)]
    )


def _xlsx_kpis(path: Path) -> dict[str, tuple[Any, ...]]:
    sheet = openpyxl.load_workbook(path, data_only=True)["KPIs"]
    return {str(r[0].value): tuple(c.value for c in r[1:9]) for r in sheet.iter_rows(min_row=2)}


def test_segments_by_channel_equal_the_api(ws: Any, ws_path: Path, tmp_path: Path) -> None:
    """--segment-by channel (branch vs web): the KPI rows, xlsx and html equal compare_before_after's."""
    direct = compare_before_after(
        SegmentsSetup.by_attribute(ws.log("loans_before"), "channel", ("branch",), ("web",)),
        SETTINGS, n_boot=N_BOOT, seed=0,
    )  # fmt: skip
    opts = _opts(
        tmp_path, log="loans_before", segment_by="channel", before_values="branch", after_values="web"
    )
    content, result = build_report(cr.build_request(ws, opts))
    assert [astuple(k)[:8] for k in content.kpis] == [astuple(r)[:8] for r in direct.rows()]
    assert [x.cases for x in result.sides] == [x.cases for x in direct.sides] == [2185, 1786]
    median = direct["cycle_time_median"].comparison
    assert median is not None
    files = {fmt: tmp_path / f"seg.{fmt}" for fmt in ("xlsx", "html")}
    for path in files.values():
        res = _invoke(ws_path, path, *SEGMENTS, "--after-values", "web")
        assert res.exit_code == 0, res.output
    row = _xlsx_kpis(files["xlsx"])["Cycle time (median)"]
    assert row[1] == pytest.approx(median.before / 3.6e9) and row[2] == pytest.approx(median.after / 3.6e9)
    html = re.sub(r"\s+", " ", files["html"].read_text(encoding="utf-8"))
    assert format_kpi_value(median.before, "duration") in html
    assert format_kpi_value(median.after, "duration") in html


def test_cutover_where_and_control_where_give_the_apis_diff_in_diff(
    ws: Any, ws_path: Path, tmp_path: Path
) -> None:
    """A cutover on region=Berlin with control region=Munich: DiD rows equal compare_before_after's."""
    log = ws.log("loans_before")
    cut = datetime(2025, 4, 1, tzinfo=UTC)
    control = CutoverSetup(log.filter(CaseAttribute("region", ("Munich",))), cut)
    setup = CutoverSetup(log.filter(CaseAttribute("region", ("Berlin",))), cut, control=control)
    direct = compare_before_after(setup, SETTINGS, n_boot=N_BOOT, seed=0)
    opts = _opts(
        tmp_path, log="loans_before", cutover="2025-04-01T00:00Z", where=("region=Berlin",),
        control_where=("region=Munich",),
    )  # fmt: skip
    request = cr.build_request(ws, opts)
    assert request.setup == setup
    _, result = build_report(request)
    dids = [(r.key, r.did, r.did_verdict) for r in result.kpis]
    assert dids == [(r.key, r.did, r.did_verdict) for r in direct.kpis]
    assert sum(d is not None for _, d, _ in dids) >= 5
    assert [x.role for x in result.sides] == ["before", "after", "control before", "control after"]
    out = tmp_path / "did.xlsx"
    res = _invoke(ws_path, out, *CUTOVER, "--where", "region=Berlin", "--control-where", "region=Munich")
    assert res.exit_code == 0, res.output
    sheet = openpyxl.load_workbook(out, data_only=True)["Provenance"]
    rows = {r[0].value: (r[4].value, r[7].value) for r in sheet.iter_rows(min_row=2) if r[7].value}
    assert rows["control after"] == (direct.sides[3].filters, direct.sides[3].cases)
    assert '"Munich"' in rows["control after"][0] and '"Berlin"' in rows["after"][0]


def test_two_logs_control_logs_and_typed_where(ws: Any, tmp_path: Path) -> None:
    """--control-before/--control-after make a TwoLogsSetup control; numbers in --where are typed (BIGINT)."""
    opts = _opts(
        tmp_path, before="loans_before", after="loans_after", where=("loan_amount=19400,9300",),
        control_before="loans_after", control_after="loans_before",
    )  # fmt: skip
    setup = cr.build_setup(ws, opts)
    assert isinstance(setup, TwoLogsSetup) and isinstance(setup.control, TwoLogsSetup)
    assert setup.before.filters.filters == (CaseAttribute("loan_amount", (19400, 9300)),)
    assert setup.control.before.name == "loans_after" and not setup.control.before.filters.filters
    assert setup.before.to_pandas()[s.CASE_ID].nunique() == 10 + 19  # cases of EUR 19,400 and of 9,300


def test_spanning_before_keeps_spanning_cases(ws: Any, tmp_path: Path) -> None:
    """--spanning before builds the cutover setup that keeps spanning cases in the before side."""
    opts = _opts(tmp_path, log="loans_before", cutover="2025-04-01T00:00Z", spanning="before")
    setup = cr.build_setup(ws, opts)
    assert setup == CutoverSetup(ws.log("loans_before"), datetime(2025, 4, 1, tzinfo=UTC), "before")


def test_sla_hours_gives_the_apis_sla_compliance(ws: Any, tmp_path: Path) -> None:
    """--sla-hours 48 gives the SLA compliance compare_before_after gives with sla_threshold=48 h."""
    settings = KpiSettings(end_activities=END, sla_threshold=timedelta(hours=48))
    setup = TwoLogsSetup(ws.log("loans_before"), ws.log("loans_after"))
    want = compare_before_after(setup, settings, n_boot=N_BOOT, seed=0)["sla_compliance"]
    opts = _opts(tmp_path, before="loans_before", after="loans_after", sla_hours=48.0)
    request = cr.build_request(ws, opts)
    assert request.settings == settings
    _, result = build_report(request)
    got = result["sla_compliance"]
    assert got.comparison is not None and got.comparison == want.comparison
    assert 0 < got.comparison.before < got.comparison.after <= 1


def test_settings_options_reach_kpi_settings(tmp_path: Path) -> None:
    """--system-resources, --cost-attribute and --period land in KpiSettings as the app builds them."""
    opts = _opts(tmp_path, system_resources="sys_bot, sys_ocr", cost_attribute="fee", period="month")
    settings = cr.build_settings(opts, None)
    assert settings.system_resources == ("sys_bot", "sys_ocr")
    assert settings.cost_attribute == "fee" and settings.period == "month"
    assert cr.build_settings(_opts(tmp_path), None).cost_attribute == "cost"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--before", "loans_before", *SEGMENTS, "--after-values", "web"], "got --before, --segment-by"),
        ([*CUTOVER, "--segment-by", "channel"], "got --cutover, --segment-by, --log"),
        (SEGMENTS, "got --segment-by, --before-values, --log"),
        ([], "got none of them"),
    ],
)
def test_mixed_or_incomplete_setup_names_the_three_forms(
    ws_path: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    """A mix of setups (or half of one): exit 1, one line naming the options given and the three forms."""
    target = tmp_path / "r.html"
    res = _invoke(ws_path, target, *args)
    assert res.exit_code == 1
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: choose what to compare"), res.output
    for form in ("--before LOG --after LOG", "--log LOG --cutover", "--segment-by ATTR --before-values"):
        assert form in lines[0]
    assert message in lines[0] and not target.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([*CUTOVER, "--where", "loan_amount=lots"], "'lots' does not fit case attribute 'loan_amount'"),
        ([*CUTOVER, "--where", "loan_amount=lots"], "which holds BIGINT values; give whole numbers"),
        ([*CUTOVER, "--where", "region"], "--where 'region': expected ATTRIBUTE=VALUE1,VALUE2"),
        ([*CUTOVER, "--where", "colour=red"], "has no case attribute 'colour'"),
        ([*CUTOVER, "--spanning", "after"], "--spanning 'after': expected exclude"),
        ([*CUTOVER, "--control-before", "loans_after"], "--control-before and --control-after go together"),
        ([*CUTOVER, "--period", "year"], "--period 'year': expected day, week or month"),
        ([*CUTOVER, "--sla-hours", "0"], "--sla-hours 0.0: expected a positive number"),
        (
            [*CUTOVER, "--sla-hours", "48", "--model", str(ROOT / "sample_logs" / "loans_target.bpmn")],
            "--sla-hours 48 and --model: the model's SLA timers",
        ),
    ],
)
def test_bad_values_and_settings_exit_1_with_one_line(
    ws_path: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    """A value not fitting its attribute's type, a bad spanning, period or SLA: exit 1 with one clear line."""
    target = tmp_path / "r.html"
    res = _invoke(ws_path, target, *args)
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert res.exit_code == 1 and len(lines) == 1 and message in lines[0], res.output
    assert not target.exists()


def test_cost_rates_file_gives_the_apis_cost_from_processing_time(ws: Any, tmp_path: Path) -> None:
    """--cost-rates (rates per role + resource roles) gives the API's cost per case from time x rate."""
    rates = tmp_path / "rates.yaml"
    rates.write_text(
        "hourly_rates: {clerk: 40, underwriter: 90, system: 0}\n"
        "resource_roles: {Anna Keller: clerk, Ben Wagner: underwriter, sys_kyc_bot: system}\n",
        encoding="utf-8",
    )
    settings = KpiSettings(
        end_activities=END,
        hourly_rates={"clerk": 40.0, "underwriter": 90.0, "system": 0.0},
        resource_roles={"Anna Keller": "clerk", "Ben Wagner": "underwriter", "sys_kyc_bot": "system"},
    )
    opts = _opts(tmp_path, before="loans_before", after="loans_after", cost_rates=rates)
    request = cr.build_request(ws, opts)
    assert request.settings == settings
    setup = TwoLogsSetup(ws.log("loans_before"), ws.log("loans_after"))
    want = compare_before_after(setup, settings, n_boot=N_BOOT, seed=0)["cost_per_case"]
    got = build_report(request)[1]["cost_per_case"]
    assert want.comparison is not None and got.comparison == want.comparison
    rates.write_text("hourly_rates: {clerk: -1}\nresource_roles: {Anna Keller: clerk}\n", encoding="utf-8")
    with pytest.raises(cr.FilterError, match=r"rates.yaml: hourly_rates.clerk = -1"):
        cr.build_settings(opts, None)
    rates.write_text("hourly_rates: {clerk: 40}\nresource_roles: {Anna Keller: clerk, Ben Wagner: lead}\n")
    with pytest.raises(cr.FilterError, match=r"--cost-rates rates.yaml: .*hourly_rates"):
        cr.build_settings(opts, None)
