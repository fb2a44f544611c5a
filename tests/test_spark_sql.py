"""The DuckDB -> Spark SQL translation: each rewrite rule, each refusal, and every covered query translating."""

from __future__ import annotations

import importlib

import pytest

from baton import schema as s
from baton.engine.spark_sql import to_spark
from baton.errors import EngineError
from baton.filters import (
    CaseAttribute,
    CaseDuration,
    EndActivities,
    EventAttribute,
    FilterSpec,
    Follows,
    HasRework,
    StartActivities,
    VariantSelection,
    compile_case_filter,
)

#: Modules whose analytics run on Spark (docs/scale-out.md); every SQL constant in them must translate.
COVERED_MODULES = (
    "analytics.dfg", "analytics.variants", "analytics.durations", "analytics.throughput",
    "analytics.performance", "analytics.payload", "analytics.map_measures", "analytics.activities",
    "analytics.resources", "analytics.rework", "analytics.bottlenecks", "analytics.kpi_sql",
    "analytics.before_after_setup", "analytics._query", "baton.store.precompute", "baton.store.staging",
)  # fmt: skip


def test_epoch_us_becomes_unix_micros() -> None:
    """epoch_us(), which Spark lacks, becomes UNIX_MICROS()."""
    assert to_spark("SELECT epoch_us(ts) FROM t") == "SELECT UNIX_MICROS(ts) FROM t"


def test_ordered_list_keeps_its_order() -> None:
    """list(x ORDER BY p) keeps the order through sorted structs (sqlglot alone drops it)."""
    out = to_spark("SELECT list(code ORDER BY position) FROM t")
    assert (
        out
        == "SELECT TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(position AS k0, code AS v))), s -> s.v) FROM t"
    )


def test_quantile_cont_becomes_exact_percentile() -> None:
    """quantile_cont(x, q) becomes Spark's exact PERCENTILE, not PERCENTILE_CONT or an approximation."""
    assert (
        to_spark("SELECT quantile_cont(x, 0.9), median(x) FROM t")
        == "SELECT PERCENTILE(x, 0.9), MEDIAN(x) FROM t"
    )


def test_range_becomes_sequence_without_its_end() -> None:
    """unnest(range(a, b, step)) excludes b as DuckDB does: SEQUENCE(a, b - step, step)."""
    out = to_spark("SELECT unnest(range(a, b, CAST($step AS INTERVAL))) FROM t")
    assert out == "SELECT EXPLODE(SEQUENCE(a, b - CAST(:step AS INTERVAL), CAST(:step AS INTERVAL))) FROM t"


def test_tables_are_renamed_and_parameters_named() -> None:
    """Canonical table names map to a log's views; $name parameters become :name."""
    out = to_spark("SELECT * FROM cases WHERE log_id = $log_id", (("cases", "baton_7_cases"),))
    assert out == "SELECT * FROM baton_7_cases WHERE log_id = :log_id"


def test_list_index_is_zero_based_on_spark() -> None:
    """codes[1] and codes[array_length(codes)] (DuckDB, 1-based) address the same items on Spark."""
    out = to_spark("SELECT codes[1], codes[array_length(codes)] FROM t")
    assert out == "SELECT codes[0], codes[SIZE(codes) + -1] FROM t"


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY x) FROM t", "approximate percentile"),
        ("SELECT first(x ORDER BY y) FROM t", "loses its order"),
        ("SELECT * FROM t WHERE x = ?", "positional '?'"),
        ("SELECT list(x ORDER BY y DESC) FROM t", "order ascending"),
        ("SELECT my_macro(x) FROM t", r"my_macro\(\) is DuckDB-only"),
    ],
)
def test_unfaithful_constructs_are_refused(sql: str, words: str) -> None:
    """A construct whose Spark translation would answer differently raises an EngineError saying why."""
    with pytest.raises(EngineError, match=words):
        to_spark(sql)


def _sql_constants(module_name: str) -> dict[str, str]:
    module = importlib.import_module(module_name)
    found = {}
    for name, value in vars(module).items():
        if name.isupper() and isinstance(value, str) and "SELECT" in value.upper() and "{" not in value:
            if "INSERT" in value.upper() or "CREATE" in value.upper() or "UPDATE" in value.upper():
                continue
            found[f"{module_name}.{name}"] = value
    return found


#: Pieces composed into larger statements (those run whole in tests/test_engines_equal.py), not statements.
FRAGMENTS = {
    "analytics.kpi_sql.TIMERS_SLA_JOIN",
    "analytics.kpi_sql._PERIODS_BODY",
    "analytics.kpi_sql._WINDOW",
}
ALL_SQL = {k: v for m in COVERED_MODULES for k, v in _sql_constants(m).items() if k not in FRAGMENTS}


def test_the_sweep_finds_the_queries() -> None:
    """The sweep below reads the real query constants (a renamed constant cannot silently drop out)."""
    assert {"analytics.dfg.EDGES_SQL", "analytics.variants.VARIANTS_SQL", "analytics.throughput.THROUGHPUT_SQL",
            "baton.store.precompute.EVENTS_SELECT", "analytics.bottlenecks.TRANSITIONS_SQL"} <= set(ALL_SQL)  # fmt: skip
    assert len(ALL_SQL) >= 30


@pytest.mark.parametrize("name", sorted(ALL_SQL))
def test_every_covered_query_translates(name: str) -> None:
    """Each SQL constant of the covered analytics translates with no refused or unknown construct."""
    out = to_spark(ALL_SQL[name])
    assert "EPOCH_US" not in out.upper() and "PERCENTILE_CONT" not in out.upper() and "?" not in out


@pytest.mark.parametrize(
    "flt",
    [
        CaseDuration(max_seconds=3600),
        CaseAttribute("product", ("a", "b")),
        EventAttribute("resource", ("r1",)),
        EventAttribute("cost", (1.5,)),
        VariantSelection(top_k=3),
        StartActivities(("A",)),
        EndActivities(("B",), keep=False),
        Follows("A", "B"),
        Follows("A", "B", directly=False),
        HasRework(),
        HasRework("A", min_occurrences=3),
    ],
)
def test_filter_predicates_translate(flt: object) -> None:
    """Every kind of filter compiles to a predicate that translates (the filter spec runs on Spark)."""
    predicate, _ = compile_case_filter(FilterSpec((flt,)), 3)  # type: ignore[arg-type]
    out = to_spark(f"SELECT * FROM {s.CASES} WHERE ({predicate})", ((s.CASES, "baton_3_cases"),))  # noqa: S608
    assert "baton_3_cases" in out
