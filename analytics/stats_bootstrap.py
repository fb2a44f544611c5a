"""Seeded percentile bootstrap for `analytics.stats`: keyed streams, chunked resampling, intervals."""

from __future__ import annotations

import hashlib

import numpy as np

_CHUNK_ELEMENTS = 1 << 22


def _keyed_generators(seed: int, groups: list[np.ndarray]) -> list[np.random.Generator]:
    """One independent stream per group, handed out in the groups' canonical order (size, digest)."""
    keys = [(len(g), hashlib.sha256(g.tobytes()).hexdigest()) for g in groups]
    order = sorted(range(len(groups)), key=lambda i: keys[i])
    streams = np.random.SeedSequence(seed).spawn(len(groups))
    rank = {i: r for r, i in enumerate(order)}
    return [np.random.default_rng(streams[rank[i]]) for i in range(len(groups))]


def _bootstrap(x: np.ndarray, statistic: str, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``n_boot`` resampled statistics of sorted values ``x``, in chunks of bounded memory."""
    n = len(x)
    if statistic == "share":
        return rng.binomial(n, x.mean(), size=n_boot) / n
    q = {"median": 0.5, "p90": 0.9}.get(statistic, 0.0)
    k, frac = divmod((n - 1) * q, 1.0)
    lo, hi = int(k), min(int(k) + 1, n - 1)
    out = np.empty(n_boot)
    chunk = max(1, _CHUNK_ELEMENTS // n)
    for start in range(0, n_boot, chunk):
        m = min(chunk, n_boot - start)
        idx = rng.integers(0, n, size=(m, n), dtype=np.int32 if n < 2**31 else np.int64)
        if statistic == "mean":
            out[start : start + m] = x.take(idx).mean(axis=1)
            continue
        # x is sorted, so the k-th smallest resampled index points at the k-th smallest resampled value
        part = np.partition(idx, [lo, hi] if hi != lo else [lo], axis=1)
        v_lo, v_hi = x[part[:, lo]], x[part[:, hi]]
        out[start : start + m] = v_lo + frac * (v_hi - v_lo)
    return out


def _relative(a: np.ndarray | np.floating, b: np.ndarray | np.floating) -> np.ndarray:
    """(a - b) / |b|; where b is 0: 0 if a is 0 too, else +-inf."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (a - b) / np.abs(b)
        return np.where(b == 0, np.where(a == b, 0.0, np.sign(a - b) * np.inf), r)


def _change(a: np.ndarray | np.floating, b: np.ndarray | np.floating, scale: str) -> np.ndarray:
    """a - b on the absolute scale, (a - b) / |b| on the relative one."""
    return np.asarray(a - b) if scale == "absolute" else _relative(a, b)


def _percentile_ci(reps: np.ndarray, estimate: float, confidence: float) -> tuple[tuple[float, float], bool]:
    """Percentile interval of the replicates, widened to hold the estimate; and whether it was widened."""
    if np.isnan(estimate):
        return (float("nan"), float("nan")), False
    tail = (1.0 - confidence) / 2
    bounds = []
    for q in (tail, 1.0 - tail):
        with np.errstate(invalid="ignore"):
            v = float(np.quantile(reps, q))
        bounds.append(float(np.quantile(reps, q, method="nearest")) if np.isnan(v) else v)  # inf - inf
    lo, hi = bounds
    widened = lo > estimate or hi < estimate
    return (min(lo, estimate), max(hi, estimate)), bool(widened)
