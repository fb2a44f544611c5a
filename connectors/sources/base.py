"""The source-system connector contract: typed settings, a mapping, a key, a cursor; check, discover, read.

A connector never writes DuckDB. It yields Arrow record batches of source rows newer than a cursor; the one
loader (``baton.store.pull``) validates them, upserts them on the primary key, keeps rejects, advances the
cursor and rebuilds the log, all in one transaction (dlt's split between a source and its pipeline).

Example (what ``baton pull sources/camunda.yaml`` does)::

    source = build_source(read_source_config("sources/camunda.yaml"))
    source.check()                      # FatalSourceError: bad credentials, missing table ...
    report = pull(ws, source)           # LoadReport: read, loaded, updated, rejected, cursor before/after
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

import pyarrow as pa

from baton.errors import FatalSourceError

#: A cursor value: the largest cursor-column value loaded so far (a timestamp, an integer id or a text).
CursorValue = datetime | int | str


@dataclass(frozen=True, slots=True)
class Stream:
    """One thing a source can pull (a table, a query, an API collection), as ``discover`` reports it.

    Attributes:
        name: the stream's name in the source (table name, endpoint ...).
        columns: column name -> source type, as the source reports it.
        rows: the number of rows when cheap to know, else None.
    """

    name: str
    columns: Mapping[str, str] = field(default_factory=dict)
    rows: int | None = None


@dataclass(frozen=True, slots=True)
class Secret:
    """A secret read from an environment variable at use; never stored in the workspace, masked when shown.

    Config files name the variable (``password_env: PGPASSWORD``), never the value.
    """

    env: str

    def value(self) -> str:
        """The secret's value, or a FatalSourceError naming the variable to set."""
        found = os.environ.get(self.env)
        if found is None:
            raise FatalSourceError(
                f"environment variable {self.env} is not set; set it to the secret (it is read at each pull "
                "and never stored)"
            )
        return found

    def __repr__(self) -> str:
        return f"Secret(env={self.env!r}, value='***')"

    __str__ = __repr__


@runtime_checkable
class Source(Protocol):
    """What every source-system connector provides.

    Attributes:
        kind: registry name (``postgres``, ``mysql``, ``sqlite``, ``camunda7``, ``airflow`` ...).
        name: this configured source's name; the log it loads is named after it.
        mapping: pm4py-style keywords (``case_id_key`` ...) over the columns the batches carry.
        primary_key: columns identifying a source row; a row read again replaces the stored one.
        cursor_column: the column whose largest loaded value is the cursor; rows are read from it onwards
            (minus the connector's look-back, which catches late commits; the key makes re-reads harmless).
    """

    kind: ClassVar[str]
    name: str
    mapping: Mapping[str, str]
    primary_key: tuple[str, ...]
    cursor_column: str

    def check(self) -> None:
        """Reach the source with the credentials; raise FatalSourceError saying what to fix."""
        ...

    def discover(self) -> list[Stream]:
        """What can be pulled from the source (tables, collections), with columns."""
        ...

    def read(self, cursor: CursorValue | None) -> Iterator[pa.RecordBatch]:
        """Source rows with cursor-column value >= ``cursor`` (all rows when None), in batches.

        Every batch has the same schema. Transient failures (timeouts, connection resets, HTTP 5xx and 429)
        raise RetriableSourceError, after the connector's own retries; others FatalSourceError.
        """
        ...

    def describe(self) -> dict[str, Any]:
        """Settings safe to store and show (secrets masked): provenance in the catalog and the load history."""
        ...


#: Optional column a connector adds to mark a row it could read but not use (a skippable record): the
#: reason as text, NULL for good rows. The loader keeps such rows as rejects with that reason.
REJECT_REASON = "__reject_reason"


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One configured source as read from its YAML file (``baton pull FILE``); no secret values in it.

    Attributes:
        kind: the connector (``postgres``, ``mysql``, ``sqlite``, ``camunda7``, ``airflow`` ...).
        name: the source's name, also the name of the log it loads (re-pulls update that log).
        settings: the connector's own settings (host, database, table or query, ``password_env`` ...),
            checked by the connector's ``from_config``.
        mapping: pm4py-style keywords over the source columns; connectors for known systems bring their own.
        primary_key: overrides the connector's key (tables and queries need one).
        cursor_column: overrides the connector's cursor column.
        lookback_seconds: how far before the cursor each pull re-reads (late commits); default 0.
        path: the file the config came from, for messages.
    """

    kind: str
    name: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    mapping: Mapping[str, str] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()
    cursor_column: str | None = None
    lookback_seconds: float = 0.0
    path: str = ""


#: Optional attribute of a source (not in the Protocol, so sources without it still conform): seconds the
#: loader (``baton.store.pull``) subtracts from a timestamp cursor before calling ``read``, to catch late
#: commits. A connector's ``from_config`` copies ``SourceConfig.lookback_seconds`` into it.
LOOKBACK_ATTRIBUTE = "lookback_seconds"
