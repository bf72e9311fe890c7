"""Operations endpoints: ``/healthz`` (alive), ``/readyz`` (graph loaded and reasoned, remote store answering)
and ``/metrics`` (Prometheus), following the Kubernetes liveness/readiness probe conventions.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Blueprint, Response, jsonify

from kubekg.errors import KubeKGError
from kubekg.web import error_response, get_graph
from kubekg.web.metrics import exposition

bp = Blueprint("ops", __name__)
log = logging.getLogger(__name__)

READY_TIMEOUT = 2.0  # seconds a remote store gets to answer the readiness ASK
READY_ASK = "ASK { ?s ?p ?o }"


@bp.get("/healthz")
def healthz() -> Response:
    """The process is alive and serving requests (no dependency is checked)."""
    return jsonify({"status": "ok"})


def readiness(kg: Any) -> tuple[bool, str, dict[str, Any]]:
    """(ready, reason, facts): the graph is loaded and reasoned; a remote store answers a cheap ASK in time."""
    if kg is None:
        return False, "the knowledge graph is not loaded", {}
    stats = getattr(kg, "stats", None) or {}
    facts: dict[str, Any] = {"store": getattr(getattr(kg, "backend", None), "name", "embedded")}
    if "inferred" not in stats or not stats.get("total"):
        return False, "the knowledge graph is loaded but not reasoned yet", facts
    facts.update(triples=stats.get("total"), inferred=stats.get("inferred"))
    if facts["store"] != "embedded":
        backend = kg.backend
        started = time.perf_counter()
        try:
            if hasattr(backend, "ping"):
                backend.ping(timeout=READY_TIMEOUT)
            else:
                kg.ask(READY_ASK)
        except Exception as exc:  # any failure of the remote store means not ready, with its message
            log.warning("readiness: remote store does not answer: %s", exc)
            reason = (
                exc.message
                if isinstance(exc, KubeKGError)
                else f"the remote SPARQL store does not answer: {exc}"
            )
            return False, reason, facts
        facts["store_latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return True, "ready", facts


@bp.get("/readyz")
def readyz() -> Response:
    """200 when the service can answer queries, else 503 with the reason (a load balancer stops routing to it)."""
    ready, reason, facts = readiness(get_graph())
    if not ready:
        return error_response(503, "not_ready", reason, extra={"status": "not ready", **facts})
    return jsonify({"status": "ready", **facts})


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text exposition, aggregated over gunicorn workers when multiprocess mode is on."""
    body, content_type = exposition()
    response = Response(body, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response
