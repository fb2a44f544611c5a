"""Spark config files: parsing and checking without Spark, then opening one over the sample logs on Spark."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from baton.engine.spark_config import TABLE_KEYS, open_spark_config, read_spark_config
from baton.errors import EngineError, MappingError, SourceNotFoundError

#: The settings of conftest's ``spark_ws`` session, which a config file passes under ``spark.config``.
SESSION_KEYS = (
    "spark.sql.shuffle.partitions",
    "spark.sql.adaptive.enabled",
    "spark.sql.catalogImplementation",
    "spark.sql.warehouse.dir",
    "spark.hadoop.javax.jdo.option.ConnectionURL",
    "spark.driver.extraJavaOptions",
)
SAMPLE_MAPPING = (
    "    case_id_key: case_id\n    activity_key: activity\n    timestamp_key: timestamp\n"
    "    start_timestamp_key: start_timestamp\n    resource_key: resource\n"
    "    case_attributes: [loan_amount, product, channel, region]\n    event_attributes: [cost, outcome]\n"
)
GOOD = """\
spark:
  master: local[3]
  config: {spark.driver.memory: 2g, spark.sql.shuffle.partitions: 4, spark.sql.adaptive.enabled: false}
tables:
  - name: orders
    source: lake/orders
    format: delta
    case_id_key: order_id
    activity_key: step
    timestamp_key: ts
    resource_key: user
    source_timezone: Europe/Berlin
    case_attributes: [segment]
  - name: claims
    source: sales.claim_events
    case_id_key: claim
    activity_key: task
    timestamp_key: at
"""


def sample_config(folder: Path, sample_logs: Path, spark_ws: Any) -> Path:
    """Write ``lake.yaml`` in ``folder``: the two sample Parquet logs by paths relative to it, and the
    shared test session's settings under ``spark.config`` (so opening it reuses that session)."""
    conf = spark_ws.session.sparkContext.getConf()
    settings = "".join(f"    {key}: '{conf.get(key)}'\n" for key in SESSION_KEYS if conf.get(key) is not None)
    tables = "".join(
        f"  - name: {name}\n    source: {os.path.relpath(sample_logs / f'{name}.parquet', folder)}\n"
        + SAMPLE_MAPPING
        for name in ("loans_after", "loans_before")
    )
    path = folder / "lake.yaml"
    path.write_text(f"spark:\n  master: local[2]\n  config:\n{settings}tables:\n{tables}", encoding="utf-8")
    return path


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spark.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_parses_session_and_tables(tmp_path: Path) -> None:
    """A full config: master, settings as Spark's text values, tables in file order with their mapping."""
    cfg = read_spark_config(_write(tmp_path, GOOD))
    assert (cfg.master, cfg.remote) == ("local[3]", None)
    assert dict(cfg.config) == {
        "spark.driver.memory": "2g",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.adaptive.enabled": "false",
    }
    orders, claims = cfg.tables
    assert orders.read_kwargs() == {
        "name": "orders",
        "case_id_key": "order_id",
        "activity_key": "step",
        "timestamp_key": "ts",
        "format": "delta",
        "storage": None,
        "resource_key": "user",
        "source_timezone": "Europe/Berlin",
        "case_attributes": ("segment",),
    }
    assert claims.read_kwargs() == {
        "name": "claims",
        "case_id_key": "claim",
        "activity_key": "task",
        "timestamp_key": "at",
        "format": None,
        "storage": None,
    }


def test_relative_sources_resolve_against_the_files_folder(tmp_path: Path) -> None:
    """Relative paths resolve against the YAML's folder; URLs, absolute paths and table names stay as given."""
    (tmp_path / "events.parquet").write_bytes(b"")
    text = "tables:\n" + "".join(
        f"  - {{name: t{i}, source: '{src}',{fmt} case_id_key: c, activity_key: a, timestamp_key: t}}\n"
        for i, (src, fmt) in enumerate(
            [
                ("lake/orders", " format: delta,"),
                ("events.parquet", ""),
                ("../shared/claims", ""),
                ("s3a://bucket/events", ""),
                ("/data/abs", ""),
                ("sales.claim_events", ""),
                ("lake/orders", " format: table,"),
            ]
        )
    )
    cfg = read_spark_config(_write(tmp_path, text))
    assert [t.source for t in cfg.tables] == [
        str(tmp_path / "lake" / "orders"),
        str(tmp_path / "events.parquet"),
        str(tmp_path.parent / "shared" / "claims"),
        "s3a://bucket/events",
        "/data/abs",
        "sales.claim_events",
        "lake/orders",
    ]


def test_unknown_table_key_lists_the_known_keys(tmp_path: Path) -> None:
    """A misspelt table key is a MappingError naming the file, the table, the key and every known key."""
    path = _write(tmp_path, GOOD.replace("resource_key: user", "resource: user"))
    with pytest.raises(MappingError) as err:
        read_spark_config(path)
    message = str(err.value)
    assert message.startswith(f"{path}: table 'orders': unknown key 'resource'")
    assert str(list(TABLE_KEYS)) in message


def test_unknown_spark_key_is_an_engine_error(tmp_path: Path) -> None:
    """A misspelt key of the spark section is an EngineError listing master, remote and config."""
    path = _write(tmp_path, GOOD.replace("master: local[3]", "masters: local[3]"))
    with pytest.raises(
        EngineError,
        match=r"spark: unknown key 'masters'; the known keys are \['master', 'remote', 'config'\]",
    ):
        read_spark_config(path)


def test_missing_required_key_names_it(tmp_path: Path) -> None:
    """A table without timestamp_key is a MappingError naming the table and the key to add."""
    path = _write(tmp_path, GOOD.replace("    timestamp_key: at\n", ""))
    with pytest.raises(MappingError, match=r"table 'claims': key 'timestamp_key' is missing; add it"):
        read_spark_config(path)


@pytest.mark.parametrize(
    ("text", "error", "pattern"),
    [
        ("spark: {master: 'local[2]', remote: 'sc://h:15002'}\ntables: []\n", EngineError, "not both"),
        ("tables: []\n", MappingError, "key 'tables' is missing or empty"),
        (GOOD.replace("name: claims", "name: orders"), MappingError, "the name 'orders' is used twice"),
        (GOOD.replace("format: delta", "format: csv"), MappingError, "format 'csv' is not one of"),
        (
            GOOD.replace("[segment]", "segment"),
            MappingError,
            "case_attributes must be a list of column names",
        ),
        (GOOD.replace("{spark.driver.memory: 2g,", "{spark.driver.memory: [2g],"), EngineError, "one value"),
    ],
)
def test_bad_values_are_refused(tmp_path: Path, text: str, error: type[Exception], pattern: str) -> None:
    """Both master and remote, no tables, a repeated name, an unknown format, a non-list, a nested setting."""
    with pytest.raises(error, match=pattern):
        read_spark_config(_write(tmp_path, text))


def test_missing_file_is_source_not_found(tmp_path: Path) -> None:
    """A config path that does not exist raises SourceNotFoundError naming it."""
    with pytest.raises(SourceNotFoundError, match="nope.yaml: no such file"):
        read_spark_config(tmp_path / "nope.yaml")


@pytest.mark.spark
def test_open_config_reads_both_sample_logs(
    spark_ws: Any, ws: Any, sample_logs: Path, tmp_path: Path
) -> None:
    """Opening a config over the sample Parquet logs gives both logs with the DuckDB import's counts."""
    sw = open_spark_config(sample_config(tmp_path, sample_logs, spark_ws))
    assert sw.session is spark_ws.session  # the config's settings match the running session: reused
    assert [p.name for p in sw.logs()] == ["loans_after", "loans_before"]
    for name in ("loans_after", "loans_before"):
        duck = ws.import_file(sample_logs / f"{name}.parquet", name=name)
        spark = sw.info(name)
        assert spark.source == str((sample_logs / f"{name}.parquet").resolve())
        assert (spark.rows_read, spark.rows_rejected) == (duck.rows_read, 0)
        assert (spark.events, spark.cases, spark.variants, spark.activities) == (
            duck.events,
            duck.cases,
            duck.variants,
            duck.activities,
        )
    assert (sw.info("loans_after").events, sw.info("loans_before").events) == (42999, 39823)
