"""Sample preparation for `analytics.stats`: option checks, sorted NaN-free values, point statistics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

STATISTICS: tuple[str, ...] = ("median", "mean", "p90", "share")
MIN_SAMPLE = 30
"""Fewer values than this on a side gives a small-sample warning."""


def _check_options(statistic: str, better: str, confidence: float, n_boot: int) -> None:
    if statistic not in STATISTICS:
        raise ValueError(f"statistic={statistic!r} is not supported; pass one of {', '.join(STATISTICS)}")
    if better not in ("lower", "higher"):
        raise ValueError(f"better={better!r} is not supported; pass 'lower' or 'higher'")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence={confidence!r} must lie strictly between 0 and 1, e.g. 0.95")
    if n_boot < 10:
        raise ValueError(f"n_boot={n_boot!r} is too few resamples; pass at least 10 (2000 is usual)")


def _clean(values: Any, statistic: str, label: str) -> tuple[np.ndarray, list[str]]:
    """Float array without NaN (sorted), and warnings about dropped values and sample size."""
    arr = np.asarray(values)
    if arr.dtype == object:
        arr = np.array([np.nan if v is None else v for v in arr.ravel()], dtype=float)
    elif arr.dtype.kind == "m":  # timedeltas become microseconds, as Baton stores durations
        td = arr.astype("timedelta64[us]")
        arr = np.where(np.isnat(td), np.nan, td.astype(np.int64).astype(float))
    arr = np.asarray(arr, dtype=float).ravel()
    keep = ~np.isnan(arr)
    warnings = []
    if not keep.all():
        warnings.append(f"{int((~keep).sum())} missing values {label} were dropped")
    arr = np.sort(arr[keep])
    if statistic == "share" and not np.isin(arr, (0.0, 1.0)).all():
        raise ValueError(f"statistic='share' needs booleans or 0/1 values; the {label} values hold others")
    if 0 < len(arr) < MIN_SAMPLE:
        warnings.append(
            f"only {len(arr)} cases {label} (fewer than {MIN_SAMPLE}): treat the result with care"
        )
    elif len(arr) == 0:
        warnings.append(f"no values {label}")
    return arr, warnings


def _point(x: np.ndarray, statistic: str) -> float:
    """The statistic of sorted, NaN-free values."""
    if statistic in ("mean", "share"):
        return float(x.mean())
    return float(np.quantile(x, 0.5 if statistic == "median" else 0.9))


def _counts(variants: Mapping[Any, int] | Sequence[Any] | np.ndarray) -> dict[str, int]:
    """Case counts per variant label from a mapping or one id per case."""
    if isinstance(variants, Mapping):
        return {str(k): int(v) for k, v in variants.items() if int(v) > 0}
    ids, counts = np.unique(np.asarray(variants).astype(str), return_counts=True)
    return {str(k): int(v) for k, v in zip(ids, counts, strict=True)}
