"""The simulation blueprint: JSON/YAML endpoints under /api/simulate/ and two pages (/simulate/hpa, /simulate/pv).

Bodies are JSON (application/json) or YAML (application/yaml, text/yaml); anything else is a 415 and a body that
is not an object a 400. Simulation errors carry their own status (422 for manifests the API server would refuse,
``scenario_too_large`` for scenarios over a size limit) and become ``{"error": {"code", "message"}}``. Every run
gets a wall-clock :class:`~kubekg.simulation.budget.Budget` of SIMULATION_TIMEOUT seconds (503
``simulation_timeout`` beyond, like a SPARQL query timeout). ``"recordRun": true`` (PV scenario, HPA timeline) is a
write: it needs SPARQL Update switched on and its bearer token (``kubekg.web.sparql.write_log``: 403 when off, 401
without a token, 403 with a wrong one), is refused with 409 ``run_limit_reached`` once MAX_RECORDED_RUNS run graphs
are kept, and goes through the durable update log like an update. The graph comes from
``current_app.extensions["kubekg"]`` (set by ``create_app``) or ``kubekg.graph.load_graph()``; the domain code
lives in :mod:`kubekg.simulation.api`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, jsonify, render_template, request

from kubekg.errors import NotFound, SimulationTimeout
from kubekg.simulation import api, cronjob, daemonset, deployment, examples, job, nodeport, rdf, yamlio
from kubekg.simulation.budget import Budget
from kubekg.simulation.errors import InvalidBody, SimulationError, UnsupportedMediaType
from kubekg.simulation.facts import DEFAULT_FACTS, Facts, facts_for
from kubekg.simulation.pv import scenario as pv_scenario

log = logging.getLogger("kubekg.web.simulate")

bp = Blueprint(
    "simulate",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/simulate/static",
)

JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "text/yaml", "application/x-yaml", "text/x-yaml")
MAX_BODY = 4 * 1024 * 1024
DEFAULT_SIMULATION_TIMEOUT = 10.0  # seconds; config.py's SIMULATION_TIMEOUT default, for an app without it
DEFAULT_MAX_RECORDED_RUNS = 100
RECORD_ACTION = "recording a simulation run (recordRun)"


def _facts() -> Facts:
    """GraphFacts over the app's knowledge graph (or the process-wide one); static facts if it cannot load."""
    kg = current_app.extensions.get("kubekg")
    if kg is None:
        try:
            from kubekg.graph import load_graph

            kg = load_graph()
        except Exception as exc:  # the simulators still answer with the document's values
            log.warning("knowledge graph unavailable for simulation facts: %s", exc)
            return DEFAULT_FACTS
    if not hasattr(kg, "query_file"):
        return DEFAULT_FACTS
    return facts_for(kg)


def decode_body() -> Any:
    """The request body decoded by Content-Type (JSON or YAML); 415 for other types, 400 for bad syntax."""
    mimetype = (request.mimetype or "").lower()
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY:
        raise InvalidBody(f"the request body is larger than {MAX_BODY} bytes")
    if mimetype in JSON_TYPES or mimetype.endswith("+json"):
        if not raw.strip():
            raise InvalidBody("the request body is empty; send a JSON object")
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidBody(f"the request body is not valid JSON: {exc}") from exc
        except RecursionError:
            raise InvalidBody("the request body is nested too deeply") from None
    if mimetype in YAML_TYPES:
        return load_yaml(raw)
    raise UnsupportedMediaType(
        f"Content-Type {request.mimetype or '(none)'!r} is not supported; send application/json or application/yaml"
    )


def load_yaml(raw: bytes | str) -> Any:
    """YAML (one document, safe tags, bounded alias expansion and nesting); a syntax error is a 400."""
    if not (raw.strip() if isinstance(raw, str) else raw.strip()):
        raise InvalidBody("the request body is empty; send a YAML mapping")
    return yamlio.load(raw)


@bp.errorhandler(SimulationError)
def _simulation_error(exc: SimulationError) -> Response:
    error: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.details:
        error["details"] = exc.details
    response = jsonify({"error": error})
    response.status_code = exc.status
    return response


def budget() -> Budget:
    """The wall-clock budget of one simulation run in this app (SIMULATION_TIMEOUT seconds)."""
    return Budget(float(current_app.config.get("SIMULATION_TIMEOUT", DEFAULT_SIMULATION_TIMEOUT)))


def _wants_record(runner: Callable[..., dict], body: Any) -> bool:
    return runner in RECORDERS and isinstance(body, dict) and body.get("recordRun") is True


def _record(runner: Callable[..., dict], body: dict, result: dict, update_log: Any) -> None:
    """Add the run's graph to the store through the durable update log (409 past MAX_RECORDED_RUNS)."""
    from kubekg.sparql.execute import Deadline
    from kubekg.sparql.update import Effect

    kind = RECORDERS[runner]
    target = "Deployment"
    if kind == "hpa":
        ref = ((body.get("hpa") or {}).get("spec") or {}).get("scaleTargetRef") or {}
        target = str(ref.get("kind") or "Deployment")
    quads = rdf.run_quads(kind, result, target)
    limit = int(current_app.config.get("MAX_RECORDED_RUNS", DEFAULT_MAX_RECORDED_RUNS))
    graphs: list[str] = []

    def write() -> Effect:
        change = rdf.plan_run(update_log.store, quads, limit)  # after catching up with the other workers
        rdf.apply_run(update_log.store, change)
        graphs.append(change.graph.value)
        return Effect(
            deleted=change.deleted, inserted=change.inserted, created=[change.graph] if change.new else []
        )

    update_log.write(write, Deadline(float(current_app.config.get("QUERY_TIMEOUT", 10.0))))
    result["runGraph"] = graphs[0]


def _endpoint(runner: Callable[..., dict]) -> Callable[[], Response]:
    def view() -> Response:
        body = decode_body()
        update_log = None
        if _wants_record(runner, body):  # a write: refused before any work without updates and the token
            from kubekg.web.sparql import write_log

            update_log = write_log(RECORD_ACTION)
        try:
            result = runner(body, _facts(), budget=budget())
        except RecursionError as exc:
            raise InvalidBody("the request body is nested too deeply") from exc
        if update_log is not None:
            _record(runner, body, result, update_log)
        return jsonify(result)

    view.__name__ = runner.__name__
    view.__doc__ = runner.__doc__
    return view


ROUTES: dict[str, Callable[..., dict]] = {
    "/api/simulate/hpa/reconcile": api.run_hpa_reconcile,
    "/api/simulate/hpa/timeline": api.run_hpa_timeline,
    "/api/simulate/pv/bind": api.run_pv_bind,
    "/api/simulate/pv/sync-volume": api.run_pv_sync_volume,
    "/api/simulate/pv/scenario": pv_scenario.run,
    "/api/simulate/daemonset": daemonset.run,
    "/api/simulate/job": job.run,
    "/api/simulate/cronjob": cronjob.run,
    "/api/simulate/deployment": deployment.run,
    "/api/simulate/nodeport": nodeport.run,
}
RECORDERS: dict[Callable[..., dict], str] = {pv_scenario.run: "pv", api.run_hpa_timeline: "hpa"}
for _path, _runner in ROUTES.items():
    _name = _path.removeprefix("/api/simulate/").replace("/", "_").replace("-", "_")
    bp.add_url_rule(_path, _name, _endpoint(_runner), methods=["POST"])


DELETE_ACTION = "deleting a recorded simulation run"


@bp.get("/api/simulate/runs")
def list_runs() -> Response:
    """The recorded simulation runs (id, graph, triples) and the MAX_RECORDED_RUNS limit."""
    kg = current_app.extensions.get("kubekg")
    store = (
        kg if isinstance(kg, ox.Store) else getattr(kg, "store", None)
    )  # a remote store keeps no runs of ours
    runs = rdf.recorded_runs(store) if isinstance(store, ox.Store) else []
    limit = int(current_app.config.get("MAX_RECORDED_RUNS", DEFAULT_MAX_RECORDED_RUNS))
    return jsonify({"runs": runs, "count": len(runs), "limit": limit})


@bp.delete("/api/simulate/runs/<run_id>")
def delete_run(run_id: str) -> Response:
    """Remove one recorded run's graph: a write like recordRun (token, durable log), 404 when not kept."""
    from kubekg.sparql.execute import Deadline
    from kubekg.sparql.update import Effect
    from kubekg.web.sparql import write_log

    update_log = write_log(DELETE_ACTION)
    removed: list[int] = []

    def write() -> Effect:
        change = rdf.plan_delete(update_log.store, run_id)  # after catching up with the other workers
        if change is None:
            return Effect()
        rdf.apply_run(update_log.store, change)
        if update_log.store.contains_named_graph(change.graph):
            update_log.store.remove_graph(change.graph)
        removed.append(len(change.deleted))
        return Effect(deleted=change.deleted, dropped=[change.graph])

    update_log.write(write, Deadline(float(current_app.config.get("QUERY_TIMEOUT", 10.0))))
    if not removed:
        raise NotFound(
            f"no recorded simulation run has the id {run_id!r} (GET /api/simulate/runs lists them)"
        )
    return jsonify({"deleted": rdf.run_graph(run_id).value, "triples": removed[0]})


# ---------------------------------------------------------------------------------------------- pages


@bp.context_processor
def _page_context() -> dict:
    """What ``base.html`` needs, also in an app that registers only this blueprint (the full app adds the same)."""
    from kubekg.web import i18n, pages

    return {**i18n.template_context(), **pages.site_context()}


def _reasons(rows: list[dict]) -> list[tuple[str, str]]:
    """The distinct (reason, message) pairs of the syncs that rescaled, in order of first appearance."""
    seen: dict[str, str] = {}
    for row in rows:
        if row.get("rescale") and row.get("reason") and row["reason"] not in seen:
            seen[str(row["reason"])] = str(row.get("message") or "")
    return list(seen.items())


def _page(kind: str) -> Response:
    from kubekg.web import sim_charts
    from kubekg.web.i18n import get_lang

    presets = examples.PAGE_PRESETS[kind]
    preset = request.values.get("preset") or next(iter(presets))
    if preset not in presets:
        preset = next(iter(presets))
    posted = request.method == "POST"
    text = request.form.get("body", "") if posted else examples.preset_yaml(kind, preset)
    runner = api.run_hpa_timeline if kind == "hpa" else pv_scenario.run
    lang = get_lang()
    result, error, chart = None, None, None
    status = 422
    try:
        result = runner(load_yaml(text), _facts(), budget=budget())
        if kind == "hpa":
            chart = sim_charts.hpa_chart(result["rows"], lang)
        else:
            chart = sim_charts.pv_timeline(result, lang)
    except (SimulationError, SimulationTimeout) as exc:
        error = {"code": exc.code, "message": exc.message}
        status = exc.status if isinstance(exc, SimulationTimeout) else 422
    html = render_template(
        f"simulate_{kind}.html",
        body=text,
        presets=list(presets),
        preset=preset,
        posted=posted,
        result=result,
        error=error,
        chart=chart,
        reasons=_reasons(result["rows"]) if kind == "hpa" and result else [],
        duration=lambda seconds: sim_charts.duration_label(float(seconds), lang),
        worked=examples.worked_examples() if kind == "hpa" else None,
    )
    return Response(html, status=status if error and posted else 200, mimetype="text/html")


@bp.route("/simulate/hpa", methods=["GET", "POST"])
def hpa_page() -> Response:
    """The HPA timeline page: a YAML form with the document's examples and a chart of replicas and utilization."""
    return _page("hpa")


@bp.route("/simulate/pv", methods=["GET", "POST"])
def pv_page() -> Response:
    """The PV scenario page: a YAML form and a state timeline of volumes, claims and pods."""
    return _page("pv")
