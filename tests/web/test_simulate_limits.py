"""Issue 6 on the simulation endpoints: ``recordRun`` is a write gated like SPARQL Update, runs have a wall-clock
budget, obviously too large scenarios are refused before they start. Table-driven by case, through create_app.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from flask import Flask

from kubekg import ns
from kubekg.config import Config
from kubekg.errors import ConfigError, SimulationTimeout
from kubekg.simulation import budget, examples
from kubekg.sparql import update

TOKEN = "simulate-limits-token"
PV = "/api/simulate/pv/scenario"
HPA = "/api/simulate/hpa/timeline"
GOOD = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def export(kg: Any) -> bytes:
    """The reasoned graph as N-Quads, loaded into a private store per test (the shared graph stays untouched)."""
    return kg.export("nquads")


@pytest.fixture
def fresh(export: bytes) -> Callable[[], ox.Store]:
    def make() -> ox.Store:
        store = ox.Store()
        store.load(export, format=ox.RdfFormat.N_QUADS)
        return store

    return make


def run_graphs(store: ox.Store) -> list[str]:
    return sorted(
        g.value
        for g in store.named_graphs()
        if isinstance(g, ox.NamedNode)
        and g.value.startswith(ns.RUN_GRAPH_PREFIX)
        and next(iter(store.quads_for_pattern(None, None, None, g)), None) is not None
    )


def app_on(
    make_app: Callable[..., Flask], store: ox.Store, data_dir: Path, updates: bool, **extra: Any
) -> Flask:
    if updates:
        extra.update(UPDATES=True, UPDATE_TOKEN=TOKEN, DATA_DIR=str(data_dir))
    return make_app(GRAPH=store, **extra)


def body_for(path: str, record: bool = True) -> dict[str, Any]:
    body = examples.pv_lifecycle_body() if path == PV else examples.document_timeline_body()
    if record:
        body["recordRun"] = True
    return body


# case -> (updates on, max runs, Authorization header, status, error code)
GATE = {
    "updates-off": (False, 100, None, 403, "updates_disabled"),
    "updates-off-even-with-the-token": (False, 100, GOOD["Authorization"], 403, "updates_disabled"),
    "no-token": (True, 100, None, 401, "unauthorized"),
    "not-a-bearer-token": (True, 100, f"Basic {TOKEN}", 401, "unauthorized"),
    "wrong-token": (True, 100, "Bearer not-the-token", 403, "invalid_token"),
    "cap-reached": (True, 0, GOOD["Authorization"], 409, "run_limit_reached"),
    "allowed": (True, 100, GOOD["Authorization"], 200, None),
}


@pytest.mark.parametrize("path", [PV, HPA], ids=["pv-scenario", "hpa-timeline"])
@pytest.mark.parametrize("case", list(GATE))
def test_record_run_is_a_write_gated_like_sparql_update(
    make_app: Callable[..., Flask], fresh: Callable[[], ox.Store], tmp_path: Path, case: str, path: str
) -> None:
    updates, max_runs, auth, status, code = GATE[case]
    store = fresh()
    client = app_on(make_app, store, tmp_path, updates, MAX_RECORDED_RUNS=max_runs).test_client()
    headers = {"Authorization": auth} if auth else {}
    response = client.post(path, json=body_for(path), headers=headers)
    assert response.status_code == status, response.get_json()
    if code is None:
        graph = response.get_json()["runGraph"]
        assert graph.startswith(ns.RUN_GRAPH_PREFIX) and run_graphs(store) == [graph]
        assert (tmp_path / update.LOG_NAME).stat().st_size > 0  # durable like an update
        return
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    assert run_graphs(store) == []  # nothing was written
    if code == "run_limit_reached":
        assert error["details"]["limit"] == max_runs and "MAX_RECORDED_RUNS" in error["message"]
        return
    # the same answer /sparql/update gives for the same credentials (one token check, not a copy)
    sparql = client.post(
        "/sparql/update", data="INSERT DATA {}", content_type="application/sparql-update", headers=headers
    )
    assert (sparql.status_code, sparql.get_json()["error"]["code"]) == (status, code)
    if status == 401:
        assert response.headers["WWW-Authenticate"] == sparql.headers["WWW-Authenticate"]


def test_without_record_run_no_token_is_needed_and_nothing_is_written(
    make_app: Callable[..., Flask], fresh: Callable[[], ox.Store], tmp_path: Path
) -> None:
    store = fresh()
    client = app_on(make_app, store, tmp_path, updates=True).test_client()
    for path in (PV, HPA):
        response = client.post(path, json=body_for(path, record=False))
        assert response.status_code == 200 and "runGraph" not in response.get_json()
    assert run_graphs(store) == []


def test_the_cap_counts_distinct_runs_and_a_repeated_run_is_free(
    make_app: Callable[..., Flask], fresh: Callable[[], ox.Store], tmp_path: Path
) -> None:
    store = fresh()
    client = app_on(make_app, store, tmp_path, updates=True, MAX_RECORDED_RUNS=1).test_client()
    first = client.post(PV, json=body_for(PV), headers=GOOD)
    again = client.post(PV, json=body_for(PV), headers=GOOD)
    other = client.post(HPA, json=body_for(HPA), headers=GOOD)
    assert first.status_code == again.status_code == 200
    assert first.get_json()["runGraph"] == again.get_json()["runGraph"]
    assert other.status_code == 409 and other.get_json()["error"]["details"] == {"limit": 1, "runs": 1}
    assert run_graphs(store) == [first.get_json()["runGraph"]]


def test_recorded_runs_survive_a_restart_through_the_update_log(
    make_app: Callable[..., Flask], fresh: Callable[[], ox.Store], tmp_path: Path
) -> None:
    store = fresh()
    client = app_on(make_app, store, tmp_path, updates=True).test_client()
    graphs = [client.post(p, json=body_for(p), headers=GOOD).get_json()["runGraph"] for p in (PV, HPA)]
    restarted = fresh()
    assert run_graphs(restarted) == []
    app_on(make_app, restarted, tmp_path, updates=True)  # replays DATA_DIR/updates.log at start-up
    assert run_graphs(restarted) == sorted(graphs)
    for graph in graphs:
        node = ox.NamedNode(graph)
        assert set(restarted.quads_for_pattern(None, None, None, node)) == set(
            store.quads_for_pattern(None, None, None, node)
        )


RUNS = "/api/simulate/runs"

# case -> (updates on, Authorization header, status, error code) for DELETE /api/simulate/runs/<id>
DELETE_GATE = {
    "updates-off": (False, GOOD["Authorization"], 403, "updates_disabled"),
    "no-token": (True, None, 401, "unauthorized"),
    "wrong-token": (True, "Bearer not-the-token", 403, "invalid_token"),
}


@pytest.mark.parametrize("case", list(DELETE_GATE))
def test_deleting_a_run_is_a_write_gated_like_sparql_update(
    make_app: Callable[..., Flask], fresh: Callable[[], ox.Store], tmp_path: Path, case: str
) -> None:
    store = fresh()
    recorder = app_on(make_app, store, tmp_path, updates=True).test_client()
    graph = recorder.post(PV, json=body_for(PV), headers=GOOD).get_json()["runGraph"]
    rid = graph.removeprefix(ns.RUN_GRAPH_PREFIX)
    updates, auth, status, code = DELETE_GATE[case]
    client = recorder if updates else app_on(make_app, store, tmp_path, updates=False).test_client()
    response = client.delete(f"{RUNS}/{rid}", headers={"Authorization": auth} if auth else {})
    assert response.status_code == status and response.get_json()["error"]["code"] == code
    assert run_graphs(store) == [graph]  # nothing was removed


def test_runs_are_listed_deleted_and_the_deletion_is_durable(
    make_app: Callable[..., Flask], fresh: Callable[[], ox.Store], tmp_path: Path
) -> None:
    store = fresh()
    client = app_on(make_app, store, tmp_path, updates=True, MAX_RECORDED_RUNS=1).test_client()
    assert client.get(RUNS).get_json() == {"runs": [], "count": 0, "limit": 1}
    graph = client.post(PV, json=body_for(PV), headers=GOOD).get_json()["runGraph"]
    listed = client.get(RUNS).get_json()
    rid = graph.removeprefix(ns.RUN_GRAPH_PREFIX)
    triples = len(list(store.quads_for_pattern(None, None, None, ox.NamedNode(graph))))
    assert listed == {"runs": [{"id": rid, "graph": graph, "triples": triples}], "count": 1, "limit": 1}
    assert client.post(HPA, json=body_for(HPA), headers=GOOD).status_code == 409  # the cap is reached

    deleted = client.delete(f"{RUNS}/{rid}", headers=GOOD)
    assert deleted.status_code == 200 and deleted.get_json() == {"deleted": graph, "triples": triples}
    assert run_graphs(store) == [] and client.get(RUNS).get_json()["count"] == 0
    assert client.post(HPA, json=body_for(HPA), headers=GOOD).status_code == 200  # room again
    again = client.delete(f"{RUNS}/{rid}", headers=GOOD)
    assert again.status_code == 404 and again.get_json()["error"]["code"] == "not_found"

    restarted = fresh()
    app_on(make_app, restarted, tmp_path, updates=True)  # replays the record, the delete, the second record
    assert [g for g in run_graphs(restarted)] == run_graphs(store) and graph not in run_graphs(restarted)


@pytest.mark.parametrize("rid", ["pv-0123456789abcdef", "not-a-run", "..%2F..%2Fontology", "x" * 300])
def test_deleting_an_unknown_or_malformed_run_id_is_a_404(
    make_app: Callable[..., Flask], fresh: Callable[[], ox.Store], tmp_path: Path, rid: str
) -> None:
    store = fresh()
    before = len(store)
    client = app_on(make_app, store, tmp_path, updates=True).test_client()
    response = client.delete(f"{RUNS}/{rid}", headers=GOOD)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert len(store) == before


def long_timeline() -> dict[str, Any]:
    body = examples.document_timeline_body()
    body["duration"] = "96h"  # 23,041 syncs: seconds of work, far past a 0.05 s budget
    return body


@pytest.mark.parametrize("path", [HPA, "/simulate/hpa"], ids=["api", "page"])
def test_a_run_past_the_timeout_gets_the_timeout_error_quickly_and_the_worker_keeps_serving(
    make_app: Callable[..., Flask], path: str
) -> None:
    client = make_app(SIMULATION_TIMEOUT=0.05).test_client()
    started = time.monotonic()
    if path == HPA:
        response = client.post(path, json=long_timeline())
    else:
        import yaml

        response = client.post(path, data={"body": yaml.safe_dump(long_timeline())})
    elapsed = time.monotonic() - started
    assert response.status_code == 503  # as /sparql answers a query timeout
    assert elapsed < 3.0  # the budget plus one sync, with room for a loaded machine
    if path == HPA:
        error = response.get_json()["error"]
        assert error["code"] == "simulation_timeout" and "0.05 s" in error["message"]
        assert response.headers["Retry-After"] == "1"
    else:
        assert b"simulation_timeout" in response.data
    small = client.post(HPA, json=examples.document_timeline_body())
    assert small.status_code == 200 and small.get_json()["rows"]


# case -> (path, body, limit)
def _timeline_week() -> dict[str, Any]:
    body = examples.document_timeline_body()
    body["duration"], body["hpa"]["spec"]["maxReplicas"] = "168h", 1000
    return body


def _pv_many() -> dict[str, Any]:
    claim = {"kind": "PersistentVolumeClaim", "spec": {"resources": {"requests": {"storage": "1Gi"}}}}
    return {
        "claims": [{**claim, "metadata": {"name": f"c{i}", "namespace": "default"}} for i in range(300)],
        "steps": [{"action": "wait", "at": f"{i}s"} for i in range(400)],
    }


def _deployment_huge() -> dict[str, Any]:
    spec = {"replicas": 10_000_000, "template": {"spec": {"containers": [{"name": "w", "image": "w:1"}]}}}
    return {"deployment": {"kind": "Deployment", "metadata": {"name": "w"}, "spec": spec}, "steps": []}


TOO_LARGE = {
    "hpa-timeline-a-week-at-1000-replicas": (HPA, _timeline_week, budget.MAX_POD_SYNCS),
    "pv-scenario-400-steps-x-300-claims": (PV, _pv_many, budget.MAX_OBJECT_STEPS),
    "deployment-ten-million-replicas": ("/api/simulate/deployment", _deployment_huge, budget.MAX_REPLICAS),
}


@pytest.mark.parametrize("case", list(TOO_LARGE))
def test_a_huge_scenario_is_refused_up_front_naming_the_limit(
    make_app: Callable[..., Flask], case: str
) -> None:
    path, body, limit = TOO_LARGE[case]
    client = make_app().test_client()
    started = time.monotonic()
    response = client.post(path, json=body())
    assert time.monotonic() - started < 3.0
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "scenario_too_large" and f"{limit:,}" in error["message"]
    assert error["details"]["limit"] == limit


def test_the_mcp_simulation_tools_get_the_same_budget(kg: Any) -> None:
    from kubekg.mcp import tools

    ctx = tools.ToolContext.from_config(kg, {"SIMULATION_TIMEOUT": 0.05})
    assert ctx.simulation_timeout == 0.05
    with pytest.raises(SimulationTimeout):
        tools.run_simulate_hpa(ctx, {"scenario": long_timeline()})


@pytest.mark.parametrize(
    ("name", "raw", "ok"),
    [
        ("SIMULATION_TIMEOUT", "2.5", 2.5),
        ("SIMULATION_TIMEOUT", "0", None),
        ("SIMULATION_TIMEOUT", "-1", None),
        ("SIMULATION_TIMEOUT", "ten", None),
        ("SIMULATION_TIMEOUT", "nan", None),
        ("SIMULATION_TIMEOUT", "7200", None),
        ("MAX_RECORDED_RUNS", "0", 0),
        ("MAX_RECORDED_RUNS", "250", 250),
        ("MAX_RECORDED_RUNS", "-1", None),
        ("MAX_RECORDED_RUNS", "1.5", None),
        ("MAX_RECORDED_RUNS", "lots", None),
    ],
)
def test_simulation_settings_fail_loudly_on_bad_values(name: str, raw: str, ok: float | int | None) -> None:
    environ = {f"KUBEKG_{name}": raw}
    if ok is None:
        with pytest.raises(ConfigError) as info:
            Config.load(environ=environ)
        assert f"KUBEKG_{name}" in info.value.message and repr(raw) in info.value.message
    else:
        assert getattr(Config.load(environ=environ), name) == ok


def test_simulation_setting_defaults() -> None:
    config = Config.load(environ={})
    assert (config.SIMULATION_TIMEOUT, config.MAX_RECORDED_RUNS) == (10.0, 100)
