"""The SPARQL 1.1 Protocol endpoints: queries at ``/sparql``, updates at ``/sparql/update`` (W3C REC 2013).

This blueprint only moves bytes between HTTP and ``kubekg.sparql``: it reads the body (413 over
MAX_BODY_BYTES), lets ``protocol`` parse the request, ``execute`` answer it under the deadline, and maps a
runaway evaluation to a worker recycle. GET without a query returns the W3C service description (or the query
editor page when a browser asks for HTML).

Timeout design: every query (checks, evaluation, row pulling) runs in an evaluation thread; the request thread
waits until the deadline and answers 503 ``query_timeout`` then. A streaming result stops by itself (the thread
checks the deadline between rows). An evaluation stuck inside pyoxigraph cannot be stopped, so the worker
process retires itself once the response is sent: ``kubekg.web.serve.request_worker_recycle`` (its gunicorn
``post_request`` hook marks the worker not alive) and SIGTERM to itself from ``call_on_close`` (gunicorn's
graceful worker exit, under any gunicorn configuration). gunicorn finishes the worker's other in-flight
requests, the process exits (ending the runaway thread) and the arbiter forks a fresh worker from the preloaded
app. Outside gunicorn (tests, ``flask run``) nothing is killed and a warning is logged.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import signal
import threading
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request, url_for
from jinja2 import TemplateNotFound
from werkzeug.exceptions import RequestEntityTooLarge

from kubekg.errors import (
    BadRequest,
    ConfigError,
    Forbidden,
    KubeKGError,
    MethodNotAllowed,
    PayloadTooLarge,
    QueryTimeout,
    StoreUnavailable,
    Unauthorized,
)
from kubekg.sparql import description, execute, guard, negotiate, protocol, update

log = logging.getLogger(__name__)

bp = Blueprint("sparql", __name__)

QUERY_PATH = "/sparql"
UPDATE_PATH = "/sparql/update"
EXTENSION = "kubekg_sparql"
TRUNCATED_HEADER = "X-KubeKG-Truncated"
ROW_LIMIT_HEADER = "X-KubeKG-Row-Limit"
TIMEOUT_HEADER = "X-KubeKG-Timeout"
DEFAULTS = {
    "QUERY_TIMEOUT": 10.0,
    "MAX_TIMEOUT": 60.0,
    "MAX_ROWS": 10_000,
    "MAX_BODY_BYTES": 1 << 20,
    "SERVICE_ALLOWLIST": (),
    "UPDATES": False,
    "UPDATE_TOKEN": "",
}


@dataclass
class SparqlState:
    """Per-app SPARQL state: the allow-list and, when updates are on, the updater and its log."""

    allowlist: guard.AllowList
    updater: update.Updater | None = None
    log: update.UpdateLog | None = None


# ------------------------------------------------------------------------------------------------ set-up
@bp.record_once
def _on_register(state: Any) -> None:
    init_app(state.app)


def init_app(app: Flask) -> SparqlState:
    """Validate the SPARQL settings and, with updates on, open and replay the update log (fails start-up on error)."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.config.setdefault("MAX_CONTENT_LENGTH", app.config["MAX_BODY_BYTES"])
    try:
        allowlist = guard.AllowList(app.config["SERVICE_ALLOWLIST"])
    except ValueError as exc:
        raise ConfigError("SERVICE_ALLOWLIST", app.config["SERVICE_ALLOWLIST"], str(exc)) from None
    state = SparqlState(allowlist)
    if app.config["UPDATES"]:
        if not app.config["UPDATE_TOKEN"]:
            raise ConfigError("UPDATE_TOKEN", "", "is required when UPDATES is on")
        if not app.config.get("DATA_DIR"):
            raise ConfigError("DATA_DIR", "", "is required when UPDATES is on (the update log lives there)")
        graph = app.extensions.get("kubekg")
        if graph is None:
            raise ConfigError(
                "UPDATES", True, "the knowledge graph must be loaded before the SPARQL blueprint"
            )
        engine = execute.engine_for(graph)
        if not isinstance(engine, execute.EmbeddedEngine):
            raise ConfigError("UPDATES", True, "updates need the embedded store (STORE=embedded)")
        extra = [pair[0] for pair in app.config.get("EXTRA_DATA") or ()]
        protection = update.Protection.from_store(engine.store, extra)
        update_log = update.UpdateLog(app.config["DATA_DIR"], engine.store, protection)
        try:
            replayed = update_log.replay()
        except update.LogCorrupt as exc:
            raise ConfigError("DATA_DIR", app.config["DATA_DIR"], exc.message) from None
        except OSError as exc:
            raise ConfigError(
                "DATA_DIR", app.config["DATA_DIR"], f"cannot use the update log: {exc}"
            ) from None
        log.info("SPARQL Update enabled; replayed %d update(s) from %s", replayed, update_log.path)
        state.updater = update.Updater(engine.store, update_log, protection, allowlist)
        state.log = update_log
    if state.updater is not None or state.allowlist:
        guard.warm_rdflib()  # rdflib's parser is used for updates and SERVICE: load it before gunicorn forks
    app.extensions[EXTENSION] = state
    return state


def _state() -> SparqlState:
    state = current_app.extensions.get(EXTENSION)
    if state is None:
        state = init_app(current_app._get_current_object())  # type: ignore[attr-defined]
    return state


@bp.before_app_request
def _catch_up() -> None:
    """Apply updates other workers acknowledged, so every worker answers with every acknowledged update."""
    state = current_app.extensions.get(EXTENSION)
    if state is not None and state.log is not None:
        state.log.catch_up()


@bp.app_errorhandler(Unauthorized)
def _unauthorized(exc: Unauthorized) -> Response:
    response = _error_response(exc)
    response.headers["WWW-Authenticate"] = 'Bearer realm="kubekg SPARQL Update"'
    return response


def _error_response(exc: KubeKGError) -> Response:
    try:
        from kubekg.web import error_response

        return error_response(exc.status, exc.code, exc.message, details=exc.details or None)
    except ImportError:  # pragma: no cover - the app factory is always present in the package
        response = jsonify({"error": exc.to_dict()})
        response.status_code = exc.status
        return response


# ------------------------------------------------------------------------------------------------ helpers
DRAIN_MAX_BYTES = (
    64 << 20
)  # an oversized body is read and dropped up to this size, so the client sees its 413


def _drain(limit: int) -> None:
    """Read and drop what is left of the request body (bounded), so the 413 reaches a client still sending."""
    stream = request.environ.get("wsgi.input")
    if stream is None:
        return
    remaining = limit
    with contextlib.suppress(OSError, ValueError):
        while remaining > 0:
            chunk = stream.read(min(1 << 16, remaining))
            if not chunk:
                break
            remaining -= len(chunk)


def _too_large(limit: int) -> PayloadTooLarge:
    length = request.content_length
    _drain(min(length, DRAIN_MAX_BYTES) if length is not None else DRAIN_MAX_BYTES)
    return PayloadTooLarge(f"request body is larger than the limit of {limit} bytes")


def _body() -> bytes:
    """The request body, at most MAX_BODY_BYTES (413 beyond, with a fixed length or chunked)."""
    limit = current_app.config["MAX_BODY_BYTES"]
    if request.content_length is not None:
        if request.content_length > limit:
            raise _too_large(limit)
        try:
            return request.get_data(cache=True, parse_form_data=False)
        except RequestEntityTooLarge:
            raise _too_large(limit) from None
    # no Content-Length (chunked): werkzeug would silently cut the body at the limit, so read it here
    stream = request.environ.get("wsgi.input")
    chunks: list[bytes] = []
    total = 0
    while stream is not None:
        chunk = stream.read(1 << 16)
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def effective_timeout(requested: float | None) -> float:
    """The per-request timeout: the client's value capped at MAX_TIMEOUT, or QUERY_TIMEOUT."""
    config = current_app.config
    maximum = float(config["MAX_TIMEOUT"])
    value = float(config["QUERY_TIMEOUT"]) if requested is None else requested
    return min(value, maximum)


def under_gunicorn() -> bool:
    """True in a gunicorn worker (the only place where a worker may retire itself)."""
    return str(request.environ.get("SERVER_SOFTWARE", "")).startswith("gunicorn")


_recycle_lock = threading.Lock()
_recycle_sent: set[int] = set()


def recycle(response: Response, reason: str) -> None:
    """Retire this worker once the response is sent, so a runaway evaluation thread really stops.

    Two mechanisms, either suffices: ``kubekg.web.serve.request_worker_recycle`` (its gunicorn ``post_request``
    hook marks the worker not alive and counts the recycle) and SIGTERM to this process from the response's
    ``call_on_close`` (gunicorn's graceful worker shutdown; works under any gunicorn configuration).
    """
    if not under_gunicorn():
        log.warning(
            "a %s left an evaluation thread running; not under gunicorn, so it is not recycled", reason
        )
        return
    try:
        from kubekg.web.serve import request_worker_recycle

        request_worker_recycle(reason)
    except ImportError:  # pragma: no cover - serve.py ships with the package
        pass
    pid = os.getpid()
    with _recycle_lock:
        if pid in _recycle_sent:
            return
        _recycle_sent.add(pid)
    log.warning("worker %d retires after this response: a %s left an evaluation running", pid, reason)
    response.call_on_close(lambda: os.kill(pid, signal.SIGTERM))


def _count_timeout() -> None:
    try:
        from kubekg.web.metrics import record_timeout

        record_timeout(QUERY_PATH)
    except ImportError:  # pragma: no cover
        pass


def _timeout_response(exc: QueryTimeout, runaway: bool) -> Response:
    _count_timeout()
    response = _error_response(exc)
    response.headers["Retry-After"] = "1"
    if runaway:
        recycle(response, "query_timeout")
    return response


# ------------------------------------------------------------------------------------------------ query endpoint
@bp.route(QUERY_PATH, methods=["GET", "POST"])
def query_endpoint() -> Response:
    """SPARQL 1.1 Protocol query operation (GET, POST form, POST direct) or the service description."""
    state = _state()
    body = _body() if request.method == "POST" else b""
    try:
        req = protocol.parse_query_request(
            request.method, request.headers.get("Content-Type"), request.query_string, body
        )
    except protocol.UpdateOnQueryPath as exc:
        if state.updater is None:
            raise update.disabled() from None
        raise BadRequest(f"{exc.message}; send updates by POST to {UPDATE_PATH}") from None
    if req is None:
        return service_description(state)
    accept = request.headers.get("Accept")
    if (
        request.method == "GET"
        and not req.formats
        and negotiate.prefers_html(accept, (negotiate.RESULTS, negotiate.GRAPH))
    ):
        page = _editor_page(req.query)  # a browser following a /sparql?query= link gets the editor, prefilled
        if page is not None:
            return page
    timeout = effective_timeout(req.timeout)
    engine = execute.engine_for(current_app.extensions["kubekg"])
    try:
        answer = execute.answer_query(
            engine,
            req.query,
            default_graphs=req.default_graphs,
            named_graphs=req.named_graphs,
            asserted_only=req.asserted_only,
            accept=accept,
            formats=req.formats,
            base_iri=request.base_url,
            timeout=timeout,
            max_rows=int(current_app.config["MAX_ROWS"]),
            allowlist=state.allowlist,
            max_patterns=int(current_app.config["MAX_PATTERNS"]),
        )
    except execute.Runaway as exc:
        return _timeout_response(exc, runaway=True)
    except QueryTimeout as exc:
        return _timeout_response(exc, runaway=False)
    response = Response(answer.body, status=200, content_type=answer.format.content_type)
    response.vary.add("Accept")
    response.headers[TIMEOUT_HEADER] = f"{timeout:g}"
    if answer.truncated:
        response.headers[TRUNCATED_HEADER] = "true"
        response.headers[ROW_LIMIT_HEADER] = str(answer.row_limit)
    if answer.runaway:
        recycle(response, "query_timeout")
    return response


def _graph_counts() -> list[tuple[str, int]]:
    graph = current_app.extensions["kubekg"]
    engine = execute.engine_for(graph)
    if isinstance(engine, execute.EmbeddedEngine):
        rows = engine.store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        return [(row["g"].value, int(row["n"].value)) for row in rows if hasattr(row["g"], "value")]
    try:
        return list(engine.graph_counts())
    except (StoreUnavailable, QueryTimeout):
        return []  # the description still names the endpoint and its features


def _editor_page(query: str | None = None) -> Response | None:
    """The query editor (service-app's page), prefilled, or None when the page or its template is not installed."""
    try:
        from kubekg.web.pages import render_sparql_editor

        html, status = render_sparql_editor(query)
    except (ImportError, TemplateNotFound):
        try:
            html, status = render_template("sparql.html", query=query or "", examples=[]), 200
        except TemplateNotFound:
            return None
    return Response(html, status=status, content_type="text/html; charset=utf-8")


def service_description(state: SparqlState) -> Response:
    """The W3C service description in Turtle/N-Triples/RDF-XML/JSON-LD, or the editor page for a browser."""
    accept = request.headers.get("Accept")
    formats = request.args.getlist("format")
    if not formats and negotiate.prefers_html(accept):
        page = _editor_page()
        if page is not None:
            return page
    fmt = negotiate.choose(negotiate.GRAPH, accept, formats)
    update_endpoint = url_for("sparql.update_endpoint", _external=True) if state.updater is not None else None
    triples = description.describe(
        request.base_url, _graph_counts(), update_endpoint=update_endpoint, federated=bool(state.allowlist)
    )
    prefixes = description.PREFIXES if fmt.name in ("turtle", "rdfxml") else None
    import pyoxigraph as ox

    body = ox.serialize(triples, format=execute.RDF_FORMATS[fmt.name], prefixes=prefixes)
    response = Response(body, status=200, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


# ------------------------------------------------------------------------------------------------ update endpoint
def authorize(action: str = "SPARQL Update") -> None:
    """The write token check of every write (SPARQL Update, recorded simulation runs): 401 missing, 403 wrong."""
    token = current_app.config["UPDATE_TOKEN"]
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if not header:
        raise Unauthorized(f"{action} needs an Authorization: Bearer <token> header")
    if scheme.lower() != "bearer" or not given.strip():
        raise Unauthorized(f"{action} needs an Authorization: Bearer <token> header")
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Forbidden(f"the bearer token is not valid for {action}", code="invalid_token")


def write_log(action: str) -> update.UpdateLog:
    """For a write outside /sparql/update: 403 when updates are off, then ``authorize``; the durable update log."""
    state = _state()
    if state.updater is None or state.log is None:
        raise update.UpdatesDisabled(
            f"{action} writes to the store, and writes are disabled on this server; an operator can enable "
            "them with KUBEKG_UPDATES=on and a KUBEKG_UPDATE_TOKEN"
        )
    authorize(action)
    return state.log


@bp.route(UPDATE_PATH, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def update_endpoint() -> Response:
    """SPARQL 1.1 Protocol update operation (POST form or POST direct), behind a bearer token; 403 when off."""
    state = _state()
    if state.updater is None:
        raise update.disabled()
    if request.method != "POST":
        response = _error_response(MethodNotAllowed(f"the update operation uses POST, not {request.method}"))
        response.headers["Allow"] = "POST"
        return response
    authorize()
    body = _body()
    req = protocol.parse_update_request(
        request.method, request.headers.get("Content-Type"), request.query_string, body
    )
    try:
        outcome, runaway = state.updater.execute(
            req.update,
            base_iri=request.base_url,
            using=req.using_graphs,
            using_named=req.using_named_graphs,
            timeout=float(current_app.config["QUERY_TIMEOUT"]),
        )
    except execute.Runaway as exc:
        return _timeout_response(exc, runaway=True)
    except QueryTimeout as exc:
        return _timeout_response(exc, runaway=False)
    response = jsonify(outcome.to_json())
    if runaway:
        recycle(response, "update_timeout")
    return response
