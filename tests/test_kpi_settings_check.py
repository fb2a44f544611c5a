"""KPI settings are checked against the compared logs: misspelt activities or resources fail loudly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.before_after import compare_before_after
from analytics.before_after_setup import SegmentsSetup, TwoLogsSetup
from analytics.kpi_catalogue import KpiSettings
from analytics.kpi_settings_check import check_settings_for_logs, setup_logs
from baton.errors import FilterError


@pytest.fixture(scope="module")
def two_logs(sample_logs: Path) -> Iterator:
    """The sample BEFORE and AFTER logs in one in-memory workspace."""
    from baton.api import open_workspace

    ws = open_workspace()
    for name in ("loans_before", "loans_after"):
        ws.import_file(sample_logs / f"{name}.parquet", name=name)
    yield ws.log("loans_before"), ws.log("loans_after")
    ws.close()


def test_misspelt_end_activity_is_named_with_a_close_match(two_logs: tuple) -> None:
    """An end activity in neither log raises, naming the setting, the name, the logs and the likely spelling."""
    settings = KpiSettings(end_activities=("Disburse Loan", "Reject Applicaton"))
    with pytest.raises(FilterError) as err:
        compare_before_after(TwoLogsSetup(*two_logs), settings, n_boot=50)
    text = str(err.value)
    assert "end_activities" in text and "'Reject Applicaton'" in text and "'Reject Application'" in text
    assert "'loans_before' or 'loans_after'" in text
    assert "Disburse Loan'" not in text.split("did you mean")[0].replace("'Reject Applicaton'", "")


def test_error_activity_present_on_one_side_only_is_accepted(two_logs: tuple) -> None:
    """An error activity orchestration removed from one side is valid: names are looked up in all logs."""
    before, after = two_logs
    acts_after = set(after.to_pandas()["activity"])
    only_before = sorted(set(before.to_pandas()["activity"]) - acts_after)
    name = only_before[0] if only_before else "Correct Data Entry Error"
    check_settings_for_logs(KpiSettings(error_activities=(name,)), [before, after])


def test_unknown_system_resource_and_prefix(two_logs: tuple) -> None:
    """A system resource in no log and a prefix no resource starts with both raise with the field's name."""
    logs = list(two_logs)
    with pytest.raises(FilterError, match=r"system_resources: 'sys_nobody'"):
        check_settings_for_logs(KpiSettings(system_resources=("sys_nobody",)), logs)
    with pytest.raises(FilterError, match=r"system_resource_prefix 'bot_': no resource"):
        check_settings_for_logs(KpiSettings(system_resource_prefix="bot_"), logs)
    check_settings_for_logs(KpiSettings(system_resource_prefix="sys_"), logs)


def test_setup_logs_lists_the_control_too(two_logs: tuple) -> None:
    """A segments setup with a two-logs control compares three log references, in order."""
    before, after = two_logs
    control = TwoLogsSetup(before, after)
    setup = SegmentsSetup.by_attribute(after, "channel", ("web",), ("branch",), control=control)
    assert [log.name for log in setup_logs(setup)] == ["loans_after", "loans_before", "loans_after"]
