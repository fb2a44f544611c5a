"""A local recorded-API server for the REST connector tests: JSON pages by path + query, with fault switches.

Recorded exchanges live in JSON files (``tests/fixtures/<system>/*.json``)::

    {"_source": "...", "exchanges": [
        {"request": {"path": "/rest/api/3/search/jql", "query": {"jql": "...", "maxResults": "2"}},
         "response": {"status": 200, "body": {...}}}]}

A request is answered by the exchange with the same path and the same query parameters (order ignored);
an unknown one gets 404 with the request in the error, so a test sees which call it did not expect.
``faults`` is a queue applied to the next requests, one each: ``"429"`` (with ``Retry-After``),
``"500"``, ``"slow"`` (answers after ``slow_seconds``, past the client's timeout), ``"401"``, or ``"ok"``
(no fault: spaces faults out over several requests).
Requests without the expected ``Authorization`` header get 401.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).resolve().parent / "fixtures"
Key = tuple[str, tuple[tuple[str, str], ...]]


def request_key(path: str, query: dict[str, Any] | list[tuple[str, str]]) -> Key:
    """The lookup key of a request: its path and its sorted query parameters as text."""
    pairs = query.items() if isinstance(query, dict) else query
    return path, tuple(sorted((str(k), str(v)) for k, v in pairs))


@dataclass
class RecordedApi:
    """The server's state: recorded answers, the fault queue, the expected auth header, the requests seen."""

    authorization: str = ""
    retry_after: str = "2"
    slow_seconds: float = 1.6
    exchanges: dict[Key, dict[str, Any]] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def load(self, *files: str) -> None:
        """Add (or replace) the exchanges of fixture files (paths relative to tests/fixtures)."""
        for name in files:
            doc = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
            for ex in doc["exchanges"]:
                req = ex["request"]
                self.exchanges[request_key(req["path"], req.get("query", {}))] = ex["response"]

    def answer(
        self, path: str, query: list[tuple[str, str]], auth: str | None
    ) -> tuple[int, dict[str, str], Any]:
        """(status, headers, JSON body) for one request, after the next fault if one is queued."""
        with self.lock:
            self.requests.append((path, dict(query)))
            fault = self.faults.pop(0) if self.faults else None
        if fault == "slow":
            time.sleep(self.slow_seconds)
        elif fault == "429":
            return 429, {"Retry-After": self.retry_after}, {"errorMessages": ["Rate limit exceeded."]}
        elif fault == "500":
            return 500, {}, {"error": {"message": "Internal server error", "detail": "try again"}}
        if fault == "401" or auth != self.authorization:
            return 401, {"WWW-Authenticate": 'Basic realm="api"'}, {"errorMessages": ["Unauthorized"]}
        found = self.exchanges.get(request_key(path, query))
        if found is None:
            return 404, {}, {"errorMessages": [f"no recorded answer for {path}?{sorted(query)}"]}
        return int(found.get("status", 200)), dict(found.get("headers", {})), found["body"]


def _handler(api: RecordedApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            parts = urlsplit(self.path)
            query = parse_qsl(parts.query, keep_blank_values=True)
            status, headers, body = api.answer(parts.path, query, self.headers.get("Authorization"))
            data = json.dumps(body).encode()
            with suppress(BrokenPipeError, ConnectionResetError):  # a client that timed out has gone
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet in tests
            return

    return Handler


@contextmanager
def serve(api: RecordedApi) -> Iterator[RecordedApi]:
    """Run ``api`` on a free port of 127.0.0.1 in a thread; ``api.url`` is its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
