"""Retrying a source system's transient failures (RetriableSourceError) with exponential backoff and jitter."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from baton.errors import RetriableSourceError

T = TypeVar("T")


def backoff_delay(
    attempt: int, *, base_delay: float, max_delay: float, rng: random.Random | None = None
) -> float:
    """The wait before retry ``attempt`` (1-based): ``base * 2**(attempt-1)`` capped, with "full jitter".

    Full jitter (a uniform draw between half and the whole delay) keeps many clients retrying a recovering
    server from arriving in lockstep.
    """
    ceiling = min(max_delay, base_delay * 2 ** (attempt - 1))
    draw = (rng or random).uniform(0.5, 1.0)  # noqa: S311 - jitter, not cryptography
    return ceiling * draw


def with_retries(
    fn: Callable[[], T],
    *,
    attempts: int = 5,
    base_delay: float = 0.5,
    max_delay: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
    what: str = "the source",
) -> T:
    """Call ``fn``; on RetriableSourceError wait and call again, up to ``attempts`` calls in all.

    Other exceptions (FatalSourceError: bad credentials, missing table ...) propagate at once.

    Args:
        fn: the network call (no arguments; wrap with a lambda or functools.partial).
        attempts: calls in all, at least 1.
        base_delay: seconds before the first retry; doubled before each next one.
        max_delay: the longest wait between two calls.
        sleep: the waiting function (tests pass a recorder).
        what: names the call in the final error (``"GET /rest/api/3/search page 4"``).

    Returns:
        What ``fn`` returned on its first successful call.

    Raises:
        RetriableSourceError: every attempt failed; the message gives the count and the last error, which is
            chained as the cause.

    Example:
        >>> calls = iter([RetriableSourceError("timeout"), "rows"])
        >>> def fetch():
        ...     item = next(calls)
        ...     if isinstance(item, Exception):
        ...         raise item
        ...     return item
        >>> with_retries(fetch, sleep=lambda seconds: None)
        'rows'
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except RetriableSourceError as exc:
            if attempt == attempts:
                raise RetriableSourceError(
                    f"{what} failed {attempts} times in a row; last error: {exc}. It may be down or "
                    "overloaded: try again later, or raise the connector's retry attempts"
                ) from exc
            sleep(backoff_delay(attempt, base_delay=base_delay, max_delay=max_delay))
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
