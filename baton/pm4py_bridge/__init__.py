"""The only module that imports pm4py: hands a stored log to pm4py and computes pm4py's reference results."""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from baton import schema as s

if TYPE_CHECKING:
    import pandas as pd

    from baton.log import EventLog

CASE_KEY = "case:concept:name"
ACTIVITY_KEY = "concept:name"
TIMESTAMP_KEY = "time:timestamp"
START_KEY = "start_timestamp"
RESOURCE_KEY = "org:resource"
LIFECYCLE_KEY = "lifecycle:transition"

_Q = s.quote_identifier
_EVENTS_SQL = f"""
WITH c AS ({{cases}}), e AS ({{events}})
SELECT c.{s.CASE_ID} AS {_Q(CASE_KEY)}, a.{s.ACTIVITY} AS {_Q(ACTIVITY_KEY)},
       e.{s.TIMESTAMP} AS {_Q(TIMESTAMP_KEY)}, e.{s.SORT_TS} AS {_Q(START_KEY)},
       e.{s.START_TIMESTAMP} IS NOT NULL AS has_start, e.{s.RESOURCE} AS {_Q(RESOURCE_KEY)}
FROM e
JOIN c ON c.{s.CASE_INDEX} = e.{s.CASE_INDEX}
JOIN {s.ACTIVITIES} a ON a.{s.LOG_ID} = $log_id AND a.{s.ACTIVITY_CODE} = e.{s.ACTIVITY_CODE}
ORDER BY e.{s.CASE_INDEX}, e.{s.POSITION}
"""  # noqa: S608 - identifiers from baton.schema


def _pm4py() -> Any:
    """Import pm4py lazily and quietly (no licence banner, no import-time warnings)."""
    sys._pm4py_welcome_shown = True  # type: ignore[attr-defined]  # pm4py's own "banner shown" flag
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py
    return pm4py


def to_pm4py(log: EventLog) -> pd.DataFrame:
    """The (filtered) log as a pandas DataFrame in pm4py's format, sorted by case and event order.

    Columns: ``case:concept:name``, ``concept:name``, ``time:timestamp`` (UTC, ns), ``start_timestamp``
    only when some event has a start (events without one get their timestamp, as pm4py's interval
    conversion does) and ``org:resource`` only when some event has a resource.

    Args:
        log: the event log.

    Returns:
        One row per activity instance, in Baton's event order.
    """
    sel = log.selection()
    sql = _EVENTS_SQL.replace("{cases}", sel.cases_sql).replace("{events}", sel.events_sql)
    cur = log.cursor()
    cur.execute("SET TimeZone = 'UTC'")
    df = cur.sql(sql, params=sel.params).to_arrow_table().to_pandas()
    for col in (TIMESTAMP_KEY, START_KEY):
        df[col] = df[col].astype("datetime64[ns, UTC]")
    if not df["has_start"].any():
        df = df.drop(columns=[START_KEY])
    if df[RESOURCE_KEY].isna().all():
        df = df.drop(columns=[RESOURCE_KEY])
    return df.drop(columns=["has_start"])


def read_xes(path: str) -> pd.DataFrame:
    """pm4py's own reading of a trusted local XES file (used for cross-checks only)."""
    pm4py = _pm4py()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "install r4pm" hint
        return pm4py.read_xes(str(path))


def read_csv(path: str, *, case_id_key: str, activity_key: str, timestamp_key: str) -> pd.DataFrame:
    """A CSV read by pandas and prepared by ``pm4py.format_dataframe`` (ISO timestamps, to UTC).

    Adds ``@@source_row``: the 1-based data row in the file (pm4py's ``@@index`` follows its sort).
    """
    import pandas as pd

    df = pd.read_csv(path, dtype={case_id_key: str, activity_key: str})
    df["@@source_row"] = range(1, len(df) + 1)
    df[timestamp_key] = pd.to_datetime(df[timestamp_key], utc=True, format="ISO8601")
    return _pm4py().format_dataframe(
        df, case_id=case_id_key, activity_key=activity_key, timestamp_key=timestamp_key
    )


def pm4py_case_durations(df: pd.DataFrame) -> dict[str, float]:
    """pm4py's duration in seconds of every case (last row's minus first row's timestamp, frame order)."""
    from pm4py.statistics.traces.generic.pandas import case_statistics

    df = df.copy()
    df.attrs = {}
    cases = case_statistics.get_cases_description(df)
    return {str(k): float(v["caseDuration"]) for k, v in cases.items()}


def sort_like_pm4py(df: pd.DataFrame) -> pd.DataFrame:
    """Stable sort by case, start timestamp (if present) and timestamp: the order pm4py's DFG uses.

    pm4py's start/end activities, variants and case durations read a DataFrame in its given order, while
    its DFG sorts this way; sorting first makes all of them agree, as Baton's stored order does.
    """
    keys = [CASE_KEY] + ([START_KEY] if START_KEY in df.columns else []) + [TIMESTAMP_KEY]
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


def lifecycle_to_interval(df: pd.DataFrame) -> pd.DataFrame:
    """Merge start/complete lifecycle events into instances with ``start_timestamp`` (pm4py's to_interval).

    Events without a ``lifecycle:transition`` count as ``complete``; unpaired starts are dropped by pm4py.
    """
    pm4py = _pm4py()
    from pm4py.objects.log.util import interval_lifecycle

    event_log = pm4py.convert_to_event_log(df)
    interval = interval_lifecycle.to_interval(event_log)
    out = pm4py.convert_to_dataframe(interval)
    for col in (TIMESTAMP_KEY, START_KEY):
        out[col] = out[col].astype("datetime64[ns, UTC]")
    return out


@dataclass(frozen=True, slots=True)
class Pm4pyPayload:
    """pm4py's own results for the process-map payload (times in seconds, as pm4py returns them)."""

    dfg: dict[tuple[str, str], int]
    performance: dict[tuple[str, str], dict[str, float]]
    mean_wait_s: dict[tuple[str, str], float]
    median_wait_s: dict[tuple[str, str], float]
    variants: dict[tuple[str, ...], int]
    start_activities: dict[str, int]
    end_activities: dict[str, int]
    case_durations_s: list[float]
    median_case_duration_s: float | None
    p90_case_duration_s: float | None


def pm4py_reference_payload(df: pd.DataFrame) -> Pm4pyPayload:
    """Compute the process-map payload with pm4py's own functions on a DataFrame in pm4py's format.

    Pass a frame sorted by case and event order (`to_pm4py` output, or `sort_like_pm4py`); pm4py's
    start/end activities, variants and durations read the frame in its given order.

    Args:
        df: the log in pm4py's format.

    Returns:
        DFG counts, per-edge mean and median waiting time, variants, start and end activities, all case
        durations with their median and p90 (numpy).
    """
    import numpy as np

    pm4py = _pm4py()
    df = df.copy()  # pm4py's DFG adds a start_timestamp column to the frame it is given
    # Properties left in attrs by convert_to_dataframe (start_timestamp key of an interval log) make
    # get_all_case_durations fail (KeyError); without them pm4py uses its default keys.
    df.attrs = {}
    dfg, _, _ = pm4py.discover_dfg(df)
    perf, _, _ = pm4py.discover_performance_dfg(df)
    durations = [float(d) for d in pm4py.get_all_case_durations(df)]
    variants = pm4py.get_variants(df)
    return Pm4pyPayload(
        dfg={k: int(v) for k, v in dfg.items()},
        performance={k: {m: float(x) for m, x in v.items()} for k, v in perf.items()},
        mean_wait_s={k: float(v["mean"]) for k, v in perf.items()},
        median_wait_s={k: float(v["median"]) for k, v in perf.items()},
        variants={tuple(k): int(v) for k, v in variants.items()},
        start_activities={k: int(v) for k, v in pm4py.get_start_activities(df).items()},
        end_activities={k: int(v) for k, v in pm4py.get_end_activities(df).items()},
        case_durations_s=durations,
        median_case_duration_s=float(np.median(durations)) if durations else None,
        p90_case_duration_s=float(np.quantile(durations, 0.9)) if durations else None,
    )


def discover_petri_net_inductive(log: EventLog, *, noise_threshold: float = 0.0) -> tuple[Any, Any, Any]:
    """pm4py's inductive miner on the log: ``(net, initial_marking, final_marking)``.

    Args:
        log: the event log.
        noise_threshold: the inductive miner's noise threshold (0 = plain IM).
    """
    return _pm4py().discover_petri_net_inductive(to_pm4py(log), noise_threshold=noise_threshold)


def discover_bpmn_inductive(log: EventLog, *, noise_threshold: float = 0.0) -> Any:
    """pm4py's inductive miner on the log, as a BPMN graph."""
    return _pm4py().discover_bpmn_inductive(to_pm4py(log), noise_threshold=noise_threshold)
