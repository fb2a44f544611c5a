"""ServiceNow source: incident state changes (``sys_audit``) as activity instances, pulled incrementally.

Reads the Table API: ``GET /api/now/table/sys_audit`` with ``sysparm_query`` ``tablename=incident^
fieldname=state[^sys_created_on>=<cursor>]^ORDERBYsys_created_on^ORDERBYsys_id`` in ``sysparm_limit`` /
``sysparm_offset`` pages, and the incidents it touches from ``GET /api/now/table/incident``
(``sysparm_display_value=all``: number, assigned_to, priority, category as labels, opened_at as UTC value).

Case = incident number. Every state an incident enters is one activity instance: activity = the state's
label (codes 1 New, 2 In Progress, 3 On Hold, 6 Resolved, 7 Closed, 8 Canceled; ``state_labels`` overrides
or adds), ``entered_at`` = the audit row's ``sys_created_on``, ``left_at`` = the next state change's;
resource (``changed_by``) = the audit row's ``user``, who set the state; ``assigned_to``, ``priority`` and
``category`` are the incident's current values. The creation is the audit row with an empty ``oldvalue``
(ServiceNow audits inserts by default); without it, the first change's ``oldvalue`` gives an ``initial``
instance that starts at the incident's ``opened_at``. An incident still in its state has ``left_at = entered_at`` and
``instance_state`` ``running`` (``final`` for Closed and Canceled). Key: incident sys_id + the audit row's
sys_id. Cursor ``changed_at``: the last state change loaded; a pull reads the audit rows since it, then the
whole state history of the incidents they touch, so the instance an incident leaves is replaced with its
end. Audit times are UTC (the Table API's internal values); the cursor has whole seconds.

Config::

    kind: servicenow
    name: incidents
    settings:
      url: https://acme.service-now.com
      user: baton.integration
      password_env: SNOW_PASSWORD      # or bearer_token_env: SNOW_TOKEN (an OAuth access token)
      state_labels: {"9": Awaiting Vendor}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

import pyarrow as pa

from baton.errors import FatalSourceError
from connectors.sources.base import REJECT_REASON, CursorValue, SourceConfig, Stream
from connectors.sources.http import (
    Change,
    HttpClient,
    HttpSettings,
    instance_rows,
    offset_pages,
    parse_http_settings,
    refuse,
)

AUDIT_PATH = "/api/now/table/sys_audit"
INCIDENT_PATH = "/api/now/table/incident"
AUDIT_FIELDS = "sys_id,documentkey,oldvalue,newvalue,user,sys_created_on"
INCIDENT_FIELDS = "sys_id,number,assigned_to,priority,category,opened_at"
STATE_LABELS = {
    "1": "New",
    "2": "In Progress",
    "3": "On Hold",
    "6": "Resolved",
    "7": "Closed",
    "8": "Canceled",
}
FINAL_CODES = frozenset({"7", "8"})
#: sys_ids per ``documentkeyIN`` / ``sys_idIN`` query (keeps URLs short).
IDS_PER_QUERY = 50
UTC_TS = pa.timestamp("us", tz="UTC")
SCHEMA = pa.schema([
    ("incident", pa.string()), ("incident_sys_id", pa.string()), ("audit_id", pa.string()),
    ("seq", pa.int64()), ("state", pa.string()), ("state_code", pa.string()), ("entered_at", UTC_TS),
    ("left_at", UTC_TS), ("instance_state", pa.string()), ("changed_by", pa.string()),
    ("assigned_to", pa.string()), ("priority", pa.string()), ("category", pa.string()),
    ("changed_at", UTC_TS), (REJECT_REASON, pa.string()),
])  # fmt: skip
MAPPING = {
    "case_id_key": "incident", "activity_key": "state", "timestamp_key": "left_at",
    "start_timestamp_key": "entered_at", "resource_key": "changed_by",
}  # fmt: skip


class ServiceNowSource:
    """A ServiceNow instance's incidents as state activity instances; see the module docstring."""

    kind: ClassVar[str] = "servicenow"

    def __init__(self, config: SourceConfig, settings: HttpSettings, labels: Mapping[str, str]) -> None:
        self.name = config.name
        self.mapping: Mapping[str, str] = dict(config.mapping) or dict(MAPPING)
        self.primary_key: tuple[str, ...] = tuple(config.primary_key) or ("incident_sys_id", "audit_id")
        self.cursor_column: str = config.cursor_column or "changed_at"
        self.lookback_seconds = config.lookback_seconds
        self.settings = settings
        self.labels = dict(labels)
        self.http = HttpClient(
            settings,
            who=f"servicenow source {config.name!r}",
            fix_auth=f"check 'user' and the password in ${settings.secret.env} (or the OAuth token), and that "
            "the user may read the sys_audit and incident tables (roles itil + audit read access)",
        )

    @classmethod
    def from_config(cls, config: SourceConfig) -> Self:
        """Check the settings (url, user + password_env or bearer_token_env, state_labels)."""
        settings = parse_http_settings(
            config, user_key="user", secret_key="password_env", own_keys=frozenset({"state_labels"})
        )
        extra = config.settings.get("state_labels") or {}
        if not isinstance(extra, Mapping):
            raise refuse(config, "'state_labels' must map state codes to labels, e.g. {'9': Awaiting Vendor}")
        return cls(config, settings, {**STATE_LABELS, **{str(k): str(v) for k, v in extra.items()}})

    def check(self) -> None:
        """Read one incident id; FatalSourceError when the credentials or the table access are refused."""
        try:
            self.http.get_json(INCIDENT_PATH, {"sysparm_limit": 1, "sysparm_fields": "sys_id"})
        finally:
            self.http.close()

    def discover(self) -> list[Stream]:
        """The one stream: incident state changes as instances, with the columns the rows carry."""
        return [Stream("incident state changes (sys_audit)", {f.name: str(f.type) for f in SCHEMA})]

    def audit_query(self, cursor: CursorValue | None, incidents: list[str] | None = None) -> str:
        """The encoded query of incident state audit rows since ``cursor`` or of the given incidents."""
        parts = ["tablename=incident", "fieldname=state"]
        if incidents:
            parts.append("documentkeyIN" + ",".join(incidents))
        if cursor is not None:
            when = cursor if isinstance(cursor, datetime) else datetime.fromisoformat(str(cursor))
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
            parts.append(f"sys_created_on>={when.astimezone(UTC):%Y-%m-%d %H:%M:%S}")
        return "^".join([*parts, "ORDERBYsys_created_on", "ORDERBYsys_id"])

    def read(self, cursor: CursorValue | None) -> Iterator[pa.RecordBatch]:
        """Instances of every incident with a state change since ``cursor`` (all when None), whole histories."""
        try:
            audits = self._audits(self.audit_query(cursor))
            touched = sorted({a["documentkey"] for a in audits})
            if cursor is not None:  # the incidents' earlier changes too: the instance they left gets its end
                audits = [a for ids in _chunks(touched) for a in self._audits(self.audit_query(None, ids))]
            incidents = {_value(i, "sys_id"): i for ids in _chunks(touched) for i in self._incidents(ids)}
            rows = [row for key in touched for row in self._incident_rows(key, audits, incidents.get(key))]
            for start in range(0, len(rows), 10_000):
                yield pa.RecordBatch.from_pylist(rows[start : start + 10_000], schema=SCHEMA)
        finally:
            self.http.close()

    def describe(self) -> dict[str, Any]:
        """Settings safe to store and show (the password or token as its variable's name)."""
        return {
            "kind": self.kind, "name": self.name, **self.settings.describe(), "state_labels": self.labels,
            "lookback_seconds": self.lookback_seconds, "primary_key": list(self.primary_key),
            "cursor_column": self.cursor_column,
        }  # fmt: skip

    # ---- helpers --------------------------------------------------------------------------------------
    def _table(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every record of a Table API query, page by page (``sysparm_offset``)."""
        size = self.settings.page_size

        def fetch(offset: int) -> tuple[list[Any], bool]:
            page = self.http.get_json(path, {**params, "sysparm_limit": size, "sysparm_offset": offset})
            if not isinstance(page, dict) or not isinstance(page.get("result"), list):
                raise FatalSourceError(f"servicenow source {self.name!r}: {path} answered without 'result'")
            return page["result"], len(page["result"]) < size

        return [record for records in offset_pages(fetch) for record in records]

    def _audits(self, query: str) -> list[dict[str, Any]]:
        return self._table(AUDIT_PATH, {"sysparm_query": query, "sysparm_fields": AUDIT_FIELDS})

    def _incidents(self, ids: list[str]) -> list[dict[str, Any]]:
        params = {
            "sysparm_query": "sys_idIN" + ",".join(ids), "sysparm_fields": INCIDENT_FIELDS,
            "sysparm_display_value": "all", "sysparm_exclude_reference_link": "true",
        }  # fmt: skip
        return self._table(INCIDENT_PATH, params)

    def _label(self, code: str) -> str:
        return self.labels.get(code, f"state {code}")

    def _incident_rows(
        self, key: str, audits: list[dict[str, Any]], incident: dict[str, Any] | None
    ) -> list[dict[str, Any]]:
        """One incident's state instances (see the module docstring)."""
        own = sorted(
            (a for a in audits if a["documentkey"] == key), key=lambda a: (a["sys_created_on"], a["sys_id"])
        )
        inc = incident or {}
        changes = []
        if own and own[0].get("oldvalue"):  # no insert audit row: the incident was opened in the old state
            opened = _value(inc, "opened_at")
            changes.append(
                Change("initial", snow_time(opened) if opened else None, own[0]["oldvalue"], None, None)
            )
        for a in own:
            at = snow_time(a["sys_created_on"])
            changes.append(Change(a["sys_id"], at, a["newvalue"], a.get("user") or None, None))
        rows = instance_rows(changes, last_is_final=bool(changes) and changes[-1].state in FINAL_CODES)
        reason = (
            None if incident else f"incident {key} is not in the incident table (deleted, or not readable)"
        )
        return [{
            "incident": _label(inc, "number"), "incident_sys_id": key, "audit_id": r["change_id"], "seq": r["seq"],
            "state": self._label(r["state"]), "state_code": r["state"], "entered_at": r["entered_at"],
            "left_at": r["left_at"], "instance_state": r["instance_state"], "changed_by": r["changed_by"],
            "assigned_to": _label(inc, "assigned_to"), "priority": _label(inc, "priority"),
            "category": _label(inc, "category"), "changed_at": r["changed_at"], REJECT_REASON: reason,
        } for r in rows]  # fmt: skip


def _value(record: Mapping[str, Any], name: str) -> str | None:
    """A field's stored value in a ``sysparm_display_value=all`` record (``{"value", "display_value"}``)."""
    found = record.get(name)
    found = found.get("value") if isinstance(found, Mapping) else found
    return str(found) if found not in (None, "") else None


def _label(record: Mapping[str, Any], name: str) -> str | None:
    """A field's display value (a user's name, a choice's label) in a ``display_value=all`` record."""
    found = record.get(name)
    found = found.get("display_value") if isinstance(found, Mapping) else found
    return str(found) if found not in (None, "") else None


def _chunks(ids: list[str]) -> list[list[str]]:
    return [ids[i : i + IDS_PER_QUERY] for i in range(0, len(ids), IDS_PER_QUERY)]


def snow_time(text: str) -> datetime:
    """A Table API time (``2024-04-01 08:00:00``, UTC) as an aware datetime."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
