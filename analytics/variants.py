"""Variants: distinct activity sequences with their case counts, coverage and case durations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from analytics._query import LogQuery
from baton import schema as s

if TYPE_CHECKING:
    import pandas as pd

    from baton.log import EventLog

VARIANTS_SQL = f"""
SELECT g.{s.VARIANT_ID}, v.activity_codes, g.n, g.mean_us, g.median_us
FROM (
    SELECT {s.VARIANT_ID}, count(*) AS n, avg(duration_us) AS mean_us, median(duration_us) AS median_us
    FROM c GROUP BY {s.VARIANT_ID}
) g
JOIN {s.VARIANTS} v ON v.{s.VARIANT_ID} = g.{s.VARIANT_ID} AND v.{s.LOG_ID} = $log_id
"""  # noqa: S608


@dataclass(frozen=True, slots=True)
class Variant:
    """One variant: its activity sequence, case count, share of cases and cumulative coverage."""

    variant_id: int
    activities: tuple[str, ...]
    count: int
    share: float
    coverage: float
    mean_duration_us: float
    median_duration_us: float

    @property
    def mean_duration(self) -> timedelta:
        """Mean case duration of the variant."""
        return timedelta(microseconds=self.mean_duration_us)

    @property
    def median_duration(self) -> timedelta:
        """Median case duration of the variant."""
        return timedelta(microseconds=self.median_duration_us)


@dataclass(frozen=True, slots=True)
class Variants:
    """All variants of a log, ordered by count (descending), then by activity sequence."""

    variants: tuple[Variant, ...]
    cases: int

    def counts(self) -> dict[tuple[str, ...], int]:
        """``{activities: count}``, the shape of ``pm4py.get_variants``."""
        return {v.activities: v.count for v in self.variants}

    def to_frame(self) -> pd.DataFrame:
        """Variants as a DataFrame (activities joined with ' -> ')."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "variant_id": v.variant_id,
                    "activities": " -> ".join(v.activities),
                    "n_events": len(v.activities),
                    "count": v.count,
                    "share": v.share,
                    "coverage": v.coverage,
                    "mean_duration_us": v.mean_duration_us,
                    "median_duration_us": v.median_duration_us,
                }
                for v in self.variants
            ]
        )


def build_variants(rows: list[tuple], names: dict[int, str]) -> Variants:
    """Variants from ``(variant_id, codes, count, mean_us, median_us)`` rows (also used by the payload)."""
    named = [(tuple(names[c] for c in codes), vid, int(n), m, md) for vid, codes, n, m, md in rows]
    named.sort(key=lambda r: (-r[2], r[0]))
    total = sum(r[2] for r in named)
    out, running = [], 0
    for acts, vid, n, mean, median in named:
        running += n
        out.append(Variant(vid, acts, n, n / total, running / total, float(mean), float(median)))
    return Variants(tuple(out), total)


def get_variants(log: EventLog) -> Variants:
    """Variants of a (filtered) log with counts, share, cumulative coverage and case durations.

    Args:
        log: the event log.

    Returns:
        Variants ordered by count (descending), then by activity names.
    """
    q = LogQuery(log)
    return build_variants(q.rows(VARIANTS_SQL, {}), q.names())
