"""Baton's one error hierarchy; every message says what was received, what was expected and how to fix it.

::

    BatonError
    ├── SourceError              a source file or system cannot be read
    │   ├── SourceNotFoundError      (also FileNotFoundError)
    │   ├── UnsupportedFormatError   (also ValueError)
    │   ├── MalformedSourceError     (also ValueError)  empty, binary, truncated, bad XML
    │   ├── UnsafeSourceError        (also ValueError)  DTD / entity declarations (XXE)
    │   ├── FatalSourceError         a source system refuses: bad credentials, missing table (nothing written)
    │   └── RetriableSourceError     a source system failed transiently (timeouts, 5xx) after the retries
    ├── MappingError             (also ValueError)  wrong or missing column mapping
    ├── TimestampError           (also ValueError)  timestamps that cannot be parsed
    ├── WorkspaceError           the DuckDB workspace cannot be opened or is inconsistent
    │   ├── LogNotFoundError     (also KeyError)
    │   └── SchemaVersionError   written by a Baton with another workspace schema
    ├── FilterError              (also ValueError)  an invalid filter spec
    ├── ModelError               (also ValueError)  a target model that cannot be read or used
    ├── RoiInputError            (also ValueError)  a business-case input missing or out of range
    └── EngineError              an analytics engine (Spark) cannot run the request: no session, no Java,
                                 an analytic or SQL construct not covered on that engine
"""

from __future__ import annotations


class BatonError(Exception):
    """Root of every error Baton raises on purpose."""


class SourceError(BatonError):
    """A source file or system cannot be read."""


class SourceNotFoundError(SourceError, FileNotFoundError):
    """The named source file does not exist."""


class UnsupportedFormatError(SourceError, ValueError):
    """The file's format is not one Baton reads."""


class MalformedSourceError(SourceError, ValueError):
    """The file exists but its content is not what its format promises."""


class UnsafeSourceError(SourceError, ValueError):
    """The file contains constructs Baton refuses for safety (DTDs, entities)."""


class FatalSourceError(SourceError):
    """A source system cannot be pulled as configured (credentials, host, table); retrying will not help."""


class RetriableSourceError(SourceError):
    """A source system failed transiently (timeout, connection reset, HTTP 5xx/429) and retries ran out."""


class MappingError(BatonError, ValueError):
    """The column mapping does not fit the source."""


class TimestampError(BatonError, ValueError):
    """Timestamps cannot be parsed with the detected or given format."""


class WorkspaceError(BatonError):
    """The workspace cannot be opened or is not in the expected state."""


class LogNotFoundError(WorkspaceError, KeyError):
    """No log of that name exists in the workspace."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class SchemaVersionError(WorkspaceError):
    """The workspace file was written with another version of Baton's schema; re-import into a new file."""


class FilterError(BatonError, ValueError):
    """A filter spec is invalid."""


class ModelError(BatonError, ValueError):
    """A target model (BPMN, PNML, YAML) cannot be read or does not fit the log it is compared with."""


class RoiInputError(BatonError, ValueError):
    """A business-case input is missing, of the wrong type or out of range (the message names the field)."""


class EngineError(BatonError):
    """The analytics engine cannot run the request (no Spark session, no Java, not covered on Spark)."""
