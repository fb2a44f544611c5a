"""The REST connectors' shared layer: settings, auth from the environment, retries, pages, activity instances.

One ``HttpClient`` per source: a base URL, basic or bearer auth read from environment variables at each
request (never stored, never in a message), a timeout, and retries with backoff (``retry.with_retries``) on
timeouts, connection failures, HTTP 5xx and 429 (``Retry-After`` honoured). 401/403 and other 4xx are
FatalSourceError naming the host and what to check. ``offset_pages`` / ``token_pages`` walk paginated
collections. ``instance_rows`` turns one case's ordered state changes into activity-instance rows, the shape
the Jira and ServiceNow connectors share.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from baton.errors import FatalSourceError, RetriableSourceError
from connectors.sources.base import Secret, SourceConfig
from connectors.sources.retry import with_retries

log = logging.getLogger(__name__)

#: Settings every REST source takes (besides its own credentials and filters).
HTTP_KEYS = frozenset(
    {"url", "bearer_token_env", "timeout_seconds", "attempts", "backoff_seconds", "max_backoff_seconds",
     "page_size"}
)  # fmt: skip
#: ``instance_state`` values: left the state / still in it / in a final state (nothing follows).
COMPLETED, RUNNING, FINAL = "completed", "running", "final"


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """Where and how a REST source connects; secrets are environment-variable names, never values.

    Attributes:
        url: the base URL (``https://acme.atlassian.net``).
        user: the basic-auth user (Jira: the account e-mail); empty for bearer auth.
        secret: the basic-auth password / API token, or the bearer token.
        bearer: True for ``Authorization: Bearer``, False for basic auth.
        timeout: seconds to wait for a connection or an answer.
        attempts: calls per request in all before RetriableSourceError.
        backoff: seconds before the first retry (doubled each time); max_backoff caps it.
        page_size: items asked per page.
    """

    url: str
    user: str
    secret: Secret
    bearer: bool = False
    timeout: float = 30.0
    attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 30.0
    page_size: int = 100

    @property
    def host(self) -> str:
        """The URL's host (and port), for messages."""
        return urlsplit(self.url).netloc

    def describe(self) -> dict[str, Any]:
        """The settings safe to show: the secret as its variable's name and ``***``."""
        auth = {"type": "bearer"} if self.bearer else {"type": "basic", "user": self.user}
        auth["secret"] = f"${self.secret.env} (***)"
        return {
            "url": self.url, "auth": auth, "timeout_seconds": self.timeout, "attempts": self.attempts,
            "backoff_seconds": self.backoff, "max_backoff_seconds": self.max_backoff,
            "page_size": self.page_size,
        }  # fmt: skip


def refuse(config: SourceConfig, what: str) -> FatalSourceError:
    """A FatalSourceError about a config's settings, naming the file and the source."""
    return FatalSourceError(
        f"{config.path or 'source config'}: source {config.name!r} ({config.kind}): {what}"
    )


def parse_http_settings(
    config: SourceConfig, *, user_key: str, secret_key: str, own_keys: frozenset[str]
) -> HttpSettings:
    """Check a REST source's settings: ``url``, basic (``user_key`` + ``secret_key``) or bearer auth, limits.

    Raises:
        FatalSourceError: an unknown key, no url, no or two kinds of auth, a limit that is not a number.
    """
    raw = dict(config.settings)
    allowed = HTTP_KEYS | own_keys | {user_key, secret_key}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise refuse(config, f"unknown setting {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}")
    url = str(raw.get("url") or "").rstrip("/")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise refuse(config, f"'url' must be the http(s) base URL of the instance, got {url!r}")
    basic, bearer = raw.get(secret_key), raw.get("bearer_token_env")
    if bool(basic) == bool(bearer):
        raise refuse(config, f"give exactly one of '{secret_key}' (with '{user_key}') or 'bearer_token_env'")
    if basic and not raw.get(user_key):
        raise refuse(config, f"'{secret_key}' needs '{user_key}' (the user it belongs to)")
    try:
        numbers = [
            float(raw.get(k, d))
            for k, d in (("timeout_seconds", 30), ("backoff_seconds", 0.5), ("max_backoff_seconds", 30))
        ]
        attempts, page_size = int(raw.get("attempts", 5)), int(raw.get("page_size", 100))
    except (TypeError, ValueError) as exc:
        raise refuse(
            config, f"timeouts, backoffs, 'attempts' and 'page_size' must be numbers ({exc})"
        ) from exc
    if attempts < 1 or page_size < 1 or min(numbers) <= 0:
        raise refuse(config, "'attempts', 'page_size' and the seconds settings must be positive")
    return HttpSettings(
        url=url, user=str(raw.get(user_key) or ""), secret=Secret(str(basic or bearer)), bearer=bool(bearer),
        timeout=numbers[0], attempts=attempts, backoff=numbers[1], max_backoff=numbers[2], page_size=page_size,
    )  # fmt: skip


@dataclass(slots=True)
class HttpStats:
    """What the client did so far: requests sent, retries, seconds waited between attempts."""

    requests: int = 0
    retries: int = 0
    waited: float = 0.0
    errors: list[str] = field(default_factory=list)


class HttpClient:
    """GET JSON from one REST API with auth, timeouts and retries; ``stats`` counts requests and retries."""

    def __init__(
        self,
        settings: HttpSettings,
        *,
        who: str,
        fix_auth: str,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.who = who
        self.fix_auth = fix_auth
        self.stats = HttpStats()
        #: the waiting function between attempts (tests pass a recorder)
        self.sleep = sleep
        self._transport = transport
        self._client: httpx.Client | None = None
        self._retry_after: float | None = None

    def close(self) -> None:
        """Close the connection pool (a later request opens a new one)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path`` (under the base URL) and return its JSON, retrying transient failures.

        Raises:
            FatalSourceError: 401/403 (credentials), another 4xx, or an answer that is not JSON.
            RetriableSourceError: every attempt timed out, failed to connect, or got 5xx/429.
        """
        s = self.settings
        return with_retries(
            lambda: self._once(path, params or {}),
            attempts=s.attempts,
            base_delay=s.backoff,
            max_delay=s.max_backoff,
            sleep=self._wait,
            what=f"{self.who}: GET {s.host}{path}",
        )

    def _wait(self, seconds: float) -> None:
        """Sleep before a retry: the backoff, or longer when the server said so (Retry-After, capped)."""
        hint, self._retry_after = self._retry_after, None
        delay = max(seconds, min(hint, self.settings.max_backoff)) if hint else seconds
        self.stats.retries += 1
        self.stats.waited += delay
        log.warning("%s: retry %d in %.2f s (%s)", self.who, self.stats.retries, delay, self.stats.errors[-1])
        self.sleep(delay)

    def _headers(self) -> dict[str, str]:
        s = self.settings
        if s.bearer:
            return {"Authorization": f"Bearer {s.secret.value()}", "Accept": "application/json"}
        pair = base64.b64encode(f"{s.user}:{s.secret.value()}".encode()).decode()
        return {"Authorization": f"Basic {pair}", "Accept": "application/json"}

    def _once(self, path: str, params: Mapping[str, Any]) -> Any:
        s = self.settings
        if self._client is None:
            self._client = httpx.Client(base_url=s.url, timeout=s.timeout, transport=self._transport)
        self.stats.requests += 1
        where = f"GET {s.host}{path}"
        try:
            resp = self._client.get(path, params=dict(params), headers=self._headers())
        except httpx.TimeoutException as exc:
            raise self._transient(
                f"{where}: no answer within {s.timeout:g} s ({type(exc).__name__})"
            ) from exc
        except httpx.TransportError as exc:
            raise self._transient(f"{where}: connection failed ({type(exc).__name__}: {exc})") from exc
        status = resp.status_code
        if status in (401, 403):
            raise FatalSourceError(
                f"{self.who}: {s.host} refused the credentials (HTTP {status} on {where}); {self.fix_auth}"
            )
        if status == 429 or status >= 500:
            self._retry_after = retry_after(resp.headers.get("Retry-After"))
            raise self._transient(f"{where}: HTTP {status} {resp.reason_phrase}")
        if status >= 400:
            raise FatalSourceError(
                f"{self.who}: {where} answered HTTP {status}: {server_message(resp)}; check the source's "
                "settings (the query, the URL) against what the server says"
            )
        try:
            return resp.json()
        except ValueError as exc:
            raise FatalSourceError(
                f"{self.who}: {where} did not answer JSON (content type {resp.headers.get('content-type')!r}); "
                "check 'url' (the instance's base URL, not a login page or a proxy)"
            ) from exc

    def _transient(self, what: str) -> RetriableSourceError:
        self.stats.errors.append(what)
        return RetriableSourceError(f"{self.who}: {what}")


def retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (a number or an HTTP date); None when absent or bad."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def server_message(resp: httpx.Response) -> str:
    """The error text of a JSON error answer (Jira ``errorMessages``, ServiceNow ``error.message``), short."""
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200] or resp.reason_phrase
    if isinstance(body, dict):
        if body.get("errorMessages"):
            return "; ".join(str(m) for m in body["errorMessages"])
        err = body.get("error")
        if isinstance(err, dict):
            return "; ".join(str(err[k]) for k in ("message", "detail") if err.get(k))
    return str(body)[:200]


def offset_pages(fetch: Callable[[int], tuple[list[Any], bool]]) -> Iterator[list[Any]]:
    """Pages of an offset-paginated collection: ``fetch(offset)`` -> (items, is the last page)."""
    offset = 0
    while True:
        items, last = fetch(offset)
        if items:
            yield items
        if last or not items:
            return
        offset += len(items)


def token_pages(fetch: Callable[[str | None], tuple[list[Any], str | None]]) -> Iterator[list[Any]]:
    """Pages of a token-paginated collection: ``fetch(token)`` -> (items, next token or None at the end)."""
    token: str | None = None
    seen: set[str] = set()
    while True:
        items, token = fetch(token)
        if items:
            yield items
        if not token or token in seen:  # a repeated token would loop for ever
            return
        seen.add(token)


@dataclass(frozen=True, slots=True)
class Change:
    """One change that put a case into a state: its id, when (None: unknown), who made it, the resource."""

    change_id: str
    at: datetime | None
    state: str
    by: str | None
    resource: str | None


def instance_rows(changes: list[Change], *, last_is_final: bool) -> list[dict[str, Any]]:
    """One case's activity instances from its state changes in time order.

    Each change opens an instance of its state: ``entered_at`` is the change's time, ``left_at`` the next
    change's. The last instance has not been left: its ``left_at`` is its ``entered_at`` and its
    ``instance_state`` is ``final`` (a final state) or ``running``; the others are ``completed``.
    ``changed_at`` (the cursor) is when the row last changed: ``left_at`` once left, else ``entered_at``.
    """
    rows = []
    for i, change in enumerate(changes):
        nxt = changes[i + 1] if i + 1 < len(changes) else None
        left = nxt.at if nxt is not None else change.at
        state = COMPLETED if nxt is not None else (FINAL if last_is_final else RUNNING)
        rows.append({
            "change_id": change.change_id, "seq": i, "state": change.state, "entered_at": change.at,
            "left_at": left, "instance_state": state, "resource": change.resource, "changed_by": change.by,
            "changed_at": left if left is not None else change.at,
        })  # fmt: skip
    return rows
