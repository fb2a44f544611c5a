"""The DuckDB event store: workspace, catalog, atomic imports and the data-quality report."""

from baton.store.ingest import ImportReport, SourceData, import_table
from baton.store.quality import QualityFinding
from baton.store.staging import ImportOptions
from baton.store.workspace import LogInfo, Workspace

__all__ = [
    "ImportOptions",
    "ImportReport",
    "LogInfo",
    "QualityFinding",
    "SourceData",
    "Workspace",
    "import_table",
]
