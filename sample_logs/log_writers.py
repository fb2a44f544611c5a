"""Writers for the demo logs: CSV with local UTC offsets, Parquet (UTC TIMESTAMPTZ) and gzipped XES."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pyarrow as pa
import pyarrow.parquet as pq
from loan_flows import CaseAttributes
from loan_sim import ZONES, Event

COLUMNS = (
    "case_id",
    "activity",
    "timestamp",
    "start_timestamp",
    "resource",
    "cost",
    "outcome",
    "loan_amount",
    "product",
    "channel",
    "region",
)
CaseEvents = list[tuple[CaseAttributes, list[Event]]]


def write_csv(cases: CaseEvents, path: Path) -> None:
    """Write one row per event; timestamps as ISO 8601 with the branch zone's UTC offset."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        for attrs, events in cases:
            zone = ZONES[attrs.region]
            for e in events:
                start = e.start.astimezone(zone).isoformat() if e.start else ""
                writer.writerow(
                    (
                        attrs.case_id,
                        e.activity,
                        e.timestamp.astimezone(zone).isoformat(),
                        start,
                        e.resource,
                        f"{e.cost:.2f}",
                        e.outcome,
                        attrs.loan_amount,
                        attrs.product,
                        attrs.channel,
                        attrs.region,
                    )
                )


def to_arrow(cases: CaseEvents) -> pa.Table:
    """The log as an Arrow table with UTC ``timestamp[us, tz=UTC]`` columns."""
    cols: dict[str, list[object]] = {name: [] for name in COLUMNS}
    for attrs, events in cases:
        for e in events:
            row = (
                attrs.case_id,
                e.activity,
                e.timestamp,
                e.start,
                e.resource,
                e.cost,
                e.outcome or None,
                attrs.loan_amount,
                attrs.product,
                attrs.channel,
                attrs.region,
            )
            for name, value in zip(COLUMNS, row, strict=True):
                cols[name].append(value)
    ts = pa.timestamp("us", tz="UTC")
    types = {"timestamp": ts, "start_timestamp": ts, "cost": pa.float64(), "loan_amount": pa.int64()}
    return pa.table(
        {name: pa.array(values, type=types.get(name, pa.string())) for name, values in cols.items()}
    )


def write_parquet(cases: CaseEvents, path: Path) -> None:
    """Write the Arrow table as Parquet (zstd, no pandas metadata, so the bytes are reproducible)."""
    pq.write_table(to_arrow(cases), path, compression="zstd")


_HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <global scope="trace">
    <string key="concept:name" value="__INVALID__"/>
  </global>
  <global scope="event">
    <string key="concept:name" value="__INVALID__"/>
    <date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>
    <string key="lifecycle:transition" value="complete"/>
  </global>
  <classifier name="Activity" keys="concept:name"/>
  <classifier name="Activity and transition" keys="concept:name lifecycle:transition"/>
  <string key="concept:name" value={name}/>
"""


def _xes_event(activity: str, transition: str, when: str, resource: str, extra: str) -> str:
    """One ``<event>`` element."""
    return (
        f'    <event>\n      <string key="concept:name" value={quoteattr(activity)}/>\n'
        f'      <string key="lifecycle:transition" value="{transition}"/>\n'
        f'      <date key="time:timestamp" value="{when}"/>\n'
        f'      <string key="org:resource" value={quoteattr(resource)}/>\n{extra}    </event>\n'
    )


def _xes_trace(attrs: CaseAttributes, events: list[Event]) -> str:
    """One ``<trace>``: case attributes, then a start event (where the step has one) and a complete event."""
    parts = [
        f'  <trace>\n    <string key="concept:name" value={quoteattr(attrs.case_id)}/>\n'
        f'    <int key="loan_amount" value="{attrs.loan_amount}"/>\n'
        f'    <string key="product" value={quoteattr(attrs.product)}/>\n'
        f'    <string key="channel" value={quoteattr(attrs.channel)}/>\n'
        f'    <string key="region" value={quoteattr(attrs.region)}/>\n'
    ]
    for e in events:
        if e.start is not None:
            parts.append(_xes_event(e.activity, "start", _xs_datetime(e.start), e.resource, ""))
        extra = f'      <float key="cost" value="{e.cost:.2f}"/>\n'
        if e.outcome:
            extra += f'      <string key="outcome" value={quoteattr(e.outcome)}/>\n'
        parts.append(_xes_event(e.activity, "complete", _xs_datetime(e.timestamp), e.resource, extra))
    parts.append("  </trace>\n")
    return "".join(parts)


def _xs_datetime(value: object) -> str:
    """xs:dateTime in UTC with milliseconds, e.g. ``2025-03-04T08:15:00.000+00:00``."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")  # type: ignore[attr-defined]


def write_xes_gz(cases: CaseEvents, path: Path, log_name: str) -> None:
    """Write IEEE 1849 XES, gzip-compressed with mtime 0 and no file name so the bytes are reproducible."""
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(_HEADER.format(name=quoteattr(log_name)).encode("utf-8"))
        for attrs, events in cases:
            gz.write(_xes_trace(attrs, events).encode("utf-8"))
        gz.write(b"</log>\n")
