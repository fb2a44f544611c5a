"""Delta Lake and Iceberg tables resolved to their current Parquet data files (no Spark)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from baton.engine.lake_files import (
    check_delta_protocol,
    check_iceberg_tasks,
    delta_files,
    detect_lake_format,
    iceberg_files,
    iceberg_metadata_file,
)
from baton.errors import EngineError, SourceNotFoundError

deltalake = pytest.importorskip("deltalake", reason="deltalake (delta-rs) is not installed")
pytest.importorskip("pyiceberg", reason="pyiceberg is not installed")
pytest.importorskip("sqlalchemy", reason="pyiceberg's SqlCatalog needs sqlalchemy")


def _events(cases: list[str], steps: list[int]) -> pa.Table:
    """A small event table: case id and step number."""
    return pa.table({"case_id": pa.array(cases, pa.string()), "step": pa.array(steps, pa.int64())})


def _rows(files: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """All (case_id, step) rows of the Parquet files, sorted."""
    tables = [pq.read_table(f) for f in files]
    return sorted((r["case_id"], r["step"]) for t in tables for r in t.to_pylist())


@pytest.fixture
def delta_path(tmp_path: Path) -> str:
    """A Delta table: two appends (versions 0, 1), then an overwrite (version 2)."""
    path = str(tmp_path / "delta_events")
    deltalake.write_deltalake(path, _events(["a", "b"], [1, 1]))
    deltalake.write_deltalake(path, _events(["c"], [1]), mode="append")
    deltalake.write_deltalake(path, _events(["x", "y", "z"], [7, 8, 9]), mode="overwrite")
    return path


@pytest.fixture
def iceberg_table(tmp_path: Path) -> Any:
    """An Iceberg table in a SqlCatalog (sqlite) with two appended Arrow batches."""
    from pyiceberg.catalog.sql import SqlCatalog

    catalog = SqlCatalog("t", uri=f"sqlite:///{tmp_path}/catalog.db", warehouse=f"file://{tmp_path}")
    catalog.create_namespace("ns")
    table = catalog.create_table("ns.events", schema=_events([], []).schema)
    table.append(_events(["a", "b"], [1, 2]))
    table.append(_events(["c"], [3]))
    return table


def test_delta_current_version_files_only(delta_path: str) -> None:
    """After append, append, overwrite, only the overwrite's file is current, holding its rows."""
    lake = delta_files(delta_path)
    assert (lake.format, lake.version, lake.columns) == ("delta", 2, ("case_id", "step"))
    assert len(lake.files) == 1
    assert _rows(lake.files) == [("x", 7), ("y", 8), ("z", 9)]


def test_delta_time_travel_version_zero(delta_path: str) -> None:
    """version=0 gives the first write's file and rows; version=1 the two appended files."""
    first = delta_files(delta_path, version=0)
    assert (first.version, len(first.files)) == (0, 1)
    assert _rows(first.files) == [("a", 1), ("b", 1)]
    second = delta_files(delta_path, version=1)
    assert len(second.files) == 2
    assert second.files == tuple(sorted(second.files))
    assert _rows(second.files) == [("a", 1), ("b", 1), ("c", 1)]


def test_delta_unknown_version_and_missing_table(delta_path: str, tmp_path: Path) -> None:
    """A version past the latest is an EngineError naming the range; a non-Delta dir is not found."""
    with pytest.raises(EngineError, match="has no version 5; pass 0 to 2"):
        delta_files(delta_path, version=5)
    with pytest.raises(SourceNotFoundError, match="no Delta table at .*nothing_here"):
        delta_files(str(tmp_path / "nothing_here"))


def test_delta_partitioned_table_refused(tmp_path: Path) -> None:
    """A partitioned Delta table is refused, naming its partition columns and the delta-spark fix."""
    path = str(tmp_path / "partitioned")
    deltalake.write_deltalake(path, _events(["a", "b"], [1, 2]), partition_by=["case_id"])
    with pytest.raises(EngineError, match=r"partitioned by 'case_id'.*delta-spark"):
        delta_files(path)


def test_delta_deletion_vectors_refused(tmp_path: Path) -> None:
    """A table created with delta.enableDeletionVectors (reader feature deletionVectors) is refused."""
    path = str(tmp_path / "dv")
    config = {"delta.enableDeletionVectors": "true"}
    deltalake.write_deltalake(path, _events(["a"], [1]), configuration=config)
    assert "deletionVectors" in (deltalake.DeltaTable(path).protocol().reader_features or [])
    with pytest.raises(EngineError, match="deletion vectors enabled.*delta-spark"):
        delta_files(path)


def test_delta_protocol_checks_directly() -> None:
    """The reader feature alone, and column mapping mode 'name', are each refused; a plain table passes."""
    with pytest.raises(EngineError, match="deletion vectors"):
        check_delta_protocol("t", reader_features=["deletionVectors"], configuration={}, partition_columns=[])
    with pytest.raises(EngineError, match="column mapping mode 'name'"):
        mapping = {"delta.columnMapping.mode": "name"}
        check_delta_protocol(
            "t", reader_features=["columnMapping"], configuration=mapping, partition_columns=[]
        )
    plain = {"delta.columnMapping.mode": "none"}
    check_delta_protocol("t", reader_features=["timestampNtz"], configuration=plain, partition_columns=[])


def test_iceberg_current_snapshot_from_dir_and_metadata(iceberg_table: Any) -> None:
    """The table directory and its metadata JSON both give the current snapshot's two files and rows."""
    table_dir = iceberg_table.location().removeprefix("file://")
    from_dir = iceberg_files(table_dir)
    from_json = iceberg_files(iceberg_table.metadata_location)
    assert from_dir == from_json
    assert from_dir.format == "iceberg"
    assert from_dir.version == iceberg_table.current_snapshot().snapshot_id
    assert from_dir.columns == ("case_id", "step")
    assert len(from_dir.files) == 2 and all(f.startswith("file:///") for f in from_dir.files)
    assert _rows(from_dir.files) == [("a", 1), ("b", 2), ("c", 3)]


def test_iceberg_older_snapshot_and_unknown_id(iceberg_table: Any) -> None:
    """The first snapshot id gives one file with the first batch; an unknown id is an EngineError."""
    first_id = iceberg_table.history()[0].snapshot_id
    lake = iceberg_files(iceberg_table.metadata_location, snapshot_id=first_id)
    assert (lake.version, len(lake.files)) == (first_id, 1)
    assert _rows(lake.files) == [("a", 1), ("b", 2)]
    with pytest.raises(EngineError, match="has no snapshot 12345"):
        iceberg_files(iceberg_table.metadata_location, snapshot_id=12345)


def test_iceberg_delete_is_copy_on_write(iceberg_table: Any) -> None:
    """pyiceberg rewrites the file on delete (no delete files): the current files lack the deleted row."""
    iceberg_table.delete("step = 2")
    lake = iceberg_files(iceberg_table.metadata_location)
    assert lake.version == iceberg_table.current_snapshot().snapshot_id
    assert _rows(lake.files) == [("a", 1), ("c", 3)]


def test_iceberg_delete_files_refused_and_uris_normalised() -> None:
    """Tasks are returned sorted with file:/ made file:///; a task with position deletes is refused."""
    from pyiceberg.manifest import DataFile, DataFileContent, FileFormat
    from pyiceberg.table import FileScanTask

    def data_file(path: str, content: DataFileContent = DataFileContent.DATA) -> DataFile:
        """A DataFile entry for ``path``."""
        return DataFile.from_args(
            content=content,
            file_path=path,
            file_format=FileFormat.PARQUET,
            record_count=1,
            file_size_in_bytes=9,
        )

    tasks = [FileScanTask(data_file("file:/w/b.parquet")), FileScanTask(data_file("file:///w/a.parquet"))]
    assert check_iceberg_tasks("t", tasks) == ("file:///w/a.parquet", "file:///w/b.parquet")
    deletes = {data_file("file:/w/del.parquet", DataFileContent.POSITION_DELETES)}
    with pytest.raises(EngineError, match=r"delete files .* for file:/w/b.parquet.*iceberg-spark-runtime"):
        check_iceberg_tasks("t", [FileScanTask(data_file("file:/w/b.parquet"), delete_files=deletes)])


def test_iceberg_renamed_column_refused(iceberg_table: Any) -> None:
    """After renaming step to seq, the old files still say 'step': refused, naming both names."""
    with iceberg_table.update_schema() as update:
        update.rename_column("step", "seq")
    with pytest.raises(EngineError, match="renamed column 'step' to 'seq'"):
        iceberg_files(iceberg_table.metadata_location)


def test_iceberg_metadata_choice_in_directory(tmp_path: Path) -> None:
    """v10 beats v9 and 00010- beats 00009-; version-hint.text overrides the highest number."""
    for names in (["v9", "v10", "v2"], ["00009-a", "00010-b", "00002-c"]):
        table_dir = tmp_path / names[0]
        (table_dir / "metadata").mkdir(parents=True)
        for name in names:
            (table_dir / "metadata" / f"{name}.metadata.json").write_text("{}")
        assert Path(iceberg_metadata_file(str(table_dir))).name == f"{names[1]}.metadata.json"
    (tmp_path / "v9" / "metadata" / "version-hint.text").write_text("2\n")
    assert Path(iceberg_metadata_file(str(tmp_path / "v9"))).name == "v2.metadata.json"
    with pytest.raises(SourceNotFoundError, match="no Iceberg table at"):
        iceberg_metadata_file(str(tmp_path))


def test_detect_lake_format(delta_path: str, iceberg_table: Any, tmp_path: Path) -> None:
    """Delta dir, Iceberg dir and metadata JSON are recognised; Parquet files and s3:// URIs are not."""
    table_dir = iceberg_table.location().removeprefix("file://")
    plain = tmp_path / "plain.parquet"
    pq.write_table(_events(["a"], [1]), plain)
    assert detect_lake_format(delta_path) == "delta"
    assert detect_lake_format(f"file://{delta_path}") == "delta"
    assert detect_lake_format(table_dir) == "iceberg"
    assert detect_lake_format(iceberg_table.metadata_location) == "iceberg"
    assert detect_lake_format(str(plain)) is None
    assert detect_lake_format(str(tmp_path)) is None
    assert detect_lake_format("s3://bucket/table") is None
