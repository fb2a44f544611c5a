"""Detect timestamp text formats (ISO 8601, day-first, month-first, epochs) and parse them as DuckDB SQL."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from baton.errors import TimestampError

_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?"
_OFFSET = r"(?:\s*(?:[zZ]|UTC|GMT|[+-]\d{2}(?::?\d{2})?))?"
_TIME_FORMATS = (" %H:%M:%S.%f", " %H:%M:%S", " %H:%M", "")

# family -> (regex capturing the two leading date fields where day/month order matters, date format)
_FAMILIES: dict[str, tuple[str, str]] = {
    "iso": (r"(\d{4})-(\d{1,2})-(\d{1,2})", "%Y-%m-%d"),
    "ymd-slash": (r"(\d{4})/(\d{1,2})/(\d{1,2})", "%Y/%m/%d"),
    "slash": (r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})", "/"),
    "dot": (r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})", "."),
    "dash": (r"(\d{1,2})-(\d{1,2})-(\d{4})", "-"),
}
_PATTERNS = {name: re.compile(rx + _TIME + _OFFSET) for name, (rx, _) in _FAMILIES.items()}
_HAS_OFFSET = re.compile(r".*\d:\d{2}(?:[.,]\d+)?\s*(?:[zZ]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)")
_SAFE_FORMAT = re.compile(r"[%A-Za-z0-9 :/.,+\-_T]*")

# SQL regexes (RE2) used on every value; constants, never built from user input.
_SQL_ZULU = r"\s*(?:[zZ]|UTC|GMT)$"
_SQL_SPACE_BEFORE_OFFSET = r"\s+([+-]\d{2}(?::?\d{2})?)$"
_SQL_HAS_OFFSET = r".*\d:\d{2}(?:[.,]\d+)?[+-]\d{2}(?::?\d{2})?"
_SQL_ISO = r"\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_SQL_LONG_FRACTION = r"(\.\d{6})\d+"
_SQL_COMMA_FRACTION = r"(:\d{2}),(\d+)"
# The common case, ISO 8601 with a numeric offset, which DuckDB's TIMESTAMPTZ cast reads exactly: one
# regular expression per value instead of the normalising chain (about 3x faster on 10M values).
_SQL_ISO_OFFSET = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?[+-]\d{2}:?\d{2}"


@dataclass(frozen=True, slots=True)
class TimestampSpec:
    """How one column's timestamp text is parsed.

    Attributes:
        formats: DuckDB strptime formats for values without an offset (tried in order); values with an
            offset use the same formats followed by ``%z``.
        family: ``iso``, ``ymd-slash``, ``slash``, ``dot``, ``dash`` or ``given`` (user formats).
        has_offsets: some sampled values carry ``Z`` or ``+hh:mm``.
        has_naive: some sampled values carry no offset (they are read in the source time zone).
        dayfirst: day before month, or None where the format has no such ambiguity.
        ambiguous: no sampled value told day and month apart; ``dayfirst`` is a default.
        detection: how the spec was found, in words (for the quality report).
    """

    formats: tuple[str, ...]
    family: str
    has_offsets: bool = False
    has_naive: bool = True
    dayfirst: bool | None = None
    ambiguous: bool = False
    detection: str = ""


def _clean(values: Sequence[Any]) -> list[str]:
    return [str(v).strip() for v in values if v is not None and str(v).strip()]


def _family_of(value: str) -> str | None:
    for name, pattern in _PATTERNS.items():
        if pattern.fullmatch(value):
            return name
    return None


def looks_like_timestamps(values: Sequence[Any], *, min_share: float = 0.8) -> bool:
    """True when at least ``min_share`` of the non-empty values look like dates or timestamps.

    >>> looks_like_timestamps(["2024-01-31 10:00", "31/01/2024"])
    True
    """
    texts = _clean(values)
    if not texts:
        return False
    hits = sum(1 for v in texts if _family_of(v) is not None)
    return hits / len(texts) >= min_share


def _decide_dayfirst(family: str, texts: list[str], dayfirst: bool | None) -> tuple[bool, bool, str]:
    """Return (dayfirst, ambiguous, how) for a family whose first two fields are day and month."""
    if dayfirst is not None:
        return dayfirst, False, "dayfirst given"
    firsts, seconds = [], []
    for v in texts:
        m = _PATTERNS[family].fullmatch(v)
        if m:
            firsts.append(int(m.group(1)))
            seconds.append(int(m.group(2)))
    if any(f > 12 for f in firsts):
        return True, False, f"day-first: a first field is {max(firsts)} (> 12)"
    if any(s > 12 for s in seconds):
        return False, False, f"month-first: a second field is {max(seconds)} (> 12)"
    default = family != "slash"
    order = "day-first" if default else "month-first"
    return default, True, f"ambiguous: no field above 12, assumed {order} for '{_FAMILIES[family][1]}' dates"


def _family_formats(
    family: str, texts: list[str], dayfirst: bool | None
) -> tuple[tuple[str, ...], bool | None, bool, str]:
    date_fmt = _FAMILIES[family][1]
    if family in ("iso", "ymd-slash"):
        return tuple(date_fmt + t for t in _TIME_FORMATS), None, False, f"{family} dates"
    sep = date_fmt
    first, ambiguous, how = _decide_dayfirst(family, texts, dayfirst)
    order = ("%d", "%m") if first else ("%m", "%d")
    year = "%y" if all(len(m.group(3)) == 2 for v in texts if (m := _PATTERNS[family].fullmatch(v))) else "%Y"
    date_fmt = f"{order[0]}{sep}{order[1]}{sep}{year}"
    return tuple(date_fmt + t for t in _TIME_FORMATS), first, ambiguous, how


def _given_spec(timestamp_format: str | Sequence[str], texts: list[str]) -> TimestampSpec:
    formats = (timestamp_format,) if isinstance(timestamp_format, str) else tuple(timestamp_format)
    for fmt in formats:
        if not fmt or not _SAFE_FORMAT.fullmatch(fmt):
            raise TimestampError(
                f"timestamp_format={fmt!r} holds characters Baton does not accept; use strptime codes "
                "(%Y %m %d %H %M %S %f %z %y %b %p %I) with separators such as '-', '/', '.', ':', ' ' or 'T'"
            )
    offsets = any(_HAS_OFFSET.fullmatch(v) for v in texts)
    return TimestampSpec(
        formats=formats,
        family="given",
        has_offsets=offsets,
        has_naive=not texts or not all(_HAS_OFFSET.fullmatch(v) for v in texts),
        detection="timestamp_format given",
    )


def _where(column: str | None, source: str | None) -> str:
    parts = [f"column {column!r}" if column else "timestamp column"]
    if source:
        parts.append(f"of {source}")
    return " ".join(parts)


def detect_timestamp_format(
    values: Sequence[Any],
    *,
    timestamp_format: str | Sequence[str] | None = None,
    dayfirst: bool | None = None,
    column: str | None = None,
    source: str | None = None,
    rows: Sequence[int] | None = None,
) -> TimestampSpec:
    """Detect how a column's timestamp text is written, from a sample of its values.

    Args:
        values: sampled values (None and blanks are ignored).
        timestamp_format: one strptime format or several, overriding detection.
        dayfirst: force day-first (True) or month-first (False) for ``/``, ``.`` and ``-`` dates.
        column: the column name, for messages.
        source: the file name, for messages.
        rows: the source row number of each value in ``values``, for messages.

    Returns:
        The spec to hand to ``timestamp_sql``.

    Raises:
        TimestampError: when no sampled value looks like a date.

    >>> detect_timestamp_format(["13/01/2024 10:00", "01/02/2024 11:00"]).formats[1]
    '%d/%m/%Y %H:%M:%S'
    """
    texts = _clean(values)
    if timestamp_format is not None:
        return _given_spec(timestamp_format, texts)
    counts: dict[str, int] = {}
    for v in texts:
        fam = _family_of(v)
        if fam:
            counts[fam] = counts.get(fam, 0) + 1
    if not counts:
        raise TimestampError(
            f"{_where(column, source)}: no value looks like a date or timestamp "
            f"({format_examples(values, rows)}); pass timestamp_format='%d/%m/%Y %H:%M' (strptime codes) "
            "or map another column with timestamp_key="
        )
    family = max(counts, key=lambda f: counts[f])
    members = [v for v in texts if _PATTERNS[family].fullmatch(v)]
    formats, first, ambiguous, how = _family_formats(family, members, dayfirst)
    with_offset = sum(1 for v in members if _HAS_OFFSET.fullmatch(v))
    return TimestampSpec(
        formats=formats,
        family=family,
        has_offsets=with_offset > 0,
        has_naive=with_offset < len(members),
        dayfirst=first,
        ambiguous=ambiguous,
        detection=how,
    )


def format_examples(values: Sequence[Any], rows: Sequence[int] | None = None, *, limit: int = 3) -> str:
    """Describe the first few values as ``row 5: '31/02/2024'`` for error messages."""
    shown = []
    for i, v in enumerate(values):
        if v is None or not str(v).strip():
            continue
        row = rows[i] if rows is not None and i < len(rows) else i + 1
        shown.append(f"row {row}: {str(v)!r}")
        if len(shown) == limit:
            break
    return ", ".join(shown) if shown else "all values are empty"


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_list(formats: Sequence[str]) -> str:
    return "[" + ", ".join(_sql_str(f) for f in formats) + "]"


def timestamp_sql(column_sql: str, spec: TimestampSpec, *, tz_param: str) -> str:
    """A DuckDB SQL expression turning timestamp text into TIMESTAMPTZ (UTC), NULL where it does not parse.

    Values with ``Z``/``UTC``/``+hh:mm``/``+hhmm``/``+hh`` keep their own offset (offsets may differ per
    row); naive values are read in the zone bound as the named parameter ``$<tz_param>``.

    Args:
        column_sql: a SQL expression yielding VARCHAR (a quoted column name).
        spec: from ``detect_timestamp_format``.
        tz_param: name of the bound parameter holding the source time zone (e.g. ``source_tz``).

    Returns:
        A SQL expression; formats are validated constants, the zone stays a bound parameter.
    """
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", tz_param):
        raise ValueError(f"tz_param must be a parameter name, got {tz_param!r}")
    text = f"trim(CAST({column_sql} AS VARCHAR))"
    norm = f"regexp_replace(regexp_replace({text}, '{_SQL_ZULU}', '+00:00'), '{_SQL_SPACE_BEFORE_OFFSET}', '\\1')"
    norm = f"regexp_replace({norm}, '{_SQL_COMMA_FRACTION}', '\\1.\\2')"
    has_offset = f"regexp_full_match({norm}, '{_SQL_HAS_OFFSET}')"
    if spec.family == "iso":
        iso = norm
        with_offset = f"TRY_CAST({iso} AS TIMESTAMPTZ)"
        naive = f"CASE WHEN regexp_full_match({iso}, '{_SQL_ISO}') THEN TRY_CAST({iso} AS TIMESTAMP) END"
    else:
        short = f"regexp_replace({norm}, '{_SQL_LONG_FRACTION}', '\\1')"
        naive_formats = [f for f in spec.formats if "%z" not in f] or [
            f.replace("%z", "") for f in spec.formats
        ]
        zoned = [f for f in spec.formats if "%z" in f] or [f + "%z" for f in naive_formats]
        with_offset = f"try_strptime({short}, {_sql_list(zoned)})"
        naive = f"try_strptime({short}, {_sql_list(naive_formats)})"
    general = f"(CASE WHEN {has_offset} THEN {with_offset} ELSE timezone(${tz_param}, {naive}) END)"
    raw = f"CAST({column_sql} AS VARCHAR)"
    return f"(CASE WHEN regexp_full_match({raw}, '{_SQL_ISO_OFFSET}') THEN TRY_CAST({raw} AS TIMESTAMPTZ) ELSE {general} END)"


# Epoch magnitudes that land between 1973 and 2286, per unit.
_EPOCH_UNITS: tuple[tuple[str, float, int], ...] = (
    ("s", 1e8, 1_000_000),
    ("ms", 1e11, 1_000),
    ("us", 1e14, 1),
)


def detect_epoch_unit(values: Sequence[Any], *, column: str | None = None, source: str | None = None) -> str:
    """Tell epoch seconds, milliseconds and microseconds apart by the size of the numbers.

    >>> detect_epoch_unit([1704067200, 1704070800])
    's'
    """
    numbers = [abs(float(v)) for v in values if v is not None]
    if numbers:
        typical = sorted(numbers)[len(numbers) // 2]
        for unit, low, _ in _EPOCH_UNITS:
            if low <= typical < low * 100:
                return unit
    raise TimestampError(
        f"{_where(column, source)}: numbers such as {numbers[:3]} are not epoch seconds (~1.7e9), "
        "milliseconds (~1.7e12) or microseconds (~1.7e15); map a real timestamp column with timestamp_key="
    )


def epoch_sql(column_sql: str, unit: str) -> str:
    """A DuckDB SQL expression turning epoch numbers (``s``, ``ms`` or ``us``) into TIMESTAMPTZ (UTC)."""
    factors = {name: factor for name, _, factor in _EPOCH_UNITS}
    if unit not in factors:
        raise ValueError(f"epoch unit must be one of {sorted(factors)}, got {unit!r}")
    micros = f"CAST(round(CAST({column_sql} AS DOUBLE) * {factors[unit]}) AS BIGINT)"
    return f"timezone('UTC', make_timestamp({micros}))"


@dataclass(frozen=True, slots=True)
class ParseFailures:
    """Values of one column that are present but do not parse as timestamps."""

    column: str
    count: int
    parsed: int
    examples: tuple[tuple[int, str], ...]
    spec: TimestampSpec

    def message(self, source: str | None = None) -> str:
        """The sentence a quality report or error shows, with examples and a fix."""
        shown = ", ".join(f"row {row}: {value!r}" for row, value in self.examples)
        hint = self.spec.formats[1] if len(self.spec.formats) > 1 else self.spec.formats[0]
        where = f" of {source}" if source else ""
        return (
            f"timestamp column {self.column!r}{where} has {self.count} values that are not dates ({shown}); "
            f"pass timestamp_format={hint!r} (or another strptime format) or fix the rows listed"
        )


def check_timestamp_column(
    con: Any,
    relation: str,
    column: str,
    spec: TimestampSpec,
    *,
    tz: str,
    source: str | None = None,
    row_column: str = "__source_row",
    limit: int = 3,
) -> ParseFailures:
    """Count the non-empty values of ``column`` in ``relation`` that do not parse, with examples.

    Args:
        con: a DuckDB connection holding ``relation`` (a table or view name).
        relation: the table or view to check.
        column: the source column holding timestamp text.
        spec: from ``detect_timestamp_format``.
        tz: the source time zone for naive values.
        source: the file name, for messages.
        row_column: the column holding source row numbers.
        limit: how many failing examples to return.

    Raises:
        TimestampError: when no non-empty value parses.
    """

    def q(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    parsed = timestamp_sql(q(column), spec, tz_param="baton_tz")
    present = f"{q(column)} IS NOT NULL AND trim(CAST({q(column)} AS VARCHAR)) <> ''"
    base = f"SELECT {q(row_column)} AS r, CAST({q(column)} AS VARCHAR) AS v, {parsed} AS t FROM {q(relation)} WHERE {present}"  # noqa: S608
    counts = con.execute(
        f"SELECT count(*) FILTER (WHERE t IS NULL), count(t) FROM ({base})",  # noqa: S608
        {"baton_tz": tz},
    ).fetchone()
    bad = con.execute(
        f"SELECT r, v FROM ({base}) WHERE t IS NULL ORDER BY r LIMIT {int(limit)}",  # noqa: S608
        {"baton_tz": tz},
    ).fetchall()
    failures = ParseFailures(column, int(counts[0]), int(counts[1]), tuple((int(r), v) for r, v in bad), spec)
    if failures.count and not failures.parsed:
        raise TimestampError(failures.message(source).replace(" that are not dates", ", none of them dates"))
    return failures
