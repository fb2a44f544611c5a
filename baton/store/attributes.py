"""Further attributes, kept with their types: per-log tables of event and case attributes."""

from __future__ import annotations

import duckdb

from baton import schema as s
from baton.store.staging import RAW, SOURCE_ROW


def split_attributes(
    cur: duckdb.DuckDBPyConnection,
    columns: list[str],
    declared_case: tuple[str, ...] | None,
) -> tuple[list[str], list[str]]:
    """Split attribute columns into (event, case) attributes.

    Declared case attributes win; otherwise a column is a case attribute when it holds at most one
    distinct non-null value within every case (and some value somewhere).
    """
    if declared_case is not None:
        case = [c for c in columns if c in declared_case]
        return [c for c in columns if c not in case], case
    if not columns:
        return [], []
    q = s.quote_identifier
    # at most one distinct value in a case <=> its min equals its max: cheaper than count(DISTINCT), and an
    # aggregate DuckDB can spill under its memory limit (a pull's rebuild)
    per_case = ", ".join(
        f"min(r.{q(c)}) IS NOT DISTINCT FROM max(r.{q(c)}) AS n{i}, count(r.{q(c)}) AS v{i}"
        for i, c in enumerate(columns)
    )
    outer = ", ".join(f"bool_and(n{i}) AND sum(v{i}) > 0" for i in range(len(columns)))
    sql = (
        f"SELECT {outer} FROM (SELECT {per_case} FROM {RAW} r "  # noqa: S608
        f"JOIN merged m ON m.source_row = r.{SOURCE_ROW} GROUP BY m.{s.CASE_ID})"
    )
    row = cur.execute(sql).fetchall()[0]
    case = [c for c, is_case in zip(columns, row, strict=True) if is_case]
    return [c for c in columns if c not in case], case


def write_attribute_tables(
    cur: duckdb.DuckDBPyConnection, log_id: int, event_cols: list[str], case_cols: list[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Create ``attr_event_<id>`` and ``attr_case_<id>``; return {column: type} for each."""
    q = s.quote_identifier
    ev_table, case_table = s.attribute_table("event", log_id), s.attribute_table("case", log_id)
    ev_select = "".join(f", r.{q(c)}" for c in event_cols)
    cur.execute(
        f"CREATE TABLE {ev_table} AS SELECT e.{s.EVENT_ORDER}, e.{s.CASE_INDEX}{ev_select} "  # noqa: S608
        f"FROM {s.events_table(log_id)} e JOIN {RAW} r ON r.{SOURCE_ROW} = e.{s.EVENT_ORDER}"
    )
    # each case's first non-empty value in file order; arg_min, unlike first(... ORDER BY ...), can spill
    case_select = "".join(
        f", arg_min(r.{q(c)}, r.{SOURCE_ROW}) FILTER (WHERE r.{q(c)} IS NOT NULL) AS {q(c)}"
        for c in case_cols
    )
    if case_cols:
        cur.execute(
            f"CREATE TABLE {case_table} AS SELECT cm.{s.CASE_INDEX}{case_select} "  # noqa: S608
            f"FROM merged m JOIN case_map cm USING ({s.CASE_ID}) JOIN {RAW} r ON r.{SOURCE_ROW} = m.source_row "
            f"GROUP BY cm.{s.CASE_INDEX}"
        )
    else:  # no case attributes: every case, without joining the source again
        cur.execute(f"CREATE TABLE {case_table} AS SELECT {s.CASE_INDEX} FROM case_map")  # noqa: S608
    return attribute_types(cur, ev_table, skip=2), attribute_types(cur, case_table, skip=1)


def attribute_types(cur: duckdb.DuckDBPyConnection, table: str, *, skip: int) -> dict[str, str]:
    """{column: DuckDB type} of an attribute table, without its ``skip`` key columns."""
    rows = cur.execute(f"DESCRIBE {table}").fetchall()
    return {r[0]: r[1] for r in rows[skip:]}
