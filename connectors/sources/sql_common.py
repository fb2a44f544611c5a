"""Shared pieces of the SQL connectors: settings, bound-parameter queries, re-batching, error wording."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa

from baton.errors import FatalSourceError, RetriableSourceError
from connectors.sources.base import CursorValue, Secret, SourceConfig

#: Name of the bound parameter that carries the cursor value (reserved: ``params`` may not use it).
CURSOR_PARAM = "baton_cursor"
DEFAULT_BATCH_SIZE = 50_000
#: Settings every server database takes; SQLite takes ``path`` instead of the connection ones.
SERVER_KEYS = frozenset(
    {"host", "port", "database", "user", "password_env", "dsn_env", "connect_timeout", "timezone"}
)
COMMON_KEYS = frozenset({"table", "query", "params", "batch_size"})
ParamValue = str | int | float | bool | date | datetime | None
Style = Literal["dollar", "pyformat", "named", "setting"]


@dataclass(frozen=True, slots=True)
class SqlSettings:
    """The checked settings of one SQL source (secrets are env-variable names, never values)."""

    host: str = "127.0.0.1"
    port: int = 0
    database: str = ""
    user: str = ""
    password: Secret | None = None
    dsn: Secret | None = None
    path: str = ""
    schema: str = ""
    table: str = ""
    query: str = ""
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    batch_size: int = DEFAULT_BATCH_SIZE
    connect_timeout: int = 10
    timezone: str = "UTC"


def _refuse(config: SourceConfig, what: str) -> FatalSourceError:
    return FatalSourceError(
        f"{config.path or 'source config'}: source {config.name!r} ({config.kind}): {what}"
    )


def parse_settings(config: SourceConfig, allowed: frozenset[str], default_port: int = 0) -> SqlSettings:
    """Check ``config.settings`` against ``allowed`` keys and return typed settings.

    Raises:
        FatalSourceError: an unknown key, a wrong type, neither or both of ``table``/``query``, a missing
            primary key or cursor column; the message names the config file and the key.
    """
    raw = dict(config.settings)
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise _refuse(config, f"unknown setting {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}")
    if bool(raw.get("table")) == bool(raw.get("query")):
        raise _refuse(config, "give exactly one of 'table' (a table or view name) or 'query' (a SELECT)")
    params = raw.get("params") or {}
    if not isinstance(params, Mapping) or CURSOR_PARAM in params:
        raise _refuse(config, f"'params' must map names to values (and not use {CURSOR_PARAM!r})")
    if raw.get("table") and params:
        raise _refuse(config, "'params' only apply to a 'query'; remove them or use a query")
    try:
        batch_size, port, timeout = (
            int(raw.get("batch_size", DEFAULT_BATCH_SIZE)),
            int(raw.get("port", default_port)),
            int(raw.get("connect_timeout", 10)),
        )
    except (TypeError, ValueError) as exc:
        raise _refuse(config, f"'batch_size', 'port' and 'connect_timeout' must be integers ({exc})") from exc
    if batch_size < 1:
        raise _refuse(config, f"'batch_size' must be at least 1, got {batch_size}")
    if not config.cursor_column or not config.primary_key:
        raise _refuse(config, "a SQL source needs 'cursor_column' and 'primary_key' (columns of its rows)")
    zone = str(raw.get("timezone", "UTC"))
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise _refuse(config, f"'timezone' {zone!r} is not an IANA zone name (e.g. Europe/Berlin)") from exc
    return SqlSettings(
        host=str(raw.get("host", "127.0.0.1")),
        port=port,
        database=str(raw.get("database", "")),
        user=str(raw.get("user", "")),
        password=Secret(str(raw["password_env"])) if raw.get("password_env") else None,
        dsn=Secret(str(raw["dsn_env"])) if raw.get("dsn_env") else None,
        path=str(raw.get("path", "")),
        schema=str(raw.get("schema", "")),
        table=str(raw.get("table", "")),
        query=str(raw.get("query", "")).strip().rstrip(";"),
        params=dict(params),
        batch_size=batch_size,
        connect_timeout=timeout,
        timezone=zone,
    )


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a server source connects, parsed from the settings or the DSN (the password kept apart)."""

    host: str
    port: int
    database: str
    user: str
    password: str

    @property
    def where(self) -> str:
        """``host:port/database`` for messages."""
        return f"{self.host}:{self.port}/{self.database}"


def endpoint(settings: SqlSettings) -> Endpoint:
    """Resolve the connection target; reads the secrets (FatalSourceError naming an unset variable)."""
    if settings.dsn is not None:
        url = urlsplit(settings.dsn.value())
        return Endpoint(
            host=url.hostname or settings.host,
            port=url.port or settings.port,
            database=unquote(url.path.lstrip("/")) or settings.database,
            user=unquote(url.username or settings.user),
            password=unquote(url.password or ""),
        )
    password = settings.password.value() if settings.password is not None else ""
    return Endpoint(settings.host, settings.port, settings.database, settings.user, password)


def mask(text: str, *secrets: str) -> str:
    """``text`` with every non-empty secret (and its URL-quoted form) replaced by ``***``."""
    from urllib.parse import quote

    for secret in secrets:
        if secret:
            text = text.replace(secret, "***").replace(quote(secret, safe=""), "***")
    return text


def source_error(
    kind: type[FatalSourceError] | type[RetriableSourceError], name: str, where: str, what: str, fix: str
) -> FatalSourceError | RetriableSourceError:
    """An error naming the source, where it connects, what failed and how to fix it."""
    return kind(f"source {name!r} ({where}): {what.strip()}; {fix}")


_TOKEN = re.compile(
    r"""'(?:[^'\\]|''|\\.)*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|--[^\n]*|/\*.*?\*/|::|:([A-Za-z_][A-Za-z0-9_]*)|%""",
    re.DOTALL,
)


def bind(sql: str, values: Mapping[str, Any], style: Style) -> tuple[str, Any]:
    """Turn ``:name`` placeholders into the driver's style; return the SQL and the parameters to pass.

    Quoted text, quoted identifiers, comments and ``::`` casts are left alone, so a ``:x`` inside a string
    literal stays data. Values are always bound by the driver, never formatted into the SQL. Style
    ``setting`` (PostgreSQL) refers to session settings the caller sets with bound ``set_config`` calls
    first (see ``setting_ref``), so the query itself has no parameters and ADBC can stream it with COPY.

    Raises:
        KeyError: a placeholder without a value (its name is the key).
    """
    order: list[str] = []

    def swap(match: re.Match[str]) -> str:
        token, name = match.group(0), match.group(1)
        if token == "%":
            return "%%" if style == "pyformat" else token
        if name is None:
            return token.replace("%", "%%") if style == "pyformat" else token
        if name not in values:
            raise KeyError(name)
        if style == "named":
            return token
        if style == "pyformat":
            return f"%({name})s"
        if style == "setting":
            return setting_ref(name, values[name])
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    text = _TOKEN.sub(swap, sql)
    if style == "dollar":
        return text, tuple(values[n] for n in order)
    return text, dict(values)


#: PostgreSQL type a ``setting`` placeholder is cast to, by the Python type of its value (bool before int).
_PG_CASTS: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "bigint"),
    (float, "double precision"),
    (datetime, "timestamptz"),
    (date, "date"),
    (str, "text"),
)


def setting_ref(name: str, value: Any) -> str:
    """SQL reading bound value ``name`` back from the session setting ``baton.<name>``, cast by its type."""
    if value is None:
        return "NULL"
    if isinstance(value, datetime) and value.tzinfo is None:
        return f"current_setting('baton.{name.lower()}')::timestamp"
    cast = next((sql for kind, sql in _PG_CASTS if isinstance(value, kind)), "text")
    return f"current_setting('baton.{name.lower()}')::{cast}"


def setting_text(value: Any) -> str:
    """A bound value as the text ``set_config`` stores (ISO 8601 for times, true/false for booleans)."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def placeholders(sql: str) -> set[str]:
    """The ``:name`` placeholders a query uses (outside quotes and comments)."""
    return {m.group(1) for m in _TOKEN.finditer(sql) if m.group(1)}


def as_datetime(cursor: CursorValue, zone: str) -> datetime:
    """A time cursor as an aware datetime (texts are parsed as ISO 8601; naive ones are in ``zone``)."""
    value = datetime.fromisoformat(cursor) if isinstance(cursor, str) else cursor
    if not isinstance(value, datetime):
        raise FatalSourceError(f"cursor value {cursor!r} is not a time, but the cursor column holds times")
    return value if value.tzinfo is not None else value.replace(tzinfo=ZoneInfo(zone))


def naive_in(value: datetime, zone: str) -> datetime:
    """An aware datetime as the naive wall-clock time in ``zone`` (for columns without zone)."""
    return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def utc_timestamps(batch: pa.RecordBatch, zone: str) -> pa.RecordBatch:
    """Every timestamp column as ``timestamp[us, tz=UTC]``; naive ones are read as wall-clock in ``zone``."""
    import pyarrow.compute as pc

    columns, fields = [], []
    for fld, col in zip(batch.schema, batch.columns, strict=True):
        if pa.types.is_timestamp(fld.type):
            if fld.type.tz is None:
                col = pc.assume_timezone(col, timezone=zone, ambiguous="earliest", nonexistent="earliest")
            col = col.cast(pa.timestamp("us", tz="UTC"))
            fld = pa.field(fld.name, col.type, fld.nullable, fld.metadata)
        columns.append(col)
        fields.append(fld)
    return pa.RecordBatch.from_arrays(columns, schema=pa.schema(fields))


def rebatch(batches: Iterable[pa.RecordBatch], size: int) -> Iterator[pa.RecordBatch]:
    """Re-cut a stream of batches into batches of exactly ``size`` rows (the last may be shorter)."""
    buffer: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        buffer.append(batch)
        held += batch.num_rows
        while held >= size:
            table = pa.Table.from_batches(buffer)
            yield table.slice(0, size).combine_chunks().to_batches()[0]
            rest = table.slice(size).combine_chunks()
            buffer, held = rest.to_batches(), rest.num_rows
    if held:
        yield pa.Table.from_batches(buffer).combine_chunks().to_batches()[0]
