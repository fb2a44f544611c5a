"""Baton's DuckDB SQL -> Spark SQL with sqlglot, plus the rewrites sqlglot gets wrong, checked not guessed.

The analytics are written once, in DuckDB SQL; this module is the only place that knows Spark's dialect.
sqlglot does most of the work. Where its output is wrong for Spark, a rule below rewrites the DuckDB
tree first; each rule was found by running both engines on the same logs (tests/test_engines_equal.py):

- ``epoch_us(ts)`` stays ``EPOCH_US`` (no such Spark function) -> ``UNIX_MICROS(ts)``.
- ``list(x ORDER BY p)`` becomes ``COLLECT_LIST(x)``, silently dropping the order (wrong variants) ->
  ``TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(p, x))), s -> s.x)``.
- ``quantile_cont(x, q)`` becomes ``PERCENTILE_CONT(x, q)``, which Spark rejects -> ``PERCENTILE(x, q)``
  (exact, linear interpolation: DuckDB's definition).
- ``unnest(range(a, b, step))`` becomes an ``IF`` comparing an interval with 0, which Spark rejects ->
  ``EXPLODE(SEQUENCE(a, b - step, step))`` (DuckDB's range excludes its end, Spark's sequence does not).

Constructs that would translate silently wrong are refused with an `EngineError` instead:
``percentile_cont(...) WITHIN GROUP`` (sqlglot emits the approximate ``PERCENTILE_APPROX``), any other
aggregate with an ``ORDER BY`` inside (``first(x ORDER BY y)``: order dropped), positional ``?``
parameters (Spark cannot mix them with named ones) and DuckDB functions sqlglot does not know.
"""

from __future__ import annotations

import functools

import sqlglot
from sqlglot import exp

from baton.errors import EngineError

#: Functions sqlglot passes through unchanged that Spark has too (after the rewrites below).
_SPARK_FUNCTIONS = frozenset({"UNIX_MICROS", "PERCENTILE", "SEQUENCE", "BOOL_OR", "BOOL_AND", "ANY_VALUE"})


@functools.lru_cache(maxsize=2048)
def to_spark(sql: str, tables: tuple[tuple[str, str], ...] = ()) -> str:
    """Spark SQL for one DuckDB statement, with table names renamed by ``tables`` (``(duckdb, spark)`` pairs).

    Named parameters (``$name``) become Spark's ``:name``; bind them with ``spark.sql(sql, args=...)``.

    Raises:
        EngineError: the statement uses a construct that does not translate faithfully (see the module
            docstring), or sqlglot cannot parse it.
    """
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise EngineError(f"cannot translate this SQL to Spark: {exc}") from exc
    _refuse_unfaithful(tree, sql)
    tree = tree.transform(_rewrite)
    renames = dict(tables)
    if renames:
        for table in tree.find_all(exp.Table):
            if not table.args.get("db") and table.name in renames:
                table.set("this", exp.to_identifier(renames[table.name]))
    return tree.sql(dialect="spark")


def _refuse_unfaithful(tree: exp.Expr, sql: str) -> None:
    """Raise for constructs whose Spark translation would run but answer differently."""
    first_line = " ".join(sql.split())[:120]
    if tree.find(exp.WithinGroup):
        raise EngineError(
            f"'percentile_cont(...) WITHIN GROUP' becomes an approximate percentile on Spark: write "
            f"quantile_cont(x, q) or median(x) instead (in: {first_line} ...)"
        )
    if any(p.this is None for p in tree.find_all(exp.Placeholder)):
        raise EngineError(
            f"positional '?' parameters do not run on Spark: use named $parameters ({first_line})"
        )
    for agg in tree.find_all(exp.AggFunc):
        if isinstance(agg.this, exp.Order) and not isinstance(agg, exp.ArrayAgg):
            raise EngineError(
                f"{agg.key}(... ORDER BY ...) loses its order on Spark: use arg_min/arg_max or "
                f"list(x ORDER BY p) instead (in: {first_line} ...)"
            )
    for node in tree.find_all(exp.Anonymous):
        name = str(node.this).upper()
        if name not in _SPARK_FUNCTIONS and name != "EPOCH_US":
            raise EngineError(
                f"function {name.lower()}() is DuckDB-only as far as Baton knows: it has no checked Spark "
                f"translation (add one to baton/engine/spark_sql.py with a test) (in: {first_line} ...)"
            )


def _rewrite(node: exp.Expr) -> exp.Expr:
    """One rewrite rule per DuckDB construct sqlglot mistranslates (see the module docstring)."""
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "EPOCH_US":
        return exp.Anonymous(this="UNIX_MICROS", expressions=node.expressions)
    if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order):
        return _ordered_list(node.this)
    if isinstance(node, exp.PercentileCont):
        return exp.Anonymous(this="PERCENTILE", expressions=[node.this, node.expression])
    if isinstance(node, exp.GenerateSeries) and node.args.get("is_end_exclusive"):
        step = node.args["step"]
        end = exp.Sub(this=node.args["end"], expression=step.copy())
        return exp.Anonymous(this="SEQUENCE", expressions=[node.args["start"], end, step])
    return node


def _ordered_list(order: exp.Order) -> exp.Expr:
    """``list(x ORDER BY k1, k2)`` as ``TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(k1, k2, x))), s -> s.v)``."""
    keys = order.expressions
    if any(k.args.get("desc") for k in keys):
        raise EngineError("list(x ORDER BY ... DESC) has no checked Spark translation: order ascending")
    fields = [exp.alias_(k.this.copy(), f"k{i}") for i, k in enumerate(keys)]
    fields.append(exp.alias_(order.this.copy(), "v"))
    sorted_structs = exp.Anonymous(
        this="ARRAY_SORT",
        expressions=[exp.Anonymous(this="COLLECT_LIST", expressions=[exp.Struct(expressions=fields)])],
    )
    lam = exp.Lambda(this=exp.column("v", table="s"), expressions=[exp.to_identifier("s")])
    return exp.Anonymous(this="TRANSFORM", expressions=[sorted_structs, lam])
