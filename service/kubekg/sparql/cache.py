"""A response cache in front of the read-only endpoints (``/sparql`` queries, ``/api/ask``), with ETag and 304.

Valid because the graph does not change while kubekg serves: the same request gets the same bytes. With SPARQL
Update enabled, the key also holds the update log's position (after catching up with the other workers), so an
entry is never older than the updates the worker has applied (RFC 9111's idea of a shared cache, but inside the
server, where it knows exactly when its data changes).

It is WSGI middleware, so a hit costs no Flask routing, no parsing, no evaluation and no serialization: the key
is every request input a response may depend on (method, path, query string, Content-Type, body, Accept,
Accept-Language, Origin, Cookie); the stored response is the status, headers and bytes the app produced. A hit
gets a fresh ``X-Request-Id`` and is counted and access-logged like any request (``"cache": "hit"``). Only
complete 200 answers are stored: never errors (timeouts are 503), never truncated results, pages (HTML) or
responses that set cookies, nothing over ``MAX_ENTRY_BYTES``. Memory is bounded per worker (LRU by bytes).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

MAX_BYTES = 64 << 20  # per worker, all entries
MAX_ENTRIES = 10_000  # per worker (the RESPONSE_CACHE setting; 0 turns the cache off)
MAX_ENTRY_BYTES = 1 << 20  # larger answers are not stored
MAX_KEY_BODY = 64 << 10  # requests with larger bodies are not cached (and not buffered here)
CACHED_PATHS = {"/sparql": "sparql-results", "/api/ask": "ask"}
_DROP_ON_STORE = {"x-request-id", "date", "server", "etag"}
_NOT_ON_304 = {"content-type", "content-length"}
_KEY_HEADERS = ("CONTENT_TYPE", "HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE", "HTTP_ORIGIN", "HTTP_COOKIE")
# settings a response depends on, part of the key (they are fixed while serving; tests may change them)
CONFIG_KEYS = (
    "MAX_ROWS",
    "QUERY_TIMEOUT",
    "MAX_TIMEOUT",
    "CORS_ORIGINS",
    "SERVICE_ALLOWLIST",
    "MAX_QUESTION_CHARS",
)
_REQUEST_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")

access_log = logging.getLogger("kubekg.access")

StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class Entry:
    """A stored answer: status line, headers (without per-request ones), body and its ETag."""

    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str


class LRU:
    """A thread-safe LRU of entries bounded by total bytes and by their number."""

    def __init__(self, max_bytes: int = MAX_BYTES, max_entries: int = MAX_ENTRIES) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.size = 0
        self._items: OrderedDict[tuple, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Entry | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is not None:
                self._items.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: Entry) -> None:
        cost = len(entry.body) + 512
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.size -= len(old.body) + 512
            self._items[key] = entry
            self.size += cost
            while (self.size > self.max_bytes or len(self._items) > self.max_entries) and self._items:
                _, dropped = self._items.popitem(last=False)
                self.size -= len(dropped.body) + 512

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list | set) else value


def etag_of(body: bytes) -> str:
    """A strong validator from the bytes (BLAKE2b, 128 bits)."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 13.1.2: weak comparison of If-None-Match against our (strong) ETag; ``*`` matches."""
    value = if_none_match.strip()
    if value == "*":
        return True
    for candidate in value.split(","):
        candidate = candidate.strip()
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == etag:
            return True
    return False


def _request_id(environ: dict[str, Any]) -> str:
    incoming = environ.get("HTTP_X_REQUEST_ID", "")
    if incoming and len(incoming) <= 64 and all(c in _REQUEST_ID_CHARS for c in incoming):
        return incoming
    return uuid.uuid4().hex


class ResponseCache:
    """WSGI middleware: answer repeated read-only requests from memory; see the module docstring."""

    def __init__(
        self,
        app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]],
        generation: Callable[[], Any] | None = None,
        max_bytes: int = MAX_BYTES,
        paths: dict[str, str] | None = None,
        config: dict[str, Any] | None = None,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self.app = app
        self.generation = generation  # the update-log position when updates are on
        self.config = config if config is not None else {}
        self.entries = LRU(max_bytes, max_entries)
        self.paths = dict(CACHED_PATHS if paths is None else paths)

    # ---------------------------------------------------------------------------------------------- key
    def _key(self, environ: dict[str, Any]) -> tuple | None:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        if method not in ("GET", "POST") or path not in self.paths:
            return None
        body = b""
        if method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or -1)
            except ValueError:
                return None
            if length < 0 or length > MAX_KEY_BODY or environ.get("HTTP_TRANSFER_ENCODING"):
                return None  # unknown or large bodies go straight to the app (its limits, its 411/413)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
        elif not environ.get("QUERY_STRING"):
            return None  # the service description or a page
        generation = self.generation() if self.generation is not None else None
        config = self.config
        return (
            method,
            path,
            environ.get("QUERY_STRING", ""),
            body,
            *(environ.get(h, "") for h in _KEY_HEADERS),
            *(_hashable(config.get(k)) for k in CONFIG_KEYS),
            generation,
        )

    # ---------------------------------------------------------------------------------------------- WSGI
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        key = self._key(environ)
        if key is None:
            return self.app(environ, start_response)
        entry = self.entries.get(key)
        name = self.paths[key[1]]
        if entry is not None:
            return self._hit(environ, start_response, entry, name, started)
        _count("miss", name)
        return self._miss(environ, start_response, key)

    def _hit(
        self, environ: dict[str, Any], start_response: StartResponse, entry: Entry, name: str, started: float
    ) -> list[bytes]:
        rid = _request_id(environ)
        inm = environ.get("HTTP_IF_NONE_MATCH")
        if inm and _matches(inm, entry.etag):
            status = "304 Not Modified"
            headers = [(k, v) for k, v in entry.headers if k.lower() not in _NOT_ON_304]
            body = b""
        else:
            status, headers, body = entry.status, list(entry.headers), entry.body
        headers.append(("ETag", entry.etag))
        headers.append(("X-Request-Id", rid))
        start_response(status, headers)
        _count("hit", name)
        _observe(environ, status, len(body), time.perf_counter() - started, rid)
        return [body]

    def _miss(self, environ: dict[str, Any], start_response: StartResponse, key: tuple) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
            if exc_info is not None:  # an error after headers were chosen: pass it on untouched
                captured["passed"] = True
                return start_response(status, headers, exc_info)
            captured["status"], captured["headers"] = status, headers
            return lambda data: captured.setdefault("written", []).append(data)

        result = self.app(environ, capture)
        if captured.get("passed"):
            return result
        # read the whole body now, but close the app's iterable only after the server has sent it: close
        # callbacks (a worker retiring after a timeout) must run after the response went out
        chunks = list(captured.pop("written", [])) + [c for c in result if c]
        if "status" not in captured:  # the app yielded before start_response: not a WSGI app we know
            captured["status"], captured["headers"] = "500 Internal Server Error", []
        status, headers = captured["status"], list(captured["headers"])
        body = b"".join(chunks)
        etag = etag_of(body) if status.startswith("200") else None
        if etag is not None and self._storable(headers, body):
            stored = tuple((k, v) for k, v in headers if k.lower() not in _DROP_ON_STORE)
            self.entries.put(key, Entry(status, stored, body, etag))
        if etag is not None and not any(k.lower() == "etag" for k, _ in headers):
            headers.append(("ETag", etag))
        inm = environ.get("HTTP_IF_NONE_MATCH")
        if etag is not None and inm and _matches(inm, etag):
            status = "304 Not Modified"
            headers = [(k, v) for k, v in headers if k.lower() not in _NOT_ON_304]
            body = b""
        start_response(status, headers)
        return _Closing([body], getattr(result, "close", None))

    @staticmethod
    def _storable(headers: list[tuple[str, str]], body: bytes) -> bool:
        if len(body) > MAX_ENTRY_BYTES:
            return False
        for k, v in headers:
            low = k.lower()
            if low == "set-cookie" or low.startswith("x-kubekg-truncated"):
                return False
            if low == "content-type" and v.startswith("text/html"):
                return False
            if low == "cache-control" and ("no-store" in v or "private" in v):
                return False
        return True


class _Closing:
    """An iterable over the body that closes the app's own iterable when the server closes it."""

    def __init__(self, chunks: list[bytes], close: Callable[[], None] | None) -> None:
        self._chunks = chunks
        self._close = close

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._chunks)

    def close(self) -> None:
        if self._close is not None:
            self._close()


# ---------------------------------------------------------------------------------------------- accounting
_children: dict[
    tuple, Any
] = {}  # labelled metric children, looked up once (labels() validates on every call)


def _child(metric: str, *labels: str) -> Any:
    key = (metric, *labels)
    child = _children.get(key)
    if child is None:
        from kubekg.web import metrics

        if metric == "requests":
            child = metrics.REQUESTS.labels(endpoint=labels[0], method=labels[1], status=labels[2])
        elif metric == "latency":
            child = metrics.LATENCY.labels(endpoint=labels[0])
        else:
            child = (metrics.CACHE_HITS if metric == "hit" else metrics.CACHE_MISSES).labels(cache=labels[0])
        _children[key] = child
    return child


def _count(outcome: str, name: str) -> None:
    _child(outcome, name).inc()


def _observe(environ: dict[str, Any], status: str, size: int, duration: float, rid: str) -> None:
    """The request metrics and the JSON access line, as the app writes them for the requests it serves.

    Every field is known safe for JSON without escaping (a fixed path and method, numbers, the server's remote
    address, a request id of ``[A-Za-z0-9._-]``), so the line is formatted directly; the record goes straight
    to the access logger's handlers (no caller look-up).
    """
    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD", "GET")
    code = status.split(" ", 1)[0]
    _child("requests", path, method, code).inc()
    _child("latency", path).observe(duration)
    if access_log.isEnabledFor(logging.INFO):
        now = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
        remote = environ.get("REMOTE_ADDR")
        line = (
            f'{{"time": "{stamp}", "method": "{method}", "path": "{path}", "endpoint": "{path}", '
            f'"status": {int(code)}, "duration_ms": {round(duration * 1000, 3)}, "bytes": {size}, '
            f'"remote": {json.dumps(remote)}, "request_id": "{rid}", "cache": "hit"}}'
        )
        access_log.handle(access_log.makeRecord(access_log.name, logging.INFO, __file__, 0, line, None, None))


def install(app: Any, max_entries: int = MAX_ENTRIES) -> ResponseCache:
    """Wrap a Flask app's WSGI callable with the cache (keyed on the update log's position when updates are on)."""
    generation = None
    state = app.extensions.get("kubekg_sparql")
    update_log = getattr(state, "log", None)
    if update_log is not None:

        def generation() -> tuple[Any, int]:
            update_log.catch_up()
            return (update_log.inode, update_log.offset)

    cache = ResponseCache(app.wsgi_app, generation, config=app.config, max_entries=max_entries)
    app.wsgi_app = cache
    app.extensions["kubekg_response_cache"] = cache
    return cache
