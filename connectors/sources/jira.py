"""Jira (Cloud REST API v3) source: each issue's status history as activity instances, pulled incrementally.

Case = issue key. Every status an issue enters is one activity instance: activity = the status entered
(the changelog item's ``toString``; creation enters the first status, ``fromString`` of the first status
change or the current status), ``entered_at`` = when it was entered (``start_timestamp``), ``left_at`` =
when the next status was entered (``timestamp``). An issue still in its status has ``left_at = entered_at``
and ``instance_state`` ``running``, or ``final`` when that status is in Jira's "done" category; a later
pull replaces the row once the issue moves on (key: issue key + the id of the history that entered the
status, ``created`` for creation). Resource = the assignee when the status was entered (assignee changes
replayed, including one made by the transition itself); ``changed_by`` = the transition's author.

Reads ``GET /rest/api/3/search/jql`` (``expand=changelog``, pages by ``nextPageToken``) with
``(<jql>) AND updated >= "<cursor>" ORDER BY updated ASC``; a changelog cut short in the search answer
(``total`` > histories) is read whole from ``GET /rest/api/3/issue/{key}/changelog`` (``startAt`` pages).
The cursor column ``changed_at`` is the last status change loaded; ``updated`` is never before it, so the
JQL filter finds every issue that changed since. JQL times have minute precision and are read in the Jira
user's time zone (``jql_timezone``): the cursor is floored to the minute and moved back by the look-back
(at least 60 s, for the search index's lag); issues read again are harmless (the key replaces them).

Config::

    kind: jira
    name: ops_issues
    settings:
      url: https://acme.atlassian.net
      email: bot@acme.com
      api_token_env: JIRA_API_TOKEN     # or bearer_token_env: JIRA_PAT (Data Center personal access token)
      jql: project = OPS
      jql_timezone: Europe/Berlin        # the API user's profile time zone; default UTC
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa

from baton.errors import FatalSourceError
from connectors.sources.base import CursorValue, SourceConfig, Stream
from connectors.sources.http import (
    Change,
    HttpClient,
    HttpSettings,
    instance_rows,
    offset_pages,
    parse_http_settings,
    refuse,
    token_pages,
)

SEARCH_PATH = "/rest/api/3/search/jql"
MYSELF_PATH = "/rest/api/3/myself"
FIELDS = "created,updated,status,assignee,issuetype,project"
MIN_LOOKBACK_SECONDS = 60.0
UTC_TS = pa.timestamp("us", tz="UTC")
SCHEMA = pa.schema([
    ("issue_key", pa.string()), ("history_id", pa.string()), ("seq", pa.int64()), ("status", pa.string()),
    ("entered_at", UTC_TS), ("left_at", UTC_TS), ("instance_state", pa.string()), ("assignee", pa.string()),
    ("changed_by", pa.string()), ("issue_type", pa.string()), ("project", pa.string()), ("changed_at", UTC_TS),
])  # fmt: skip
MAPPING = {
    "case_id_key": "issue_key", "activity_key": "status", "timestamp_key": "left_at",
    "start_timestamp_key": "entered_at", "resource_key": "assignee",
}  # fmt: skip


class JiraSource:
    """A Jira site's issues (a JQL filter) as status activity instances; see the module docstring."""

    kind: ClassVar[str] = "jira"

    def __init__(self, config: SourceConfig, settings: HttpSettings, jql: str, zone: str) -> None:
        self.name = config.name
        self.mapping: Mapping[str, str] = dict(config.mapping) or dict(MAPPING)
        self.primary_key: tuple[str, ...] = tuple(config.primary_key) or ("issue_key", "history_id")
        self.cursor_column: str = config.cursor_column or "changed_at"
        self.lookback_seconds = max(config.lookback_seconds, MIN_LOOKBACK_SECONDS)
        self.settings = settings
        self.jql = jql
        self.jql_timezone = zone
        self.http = HttpClient(
            settings,
            who=f"jira source {config.name!r}",
            fix_auth=f"check 'email' and the API token in ${settings.secret.env} (or the bearer token), and "
            "that this account may browse the projects of the JQL",
        )

    @classmethod
    def from_config(cls, config: SourceConfig) -> Self:
        """Check the settings (url, email + api_token_env or bearer_token_env, jql, jql_timezone)."""
        settings = parse_http_settings(
            config, user_key="email", secret_key="api_token_env", own_keys=frozenset({"jql", "jql_timezone"})
        )
        jql = str(config.settings.get("jql") or "").strip()
        if "order by" in jql.lower():
            raise refuse(config, "'jql' must not have ORDER BY: the connector orders by updated")
        zone = str(config.settings.get("jql_timezone") or "UTC")
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise refuse(
                config, f"'jql_timezone' {zone!r} is not an IANA zone name (e.g. Europe/Berlin)"
            ) from exc
        return cls(config, settings, jql, zone)

    def check(self) -> None:
        """Sign in (``GET /rest/api/3/myself``); FatalSourceError when the credentials are refused."""
        try:
            self.http.get_json(MYSELF_PATH)
        finally:
            self.http.close()

    def discover(self) -> list[Stream]:
        """The one stream: the JQL's issues as status instances, with the columns the rows carry."""
        return [Stream(f"issues: {self.jql or 'all'}", {f.name: str(f.type) for f in SCHEMA})]

    def search_jql(self, cursor: CursorValue | None) -> str:
        """The JQL of a read: the configured filter, issues updated since the cursor's minute, by updated."""
        parts = [f"({self.jql})"] if self.jql else []
        if cursor is not None:
            when = cursor if isinstance(cursor, datetime) else datetime.fromisoformat(str(cursor))
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
            parts.append(f'updated >= "{when.astimezone(ZoneInfo(self.jql_timezone)):%Y-%m-%d %H:%M}"')
        return " AND ".join(parts) + (" " if parts else "") + "ORDER BY updated ASC"

    def read(self, cursor: CursorValue | None) -> Iterator[pa.RecordBatch]:
        """Instances of the issues updated since ``cursor`` (all when None), one batch per search page."""
        jql = self.search_jql(cursor)
        try:
            for issues in token_pages(lambda token: self._search(jql, token)):
                rows = [row for issue in issues for row in self._issue_rows(issue)]
                if rows:
                    yield pa.RecordBatch.from_pylist(rows, schema=SCHEMA)
        finally:
            self.http.close()

    def describe(self) -> dict[str, Any]:
        """Settings safe to store and show (the token as its variable's name)."""
        return {
            "kind": self.kind, "name": self.name, **self.settings.describe(), "jql": self.jql,
            "jql_timezone": self.jql_timezone, "lookback_seconds": self.lookback_seconds,
            "primary_key": list(self.primary_key), "cursor_column": self.cursor_column,
        }  # fmt: skip

    # ---- helpers --------------------------------------------------------------------------------------
    def _search(self, jql: str, token: str | None) -> tuple[list[Any], str | None]:
        params = {"jql": jql, "expand": "changelog", "fields": FIELDS, "maxResults": self.settings.page_size}
        if token:
            params["nextPageToken"] = token
        page = self.http.get_json(SEARCH_PATH, params)
        if not isinstance(page, dict) or not isinstance(page.get("issues"), list):
            raise FatalSourceError(f"jira source {self.name!r}: {SEARCH_PATH} answered without 'issues'")
        nxt = None if page.get("isLast") else page.get("nextPageToken")
        return page["issues"], nxt

    def _histories(self, issue: dict[str, Any]) -> list[dict[str, Any]]:
        """The issue's whole changelog: the search's, or all pages of the changelog endpoint when cut short."""
        changelog = issue.get("changelog") or {}
        histories = list(changelog.get("histories") or [])
        if int(changelog.get("total", len(histories))) <= len(histories):
            return histories
        path = f"/rest/api/3/issue/{issue['key']}/changelog"
        size = self.settings.page_size

        def fetch(start: int) -> tuple[list[Any], bool]:
            page = self.http.get_json(path, {"startAt": start, "maxResults": size})
            values = list(page.get("values") or [])
            return values, bool(page.get("isLast", start + len(values) >= int(page.get("total", 0))))

        return [h for values in offset_pages(fetch) for h in values]

    def _issue_rows(self, issue: dict[str, Any]) -> list[dict[str, Any]]:
        """One issue's status instances (see the module docstring)."""
        fields = issue.get("fields") or {}
        histories = sorted(self._histories(issue), key=lambda h: (jira_time(h["created"]), int(h["id"])))
        status_items = [i for h in histories for i in h.get("items", []) if i.get("field") == "status"]
        assignee_items = [i for h in histories for i in h.get("items", []) if i.get("field") == "assignee"]
        status = status_items[0].get("fromString") if status_items else _name(fields.get("status"))
        assignee = assignee_items[0].get("fromString") if assignee_items else _name(fields.get("assignee"))
        changes = [Change("created", jira_time(fields["created"]), str(status), None, assignee)]
        for history in histories:
            entered = None
            for item in history.get("items", []):
                if item.get("field") == "assignee":
                    assignee = item.get("toString")
                elif item.get("field") == "status":
                    entered = item.get("toString")
            if entered is not None:
                author = _name(history.get("author"))
                changes.append(
                    Change(str(history["id"]), jira_time(history["created"]), entered, author, assignee)
                )
        category = ((fields.get("status") or {}).get("statusCategory") or {}).get("key")
        extra = {
            "issue_key": issue["key"], "issue_type": _name(fields.get("issuetype")),
            "project": (fields.get("project") or {}).get("key"),
        }  # fmt: skip
        rows = instance_rows(changes, last_is_final=category == "done")
        return [_jira_row(row, extra) for row in rows]


def _jira_row(row: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """A shared instance row in the Jira schema's names."""
    return {
        **extra, "history_id": row["change_id"], "seq": row["seq"], "status": row["state"],
        "entered_at": row["entered_at"], "left_at": row["left_at"], "instance_state": row["instance_state"],
        "assignee": row["resource"], "changed_by": row["changed_by"], "changed_at": row["changed_at"],
    }  # fmt: skip


def _name(obj: Any) -> str | None:
    """A Jira object's display name (users: ``displayName``; statuses, types: ``name``)."""
    if not isinstance(obj, dict):
        return None
    return obj.get("displayName") or obj.get("name")


def jira_time(text: str) -> datetime:
    """A Jira time (``2024-03-04T09:00:00.000+0100``) as an aware UTC datetime."""
    return datetime.fromisoformat(text).astimezone(UTC)
