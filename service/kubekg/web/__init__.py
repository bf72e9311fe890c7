"""The kubekg Flask application factory (Flask tutorial style): config, graph, blueprints, errors, headers, logs.

``create_app(config)`` takes a :class:`kubekg.config.Config`, a dict of upper-case overrides or None (environment
only), loads the knowledge graph once into ``app.extensions["kubekg"]`` and registers one blueprint per module.
Every error becomes ``{"error": {"code": ..., "message": ...}}`` here and nowhere else (an HTML page when a
browser asks for a page); every response gets the security headers, CORS where public, a request id, metrics and
one JSON access-log line.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import logging
import re
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from kubekg.config import Config
from kubekg.errors import ConfigError, KubeKGError

log = logging.getLogger("kubekg.web")
access_log = logging.getLogger("kubekg.access")

# (module, required): the others' modules are registered when they exist; an import error inside one propagates.
BLUEPRINTS: tuple[tuple[str, bool], ...] = (
    ("kubekg.web.sparql", False),
    ("kubekg.web.api", True),
    ("kubekg.web.pages", True),
    ("kubekg.web.ops", True),
    ("kubekg.web.openapi", True),
    ("kubekg.web.ask", False),
    ("kubekg.web.simulate", False),
    ("kubekg.web.facts", False),
    ("kubekg.web.tools", False),
    ("kubekg.web.mcp_http", False),
)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_SECURITY_HEADERS_LOWER = tuple((key.lower(), key, value) for key, value in SECURITY_HEADERS.items())
CORS_PREFIXES = ("/sparql", "/api/", "/openapi.json")
CORS_ALLOW_METHODS = "GET, POST, OPTIONS"
CORS_ALLOW_HEADERS = "Accept, Content-Type, Accept-Language"
CORS_MAX_AGE = "600"
JSON_PREFIXES = ("/api/", "/sparql", "/openapi.json", "/healthz", "/readyz", "/metrics", "/mcp")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    411: "length_required",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    429: "too_many_requests",
    431: "headers_too_large",
    501: "not_implemented",
    503: "service_unavailable",
}


def resolve_config(config: Config | Mapping[str, Any] | None) -> tuple[Config, dict[str, Any]]:
    """The validated Config plus the extra (non-setting) keys of a dict, e.g. TESTING or GRAPH."""
    if isinstance(config, Config):
        return config, {}
    overrides = dict(config or {})
    extra = {k: v for k, v in overrides.items() if k.upper() not in Config.__dataclass_fields__}
    settings = {k: v for k, v in overrides.items() if k not in extra}
    return Config.load(settings), extra


def create_app(config: Config | Mapping[str, Any] | None = None) -> Flask:
    """Build the WSGI app: validated config, the graph loaded once, the blueprints and the cross-cutting hooks."""
    cfg, extra = resolve_config(config)
    app = Flask(__name__)
    app.config.update(cfg.as_flask())
    graph = extra.pop("GRAPH", None)
    app.config.update(extra)
    app.json.ensure_ascii = False  # Korean labels stay readable
    app.json.sort_keys = False
    app.extensions["kubekg_config"] = cfg
    app.extensions["kubekg"] = graph if graph is not None else open_graph(cfg)

    from kubekg.web import i18n

    i18n.init_app(app)
    _register_error_handlers(app)
    _register_request_hooks(app)
    for module_name, required in BLUEPRINTS:
        if not required and importlib.util.find_spec(module_name) is None:
            log.info("blueprint module %s is not installed; its routes are absent", module_name)
            continue
        module = importlib.import_module(module_name)
        app.register_blueprint(module.bp)
    if cfg.RESPONSE_CACHE and cfg.STORE == "embedded":
        from kubekg.sparql.cache import install

        # repeated /sparql and /api/ask requests answered from memory; only over the embedded store, whose data
        # change only through this service (a remote store may change or go down behind kubekg's back)
        install(app, max_entries=cfg.RESPONSE_CACHE)
    return app


# ---------------------------------------------------------------------------------------------------------- graph
def open_graph(cfg: Config) -> Any:
    """The knowledge graph behind the app: the embedded reasoned store, or the remote SPARQL store's backend."""
    if cfg.STORE == "embedded":
        from kubekg.graph import load_graph

        kwargs: dict[str, Any] = {}
        if cfg.CACHE_DIR and "cache_dir" in inspect.signature(load_graph).parameters:
            kwargs["cache_dir"] = Path(cfg.CACHE_DIR)
        kg = load_graph(**kwargs)
        if cfg.EXTRA_DATA:
            load_extra_data(kg.store, cfg.EXTRA_DATA)
        return kg
    if cfg.EXTRA_DATA:
        raise ConfigError(
            "EXTRA_DATA", cfg.EXTRA_DATA, "can only be loaded into the embedded store (STORE=embedded)"
        )
    from kubekg.graph import remote

    return remote.connect(cfg.STORE, timeout=cfg.QUERY_TIMEOUT, cache_dir=cfg.CACHE_DIR)


_EXTRA_FORMATS = {".nt": "N_TRIPLES", ".ttl": "TURTLE", ".rdf": "RDF_XML", ".owl": "RDF_XML", ".n3": "N3"}


def load_extra_data(store: Any, pairs: tuple[tuple[str, str], ...]) -> None:
    """Replace each named graph by the triples of its file (Turtle, N-Triples or RDF/XML by extension)."""
    import pyoxigraph as ox

    for graph, path in pairs:
        fmt = _EXTRA_FORMATS.get(Path(path).suffix.lower())
        if fmt is None:
            raise ConfigError(
                "EXTRA_DATA", f"{graph}={path}", "file must end in .nt, .ttl, .n3, .rdf or .owl"
            )
        name = ox.NamedNode(graph)
        try:
            triples = [
                q.triple for q in ox.parse(path=path, format=getattr(ox.RdfFormat, fmt), base_iri=graph)
            ]
        except (SyntaxError, ValueError, OSError) as exc:
            raise ConfigError("EXTRA_DATA", f"{graph}={path}", f"cannot parse: {exc}") from exc
        store.remove_graph(name) if store.contains_named_graph(name) else None
        store.extend([ox.Quad(t.subject, t.predicate, t.object, name) for t in triples])


def get_graph(app: Flask | None = None) -> Any:
    """The knowledge graph of the current (or given) app."""
    from flask import current_app

    return (app or current_app).extensions["kubekg"]


# ---------------------------------------------------------------------------------------------------------- errors
def wants_html() -> bool:
    """True when a browser asks for a page (HTML preferred over JSON) outside the JSON endpoints."""
    if request.path.startswith(JSON_PREFIXES) and request.path != "/api/docs":
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "text/html"
        and request.accept_mimetypes["text/html"] > request.accept_mimetypes["application/json"]
    )


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    details: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The one error shape: ``{"error": {"code", "message"[, "details"]}, **extra}`` (or an HTML page for browsers)."""
    from kubekg.web.metrics import ERRORS

    ERRORS.labels(code=code, status=str(status)).inc()
    if wants_html():
        response = Response(
            render_template("error.html", status=status, code=code, message=message), status=status
        )
    else:
        error: dict[str, Any] = {"code": code, "message": message}
        if details:
            error["details"] = dict(details)
        response = jsonify({"error": error, **(extra or {})})
        response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(KubeKGError)
    def _kubekg_error(exc: KubeKGError) -> Response:
        headers = {"Retry-After": "1"} if exc.status == 503 else None
        if exc.status >= 500 and exc.status != 503:
            log.error("internal error %s: %s", exc.code, exc.message)
        return error_response(exc.status, exc.code, exc.message, details=exc.details, headers=headers)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = HTTP_CODES.get(status, f"http_{status}")
        message = exc.description or exc.name
        headers: dict[str, str] = {}
        if status == 404:
            message = f"no such resource: {request.path}"
        elif status == 405:
            allowed = sorted(getattr(exc, "valid_methods", None) or [])
            message = f"method {request.method} is not allowed here; allowed: {', '.join(allowed)}"
            if allowed:
                headers["Allow"] = ", ".join(allowed)
        elif status == 413:
            message = f"request body is larger than the limit of {app.config['MAX_BODY_BYTES']} bytes"
        return error_response(status, code, message, headers=headers)

    simulation_error = _simulation_error_class()
    if simulation_error is not None:

        @app.errorhandler(simulation_error)
        def _simulation_error(exc: Exception) -> Response:
            status = _status_of(exc)
            code = str(getattr(exc, "code", None) or "simulation_error")
            message = str(getattr(exc, "message", None) or exc)
            details = getattr(exc, "details", None)
            return error_response(
                status, code, message, details=details if isinstance(details, dict) else None
            )

    @app.errorhandler(Exception)
    def _uncaught(exc: Exception) -> Response:
        if app.config.get("PROPAGATE_EXCEPTIONS") or app.testing:
            raise exc
        log.exception("uncaught exception on %s %s", request.method, request.path)
        rid = g.get("request_id", "-")
        return error_response(
            500, "internal_error", f"internal error; the log has the details (request id {rid})"
        )


def _simulation_error_class() -> type[Exception] | None:
    if importlib.util.find_spec("kubekg.simulation") is None:
        return None
    if importlib.util.find_spec("kubekg.simulation.errors") is None:
        return None
    module = importlib.import_module("kubekg.simulation.errors")
    return getattr(module, "SimulationError", None)


def _status_of(exc: Exception) -> int:
    for attr in ("status", "http_status", "status_code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and 400 <= value < 600:
            return value
    return 400


# ---------------------------------------------------------------------------------------------------------- hooks
def is_cors_path(path: str) -> bool:
    """Paths readable cross-origin: the SPARQL endpoint, the REST API and its OpenAPI document."""
    return path == "/api" or path.startswith(CORS_PREFIXES)


def _allowed_origin(origins: tuple[str, ...], origin: str | None) -> str | None:
    if not origins:
        return None
    if origins == ("*",):
        return "*"
    if origin and origin.lower() in origins:
        return origin
    return None


def _register_request_hooks(app: Flask) -> None:
    @app.before_request
    def _start() -> Response | None:
        g.start_time = time.perf_counter()
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        if (
            request.method == "OPTIONS"
            and is_cors_path(request.path)
            and "Origin" in request.headers
            and "Access-Control-Request-Method" in request.headers
            and request.routing_exception is None
        ):
            return Response(status=204)
        return None

    @app.after_request
    def _finish(response: Response) -> Response:
        headers = response.headers
        present = {key.lower() for key, _ in headers.items()}  # one pass, not a scan per setdefault
        for low, key, value in _SECURITY_HEADERS_LOWER:
            if low not in present:
                headers.add(key, value)
        headers["X-Request-Id"] = g.get("request_id", "")
        if is_cors_path(request.path):
            _cors(app, response)
        _observe(response)
        return response


def _cors(app: Flask, response: Response) -> None:
    allowed = _allowed_origin(app.config["CORS_ORIGINS"], request.headers.get("Origin"))
    if allowed != "*":
        response.vary.add("Origin")
    if allowed is None:
        return
    response.headers["Access-Control-Allow-Origin"] = allowed
    response.headers["Access-Control-Expose-Headers"] = "*"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = CORS_ALLOW_METHODS
        response.headers["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
        response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE


_metric_children: dict[tuple[str, str, str], tuple[Any, Any]] = {}
_MAX_METRIC_CHILDREN = 4096


def _metrics_for(endpoint: str, method: str, status: str) -> tuple[Any, Any]:
    """The labelled request counter and latency histogram, looked up once per label set (labels() validates)."""
    key = (endpoint, method, status)
    pair = _metric_children.get(key)
    if pair is None:
        from kubekg.web.metrics import LATENCY, REQUESTS

        pair = (
            REQUESTS.labels(endpoint=endpoint, method=method, status=status),
            LATENCY.labels(endpoint=endpoint),
        )
        if len(_metric_children) < _MAX_METRIC_CHILDREN:
            _metric_children[key] = pair
    return pair


def _observe(response: Response) -> None:
    req = request._get_current_object()  # type: ignore[attr-defined]  # one proxy look-up, not one per field
    now = time.perf_counter()
    duration = now - g.get("start_time", now)
    rule = req.url_rule
    endpoint = rule.rule if rule is not None else "<unmatched>"
    count, latency = _metrics_for(endpoint, req.method, str(response.status_code))
    count.inc()
    latency.observe(duration)
    if access_log.isEnabledFor(logging.INFO):
        wall = time.time()
        line = json.dumps(
            {
                "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(wall))
                + f".{int(wall * 1000) % 1000:03d}Z",
                "method": req.method,
                "path": req.path,
                "endpoint": endpoint,
                "status": response.status_code,
                "duration_ms": round(duration * 1000, 3),
                "bytes": response.content_length,
                "remote": req.remote_addr,
                "request_id": g.get("request_id"),
            },
            ensure_ascii=False,
        )
        # straight to the handlers: Logger.info would also look up the caller's frame, which the line never shows
        access_log.handle(access_log.makeRecord(access_log.name, logging.INFO, __file__, 0, line, None, None))
