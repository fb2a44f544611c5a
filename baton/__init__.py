"""Baton: process mining and orchestration analytics on DuckDB.

The notebook API, lazily imported so ``import baton`` stays light::

    import baton
    ws = baton.open_workspace("demo.duckdb")
    log = ws.log("loans_after")
    dfg = baton.discover_dfg(log)
    model = baton.read_model("sample_logs/loans_target.bpmn")
    result = baton.check_conformance(log, model)
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "open_workspace": "baton.api",
    "open_spark": "baton.api",
    "open_spark_config": "baton.engine.spark_config",
    "Workspace": "baton.api",
    "EventLog": "baton.log",
    "FilterSpec": "baton.filters",
    "to_pm4py": "baton.pm4py_bridge",
    "read_model": "baton.models.load",
    "TargetModel": "baton.models.types",
}


def __getattr__(name: str) -> Any:
    if importlib.util.find_spec(f"{__name__}.{name}") is not None:
        # a submodule not imported yet (``from baton import schema``): let the import system load it,
        # instead of importing analytics from here (which may be what is importing baton right now)
        raise AttributeError(name)
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    analytics = importlib.import_module("analytics")
    if name in getattr(analytics, "__all__", ()):
        return getattr(analytics, name)
    filters = importlib.import_module("baton.filters")
    if name in filters.__all__:
        return getattr(filters, name)
    raise AttributeError(f"module 'baton' has no attribute {name!r}")
