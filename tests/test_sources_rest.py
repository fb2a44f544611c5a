"""Jira and ServiceNow connectors against a local recorded-API server: pulls, re-pulls, retries, auth errors."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from baton.api import Workspace, open_workspace
from baton.errors import FatalSourceError, RetriableSourceError
from connectors.sources.base import REJECT_REASON, Source, SourceConfig
from connectors.sources.config import build_source, register_source_kind
from connectors.sources.http import offset_pages, retry_after, token_pages
from connectors.sources.jira import JiraSource
from connectors.sources.servicenow import ServiceNowSource
from tests.rest_server import RecordedApi, serve

TOKEN = "Canary-jira-7f3e-t0ken"
PASSWORD = "Canary-snow-9a1b-pa55"
EMAIL, SNOW_USER = "bot@acme.test", "baton.integration"


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """An aware UTC time in 2024."""
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


def basic(user: str, secret: str) -> str:
    """The Authorization header of basic auth."""
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


@pytest.fixture
def jira_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordedApi]:
    """The recorded Jira site, first state, expecting the e-mail + API token."""
    monkeypatch.setenv("BATON_TEST_JIRA_TOKEN", TOKEN)
    api = RecordedApi(authorization=basic(EMAIL, TOKEN))
    api.load("jira/pull1.json")
    with serve(api):
        yield api


@pytest.fixture
def snow_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordedApi]:
    """The recorded ServiceNow instance, first state, expecting the user + password."""
    monkeypatch.setenv("BATON_TEST_SNOW_PASSWORD", PASSWORD)
    api = RecordedApi(authorization=basic(SNOW_USER, PASSWORD))
    api.load("servicenow/pull1.json")
    with serve(api):
        yield api


def jira(api: RecordedApi, **settings: Any) -> JiraSource:
    """A Jira source on the recorded site (pages of 2, short timeouts and backoffs)."""
    base = {
        "url": api.url, "email": EMAIL, "api_token_env": "BATON_TEST_JIRA_TOKEN", "jql": "project = OPS",
        "jql_timezone": "Europe/Berlin", "page_size": 2, "timeout_seconds": 1.0, "backoff_seconds": 0.01,
    }  # fmt: skip
    return JiraSource.from_config(SourceConfig("jira", "ops", {**base, **settings}, path="sources/ops.yaml"))


def snow(api: RecordedApi, **settings: Any) -> ServiceNowSource:
    """A ServiceNow source on the recorded instance (pages of 3)."""
    base = {
        "url": api.url, "user": SNOW_USER, "password_env": "BATON_TEST_SNOW_PASSWORD", "page_size": 3,
        "timeout_seconds": 1.0, "backoff_seconds": 0.01,
    }  # fmt: skip
    config = SourceConfig("servicenow", "incidents", {**base, **settings}, path="sources/incidents.yaml")
    return ServiceNowSource.from_config(config)


def events(ws: Workspace, name: str) -> list[dict[str, Any]]:
    """The log's events as dicts, in case and event order."""
    return ws.log(name).to_arrow().to_pylist()


def trace(rows: list[dict[str, Any]], case: str) -> list[tuple[Any, ...]]:
    """(activity, start, end, resource) of one case's events, in order."""
    return [
        (r["activity"], r["start_timestamp"], r["timestamp"], r["resource"])
        for r in rows
        if r["case_id"] == case
    ]


# ---- Jira ------------------------------------------------------------------------------------------


def test_jira_full_pull_gives_status_instances(jira_api: RecordedApi) -> None:
    """A first pull loads every issue's status instances with start/end, assignee and the running ones."""
    ws = open_workspace()
    source = jira(jira_api)
    assert isinstance(source, Source)
    report = ws.pull(source)
    assert (report.rows_read, report.inserted, report.updated) == (10, 10, 0)
    assert report.cursor_after == "2024-03-06T10:00:00+00:00"
    rows = events(ws, "ops")
    assert sorted({r["case_id"] for r in rows}) == ["OPS-1", "OPS-2", "OPS-3"]
    assert trace(rows, "OPS-1") == [
        ("To Do", utc(3, 4, 8), utc(3, 4, 9, 30), None),
        ("In Progress", utc(3, 4, 9, 30), utc(3, 5, 15), "Ann Lee"),
        ("In Review", utc(3, 5, 15), utc(3, 6, 10), "Bob Stone"),
        ("Done", utc(3, 6, 10), utc(3, 6, 10), "Bob Stone"),
    ]
    # OPS-3's changelog was cut short in the search answer: read whole from the changelog endpoint
    assert [r[0] for r in trace(rows, "OPS-3")] == ["To Do", "In Progress", "Blocked", "In Progress"]
    ops2 = [r for r in rows if r["case_id"] == "OPS-2"]
    assert [(r["instance_state"], r["changed_by"]) for r in ops2] == [
        ("completed", None),
        ("running", "Cat Diaz"),
    ]
    assert [r["instance_state"] for r in rows if r["case_id"] == "OPS-1"][-1] == "final"
    assert ("/rest/api/3/issue/OPS-3/changelog", {"startAt": "2", "maxResults": "2"}) in jira_api.requests


def test_jira_second_pull_brings_exactly_the_changes(jira_api: RecordedApi) -> None:
    """After new transitions, a re-pull inserts the new instances, completes the running one, keeps the rest."""
    ws = open_workspace()
    ws.pull(jira(jira_api))
    jira_api.load("jira/pull2.json")
    jira_api.faults = ["500"]  # and one transient failure on the way
    source = jira(jira_api)
    report = ws.pull(source)
    assert (report.rows_read, report.inserted, report.updated, report.unchanged) == (8, 2, 1, 5)
    assert (report.cursor_before, report.cursor_after) == (
        "2024-03-06T10:00:00+00:00",
        "2024-03-07T10:00:00+00:00",
    )
    assert source.http.stats.retries == 1
    searched = [q["jql"] for p, q in jira_api.requests if p.endswith("/search/jql")]
    # cursor 10:00 UTC minus the 60 s look-back, floored to the minute, in the user's zone (CET)
    assert searched[-1] == '(project = OPS) AND updated >= "2024-03-06 10:59" ORDER BY updated ASC'
    rows = events(ws, "ops")
    assert len(rows) == 12 and len({r["case_id"] for r in rows}) == 4
    assert trace(rows, "OPS-2") == [
        ("To Do", utc(3, 5, 8), utc(3, 5, 9), "Cat Diaz"),
        ("In Progress", utc(3, 5, 9), utc(3, 7, 9), "Cat Diaz"),
        ("Done", utc(3, 7, 9), utc(3, 7, 9), "Cat Diaz"),
    ]
    assert trace(rows, "OPS-4") == [("To Do", utc(3, 7, 10), utc(3, 7, 10), None)]
    history = ws.source_loads("ops").to_pylist()
    assert [h["inserted"] for h in history] == [10, 2]


def test_jira_flaky_server_still_gives_the_complete_result(jira_api: RecordedApi) -> None:
    """Timeouts, 500s and a 429 are retried (Retry-After honoured); the result equals a clean pull's."""
    clean = open_workspace()
    clean.pull(jira(jira_api))
    jira_api.faults = ["slow", "ok", "500", "ok", "429", "ok", "slow", "500"]
    waits: list[float] = []
    source = jira(jira_api)
    source.http.sleep = waits.append
    ws = open_workspace()
    report = ws.pull(source)
    assert report.inserted == 10
    assert events(ws, "ops") == events(clean, "ops")
    assert source.http.stats.retries == 5 and len(waits) == 5
    assert sorted(waits)[-1] >= 2.0  # the 429's Retry-After: 2
    assert any("no answer within 1 s" in e for e in source.http.stats.errors)


def test_jira_retries_run_out_as_retriable_error(jira_api: RecordedApi) -> None:
    """A server failing every attempt ends in RetriableSourceError naming the host and the count."""
    jira_api.faults = ["500"] * 3
    source = jira(jira_api, attempts=3)
    source.http.sleep = lambda seconds: None
    with pytest.raises(RetriableSourceError, match=r"failed 3 times.*HTTP 500"):
        source.check()


def test_jira_401_is_fatal_without_the_token(jira_api: RecordedApi, monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused credentials: FatalSourceError naming the host and what to check, never the token."""
    monkeypatch.setenv("BATON_TEST_JIRA_TOKEN", TOKEN + "-revoked")
    source = jira(jira_api)
    ws = open_workspace()
    with pytest.raises(FatalSourceError) as info:
        ws.pull(source)
    text = str(info.value)
    assert "HTTP 401" in text and jira_api.url.split("//")[1] in text and "BATON_TEST_JIRA_TOKEN" in text
    assert TOKEN not in text and basic(EMAIL, TOKEN + "-revoked").split()[1] not in text
    shown = repr(source.describe())
    assert TOKEN not in shown and source.describe()["auth"]["secret"] == "$BATON_TEST_JIRA_TOKEN (***)"
    assert ws.logs() == []


def test_jira_bearer_auth_and_registry(jira_api: RecordedApi, monkeypatch: pytest.MonkeyPatch) -> None:
    """kind 'jira' builds from the registry; a bearer token is sent as ``Authorization: Bearer``."""
    register_source_kind("jira", "connectors.sources.jira:JiraSource")
    monkeypatch.setenv("BATON_TEST_JIRA_PAT", "pat-123")
    jira_api.authorization = "Bearer pat-123"
    settings = {"url": jira_api.url, "bearer_token_env": "BATON_TEST_JIRA_PAT"}
    source = build_source(SourceConfig("jira", "ops", settings))
    source.check()
    assert source.describe()["auth"] == {"type": "bearer", "secret": "$BATON_TEST_JIRA_PAT (***)"}


def test_jira_config_file_pulls(jira_api: RecordedApi, tmp_path: Path) -> None:
    """A `baton pull` YAML file (token named by its variable) reads, builds and pulls the Jira source."""
    register_source_kind("jira", "connectors.sources.jira:JiraSource")
    path = tmp_path / "ops.yaml"
    path.write_text(
        "kind: jira\nname: ops\nsettings:\n"
        f"  url: {jira_api.url}\n  email: {EMAIL}\n  api_token_env: BATON_TEST_JIRA_TOKEN\n"
        "  jql: project = OPS\n  page_size: 2\n",
        encoding="utf-8",
    )
    ws = open_workspace()
    report = ws.pull(path)
    assert (report.name, report.kind, report.inserted) == ("ops", "jira", 10)
    assert TOKEN not in repr(ws.source_loads("ops").to_pylist())


def test_jira_settings_are_checked() -> None:
    """Two kinds of auth, an ORDER BY in the JQL or an unknown key are refused naming the key."""
    both = {"url": "https://x.atlassian.net", "email": "a@b", "api_token_env": "T", "bearer_token_env": "B"}
    with pytest.raises(FatalSourceError, match="exactly one of 'api_token_env'"):
        JiraSource.from_config(SourceConfig("jira", "ops", both))
    ordered = {"url": "https://x.atlassian.net", "bearer_token_env": "B", "jql": "project = A ORDER BY key"}
    with pytest.raises(FatalSourceError, match="ORDER BY"):
        JiraSource.from_config(SourceConfig("jira", "ops", ordered))
    with pytest.raises(FatalSourceError, match="unknown setting 'projects'"):
        JiraSource.from_config(SourceConfig("jira", "ops", {"url": "https://x", "projects": "A"}))


# ---- ServiceNow ------------------------------------------------------------------------------------


def test_servicenow_full_pull_gives_state_instances(snow_api: RecordedApi) -> None:
    """A first pull loads incidents' state instances from sys_audit, labelled, joined to the incident."""
    ws = open_workspace()
    report = ws.pull(snow(snow_api))
    assert (report.rows_read, report.inserted, report.rows_rejected) == (9, 9, 0)
    assert report.cursor_after == "2024-04-02T15:00:00+00:00"
    rows = events(ws, "incidents")
    assert sorted({r["case_id"] for r in rows}) == ["INC0010001", "INC0010002", "INC0010003"]
    assert trace(rows, "INC0010001") == [
        ("New", utc(4, 1, 8), utc(4, 1, 8, 20), "itil.ann"),
        ("In Progress", utc(4, 1, 8, 20), utc(4, 1, 12), "itil.bob"),
        ("On Hold", utc(4, 1, 12), utc(4, 2, 9), "itil.bob"),
        ("In Progress", utc(4, 2, 9), utc(4, 2, 15), "itil.bob"),
        ("Resolved", utc(4, 2, 15), utc(4, 2, 15), "itil.bob"),
    ]
    # no insert audit row: the first change's old value is the initial state, from the incident's opened_at
    assert trace(rows, "INC0010003") == [
        ("New", utc(4, 2, 9, 30), utc(4, 2, 10), None),
        ("In Progress", utc(4, 2, 10), utc(4, 2, 10), "itil.ann"),
    ]
    # constant per incident: the import keeps them as case attributes
    log_id = ws.info("incidents").log_id
    sql = f"""SELECT c.case_id, x.priority, x.category, x.assigned_to FROM cases c
              JOIN attr_case_{log_id} x USING (case_index) WHERE c.log_id = ? ORDER BY 1"""
    assert ws.cursor().execute(sql, [log_id]).fetchall() == [
        ("INC0010001", "2 - High", "Network", "Beth Anglin"),
        ("INC0010002", "4 - Low", "Inquiry / Help", None),
        ("INC0010003", "3 - Moderate", "Software", "David Loo"),
    ]


def test_servicenow_second_pull_brings_exactly_the_changes(snow_api: RecordedApi) -> None:
    """New state changes: new instances inserted, the left ones completed, the rest unchanged."""
    ws = open_workspace()
    ws.pull(snow(snow_api))
    snow_api.load("servicenow/pull2.json")
    snow_api.faults = ["429", "slow"]
    source = snow(snow_api)
    source.http.sleep = lambda seconds: None
    report = ws.pull(source)
    assert (report.rows_read, report.inserted, report.updated, report.unchanged) == (10, 3, 2, 5)
    assert report.cursor_after == "2024-04-03T11:00:00+00:00" and source.http.stats.retries == 2
    queries = [q["sysparm_query"] for p, q in snow_api.requests if p.endswith("/sys_audit")]
    since = "tablename=incident^fieldname=state^sys_created_on>=2024-04-02 15:00:00^ORDERBYsys_created_on"
    assert f"{since}^ORDERBYsys_id" in queries
    rows = events(ws, "incidents")
    assert len(rows) == 12 and len({r["case_id"] for r in rows}) == 4
    assert trace(rows, "INC0010002")[1:] == [
        ("In Progress", utc(4, 1, 11), utc(4, 3, 9), "itil.cat"),
        ("Resolved", utc(4, 3, 9), utc(4, 3, 9), "itil.cat"),
    ]
    inc1 = [r for r in rows if r["case_id"] == "INC0010001"]
    assert [(r["activity"], r["instance_state"]) for r in inc1[-2:]] == [
        ("Resolved", "completed"),
        ("Closed", "final"),
    ]


def test_servicenow_401_is_fatal_without_the_password(snow_api: RecordedApi) -> None:
    """A 401 is fatal, names the host and what to check, and shows neither the password nor its header."""
    snow_api.faults = ["401"]
    source = snow(snow_api)
    with pytest.raises(FatalSourceError) as info:
        source.check()
    text = str(info.value)
    assert "HTTP 401" in text and "BATON_TEST_SNOW_PASSWORD" in text and "sys_audit" in text
    assert PASSWORD not in text and basic(SNOW_USER, PASSWORD).split()[1] not in text
    assert PASSWORD not in repr(source.describe())


def test_servicenow_state_labels_override(snow_api: RecordedApi) -> None:
    """state_labels relabels a code; the rows carry the code too."""
    source = snow(snow_api, state_labels={"2": "Work in Progress"})
    table = pa.Table.from_batches(list(source.read(None)))
    states = {(r["state_code"], r["state"]) for r in table.to_pylist()}
    assert ("2", "Work in Progress") in states and ("1", "New") in states


def test_servicenow_registry_and_missing_incident_reject(snow_api: RecordedApi) -> None:
    """kind 'servicenow' builds from the registry; audit rows of an incident not readable become rejects."""
    register_source_kind("servicenow", "connectors.sources.servicenow:ServiceNowSource")
    settings = {"url": snow_api.url, "user": SNOW_USER, "password_env": "BATON_TEST_SNOW_PASSWORD"}
    source = build_source(SourceConfig("servicenow", "incidents", settings))
    assert isinstance(source, ServiceNowSource) and isinstance(source, Source)
    audit = {"sys_id": "f1", "documentkey": "gone", "oldvalue": "", "newvalue": "1", "user": "admin",
             "sys_created_on": "2024-04-01 08:00:00"}  # fmt: skip
    (row,) = source._incident_rows("gone", [audit], None)
    assert row["incident"] is None and row[REJECT_REASON] == (
        "incident gone is not in the incident table (deleted, or not readable)"
    )


# ---- the HTTP helpers ------------------------------------------------------------------------------


def test_pagination_helpers_stop_at_the_end() -> None:
    """offset_pages stops at the last page, token_pages at a missing or repeated token."""
    data = list(range(7))
    assert list(offset_pages(lambda off: (data[off : off + 3], off + 3 >= len(data)))) == [
        [0, 1, 2],
        [3, 4, 5],
        [6],
    ]
    tokens = {None: ([1], "a"), "a": ([2], "b"), "b": ([3], "a")}
    assert list(token_pages(lambda tok: tokens[tok])) == [[1], [2], [3]]


def test_retry_after_reads_seconds_and_dates() -> None:
    """Retry-After as seconds or an HTTP date; junk or absent gives None."""
    assert retry_after("7") == 7.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after("soon") is None and retry_after(None) is None
