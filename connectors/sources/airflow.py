"""Airflow metadata-database source: one activity instance per task try, from task_instance and its history.

Example config (``baton pull sources/airflow.yaml``)::

    kind: airflow
    name: airflow_runs
    settings: {engine: postgres, host: airflow-db, database: airflow, user: reader,
               password_env: AIRFLOW_DB_PASSWORD, dag_ids: [etl_daily]}
    lookback_seconds: 60

Semantics (Airflow 3.x models; 2.10+ has the same columns, older 2.x: ``history: false``):

- case = a DAG run: ``case_id`` = ``dag_id/run_id`` (a DAG id cannot hold ``/``);
- activity = ``task_id``, or ``task_id[map_index]`` for a mapped task's expanded instance;
- one activity instance per TRY: ``task_instance`` holds a task's latest try, ``task_instance_history``
  (Airflow >= 2.10) the earlier ones, so a retried task gives one row per try, each with its ``state``
  (``failed`` for a try that was retried) and ``try_number``; key (dag_id, run_id, task_id, map_index,
  try_number). When a try moves to the history table its key stays the same, so the stored row is replaced;
  a task_instance row whose try is already in the history (Airflow 3 records a try there when it fails with
  retries left or is cleared, before the next try is scheduled) is left out: the history row is that try;
- start = ``start_date``; timestamp ``event_time`` = ``end_date``, or ``start_date`` while the try runs
  (``state`` running, deferred, up_for_reschedule ...; ``end_date`` is then empty); when it ends Airflow
  bumps ``updated_at`` and the next pull replaces the row;
- tries not started yet (state NULL, scheduled, queued, removed, or no ``start_date``) are not read: their
  ``try_number`` is about to change. Skipped and upstream_failed tasks are read (Airflow gives them a start
  and an end), with their ``state``, so a filter on ``state`` keeps executed tries only;
- resource = ``hostname`` (the worker that ran the try; empty -> NULL); ``pool`` and ``queue`` are attributes;
- attributes: dag_id, run_id, task_id, map_index, try_number, state, operator, pool, queue, duration (Airflow's,
  seconds), queued_dttm, ``waiting_seconds`` (queued_dttm -> start_date), run_type (from dag_run);
- cursor ``updated_at``: Airflow sets it on every change of a task instance. A history row keeps the
  ``updated_at`` of the try it copies, but Airflow stamps ``end_date`` = now when it records an unfinished
  try, so for history rows the cursor is the later of the two.

Airflow writes ``updated_at`` from the application clock before the commit: give ``lookback_seconds``
(e.g. 60) so rows committed late are read by the next pull (re-reads are harmless: the key dedupes them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, Self

import pyarrow as pa
import pyarrow.compute as pc

from baton.errors import FatalSourceError
from connectors.sources.base import CursorValue, SourceConfig, Stream
from connectors.sources.sql_base import SqlSource
from connectors.sources.sql_common import SERVER_KEYS
from connectors.sources.sql_mysql import MysqlSource
from connectors.sources.sql_postgres import PostgresSource

ENGINES: dict[str, type[SqlSource]] = {
    "postgres": PostgresSource,
    "mysql": MysqlSource,
    "mariadb": MysqlSource,
}
#: Airflow stores every time in UTC (timestamptz / MySQL TIMESTAMP), so there is no ``timezone`` setting.
ALLOWED = (SERVER_KEYS - {"timezone"}) | {"engine", "schema", "dag_ids", "history", "batch_size"}
KEY = ("dag_id", "run_id", "task_id", "map_index", "try_number")
CURSOR = "updated_at"
MAPPING: dict[str, str] = {
    "case_id_key": "case_id",
    "activity_key": "activity",
    "timestamp_key": "event_time",
    "start_timestamp_key": "start_date",
    "resource_key": "hostname",
}
TABLES = ("dag_run", "task_instance", "task_instance_history")
#: Task-instance states of tries that have not started; their try_number changes when they do.
NOT_STARTED = ("scheduled", "queued", "removed")

_COLUMNS = """{a}.dag_id, {a}.run_id, {a}.task_id, {a}.map_index, {a}.try_number, {a}.state,
       {a}.start_date, {a}.end_date, COALESCE({a}.end_date, {a}.start_date) AS event_time, {a}.duration,
       {a}.queued_dttm, NULLIF({a}.hostname, '') AS hostname, {a}.pool, {a}.queue, {a}.operator, r.run_type"""


class AirflowSource:
    """Task tries of an Airflow metadata database (PostgreSQL or MySQL/MariaDB) as activity instances.

    Settings: ``engine`` (postgres | mysql | mariadb), the connection (host, port, database, user,
    password_env or dsn_env, connect_timeout), ``schema`` (PostgreSQL, default the search path),
    ``dag_ids`` (one id or a list; default every DAG), ``history`` (read task_instance_history, default
    true; false for Airflow < 2.10), ``batch_size``.
    """

    kind: ClassVar[str] = "airflow"

    def __init__(
        self, config: SourceConfig, inner: SqlSource, dag_ids: tuple[str, ...], history: bool
    ) -> None:
        self.name = config.name
        self.mapping: Mapping[str, str] = dict(config.mapping) or dict(MAPPING)
        self.primary_key: tuple[str, ...] = KEY
        self.cursor_column: str = CURSOR
        #: read by the loader (``LOOKBACK_ATTRIBUTE``)
        self.lookback_seconds = config.lookback_seconds
        self.inner = inner
        self.dag_ids = dag_ids
        self.history = history
        self.engine = inner.kind

    @classmethod
    def from_config(cls, config: SourceConfig) -> Self:
        """Check the settings and build the source (FatalSourceError naming the config file and the key)."""
        raw = dict(config.settings)
        where = f"{config.path or 'source config'}: source {config.name!r} (airflow)"
        unknown = sorted(set(raw) - ALLOWED)
        if unknown:
            raise FatalSourceError(
                f"{where}: unknown setting {unknown[0]!r}; allowed: {', '.join(sorted(ALLOWED))}"
            )
        engine = str(raw.pop("engine", ""))
        if engine not in ENGINES:
            raise FatalSourceError(f"{where}: 'engine' must be one of {sorted(ENGINES)}, got {engine!r}")
        if (
            config.primary_key
            and tuple(config.primary_key) != KEY
            or config.cursor_column not in (None, CURSOR)
        ):
            raise FatalSourceError(
                f"{where}: the airflow connector's key is {list(KEY)} and its cursor {CURSOR!r}; remove "
                "'primary_key' and 'cursor_column' from the config"
            )
        dag_ids = _dag_ids(raw.pop("dag_ids", None), where)
        history = raw.pop("history", True)
        if not isinstance(history, bool):
            raise FatalSourceError(f"{where}: 'history' must be true or false, got {history!r}")
        engine_cls = ENGINES[engine]
        schema = str(raw.pop("schema", ""))
        if schema and engine_cls is not PostgresSource:
            raise FatalSourceError(
                f"{where}: 'schema' is for PostgreSQL; on MySQL name the database in 'database'"
            )
        raw["query"] = airflow_query(_quoting(engine_cls), schema, len(dag_ids), history=history)
        raw["params"] = {f"dag_id_{i}": d for i, d in enumerate(dag_ids)}
        inner_config = SourceConfig(
            kind=engine_cls.kind, name=config.name, settings=raw, primary_key=KEY, cursor_column=CURSOR,
            lookback_seconds=config.lookback_seconds, path=config.path,
        )  # fmt: skip
        return cls(config, engine_cls.from_config(inner_config), dag_ids, history)

    def check(self) -> None:
        """Connect and probe the query; a missing table says which Airflow versions have it."""
        try:
            self.inner.check()
        except FatalSourceError as exc:
            raise FatalSourceError(
                f"{exc} (the airflow connector reads {', '.join(TABLES[: 3 if self.history else 2])}; "
                "task_instance_history exists from Airflow 2.10: set 'history: false' for older versions)"
            ) from None

    def discover(self) -> list[Stream]:
        """The Airflow tables this connector reads, with their columns."""
        return [s for s in self.inner.discover() if s.name.rsplit(".", 1)[-1] in TABLES]

    def read(self, cursor: CursorValue | None) -> Iterator[pa.RecordBatch]:
        """Task tries changed at or after ``cursor`` (``updated_at``), with case id, activity and waiting time."""
        for batch in self.inner.read(cursor):
            yield shape(batch)

    def describe(self) -> dict[str, Any]:
        """Settings safe to store and show (the password as its variable's name)."""
        shown = {k: v for k, v in self.inner.describe().items() if k not in ("query", "params", "table")}
        shown.update(kind=self.kind, engine=self.engine, dag_ids=list(self.dag_ids), history=self.history)
        return shown


def airflow_query(quote: Callable[[str], str], schema: str, dag_count: int, *, history: bool) -> str:
    """The SELECT over task_instance (and task_instance_history) joined to dag_run, with ``:dag_id_<i>``."""

    def table(name: str) -> str:
        return f"{quote(schema)}.{quote(name)}" if schema else quote(name)

    states = ", ".join(f"'{s}'" for s in NOT_STARTED)  # constants of Airflow's state machine
    dags = ", ".join(f":dag_id_{i}" for i in range(dag_count))
    only = f" AND {{a}}.dag_id IN ({dags})" if dag_count else ""
    join = "JOIN {dag_run} r ON r.dag_id = {a}.dag_id AND r.run_id = {a}.run_id"
    latest = (
        f"SELECT {_COLUMNS}, COALESCE({{a}}.updated_at, {{a}}.end_date, {{a}}.start_date) AS updated_at\n"
        f"FROM {{ti}} {{a}} {join}\n"
        f"WHERE {{a}}.start_date IS NOT NULL AND {{a}}.state IS NOT NULL AND {{a}}.state NOT IN ({states}){only}"
    ).format(a="t", ti=table("task_instance"), dag_run=table("dag_run"))
    if not history:
        return latest
    # a try already recorded in the history (up_for_retry or cleared, before the next try is scheduled) is
    # read from there only, so one read never holds a key twice
    recorded = table("task_instance_history")  # a quoted identifier
    latest += (
        f"\n  AND NOT EXISTS (SELECT 1 FROM {recorded} p WHERE p.dag_id = t.dag_id "  # noqa: S608
        "AND p.task_id = t.task_id AND p.run_id = t.run_id AND p.map_index = t.map_index "
        "AND p.try_number = t.try_number)"
    )
    # a history row copies its try's updated_at, but Airflow stamps end_date = now on an unfinished try
    earlier = (
        f"SELECT {_COLUMNS}, CASE WHEN {{a}}.end_date > {{a}}.updated_at THEN {{a}}.end_date "
        f"ELSE COALESCE({{a}}.updated_at, {{a}}.end_date, {{a}}.start_date) END AS updated_at\n"
        f"FROM {{tih}} {{a}} {join}\n"
        f"WHERE {{a}}.start_date IS NOT NULL{only}"
    ).format(a="h", tih=table("task_instance_history"), dag_run=table("dag_run"))
    return f"{latest}\nUNION ALL\n{earlier}"


def shape(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Add ``case_id`` (dag_id/run_id), ``activity`` (task_id or task_id[map_index]) and ``waiting_seconds``."""
    dag_id, run_id, task_id = (batch.column(n).cast(pa.string()) for n in ("dag_id", "run_id", "task_id"))
    case_id = pc.binary_join_element_wise(dag_id, run_id, "/")
    map_index = batch.column("map_index").cast(pa.int64())
    mapped = pc.binary_join_element_wise(task_id, "[", map_index.cast(pa.string()), "]", "")
    activity = pc.if_else(pc.greater_equal(map_index, 0), mapped, task_id)
    start, queued = batch.column("start_date"), batch.column("queued_dttm")
    waited = pc.subtract(start.cast(pa.timestamp("us", tz="UTC")), queued.cast(pa.timestamp("us", tz="UTC")))
    waiting = pc.divide(waited.cast(pa.int64()).cast(pa.float64()), 1_000_000.0)
    columns = [case_id, activity, *batch.columns, waiting]
    names = ["case_id", "activity", *batch.schema.names, "waiting_seconds"]
    return pa.RecordBatch.from_arrays(columns, names=names)


def _quoting(engine_cls: type[SqlSource]) -> Callable[[str], str]:
    """The engine's identifier quoting (backticks on MySQL, double quotes on PostgreSQL), doubled inside."""
    mark = "`" if issubclass(engine_cls, MysqlSource) else '"'
    return lambda name: mark + name.replace(mark, mark + mark) + mark


def _dag_ids(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise FatalSourceError(f"{where}: 'dag_ids' must be a DAG id or a list of them, got {value!r}")
