"""The app with $BATON_SPARK_CONFIG: Spark logs beside the DuckDB logs, the same numbers, clear notices elsewhere.

The DuckDB workspace holds the sample logs under the same names as the Spark config's tables, so every
comparison also checks that a Spark log and a DuckDB log of one name never share a cached result.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest
from test_spark_config import sample_config

from analytics import get_variants
from baton.filters import FilterSpec, VariantSelection

pytestmark = pytest.mark.spark
APP = str(Path(__file__).resolve().parents[1] / "app.py")
SPARK = "loans_after (Spark)"


@pytest.fixture(scope="module")
def duck(tmp_path_factory: pytest.TempPathFactory, sample_logs: Path) -> tuple[Path, Any]:
    """A workspace file with both sample logs (the Spark tables' names) and loans_after's variants."""
    from baton.api import open_workspace

    path = tmp_path_factory.mktemp("app_spark_ws") / "ws.duckdb"
    with open_workspace(path) as ws:
        for name in ("loans_after", "loans_before"):
            ws.import_file(sample_logs / f"{name}.parquet", name=name)
        return path, get_variants(ws.log("loans_after"))


@pytest.fixture(scope="module")
def env(
    spark_ws: Any, duck: tuple[Path, Any], sample_logs: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """BATON_WORKSPACE and BATON_SPARK_CONFIG set for the module; the Spark logs are opened once for it."""
    import streamlit as st

    config = sample_config(tmp_path_factory.mktemp("app_spark_cfg"), sample_logs, spark_ws)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BATON_WORKSPACE", str(duck[0]))
        mp.setenv("BATON_SPARK_CONFIG", str(config))
        st.cache_resource.clear()
        st.cache_data.clear()
        yield
        st.cache_resource.clear()  # the session itself is spark_ws's: stopped at the end of the run
        st.cache_data.clear()


@pytest.fixture
def at(env: None) -> AppTest:
    """A fresh app session (the Spark workspace stays open in the process's resource cache)."""
    return AppTest.from_file(APP, default_timeout=300)


def _on(at: AppTest, entry: str, page: str | None = None) -> AppTest:
    """Run the app with ``entry`` chosen in the log selector (and ``page`` shown), no exception allowed."""
    at.run()
    at.selectbox(key="log").select(entry).run()
    if page is not None:
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _table(at: AppTest, first_column: str) -> Any:
    """The dataframe whose first column is ``first_column``."""
    return next(d.value for d in at.dataframe if list(d.value.columns)[:1] == [first_column])


def _kept(at: AppTest) -> str:
    return next(m.value for m in at.sidebar.markdown if re.match(r"\*\*[\d,]+ of [\d,]+ cases", m.value))


def test_selector_lists_spark_logs_after_duckdb_logs(at: AppTest) -> None:
    """The log selector offers the DuckDB logs, then each Spark table labelled "(Spark)"."""
    at.run()
    assert not at.exception
    assert at.selectbox(key="log").options == [
        "loans_after",
        "loans_before",
        "loans_after (Spark)",
        "loans_before (Spark)",
    ]


def test_process_map_on_spark_equals_duckdb(at: AppTest, duck: tuple[Path, Any]) -> None:
    """The Spark log's headline metrics and map equal the DuckDB log's, and get_variants' case count."""
    duck_metrics = _metrics(_on(at, "loans_after"))
    duck_map = at.get("graphviz_chart")[0].proto.spec
    spark_metrics = _metrics(_on(at, SPARK))
    assert spark_metrics == duck_metrics
    assert spark_metrics["Cases"] == f"{duck[1].cases:,}" == "5,000"
    assert spark_metrics["Variants"] == f"{len(duck[1].variants):,}"
    assert at.get("graphviz_chart")[0].proto.spec == duck_map
    assert "(Spark, Parquet files)" in at.caption[0].value


def test_variants_page_counts_the_same_variants(at: AppTest, duck: tuple[Path, Any]) -> None:
    """The Variants page on the Spark log shows get_variants' variant count on the DuckDB log."""
    metrics = _metrics(_on(at, SPARK, "variants"))
    assert metrics["Variants"] == f"{len(duck[1].variants):,}" == "234"
    assert metrics["Cases"] == "5,000"
    table = _table(at, "variant")
    assert list(table["cases"][:3]) == [v.count for v in duck[1].variants[:3]]


@pytest.mark.parametrize("page", ["statistics", "bottlenecks"])
def test_statistics_and_bottlenecks_equal_duckdb(at: AppTest, page: str) -> None:
    """Statistics metrics and tables, and the bottleneck tables, are the same on Spark as on DuckDB."""
    duck_app = _on(at, "loans_after", page)
    duck_tables = [d.value for d in duck_app.dataframe]
    duck_metrics = _metrics(duck_app)
    spark_app = _on(AppTest.from_file(APP, default_timeout=300), SPARK, page)
    assert _metrics(spark_app) == duck_metrics
    spark_tables = [d.value for d in spark_app.dataframe]
    assert len(spark_tables) == len(duck_tables) >= 2
    for mine, theirs in zip(spark_tables, duck_tables, strict=True):
        assert mine.equals(theirs)


@pytest.mark.parametrize("page", ["cases", "conformance"])
def test_duckdb_only_pages_explain_instead_of_crashing(at: AppTest, page: str) -> None:
    """Cases and Conformance on a Spark log show one notice saying how to get them, and nothing else."""
    _on(at, SPARK, page)
    (notice,) = at.info
    assert "is not available for Spark logs" in notice.value
    assert "baton import" in notice.value and "--name loans_after" in notice.value
    assert not at.text_input and not at.radio  # neither the case search nor the model choice is drawn


def test_before_after_compares_the_spark_logs(at: AppTest) -> None:
    """Before/After on Spark compares the two Spark logs and shows the DuckDB comparison's KPI rows."""
    duck_kpis = _table(_on(at, "loans_after", "before_after"), "KPI")
    spark_app = _on(AppTest.from_file(APP, default_timeout=300), SPARK, "before_after")
    pair = (spark_app.selectbox(key="ba_before").value, spark_app.selectbox(key="ba_after").value)
    assert pair == ("loans_before", "loans_after")
    assert _table(spark_app, "KPI").equals(duck_kpis)


def test_data_page_lists_spark_logs_with_a_notice(at: AppTest) -> None:
    """The Data page lists the Spark logs with their counts and says import and pull skip them."""
    _on(at, SPARK, "data")
    table = _table(at, "log")
    assert list(table["log"]) == ["loans_after (Spark)", "loans_before (Spark)"]
    assert list(table["events"]) == [42999, 39823]
    assert any("not available for Spark logs" in i.value for i in at.info)


def test_filters_are_kept_per_engine(at: AppTest) -> None:
    """A filter on the DuckDB log leaves the Spark log of the same name unfiltered; on both it keeps the same cases."""
    top3 = FilterSpec((VariantSelection(top_k=3),))
    at.session_state["filter_specs"] = {"loans_after": top3}
    duck_kept = _kept(_on(at, "loans_after"))
    assert duck_kept != "**5,000 of 5,000 cases (100.0%)**"
    assert _kept(_on(at, SPARK)) == "**5,000 of 5,000 cases (100.0%)**"
    at.session_state["filter_specs"] = {"loans_after": top3, SPARK: top3}
    assert _kept(_on(at, SPARK)) == duck_kept
