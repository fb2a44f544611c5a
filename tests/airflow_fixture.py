"""Airflow metadata tables (dag_run, task_instance, task_instance_history) built and filled in the test servers.

The DDL (tests/fixtures/airflow/postgres.sql and mysql.sql) follows Airflow's published SQLAlchemy models:
apache/airflow airflow-core/src/airflow/models/dagrun.py, airflow-core/src/airflow/models/taskinstance.py
(commit 005f2678d66dd324dc1aee6dde76eadfd6dcac14), airflow-core/src/airflow/models/taskinstancehistory.py
(commit 00a1d0856c8b1826ef927e4c64510fc49859e569) and airflow-core/src/airflow/utils/sqlalchemy.py (UtcDateTime).

Rows (seeded): DAG ``etl_daily`` (extract -> transform with retries -> load mapped over 3 partitions -> notify)
over ETL_RUNS daily runs, the last two still running; DAG ``partner_sync`` (list_partners -> sync_partner
mapped over 2-5 partners in pool partner_api, 1 retry -> report) every 6 hours, its last run queued; and
one hand-written manual run of etl_daily (MANUAL_RUN) whose values the tests assert literally.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DDL_DIR = Path(__file__).parent / "fixtures" / "airflow"
T0 = datetime(2024, 1, 1, tzinfo=UTC)
ETL_RUNS, PARTNER_RUNS = 200, 120
HOSTS = ("worker-1", "worker-2", "worker-3")
DAG_VERSION = "0190f3b2-6c1e-7a41-8d2c-3f1b2c4d5e6f"
MANUAL_RUN = "manual__2024-03-15T09:00:00+00:00"
#: columns stored as UUID on PostgreSQL (cast from text when inserting)
UUID_COLUMNS = {"id", "task_instance_id", "dag_version_id"}
NOT_STARTED = {None, "scheduled", "queued", "removed"}


def at(day: datetime, hms: str) -> datetime:
    """``day``'s date at ``HH:MM:SS`` UTC."""
    h, m, s = (int(p) for p in hms.split(":"))
    return day.replace(hour=h, minute=m, second=s, microsecond=0)


@dataclass
class AirflowData:
    """The rows of the three tables, as dicts keyed by column name."""

    dag_runs: list[dict[str, Any]] = field(default_factory=list)
    tis: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    counter: int = 0

    def next_id(self) -> str:
        """A deterministic task-instance UUID."""
        self.counter += 1
        return str(uuid.UUID(int=(0x0190 << 112) + self.counter))

    def run(self, dag_id: str, run_id: str, logical: datetime, run_type: str, **values: Any) -> None:
        """Add a dag_run row."""
        self.dag_runs.append(
            {"dag_id": dag_id, "run_id": run_id, "logical_date": logical, "run_type": run_type,
             "run_after": logical, "data_interval_start": logical, "data_interval_end": logical,
             "triggered_by": "timetable" if run_type == "scheduled" else "rest_api", "clear_number": 0,
             "span_status": "ended", **values}
        )  # fmt: skip

    def try_row(
        self, dag_id: str, run_id: str, task_id: str, *, try_number: int, state: str | None,
        queued: datetime | None, start: datetime | None, end: datetime | None, host: str = "",
        map_index: int = -1, operator: str = "PythonOperator", pool: str = "default_pool", max_tries: int = 0,
    ) -> dict[str, Any]:  # fmt: skip
        """A task_instance row (one try), ``updated_at`` half a second after its last change."""
        changed = end or start or queued
        return {
            "id": self.next_id(), "task_id": task_id, "dag_id": dag_id, "run_id": run_id,
            "map_index": map_index, "start_date": start, "end_date": end,
            "duration": (end - start).total_seconds() if end and start else None, "state": state,
            "try_number": try_number, "max_tries": max_tries, "hostname": host, "unixname": "airflow",
            "pool": pool, "pool_slots": 1, "queue": "default", "priority_weight": 1, "operator": operator,
            "queued_dttm": queued, "updated_at": changed + timedelta(milliseconds=500) if changed else None,
            "span_status": "ended", "dag_version_id": DAG_VERSION, "executor": "CeleryExecutor",
        }  # fmt: skip

    def retried(self, row: dict[str, Any]) -> None:
        """Move a try to task_instance_history as Airflow's TaskInstanceHistory.record_ti does (state failed)."""
        old = {k: v for k, v in row.items() if k != "id"}
        self.history.append({"task_instance_id": row["id"], **old, "state": "failed"})

    def eligible(self) -> list[dict[str, Any]]:
        """The tries the connector reads: every history row, started tries of task_instance."""
        started = [r for r in self.tis if r["start_date"] is not None and r["state"] not in NOT_STARTED]
        return started + [r for r in self.history if r["start_date"] is not None]


def manual_run(data: AirflowData) -> None:
    """The hand-written etl_daily run the tests assert: transform fails once and succeeds on its retry."""
    day, dag = datetime(2024, 3, 15, tzinfo=UTC), "etl_daily"
    data.run(dag, MANUAL_RUN, at(day, "09:00:00"), "manual", state="success", queued_at=at(day, "09:00:00"),
             start_date=at(day, "09:00:00"), end_date=at(day, "09:09:05"), updated_at=at(day, "09:09:05"))  # fmt: skip
    row = data.try_row
    data.tis.append(row(dag, MANUAL_RUN, "extract", try_number=1, state="success", queued=at(day, "09:00:01"),
                        start=at(day, "09:00:03"), end=at(day, "09:01:03"), host="worker-1"))  # fmt: skip
    first = row(dag, MANUAL_RUN, "transform", try_number=1, state="up_for_retry", queued=at(day, "09:01:04"),
                start=at(day, "09:01:05"), end=at(day, "09:02:05"), host="worker-3",
                operator="SQLExecuteQueryOperator", max_tries=2)  # fmt: skip
    data.retried(first)
    data.tis.append(row(dag, MANUAL_RUN, "transform", try_number=2, state="success", queued=at(day, "09:06:05"),
                        start=at(day, "09:06:07"), end=at(day, "09:07:37"), host="worker-2",
                        operator="SQLExecuteQueryOperator", max_tries=2))  # fmt: skip
    for i, (start, end) in enumerate(
        [("09:07:40", "09:08:10"), ("09:07:41", "09:08:30"), ("09:07:45", "09:08:50")]
    ):
        data.tis.append(row(dag, MANUAL_RUN, "load", map_index=i, try_number=1, state="success",
                            queued=at(day, "09:07:38"), start=at(day, start), end=at(day, end), host=HOSTS[i],
                            operator="_PythonDecoratedOperator"))  # fmt: skip
    data.tis.append(row(dag, MANUAL_RUN, "notify", try_number=1, state="success", queued=at(day, "09:08:51"),
                        start=at(day, "09:08:52"), end=at(day, "09:08:54"), host="worker-1",
                        operator="EmailOperator"))  # fmt: skip


def run_task(
    data: AirflowData, rng: random.Random, t: datetime, key: tuple[str, str, str], *, retries: int,
    fail: float, **extra: Any,
) -> tuple[datetime, bool]:  # fmt: skip
    """Run one task (all its tries) from time ``t``; return when it ended and whether it succeeded."""
    for try_number in range(1, retries + 2):
        queued = t + timedelta(seconds=1)
        start = queued + timedelta(seconds=rng.randint(1, 30))
        end = start + timedelta(seconds=rng.randint(20, 600))
        ok = rng.random() >= fail
        last = ok or try_number == retries + 1
        state = "success" if ok else ("failed" if last else "up_for_retry")
        r = data.try_row(*key, try_number=try_number, state=state, queued=queued, start=start, end=end,
                         host=rng.choice(HOSTS), max_tries=retries, **extra)  # fmt: skip
        if last:
            data.tis.append(r)
            return end, ok
        data.retried(r)
        t = end + timedelta(seconds=300)  # retry_delay
    raise AssertionError("unreachable")


def not_started(
    data: AirflowData, dag: str, run_id: str, tasks: list[tuple[str, str]], state: str | None = None
) -> None:
    """Task instances the scheduler created but did not start (unexpanded mapped tasks have map_index -1)."""
    for task, operator in tasks:
        data.tis.append(data.try_row(dag, run_id, task, try_number=0, state=state, queued=None, start=None,
                                     end=None, operator=operator))  # fmt: skip


def etl_run(data: AirflowData, rng: random.Random, i: int) -> None:
    """One daily etl_daily run; the last two are still running."""
    dag, logical = "etl_daily", T0 + timedelta(days=i)
    run_id, t = f"scheduled__{logical.isoformat()}", logical + timedelta(days=1, seconds=5)
    tasks = [("extract", "PythonOperator"), ("transform", "SQLExecuteQueryOperator"),
             ("load", "_PythonDecoratedOperator"), ("notify", "EmailOperator")]  # fmt: skip
    if i >= ETL_RUNS - 2:  # running: extract (last run) or transform (the one before) is running
        data.run(dag, run_id, logical, "scheduled", state="running", queued_at=t, start_date=t, updated_at=t)
        running = 0 if i == ETL_RUNS - 1 else 1
        if running == 1:
            t, _ = run_task(data, rng, t, (dag, run_id, "extract"), retries=0, fail=0.0)
        start = t + timedelta(seconds=3)
        data.tis.append(data.try_row(dag, run_id, tasks[running][0], try_number=1, state="running",
                                     queued=t + timedelta(seconds=1), start=start, end=None, host="worker-1",
                                     operator=tasks[running][1], max_tries=2 * running))  # fmt: skip
        not_started(data, dag, run_id, tasks[running + 1 :])
        return
    run_start = t
    t, _ = run_task(data, rng, t, (dag, run_id, "extract"), retries=0, fail=0.0)
    t, ok = run_task(data, rng, t, (dag, run_id, "transform"), retries=2, fail=0.2, operator=tasks[1][1])
    if ok:
        ends = [run_task(data, rng, t, (dag, run_id, "load"), retries=0, fail=0.0, map_index=m,
                         operator=tasks[2][1])[0] for m in range(3)]  # fmt: skip
        t, _ = run_task(
            data, rng, max(ends), (dag, run_id, "notify"), retries=0, fail=0.0, operator=tasks[3][1]
        )
    else:  # load (never expanded) and notify are marked upstream_failed: start = end = now, try 0
        for task, operator in tasks[2:]:
            data.tis.append(data.try_row(dag, run_id, task, try_number=0, state="upstream_failed", queued=None,
                                         start=t, end=t, operator=operator))  # fmt: skip
    end = t + timedelta(seconds=2)
    data.run(dag, run_id, logical, "scheduled", state="success" if ok else "failed", queued_at=run_start,
             start_date=run_start, end_date=end, updated_at=end)  # fmt: skip


def partner_run(data: AirflowData, rng: random.Random, i: int) -> None:
    """One partner_sync run every 6 hours (every 10th triggered by hand); the last one is queued."""
    dag, logical = "partner_sync", T0 + timedelta(hours=6 * i)
    kind = "manual" if i % 10 == 9 else "scheduled"
    run_id, t = f"{kind}__{logical.isoformat()}", logical + timedelta(hours=6, seconds=2)
    if i == PARTNER_RUNS - 1:
        data.run(dag, run_id, logical, kind, state="running", queued_at=t, start_date=t, updated_at=t)
        data.tis.append(data.try_row(dag, run_id, "list_partners", try_number=1, state="queued", queued=t,
                                     start=None, end=None, operator="HttpOperator"))  # fmt: skip
        not_started(
            data, dag, run_id, [("sync_partner", "_PythonDecoratedOperator"), ("report", "PythonOperator")]
        )
        return
    run_start = t
    t, _ = run_task(
        data, rng, t, (dag, run_id, "list_partners"), retries=0, fail=0.0, operator="HttpOperator"
    )
    ends = [run_task(data, rng, t, (dag, run_id, "sync_partner"), retries=1, fail=0.1, map_index=m,
                     operator="_PythonDecoratedOperator", pool="partner_api")[0]
            for m in range(rng.randint(2, 5))]  # fmt: skip
    t, _ = run_task(data, rng, max(ends), (dag, run_id, "report"), retries=0, fail=0.0)
    data.run(dag, run_id, logical, kind, state="success", queued_at=run_start, start_date=run_start,
             end_date=t + timedelta(seconds=1), updated_at=t + timedelta(seconds=1))  # fmt: skip


def generate(seed: int = 6) -> AirflowData:
    """All rows of the fixture database (deterministic for a seed)."""
    data, rng = AirflowData(), random.Random(seed)
    manual_run(data)
    for i in range(ETL_RUNS):
        etl_run(data, rng, i)
    for i in range(PARTNER_RUNS):
        partner_run(data, rng, i)
    return data


# ---- the databases ---------------------------------------------------------------------------------
HOST, PG_PORT, MY_PORT = "127.0.0.1", 5432, 3306


@dataclass
class AirflowDb:
    """One filled Airflow schema (PostgreSQL) or database (MariaDB) and a connection to it."""

    engine: str
    conn: Any
    schema: str

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement with ``?`` placeholders turned into the driver's; return its rows."""
        mark = "$" if self.engine == "postgres" else "%s"
        parts = sql.split("?")
        text = parts[0] + "".join(
            (f"${i}" if mark == "$" else "%s") + part for i, part in enumerate(parts[1:], start=1)
        )
        with self.conn.cursor() as cur:
            cur.execute(text, self._values(params) or None)
            return list(cur.fetchall()) if cur.description else []

    def insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Insert rows into one of the Airflow tables (a column a row lacks is NULL)."""
        if not rows:
            return
        cols = list(dict.fromkeys(c for r in rows for c in r))
        if self.engine == "postgres":
            marks = [f"${i}::uuid" if c in UUID_COLUMNS else f"${i}" for i, c in enumerate(cols, start=1)]
        else:  # sqlalchemy_utils UUIDType(binary=False) stores 32 hex digits outside PostgreSQL
            marks = ["%s"] * len(cols)
            rows = [{**r, "dag_version_id": r["dag_version_id"].replace("-", "")} if "dag_version_id" in r else r
                    for r in rows]  # fmt: skip
        sql = f"INSERT INTO {self.schema}.{table} ({', '.join(cols)}) VALUES ({', '.join(marks)})"  # noqa: S608
        with self.conn.cursor() as cur:
            cur.executemany(sql, [self._values(tuple(r.get(c) for c in cols)) for r in rows])

    def _values(self, params: tuple[Any, ...]) -> tuple[Any, ...]:
        """MariaDB TIMESTAMP values are sent as naive UTC (the session is in UTC)."""
        if self.engine == "postgres":
            return params
        return tuple(v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) else v for v in params)

    def settings(self, **extra: Any) -> dict[str, Any]:
        """The airflow connector's settings for this database."""
        if self.engine == "postgres":
            base = {
                "engine": "postgres",
                "port": PG_PORT,
                "database": "test",
                "user": "postgres",
                "schema": self.schema,
            }
        else:
            base = {"engine": "mysql", "port": MY_PORT, "database": self.schema, "user": "root"}
        return {"host": HOST, **base, **extra}


def connect(engine: str) -> Any:
    """A connection to the engine's test database (raises when the server is unreachable)."""
    if engine == "postgres":
        import adbc_driver_postgresql.dbapi as pg

        return pg.connect(f"postgresql://postgres@{HOST}:{PG_PORT}/test?connect_timeout=5", autocommit=True)
    import pymysql

    return pymysql.connect(host=HOST, port=MY_PORT, user="root", password="", database="test", autocommit=True,
                           connect_timeout=5, init_command="SET time_zone = '+00:00'")  # fmt: skip


def create(conn: Any, engine: str, data: AirflowData | None) -> AirflowDb:
    """A fresh uuid-named schema (PostgreSQL) or database (MariaDB) with the Airflow tables and ``data``."""
    name = f"baton_af_{uuid.uuid4().hex[:10]}"
    db = AirflowDb(engine, conn, name)
    ddl = (DDL_DIR / ("postgres.sql" if engine == "postgres" else "mysql.sql")).read_text()
    code = "\n".join(line for line in ddl.splitlines() if not line.startswith("--"))
    db.execute(f"CREATE {'SCHEMA' if engine == 'postgres' else 'DATABASE'} {name}")
    for statement in code.replace("{schema}", name).split(";"):
        if statement.strip():
            db.execute(statement)
    if data is not None:
        db.insert("dag_run", data.dag_runs)
        db.insert("task_instance", data.tis)
        db.insert("task_instance_history", data.history)
    for table in (
        "dag_run",
        "task_instance",
        "task_instance_history",
    ):  # fresh statistics, as a live database has
        db.execute(f"ANALYZE {'' if engine == 'postgres' else 'TABLE '}{name}.{table}")
    return db


def drop(db: AirflowDb) -> None:
    """Drop the schema or database a test made."""
    db.execute(f"DROP {'SCHEMA' if db.engine == 'postgres' else 'DATABASE'} {db.schema}" +
               (" CASCADE" if db.engine == "postgres" else ""))  # fmt: skip


# ---- what happens in Airflow between two pulls --------------------------------------------------------
LATER = datetime(2024, 9, 1, tzinfo=UTC)


def advance(db: AirflowDb, data: AirflowData) -> dict[str, Any]:
    """A running try completes, a running try fails (retry pending), a new partner_sync run runs; the expected.

    The failure is what Airflow 3's execution API does on up_for_retry: prepare_db_for_next_try records the
    try in task_instance_history (record_ti: not finished -> state failed, end_date = now, updated_at copied)
    and gives the task_instance row a new id; the row keeps try_number 1 in state up_for_retry until the
    scheduler schedules try 2 (``start_retry``).
    """
    etl = "etl_daily"
    done_run = f"scheduled__{(T0 + timedelta(days=ETL_RUNS - 2)).isoformat()}"
    end = at(LATER, "10:00:00")
    db.execute(f"UPDATE {db.schema}.task_instance SET state = 'success', end_date = ?, duration = "
               "300.0, updated_at = ? WHERE dag_id = ? AND run_id = ? AND task_id = 'transform'",
               (end, end + timedelta(milliseconds=500), etl, done_run))  # fmt: skip
    retry_run = f"scheduled__{(T0 + timedelta(days=ETL_RUNS - 1)).isoformat()}"
    ti = next(r for r in data.tis if r["run_id"] == retry_run and r["task_id"] == "extract")
    failed = {**ti, "end_date": at(LATER, "10:01:00"), "state": "failed", "duration": 60.0}
    history = {"task_instance_id": ti["id"], **{k: v for k, v in failed.items() if k != "id"}}
    db.insert("task_instance_history", [history])
    cast = "::uuid" if db.engine == "postgres" else ""
    db.execute(f"UPDATE {db.schema}.task_instance SET id = ?{cast}, state = 'up_for_retry', end_date = ?, "
               "updated_at = ? WHERE dag_id = ? AND run_id = ? AND task_id = 'extract'",
               (data.next_id(), at(LATER, "10:01:00"), at(LATER, "10:01:01"), etl, retry_run))  # fmt: skip
    new = AirflowData(counter=data.counter + 10)
    logical, run_id = at(LATER, "06:00:00"), "scheduled__2024-09-01T06:00:00+00:00"
    new.run("partner_sync", run_id, logical, "scheduled", state="success", queued_at=at(LATER, "12:00:00"),
            start_date=at(LATER, "12:00:00"), end_date=at(LATER, "12:05:00"), updated_at=at(LATER, "12:05:00"))  # fmt: skip
    times = [("list_partners", -1, "12:00:05", "12:01:00"), ("sync_partner", 0, "12:01:05", "12:03:00"),
             ("sync_partner", 1, "12:01:06", "12:02:30"), ("report", -1, "12:03:05", "12:04:00")]  # fmt: skip
    for task, m, s, e in times:
        new.tis.append(new.try_row("partner_sync", run_id, task, map_index=m, try_number=1, state="success",
                                   queued=at(LATER, s) - timedelta(seconds=2), start=at(LATER, s), end=at(LATER, e),
                                   host="worker-3"))  # fmt: skip
    db.insert("dag_run", new.dag_runs)
    db.insert("task_instance", new.tis)
    return {"cursor_after": at(LATER, "12:04:00") + timedelta(milliseconds=500), "new_case": f"partner_sync/{run_id}",
            "done_case": f"{etl}/{done_run}", "retry_case": f"{etl}/{retry_run}", "retry_run": retry_run}  # fmt: skip


def start_retry(db: AirflowDb, run_id: str) -> datetime:
    """The scheduler runs try 2 of the failed extract (try_number + 1, running on worker-2); its start."""
    start = at(LATER, "12:10:02")
    db.execute(f"UPDATE {db.schema}.task_instance SET try_number = 2, state = 'running', queued_dttm = ?, "
               "start_date = ?, end_date = NULL, duration = NULL, hostname = 'worker-2', updated_at = ? "
               "WHERE dag_id = 'etl_daily' AND run_id = ? AND task_id = 'extract'",
               (at(LATER, "12:10:00"), start, start + timedelta(milliseconds=500), run_id))  # fmt: skip
    return start
