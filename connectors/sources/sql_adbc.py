"""Any database with an ADBC driver package (kind ``adbc``): a table or a bound-parameter query, streamed."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Self
from urllib.parse import unquote, urlsplit

import pyarrow as pa

from baton.errors import FatalSourceError, RetriableSourceError, SourceError
from connectors.sources.base import CursorValue, Secret, SourceConfig, Stream
from connectors.sources.sql_base import SqlSource
from connectors.sources.sql_common import (
    _TOKEN,
    COMMON_KEYS,
    Endpoint,
    Style,
    as_datetime,
    bind,
    mask,
    source_error,
    utc_timestamps,
)

try:
    import adbc_driver_manager
    import adbc_driver_manager.dbapi as adbc_dbapi

    _ERRORS: tuple[type[BaseException], ...] = (adbc_driver_manager.Error,)
except ImportError:  # pragma: no cover - ADBC is an optional dependency
    adbc_dbapi = None  # type: ignore[assignment]
    _ERRORS = ()

Paramstyle = Literal["qmark", "numeric"]
_DRIVER = re.compile(r"^adbc_driver_[a-z0-9_]+$")
#: drivers whose dbapi module reports a paramstyle they do not take (PostgreSQL says pyformat, binds $1)
_KNOWN_STYLES: dict[str, Paramstyle] = {"adbc_driver_postgresql": "numeric"}
_OWN_KEYS = frozenset({"driver", "uri", "uri_env", "db_kwargs", "db_kwargs_env", "paramstyle"})
_URL_PASSWORD = re.compile(r"(://[^/@:\s]+:)[^/@\s]+@")
_RETRIABLE_STATES = ("08", "53", "57P", "40001", "40P01")
_RETRIABLE_TEXT = ("connection refused", "timeout", "timed out", "reset by peer", "broken pipe", "is locked")
_LOGIN_TEXT = ("password", "authentication", "role", "access denied", "login")
_SYSTEM_SCHEMAS = ("information_schema", "pg_catalog", "INFORMATION_SCHEMA")


@dataclass(frozen=True, slots=True)
class AdbcOptions:
    """The ADBC-specific settings: the driver package, where to connect, driver options, placeholder style."""

    driver: str
    paramstyle: Paramstyle
    uri: str = ""
    uri_env: Secret | None = None
    db_kwargs: Mapping[str, str] = field(default_factory=dict)
    db_kwargs_env: Mapping[str, Secret] = field(default_factory=dict)


def _refuse(config: SourceConfig, what: str) -> FatalSourceError:
    return FatalSourceError(f"{config.path or 'source config'}: source {config.name!r} (adbc): {what}")


def load_dbapi(driver: str, where: str = "source config") -> Any:
    """The driver's ``dbapi`` module; FatalSourceError naming the pip package when it is not installed."""
    if not _DRIVER.match(driver) or driver == "adbc_driver_manager":
        raise FatalSourceError(
            f"{where}: 'driver' {driver!r} is not an ADBC driver module name; give one like "
            "adbc_driver_sqlite, adbc_driver_postgresql, adbc_driver_snowflake"
        )
    try:
        return importlib.import_module(f"{driver}.dbapi")
    except ImportError as exc:
        raise FatalSourceError(
            f"{where}: the ADBC driver {driver!r} is not installed ({exc}); install it with "
            f"`pip install {driver.replace('_', '-')}`"
        ) from None


def parse_options(config: SourceConfig) -> AdbcOptions:
    """The checked ADBC settings of ``config`` (FatalSourceError naming the key and the fix)."""
    raw = dict(config.settings)
    driver = str(raw.get("driver") or "")
    if not driver:
        raise _refuse(config, "set 'driver' to the ADBC driver's module (e.g. adbc_driver_sqlite)")
    dbapi = load_dbapi(driver, f"{config.path or 'source config'}: source {config.name!r}")
    if raw.get("uri") and raw.get("uri_env"):
        raise _refuse(config, "give 'uri' (no secrets in it) or 'uri_env' (a variable holding it), not both")
    kwargs, env = raw.get("db_kwargs") or {}, raw.get("db_kwargs_env") or {}
    if not isinstance(kwargs, Mapping) or not isinstance(env, Mapping):
        raise _refuse(config, "'db_kwargs' and 'db_kwargs_env' must map driver option names to values")
    bad = [k for k in env if not str(k).endswith("_env") or not isinstance(env[k], str)]
    if bad:
        raise _refuse(
            config,
            f"db_kwargs_env.{bad[0]}: write each option as '<option>_env: VARIABLE' (e.g. password_env)",
        )
    style = raw.get("paramstyle") or _KNOWN_STYLES.get(driver) or getattr(dbapi, "paramstyle", "qmark")
    if style not in ("qmark", "numeric"):
        if "paramstyle" in raw:
            raise _refuse(config, f"'paramstyle' must be qmark (?) or numeric ($1), got {style!r}")
        style = "qmark"
    return AdbcOptions(
        driver=driver,
        paramstyle=style,
        uri=str(raw.get("uri") or ""),
        uri_env=Secret(str(raw["uri_env"])) if raw.get("uri_env") else None,
        db_kwargs={str(k): str(v) for k, v in kwargs.items()},
        db_kwargs_env={str(k)[: -len("_env")]: Secret(str(v)) for k, v in env.items()},
    )


def positional(sql: str, values: Mapping[str, Any], style: Paramstyle) -> tuple[str, tuple[Any, ...]]:
    """``:name`` placeholders as ``?`` (one value per use) or ``$1`` (one per name), with the values in order.

    Quoted text, quoted identifiers, comments and ``::`` casts are left alone (as ``sql_common.bind``).
    """
    if style == "numeric":
        text, args = bind(sql, values, "dollar")
        return text, tuple(args)
    used: list[Any] = []

    def swap(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return match.group(0)
        used.append(values[match.group(1)])
        return "?"

    return _TOKEN.sub(swap, sql), tuple(used)


class AdbcSource(SqlSource):
    """A table or query of any database with an ADBC driver (settings: driver, uri or uri_env, db_kwargs ...).

    Timestamps leave as ``timestamp[us, tz=UTC]`` (naive ones read as wall-clock times in ``timezone``).
    """

    kind: ClassVar[str] = "adbc"
    style: ClassVar[Style] = "named"  # bound here: ``positional`` turns the names into the driver's style
    allowed: ClassVar[frozenset[str]] = COMMON_KEYS | _OWN_KEYS | {"schema", "timezone"}
    driver_errors: ClassVar[tuple[type[BaseException], ...]] = _ERRORS
    options: AdbcOptions

    @classmethod
    def from_config(cls, config: SourceConfig) -> Self:
        """Check the settings (the driver must be installed) and build the source."""
        options = parse_options(config)
        source = super().from_config(config)
        source.options = options
        return source

    def _connect(self, target: Endpoint) -> Any:
        o = self.options
        uri = o.uri_env.value() if o.uri_env is not None else o.uri
        kwargs = {**o.db_kwargs, **{k: s.value() for k, s in o.db_kwargs_env.items()}}
        package = importlib.import_module(o.driver)
        path = getattr(package, "_driver_path", None)
        if adbc_dbapi is None or path is None:  # pragma: no cover - every ADBC driver package has both
            dbapi = load_dbapi(o.driver)
            return dbapi.connect(uri, db_kwargs=kwargs, autocommit=True)
        return adbc_dbapi.connect(driver=path(), uri=uri or None, db_kwargs=kwargs, autocommit=True)

    def _run(self, conn: Any, sql: str, args: Mapping[str, Any]) -> Any:
        text, values = positional(sql, args, self.options.paramstyle)
        cur = conn.cursor()
        cur.execute(text, parameters=values or None)
        return cur

    def _schema(self, conn: Any, sql: str, args: Any) -> pa.Schema:
        cur = self._run(conn, sql, args)
        try:
            table = cur.fetch_arrow_table()
        finally:
            cur.close()
        empty = pa.RecordBatch.from_pylist([], schema=table.schema)
        return utc_timestamps(empty, self.settings.timezone).schema

    def _stream(self, conn: Any, sql: str, args: Any, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        cur = self._run(conn, sql, args)
        try:
            for batch in cur.fetch_record_batch():
                yield utc_timestamps(batch, self.settings.timezone)
        finally:
            cur.close()

    def _cursor_arg(self, cursor: CursorValue, field: pa.Field) -> Any:
        if pa.types.is_timestamp(field.type):
            return as_datetime(cursor, self.settings.timezone)
        if isinstance(cursor, datetime):  # a text column (SQLite's zero-row probe types are not known)
            return as_datetime(cursor, "UTC").astimezone(UTC).isoformat()
        return cursor

    def _discover(self, conn: Any) -> list[Stream]:
        fallback: tuple[type[BaseException], ...] = (*self.driver_errors, NotImplementedError)
        try:
            objects = conn.adbc_get_objects(depth="columns").read_all().to_pylist()
        except fallback:  # the driver cannot list its objects: the configured table or query only
            schema = self._probe(conn)
            return [Stream(self.settings.table or self.name, {f.name: str(f.type) for f in schema})]
        streams = []
        for catalog in objects:
            for db_schema in catalog["catalog_db_schemas"] or []:
                prefix = db_schema["db_schema_name"] or ""
                if prefix in _SYSTEM_SCHEMAS:
                    continue
                for table in db_schema["db_schema_tables"] or []:
                    name = table["table_name"]
                    if (
                        "table" not in table["table_type"].lower()
                        and "view" not in table["table_type"].lower()
                    ):
                        continue
                    if name.startswith("sqlite_"):
                        continue
                    columns = {
                        c["column_name"]: c["xdbc_type_name"] or "" for c in table["table_columns"] or []
                    }
                    shown = name if prefix in ("", "public", "main") else f"{prefix}.{name}"
                    streams.append(Stream(shown, columns))
        return streams

    def _classify(self, exc: BaseException) -> tuple[bool, str]:
        text = str(exc).lower()
        state = str(getattr(exc, "sqlstate", "") or "")
        status = str(getattr(exc, "status_code", "") or "")
        if (
            state.startswith(_RETRIABLE_STATES)
            or "TIMEOUT" in status
            or any(t in text for t in _RETRIABLE_TEXT)
        ):
            return True, "the database is unreachable or busy; it was retried, try again later"
        if "UNAUTH" in status or state.startswith("28") or any(w in text for w in _LOGIN_TEXT):
            return False, "check the credentials (in the variable named by 'uri_env' or 'db_kwargs_env')"
        if state.startswith("42") or "no such" in text or "does not exist" in text or "NOT_FOUND" in status:
            return False, "check 'table' / 'query' and 'schema' (the table, view or column must exist)"
        return False, "check 'uri' / 'uri_env' and 'db_kwargs' (see the ADBC driver's documentation)"

    # ---- where and secrets ----------------------------------------------------------------------------
    def _target(self) -> Endpoint:
        return Endpoint("", 0, "", "", "")

    def where(self, target: Endpoint | None = None) -> str:
        """The driver and the URI (masked; a URI from the environment is named by its variable)."""
        o = self.options
        if o.uri_env is not None:
            return f"adbc {o.driver} at the URI in ${o.uri_env.env}"
        return f"adbc {o.driver}" + (f" at {_masked(o.uri)}" if o.uri else "")

    def _secrets(self) -> list[str]:
        """The secret values this source reads (to mask), when set."""
        found = [self.options.uri_env, *self.options.db_kwargs_env.values()]
        values = [v for v in (_peek(s) for s in found if s is not None) if v]
        password = urlsplit(values[0]).password if self.options.uri_env is not None and values else None
        return sorted([*values, unquote(password or "")], key=len, reverse=True)

    def _translate(self, exc: BaseException, action: str, target: Endpoint) -> SourceError:
        retriable, fix = self._classify(exc)
        kind = RetriableSourceError if retriable else FatalSourceError
        what = _masked(mask(f"{action} failed: {exc}", *self._secrets()))
        return source_error(kind, self.name, self.where(target), what, fix)

    def describe(self) -> dict[str, Any]:
        """Settings safe to store and show: the driver, the URI (masked), options; secrets as ``$VAR (***)``."""
        o, s = self.options, self.settings
        shown: dict[str, Any] = {"kind": self.kind, "name": self.name, "driver": o.driver}
        if o.uri_env is not None:
            shown["uri"] = f"${o.uri_env.env} (***)"
        elif o.uri:
            shown["uri"] = _masked(o.uri)
        shown.update(db_kwargs=dict(o.db_kwargs), paramstyle=o.paramstyle)
        if o.db_kwargs_env:
            shown["db_kwargs_env"] = {k: f"${v.env} (***)" for k, v in o.db_kwargs_env.items()}
        shown.update({"table": s.table} if s.table else {"query": s.query, "params": dict(s.params)})
        shown.update(batch_size=s.batch_size, cursor_column=self.cursor_column,
                     primary_key=list(self.primary_key), timezone=s.timezone)  # fmt: skip
        return shown


def _masked(text: str) -> str:
    """``text`` with the password of any URL in it replaced by ``***``."""
    return _URL_PASSWORD.sub(r"\1***@", text)


def _peek(secret: Secret) -> str:
    """A secret's value, or "" when its variable is unset (for masking only)."""
    try:
        return secret.value()
    except FatalSourceError:
        return ""
