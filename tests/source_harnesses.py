"""One contract harness per registered source kind: a fresh populated source, its config, changes, bad credentials.

Each harness builds its source with the existing fixtures' builders (tests/test_sources_sql.py rows,
tests/camunda7_fixture.py, tests/airflow_fixture.py, tests/json_history_fixtures.py, tests/rest_server.py).
``pull_config`` is what the killed subprocess of tests/test_source_contract.py runs: with
``BATON_TEST_PAUSE_AFTER_BATCHES`` set, its source writes a marker file after that many batches and sleeps.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import random
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import airflow_fixture as af
import camunda7_fixture as c7
import json_history_fixtures as jh
import pyarrow as pa
import pytest
from rest_server import RecordedApi, serve
from test_sources_sql import ROWS

from baton.api import Workspace
from connectors.sources.config import build_source, read_source_config

HOST, PG_PORT, MY_PORT = "127.0.0.1", 5432, 3306
PAUSE_ENV, MARKER_ENV = "BATON_TEST_PAUSE_AFTER_BATCHES", "BATON_TEST_PAUSE_MARKER"
SECRET_ENV, GOOD_ENV = "BATON_CONTRACT_SECRET", "BATON_CONTRACT_TOKEN"
CANARY = "Canary-contract-4d2b-pa55"  # the wrong secret: must never appear in a message
GOOD_SECRET = "good-contract-token-81"
NAME = "contract"
#: rows the SQL harnesses add between pulls: (event_id, case_id, activity, ts, resource), after ROWS
NEW_ROWS = [
    (6, "c3", "Create order", datetime(2024, 3, 5, 9, tzinfo=UTC), "dan"),
    (7, "c3", "Ship", datetime(2024, 3, 6, 9, tzinfo=UTC), None),
]


class PausingSource:
    """A built source whose read() writes a marker file after ``after`` batches, then sleeps (to be killed)."""

    def __init__(self, inner: Any, after: int, marker: str) -> None:
        self._inner, self._after, self._marker = inner, after, marker

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def read(self, cursor: Any) -> Iterator[pa.RecordBatch]:
        """The inner batches; after the ``after``-th one was loaded, the marker is written and it sleeps."""
        for n, batch in enumerate(self._inner.read(cursor), start=1):
            yield batch
            if n >= self._after:
                Path(self._marker).write_text(str(n), encoding="utf-8")
                time.sleep(600)


def pull_config(config: str, workspace: str) -> None:
    """Pull a config file into a workspace file (paused after some batches when PAUSE_ENV is set)."""
    source: Any = build_source(read_source_config(config))
    if os.environ.get(PAUSE_ENV):
        source = PausingSource(source, int(os.environ[PAUSE_ENV]), os.environ[MARKER_ENV])
    with Workspace.open(workspace) as ws:
        ws.pull(source)


class Harness:
    """A fresh source of one kind with initial data; subclasses fill in the kind-specific parts."""

    kind: ClassVar[str]
    http: ClassVar[bool] = False
    #: what bad_credentials() does, for the test id
    bad: ClassVar[str] = "wrong-password"
    env: ClassVar[dict[str, str]] = {}

    def config(self, tmp_path: Path) -> Path:
        """Create the populated source and write its YAML config; returns the config's path."""
        raise NotImplementedError

    def add_rows(self) -> int:
        """Add new source data; returns how many activity instances it adds."""
        raise NotImplementedError

    def bad_credentials(self, path: Path) -> Path:
        """A config like ``path`` whose credentials are wrong (the secret is CANARY in SECRET_ENV)."""
        raise NotImplementedError

    def expected_events(self) -> int:
        """The events the log has after pulling the initial data."""
        raise NotImplementedError

    def make_flaky(self) -> int:
        """Queue timeouts, 500s and a 429 on the server (HTTP kinds only); returns how many faults."""
        raise NotImplementedError

    def cleanup(self) -> None:
        """Drop what config() created."""

    def write(self, path: Path, settings: dict[str, Any], **doc: Any) -> Path:
        """A config file (JSON is YAML) for this kind, named ``NAME``."""
        path.write_text(json.dumps({"kind": self.kind, "name": NAME, "settings": settings, **doc}), "utf-8")
        return path

    def rewrite(self, config: Path, /, **settings: Any) -> Path:
        """A copy of the config file beside it with some settings replaced."""
        doc = json.loads(config.read_text("utf-8"))
        doc["settings"] = {**doc["settings"], **settings}
        out = config.with_name("bad-" + config.name)
        out.write_text(json.dumps(doc), "utf-8")
        return out


# ---- SQL tables ----------------------------------------------------------------------------------
_CONNECTIONS: dict[str, Any] = {}


def connection(engine: str) -> Any:
    """A shared autocommit connection to the test server (``postgres`` or ``mysql``), or a skip naming it."""
    if engine not in _CONNECTIONS:
        try:
            if engine == "postgres":
                import adbc_driver_postgresql.dbapi as pg

                url = f"postgresql://postgres@{HOST}:{PG_PORT}/test?connect_timeout=5"
                _CONNECTIONS[engine] = pg.connect(url, autocommit=True)
            else:
                _CONNECTIONS[engine] = af.connect("mysql")
        except Exception as exc:  # noqa: BLE001 - any failure to reach the server means skip
            _CONNECTIONS[engine] = f"{engine} test server on {HOST} is unreachable ({exc}); start it"
    conn = _CONNECTIONS[engine]
    if isinstance(conn, str):
        pytest.skip(conn)
    return conn


class SqlHarness(Harness):
    """An events table of test_sources_sql.ROWS (batches of 2) in SQLite, PostgreSQL or MariaDB."""

    engine: ClassVar[str] = "sqlite"
    rows = 0

    def config(self, tmp_path: Path) -> Path:
        self.table = f"baton_ct_{uuid.uuid4().hex[:10]}"
        settings: dict[str, Any] = {"table": self.table, "batch_size": 2}
        if self.engine == "sqlite":
            self.path = tmp_path / "events.db"
            settings["path"] = str(self.path)
        else:
            port = PG_PORT if self.engine == "postgres" else MY_PORT
            user = "postgres" if self.engine == "postgres" else "root"
            settings.update(host=HOST, port=port, database="test", user=user)
        types = {"sqlite": "DATETIME", "postgres": "timestamptz", "mysql": "DATETIME(3)"}[self.engine]
        self.execute(
            f"CREATE TABLE {self.table} (event_id INT PRIMARY KEY, case_id VARCHAR(20), "
            f"activity VARCHAR(100), ts {types}, resource VARCHAR(20))"
        )
        self.insert(ROWS)
        mapping = {"case_id_key": "case_id", "activity_key": "activity", "timestamp_key": "ts",
                   "resource_key": "resource"}  # fmt: skip
        return self.write(
            tmp_path / f"{self.kind}.yaml",
            settings,
            mapping=mapping,
            primary_key="event_id",
            cursor_column="ts",
        )

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """One statement on the engine (``?`` placeholders)."""
        if self.engine == "sqlite":
            with contextlib.closing(sqlite3.connect(self.path)) as conn, conn:
                conn.execute(sql, params)
            return
        mark = "$" if self.engine == "postgres" else "%s"
        parts = sql.split("?")
        text = parts[0] + "".join((f"${i}" if mark == "$" else "%s") + p for i, p in enumerate(parts[1:], 1))
        with connection(self.engine).cursor() as cur:
            if self.engine == "postgres":
                cur.execute(text, parameters=params or None)
            else:
                cur.execute(text, params or None)

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        """Insert (event_id, case_id, activity, ts, resource) rows; times as the engine stores them."""
        for key, case, activity, ts, resource in rows:
            value: Any = ts
            if self.engine == "sqlite":
                value = ts.isoformat()
            elif self.engine == "mysql":
                value = ts.astimezone(UTC).replace(tzinfo=None)
            self.execute(
                f"INSERT INTO {self.table} VALUES (?, ?, ?, ?, ?)", (key, case, activity, value, resource)
            )
        self.rows += len(rows)

    def add_rows(self) -> int:
        self.insert(NEW_ROWS)
        return len(NEW_ROWS)

    def bad_credentials(self, path: Path) -> Path:
        if self.engine == "sqlite":
            return self.rewrite(path, path=str(path.parent / "missing" / "events.db"))
        user = "no_such_role_baton" if self.engine == "postgres" else "root"
        return self.rewrite(path, user=user, password_env=SECRET_ENV)

    def expected_events(self) -> int:
        return len(ROWS)

    def cleanup(self) -> None:
        if self.engine != "sqlite" and hasattr(self, "table"):
            self.execute(f"DROP TABLE IF EXISTS {self.table}")


class SqliteHarness(SqlHarness):
    """A SQLite file; it has no credentials, so the bad config names a missing file."""

    kind, engine, bad = "sqlite", "sqlite", "missing-file"


class PostgresHarness(SqlHarness):
    """A table in the local PostgreSQL test database."""

    kind, engine, bad = "postgres", "postgres", "unknown-user"


class MysqlHarness(SqlHarness):
    """A table in the local MariaDB test database, as kind mysql."""

    kind, engine = "mysql", "mysql"


class MariadbHarness(MysqlHarness):
    """The same server as kind mariadb."""

    kind = "mariadb"


class AdbcHarness(SqliteHarness):
    """The SQLite file of the sqlite harness, read through the ADBC SQLite driver (kind adbc, read-only URI)."""

    kind, engine, bad = "adbc", "sqlite", "missing-file"

    def config(self, tmp_path: Path) -> Path:
        pytest.importorskip(
            "adbc_driver_sqlite", reason="pip install adbc-driver-sqlite for the adbc harness"
        )
        path = super().config(tmp_path)
        doc = json.loads(path.read_text("utf-8"))
        settings = {k: v for k, v in doc["settings"].items() if k != "path"}
        settings.update(driver="adbc_driver_sqlite", uri=f"file:{self.path}?mode=ro")
        return self.write(
            path, settings, **{k: v for k, v in doc.items() if k not in ("kind", "name", "settings")}
        )

    def bad_credentials(self, path: Path) -> Path:
        return self.rewrite(path, uri=f"file:{path.parent / 'missing' / 'events.db'}?mode=ro")


# ---- Camunda 7 and Airflow (PostgreSQL schemas) ---------------------------------------------------------
class Camunda7Harness(Harness):
    """A small seeded Camunda 7 history (6 loan applications) in its own PostgreSQL schema; batches of 4."""

    kind, bad = "camunda7", "unknown-user"

    def config(self, tmp_path: Path) -> Path:
        conn = connection("postgres")
        self.schema = f"camunda7_{uuid.uuid4().hex[:10]}"
        with conn.cursor() as cur:
            cur.execute(f"CREATE SCHEMA {self.schema}")
            cur.execute(f"SET search_path TO {self.schema}")
            for statement in c7.ddl("postgres"):
                cur.execute(statement)
            cur.execute("SET search_path TO public")
        self.history = c7.generate(instances=6)
        c7.write_pg(conn, self.schema, c7.tables(self.history))
        self.initial = len(c7.expected_rows(self.history))
        settings = {"engine": "postgres", "host": HOST, "port": PG_PORT, "database": "test", "user": "postgres",
                    "schema": self.schema, "batch_size": 4}  # fmt: skip
        return self.write(tmp_path / "camunda7.yaml", settings)

    def add_rows(self) -> int:
        before = {name: len(rows) for name, rows in c7.tables(self.history).items()}
        known = len(c7.expected_rows(self.history))
        c7.add_instance(self.history, "LOAN-0901", 1, c7.NOW + timedelta(minutes=5), c7.FIRST, now=c7.LATER)
        inserted = {name: rows[before[name] :] for name, rows in c7.tables(self.history).items()}
        c7.write_pg(connection("postgres"), self.schema, inserted)
        return len(c7.expected_rows(self.history)) - known

    def bad_credentials(self, path: Path) -> Path:
        return self.rewrite(path, user="no_such_role_baton", password_env=SECRET_ENV)

    def expected_events(self) -> int:
        return self.initial

    def cleanup(self) -> None:
        if hasattr(self, "schema"):
            with connection("postgres").cursor() as cur:
                cur.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")


class AirflowHarness(Harness):
    """A few Airflow DAG runs (the manual run, 2 etl_daily, 2 partner_sync) in a PostgreSQL schema; batches of 4."""

    kind, bad = "airflow", "unknown-user"

    def config(self, tmp_path: Path) -> Path:
        self.db = af.create(connection("postgres"), "postgres", None)
        self.data, rng = af.AirflowData(), random.Random(6)
        af.manual_run(self.data)
        for i in range(2):
            af.etl_run(self.data, rng, i)
            af.partner_run(self.data, rng, i)
        self.insert(self.data)
        self.initial = len(self.data.eligible())
        return self.write(tmp_path / "airflow.yaml", self.db.settings(batch_size=4))

    def insert(self, data: af.AirflowData) -> None:
        """Write a data set's rows into the schema."""
        self.db.insert("dag_run", data.dag_runs)
        self.db.insert("task_instance", data.tis)
        self.db.insert("task_instance_history", data.history)

    def add_rows(self) -> int:
        new = af.AirflowData(counter=self.data.counter + 100)
        af.partner_run(new, random.Random(7), 400)  # logical date 2024-04-10: after every loaded change
        self.insert(new)
        self.data.counter = new.counter
        return len(new.eligible())

    def bad_credentials(self, path: Path) -> Path:
        return self.rewrite(path, user="no_such_role_baton", password_env=SECRET_ENV)

    def expected_events(self) -> int:
        return self.initial

    def cleanup(self) -> None:
        if hasattr(self, "db"):
            af.drop(self.db)


# ---- exported files ------------------------------------------------------------------------------
def touch(path: Path, when: datetime) -> None:
    """Set a file's modification time (the file connectors' change marker)."""
    os.utime(path, (when.timestamp(), when.timestamp()))


class FolderHarness(Harness):
    """A copy of a committed fixture folder; no credentials, so the bad config names a missing folder."""

    bad: ClassVar[str] = "missing-folder"
    fixture: ClassVar[str]
    #: file -> modification time (the tests' values: a few minutes after the file's last record)
    times: ClassVar[dict[str, datetime]]
    events: ClassVar[int]

    def config(self, tmp_path: Path) -> Path:
        self.folder = tmp_path / self.fixture
        shutil.copytree(jh.FIXTURES / self.fixture, self.folder)
        for name, when in self.times.items():
            touch(self.folder / name, when)
        return self.write(tmp_path / f"{self.kind}.yaml", {"folder": str(self.folder)})

    def bad_credentials(self, path: Path) -> Path:
        return self.rewrite(path, folder=str(path.parent / "no-such-folder"))

    def expected_events(self) -> int:
        return self.events


class TemporalHarness(FolderHarness):
    """The three committed Temporal histories (7 activity instances); adds order-4 (2 more)."""

    kind, fixture, events = "temporal", "temporal", 7
    times = {"order-1.json": datetime(2025, 3, 3, 10, 30, tzinfo=UTC),
             "order-2.json": datetime(2025, 3, 3, 11, 40, tzinfo=UTC),
             "order-3.json": datetime(2025, 3, 3, 12, 20, tzinfo=UTC)}  # fmt: skip

    def add_rows(self) -> int:
        history = jh.temporal_file("order-4")
        (self.folder / "order-4.json").write_text(json.dumps(history), encoding="utf-8")
        return len(jh.WORKFLOWS["order-4"][0])


class Camunda8Harness(FolderHarness):
    """The committed Zeebe records (15 element instances); adds partition 3 (instance E, every element)."""

    kind, fixture, events = "camunda8", "camunda8", 15
    times = {"partition-1.ndjson": datetime(2025, 3, 4, 11, 10, tzinfo=UTC),
             "partition-2-search.json": datetime(2025, 3, 5, 11, 10, tzinfo=UTC)}  # fmt: skip

    def add_rows(self) -> int:
        records = jh.zeebe_fixtures()["partition-3.ndjson"]
        (self.folder / "partition-3.ndjson").write_text(jh.ndjson(records), encoding="utf-8")
        return len(jh.PROCESS)


# ---- REST APIs (a local recorded-API server) -------------------------------------------------------
def basic(user: str, secret: str) -> str:
    """The Authorization header of basic auth."""
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def _id(record: dict[str, Any]) -> str:
    """A Jira issue's key or a ServiceNow record's sys_id (plain or as display/value)."""
    found = record.get("key") or record.get("sys_id")
    return str(found.get("value") if isinstance(found, dict) else found)


class ReplayApi(RecordedApi):
    """The recorded API; a request it has no recording of is answered from the recorded records, filtered.

    Only the filters the connectors send are understood: Jira's ``updated >= "..."`` (in ``zone``), and
    ServiceNow's ``sys_created_on>=``, ``documentkeyIN`` and ``sys_idIN`` with offset paging. This is what
    the server would answer when nothing changed since the recording (a re-pull of an unchanged source).
    """

    zone = ZoneInfo("Europe/Berlin")

    def answer(
        self, path: str, query: list[tuple[str, str]], auth: str | None
    ) -> tuple[int, dict[str, str], Any]:
        """The recorded answer, else (instead of a 404) the answer derived from the recorded records."""
        status, headers, body = super().answer(path, query, auth)
        if status != 404:
            return status, headers, body
        params = dict(query)
        if path.endswith("/search/jql"):
            return 200, {}, {"issues": self._issues(params["jql"]), "isLast": True}
        found = self._records(path, params.get("sysparm_query", ""))
        start, size = int(params.get("sysparm_offset", 0)), int(params.get("sysparm_limit", 10_000))
        return 200, {}, {"result": found[start : start + size]}

    def _known(self, path: str, field: str) -> list[dict[str, Any]]:
        """The fullest version of every record in the recorded answers of ``path``."""
        out: dict[str, dict[str, Any]] = {}
        for (where, _), response in list(self.exchanges.items()):
            for record in response["body"].get(field, []) if where == path else []:
                if len(record) >= len(out.get(_id(record), {})):
                    out[_id(record)] = record
        return list(out.values())

    def _issues(self, jql: str) -> list[dict[str, Any]]:
        since = datetime.strptime(jql.split('updated >= "')[1][:16], "%Y-%m-%d %H:%M").replace(
            tzinfo=self.zone
        )
        issues = self._known("/rest/api/3/search/jql", "issues")
        updated = {
            _id(i): datetime.strptime(i["fields"]["updated"], "%Y-%m-%dT%H:%M:%S.%f%z") for i in issues
        }
        return sorted((i for i in issues if updated[_id(i)] >= since), key=lambda i: updated[_id(i)])

    def _records(self, path: str, query: str) -> list[dict[str, Any]]:
        records = self._known(path, "result")
        for part in query.split("^"):
            if part.startswith(("documentkeyIN", "sys_idIN")):
                field, _, ids = part.partition("IN")
                records = [r for r in records if _id({"sys_id": r.get(field)}) in ids.split(",")]
            elif part.startswith("sys_created_on>="):
                records = [r for r in records if r["sys_created_on"] >= part.split(">=")[1]]
        return sorted(records, key=lambda r: (str(r.get("sys_created_on")), _id(r)))


class RestHarness(Harness):
    """A recorded-API server in a thread, first state loaded; add_rows loads the second recording."""

    http = True
    env = {GOOD_ENV: GOOD_SECRET}
    system: ClassVar[str]
    user: ClassVar[str]
    secret_key: ClassVar[str]
    settings: ClassVar[dict[str, Any]]
    events: ClassVar[int]
    added: ClassVar[int]

    def config(self, tmp_path: Path) -> Path:
        self.stack = contextlib.ExitStack()
        self.api = self.stack.enter_context(serve(ReplayApi(authorization=basic(self.user, GOOD_SECRET))))
        self.api.load(f"{self.system}/pull1.json")
        self.api.slow_seconds, self.api.retry_after = 0.8, "0"
        settings = {"url": self.api.url, self.secret_key: GOOD_ENV, "timeout_seconds": 0.4,
                    "backoff_seconds": 0.01, **self.settings}  # fmt: skip
        return self.write(tmp_path / f"{self.kind}.yaml", settings)

    def add_rows(self) -> int:
        self.api.load(f"{self.system}/pull2.json")
        return self.added

    def bad_credentials(self, path: Path) -> Path:
        return self.rewrite(path, **{self.secret_key: SECRET_ENV})

    def expected_events(self) -> int:
        return self.events

    def make_flaky(self) -> int:
        self.api.faults = ["slow", "ok", "500", "ok", "429", "ok", "500"]
        return len([f for f in self.api.faults if f != "ok"])

    def cleanup(self) -> None:
        if hasattr(self, "stack"):
            self.stack.close()


class JiraHarness(RestHarness):
    """The recorded Jira site (3 issues, 10 status instances); the second recording adds 2."""

    kind, system, user, secret_key, events, added = "jira", "jira", "bot@acme.test", "api_token_env", 10, 2
    bad = "wrong-token"
    settings = {
        "email": "bot@acme.test",
        "jql": "project = OPS",
        "jql_timezone": "Europe/Berlin",
        "page_size": 2,
    }


class ServiceNowHarness(RestHarness):
    """The recorded ServiceNow instance (3 incidents, 9 state instances); the second recording adds 3."""

    kind, system, user, secret_key, events, added = (
        "servicenow",
        "servicenow",
        "baton.integration",
        "password_env",
        9,
        3,
    )
    settings = {"user": "baton.integration", "page_size": 3}


HARNESSES: dict[str, type[Harness]] = {
    h.kind: h
    for h in (SqliteHarness, AdbcHarness, PostgresHarness, MysqlHarness, MariadbHarness, Camunda7Harness,
              AirflowHarness, TemporalHarness, Camunda8Harness, JiraHarness, ServiceNowHarness)
}  # fmt: skip
