"""Wall-clock budgets and size limits of the simulators (kubekg.simulation.budget), table-driven by case.

The loops call ``budget.check()``; a fake clock that moves one second per reading makes the budget run out after
a known number of checks, so every simulator is shown to stop with SimulationTimeout (and none reads a clock of
its own: with an unlimited budget the same bodies finish).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kubekg.errors import SimulationTimeout
from kubekg.simulation import api, budget, cronjob, daemonset, deployment, examples, job, nodeport
from kubekg.simulation.errors import InvalidObject, ScenarioTooLarge
from kubekg.simulation.facts import DEFAULT_FACTS as F
from kubekg.simulation.pv import scenario as pv_scenario


class TickingClock:
    """A clock that advances one second each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        self.now += 1.0
        return self.now


def job_body() -> dict[str, Any]:
    return {"job": {"kind": "Job", "metadata": {"name": "pi"}, "spec": {"completions": 20}}}


def cron_body() -> dict[str, Any]:
    spec = {"schedule": "*/5 * * * *", "concurrencyPolicy": "Allow"}
    return {"cronJob": {"kind": "CronJob", "metadata": {"name": "r"}, "spec": spec}, "duration": "2h"}


def ds_body() -> dict[str, Any]:
    steps = [{"action": "addNode", "node": {"metadata": {"name": f"n{i}"}}} for i in range(5)]
    return {
        "daemonSet": {"kind": "DaemonSet", "metadata": {"name": "a"}, "spec": {"template": {"spec": {}}}},
        "nodes": [],
        "steps": steps,
    }


def deploy_body() -> dict[str, Any]:
    spec = {"replicas": 4, "template": {"spec": {"containers": [{"name": "web", "image": "web:1"}]}}}
    return {
        "deployment": {"kind": "Deployment", "metadata": {"name": "web"}, "spec": spec},
        "steps": [{"action": "update", "image": "web:2"}],
    }


def nodeport_body() -> dict[str, Any]:
    services = [
        {
            "kind": "Service",
            "metadata": {"name": f"s{i}"},
            "spec": {"type": "NodePort", "ports": [{"port": 80}]},
        }
        for i in range(5)
    ]
    return {"services": services}


def sync_body() -> dict[str, Any]:
    pv = {
        "metadata": {"name": "pv1"},
        "spec": {"capacity": {"storage": "1Gi"}, "nfs": {"path": "/", "server": "x"}},
    }
    return {"persistentVolume": pv, "syncs": 5}


RUNNERS: dict[str, tuple[Callable[..., dict], Callable[[], dict[str, Any]]]] = {
    "hpa-timeline": (api.run_hpa_timeline, examples.document_timeline_body),
    "pv-scenario": (pv_scenario.run, examples.pv_lifecycle_body),
    "pv-sync-volume": (api.run_pv_sync_volume, sync_body),
    "daemonset": (daemonset.run, ds_body),
    "job": (job.run, job_body),
    "cronjob": (cronjob.run, cron_body),
    "deployment": (deployment.run, deploy_body),
    "nodeport": (nodeport.run, nodeport_body),
}


@pytest.mark.parametrize("case", sorted(RUNNERS))
def test_every_simulation_loop_stops_when_its_budget_runs_out(case: str) -> None:
    runner, body = RUNNERS[case]
    assert runner(body(), F)  # finishes with the default (unlimited) budget
    clock = TickingClock()
    spent = budget.Budget(2.5, clock=clock)  # expired at the second check
    with pytest.raises(SimulationTimeout) as info:
        runner(body(), F, budget=spent)
    assert info.value.status == 503 and info.value.code == "simulation_timeout"
    assert "2.5 s" in info.value.message and "KUBEKG_SIMULATION_TIMEOUT" in info.value.message
    assert clock.reads >= 2  # the loop consulted the budget, not a clock of its own


@pytest.mark.parametrize(
    ("case", "seconds", "reads", "expired"),
    [
        ("unlimited", None, 0, False),
        ("fresh", 10.0, 1, False),
        ("spent", 1.0, 1, True),
    ],
)
def test_budget_expiry(case: str, seconds: float | None, reads: int, expired: bool) -> None:
    clock = TickingClock()
    b = budget.Budget(seconds, clock=clock)
    for _ in range(reads):
        b.expired()
    assert b.expired() is expired


def timeline(duration: str, max_replicas: int) -> dict[str, Any]:
    body = examples.document_timeline_body()
    body["duration"] = duration
    body["hpa"]["spec"]["maxReplicas"] = max_replicas
    return body


def pv_claims(steps: int, claims: int) -> dict[str, Any]:
    claim = {"kind": "PersistentVolumeClaim", "spec": {"resources": {"requests": {"storage": "1Gi"}}}}
    return {
        "claims": [{**claim, "metadata": {"name": f"c{i}", "namespace": "default"}} for i in range(claims)],
        "steps": [{"action": "wait", "at": f"{i}s"} for i in range(steps)],
    }


def deploy(replicas: int) -> dict[str, Any]:
    body = deploy_body()
    body["deployment"]["spec"]["replicas"] = replicas
    return body


TOO_LARGE = {
    "hpa-timeline-week-with-1000-replicas": (
        api.run_hpa_timeline,
        timeline("168h", 1000),
        budget.MAX_POD_SYNCS,
    ),
    "pv-scenario-400-steps-x-300-claims": (pv_scenario.run, pv_claims(400, 300), budget.MAX_OBJECT_STEPS),
    "deployment-a-million-replicas": (deployment.run, deploy(1_000_000), budget.MAX_REPLICAS),
}


@pytest.mark.parametrize("case", sorted(TOO_LARGE))
def test_obviously_too_large_scenarios_are_refused_before_they_start(case: str) -> None:
    runner, body, limit = TOO_LARGE[case]
    clock = TickingClock()
    with pytest.raises(ScenarioTooLarge) as info:
        runner(body, F, budget=budget.Budget(3600.0, clock=clock))
    assert info.value.status == 422 and info.value.code == "scenario_too_large"
    assert info.value.details["limit"] == limit and info.value.details["value"] > limit
    assert f"{limit:,}" in info.value.message
    assert clock.reads == 1  # only the budget's creation: no loop ran


@pytest.mark.parametrize("text", ["1-100000000", "0-100", "500-400"])
def test_nodeport_ranges_outside_the_port_space_are_refused(text: str) -> None:
    with pytest.raises(InvalidObject, match="1-65535"):
        nodeport.run({"range": text, **nodeport_body()}, F)
