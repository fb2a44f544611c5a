"""Camunda 7 history connector: activity instances from the engine's database (PostgreSQL, MySQL, MariaDB).

Example config (``baton pull sources/loans.yaml``)::

    kind: camunda7
    name: loans
    settings:
      engine: postgres              # postgres (default), mysql or mariadb: the database Camunda runs on
      host: camunda-db.local
      database: camunda
      user: baton_reader
      password_env: CAMUNDA_DB_PASSWORD
      schema: public                # optional: the schema (PostgreSQL) or database holding the ACT_ tables
      timezone: Europe/Berlin       # Camunda writes wall-clock times in the JVM's zone (default UTC)
      process_keys: [loan]          # optional: only these process definition keys
      include_events: false         # start/end/boundary/intermediate events (default: tasks only)
      include_gateways: false

One row per activity instance (``ACT_HI_ACTINST``): case = process instance, activity = name (else id), start
= START_TIME_, timestamp = END_TIME_, resource = the assignee; attributes: state, activity id and type, process
key and version (from ACT_RE_PROCDEF, so conformance can be checked per version), business key, root case,
duration and the incidents raised while the instance was open (count and latest message).

Running instances (END_TIME_ NULL) are kept with timestamp = start, ``end_time`` NULL and ``state = running``.
Camunda has no last-modified column: the cursor ``changed_at`` is COALESCE(END_TIME_, START_TIME_) (the later
of the two, since an instance ends after it starts), and every read also re-reads all open instances, so an
instance that ends (or gets an assignee or an incident) after a pull replaces its stored row on the next one.
History rows carry the time of the engine command, written at its commit: a command running longer than the
look-back could commit rows older than the cursor, so the look-back defaults to ``DEFAULT_LOOKBACK_SECONDS``
(set ``lookback_seconds`` in the config to change it). Deleted history (history cleanup) is not propagated.
On MySQL/MariaDB, ACT_HI_INCIDENT's times are TIMESTAMP columns (read in UTC) while activity times are
DATETIME (Camunda's zone): with Camunda running outside UTC, incidents are matched to instances shifted by
the zone's offset.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar, Self, cast

from baton.errors import FatalSourceError
from connectors.sources.base import CursorValue, SourceConfig, Stream
from connectors.sources.camunda7_query import CATEGORIES, CURSOR, END, KEY, MAPPING, activity_instances_sql
from connectors.sources.sql_base import SqlSource
from connectors.sources.sql_common import CURSOR_PARAM, SERVER_KEYS, parse_settings
from connectors.sources.sql_mysql import MysqlSource
from connectors.sources.sql_postgres import PostgresSource

#: Seconds each pull re-reads before the cursor when the config gives no ``lookback_seconds``.
DEFAULT_LOOKBACK_SECONDS = 300.0
OPTION_KEYS = frozenset({"engine", "schema", "process_keys", "include_events", "include_gateways"})
ALLOWED = SERVER_KEYS | OPTION_KEYS | {"batch_size"}
_TABLES_FIX = (
    "the Camunda 7 history tables (ACT_HI_ACTINST, ACT_HI_PROCINST, ACT_HI_TASKINST, ACT_HI_INCIDENT, "
    "ACT_RE_PROCDEF) must be readable: check 'database' and 'schema', the user's SELECT rights, and that "
    "Camunda's history level is not 'none'"
)


@dataclasses.dataclass(frozen=True, slots=True)
class Camunda7Options:
    """The Camunda-specific settings: where the tables are and which activity instances to keep."""

    engine: str = "postgres"
    schema: str = ""
    process_keys: tuple[str, ...] = ()
    include_events: bool = False
    include_gateways: bool = False

    @property
    def categories(self) -> tuple[str, ...]:
        """The activity-type categories read (``camunda7_query.CATEGORIES``)."""
        wanted = {"task": True, "event": self.include_events, "gateway": self.include_gateways}
        return tuple(c for c in CATEGORIES if wanted.get(c))


class Camunda7Source(SqlSource):
    """Camunda 7 activity instances through the SQL connector of the engine's database.

    ``from_config`` returns a ``Camunda7Postgres`` or ``Camunda7Mysql`` (the driver half); this class adds
    the query, the open-instance re-reads, the messages and ``describe``.
    """

    kind: ClassVar[str] = "camunda7"
    options: Camunda7Options = Camunda7Options()

    @classmethod
    def from_config(cls, config: SourceConfig) -> Self:
        """Check the settings, pick the driver by ``engine`` and build the query (FatalSourceError naming a key)."""
        options = _options(config)
        target = ENGINES[options.engine]
        server = {k: v for k, v in config.settings.items() if k not in OPTION_KEYS}
        inner = SourceConfig(
            kind=config.kind,
            name=config.name,
            settings={**server, "query": "SELECT 1"},
            mapping={**MAPPING, **dict(config.mapping)},
            primary_key=(KEY,),
            cursor_column=CURSOR,
            lookback_seconds=config.lookback_seconds or DEFAULT_LOOKBACK_SECONDS,
            path=config.path,
        )
        settings = parse_settings(inner, target.allowed, target.default_port)
        source = target(inner, settings)
        prefix = source.quote(options.schema) + "." if options.schema else ""
        query, params = activity_instances_sql(prefix, options.categories, options.process_keys)
        source.settings = dataclasses.replace(settings, query=query, params=params)
        source.options = options
        return cast(Self, source)

    def cursor_sql(self, cursor: CursorValue | None) -> str:
        """Rows changed at or after the cursor plus every open instance, in cursor order."""
        col = f"q.{self.quote(self.cursor_column)}"
        where = "" if cursor is None else f" WHERE {col} >= :{CURSOR_PARAM} OR q.{self.quote(END)} IS NULL"
        # the relation is this connector's own query; values are bound, never formatted in
        return f"SELECT * FROM ({self.relation()}) q{where} ORDER BY {col}, q.{self.quote(KEY)}"  # noqa: S608

    def discover(self) -> list[Stream]:
        """The one stream this connector reads, ``activity_instances``, with its columns and types."""
        with self._session("discover") as (conn, _target):
            schema = self._probe(conn)
        return [Stream("activity_instances", {f.name: str(f.type) for f in schema})]

    def describe(self) -> dict[str, Any]:
        """Settings safe to store and show (secrets as their variable's name), the options, not the SQL."""
        shown = super().describe()
        for internal in ("query", "params"):
            shown.pop(internal, None)
        o = self.options
        shown.update(
            engine=o.engine,
            schema=o.schema,
            process_keys=list(o.process_keys),
            include_events=o.include_events,
            include_gateways=o.include_gateways,
            lookback_seconds=self.lookback_seconds,
        )
        return shown

    def _classify(self, exc: BaseException) -> tuple[bool, str]:
        retriable, fix = super()._classify(exc)
        if "'table' / 'query'" in fix:
            return retriable, _TABLES_FIX
        return retriable, fix


class Camunda7Postgres(Camunda7Source, PostgresSource):
    """Camunda 7 on PostgreSQL (ADBC, streamed)."""


class Camunda7Mysql(Camunda7Source, MysqlSource):
    """Camunda 7 on MySQL or MariaDB (pymysql, unbuffered)."""


#: ``engine`` setting -> driver class.
ENGINES: dict[str, type[Camunda7Source]] = {
    "postgres": Camunda7Postgres,
    "postgresql": Camunda7Postgres,
    "mysql": Camunda7Mysql,
    "mariadb": Camunda7Mysql,
}


def _options(config: SourceConfig) -> Camunda7Options:
    """The Camunda options of a config, checked (FatalSourceError naming the file and key)."""
    raw: Mapping[str, Any] = config.settings
    where = f"{config.path or 'source config'}: source {config.name!r} (camunda7)"
    unknown = sorted(set(raw) - ALLOWED)
    if unknown:
        raise FatalSourceError(
            f"{where}: unknown setting {unknown[0]!r}; allowed: {', '.join(sorted(ALLOWED))}"
        )
    engine = str(raw.get("engine", "postgres")).lower()
    if engine not in ENGINES:
        raise FatalSourceError(f"{where}: 'engine' {engine!r} is not one of {sorted(ENGINES)}")
    if config.primary_key not in ((), (KEY,)) or config.cursor_column not in (None, "", CURSOR):
        raise FatalSourceError(
            f"{where}: the key is {KEY!r} and the cursor {CURSOR!r}; remove 'primary_key' / 'cursor_column'"
        )
    keys = raw.get("process_keys") or ()
    keys = (keys,) if isinstance(keys, str) else keys
    if not isinstance(keys, list | tuple) or not all(isinstance(k, str) and k for k in keys):
        raise FatalSourceError(f"{where}: 'process_keys' must be a key or a list of keys, got {keys!r}")
    flags = {k: raw.get(k, False) for k in ("include_events", "include_gateways")}
    bad = [k for k, v in flags.items() if not isinstance(v, bool)]
    if bad:
        raise FatalSourceError(f"{where}: {bad[0]!r} must be true or false, got {flags[bad[0]]!r}")
    return Camunda7Options(
        engine="postgres" if engine == "postgresql" else engine,
        schema=str(raw.get("schema") or ""),
        process_keys=tuple(keys),
        include_events=flags["include_events"],
        include_gateways=flags["include_gateways"],
    )
