"""Malformed bodies never crash the simulators: every mutation of a valid body answers 200, 400, 415 or 422."""

from __future__ import annotations

import copy
import json

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubekg.simulation import examples
from kubekg.web.simulate import bp

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        ["", "x", "-1", "1e400", "10Gi", "2024-01-01T00:00:00Z", "Pending", "ReadWriteMany", "Pod", "Delete"]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "kind", "spec", "name"]), inner, max_size=3),
    ),
    max_leaves=6,
)

BODIES = {
    "/api/simulate/hpa/reconcile": {
        "hpa": examples.DOC_HPA,
        "scale": {"spec": {"replicas": 2}, "status": {"replicas": 2}},
        "pods": [
            {
                "kind": "Pod",
                "metadata": {"name": "web-0"},
                "spec": {"containers": [{"name": "w", "resources": {"requests": {"cpu": "200m"}}}]},
            }
        ],
        "podMetrics": [
            {
                "kind": "PodMetrics",
                "metadata": {"name": "web-0"},
                "containers": [{"name": "w", "usage": {"cpu": "300m"}}],
            }
        ],
        "objectMetrics": [
            {"describedObject": {"kind": "Pod", "name": "web-0"}, "metric": {"name": "q"}, "value": "1"}
        ],
        "externalMetrics": [{"metric": {"name": "q"}, "values": ["1"]}],
        "history": {
            "recommendations": [{"replicas": 2, "timestamp": "2024-01-01T00:00:00Z"}],
            "scaleUpEvents": [],
            "scaleDownEvents": [],
        },
        "now": "2024-01-01T00:00:00Z",
        "config": {"tolerance": 0.1},
    },
    "/api/simulate/pv/bind": {
        "persistentVolumes": examples.pv_lifecycle_body()["persistentVolumes"],
        "claim": examples._pvc("data", "1Gi", ""),
        "storageClasses": examples.pv_dynamic_body()["storageClasses"],
    },
    "/api/simulate/pv/sync-volume": {
        "persistentVolume": examples.pv_lifecycle_body()["persistentVolumes"][1],
        "claims": [examples._pvc("data", "1Gi", "")],
        "faults": {"delete": "fails-once"},
        "syncs": 2,
    },
    "/api/simulate/pv/scenario": examples.pv_dynamic_body(),
    "/api/simulate/hpa/timeline": {**examples.document_timeline_body(), "duration": "5m"},
    "/api/simulate/daemonset": {
        "daemonSet": {
            "kind": "DaemonSet",
            "metadata": {"name": "a"},
            "spec": {
                "template": {
                    "spec": {"nodeSelector": {"d": "x"}, "tolerations": [{"key": "k", "operator": "Exists"}]}
                }
            },
        },
        "nodes": [
            {
                "metadata": {"name": "n1", "labels": {"d": "x"}},
                "spec": {"taints": [{"key": "k", "effect": "NoSchedule"}]},
            }
        ],
        "steps": [
            {"action": "addNode", "node": {"metadata": {"name": "n2"}}},
            {"action": "labelNode", "name": "n2", "labels": {"d": "x"}},
            {"action": "taintNode", "name": "n1", "taint": {"key": "t", "effect": "NoExecute"}},
            {"action": "untaintNode", "name": "n1", "key": "t"},
            {"action": "removeNode", "name": "n2"},
        ],
    },
    "/api/simulate/job": {
        "job": {
            "kind": "Job",
            "metadata": {"name": "j"},
            "spec": {"completions": 2, "parallelism": 2, "backoffLimit": 1, "activeDeadlineSeconds": 100},
        },
        "outcomes": ["Failed", "Succeeded"],
        "podDurationSeconds": 5,
        "defaultOutcome": "Succeeded",
        "maxPods": 20,
    },
    "/api/simulate/cronjob": {
        "cronJob": {
            "kind": "CronJob",
            "metadata": {"name": "c"},
            "spec": {
                "schedule": "*/10 * * * *",
                "concurrencyPolicy": "Forbid",
                "timeZone": "UTC",
                "startingDeadlineSeconds": 30,
            },
        },
        "duration": "1h",
        "jobDurationSeconds": 700,
        "jobOutcomes": ["Complete", "Failed"],
    },
    "/api/simulate/deployment": {
        "deployment": {
            "kind": "Deployment",
            "metadata": {"name": "d"},
            "spec": {
                "replicas": 3,
                "strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}},
                "template": {"spec": {"containers": [{"name": "w", "image": "a"}]}},
            },
        },
        "steps": [
            {"action": "update", "image": "b"},
            {"action": "rollback", "toRevision": 1},
            {"action": "scale", "replicas": 2},
        ],
        "podReadySeconds": 2,
    },
    "/api/simulate/nodeport": {
        "range": "30000-30010",
        "allocated": [30001],
        "seed": 3,
        "services": [
            {
                "kind": "Service",
                "metadata": {"name": "s"},
                "spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30005}, {"port": 81}]},
            }
        ],
        "operations": [{"action": "delete", "name": "s"}],
    },
}


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _set(body, path, value):
    if not path:
        return value
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


@pytest.fixture(scope="module")
def sim():
    app = Flask("simulate-fuzz")
    app.config["TESTING"] = True
    app.extensions["kubekg"] = object()
    app.register_blueprint(bp)
    return app.test_client()


@pytest.mark.parametrize("endpoint", list(BODIES))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_bodies_are_answered(sim, endpoint, data):
    body = copy.deepcopy(BODIES[endpoint])
    paths = list(_paths(body))
    path = data.draw(st.sampled_from(paths))
    body = _set(body, path, data.draw(VALUES))
    resp = sim.post(endpoint, data=json.dumps(body), content_type="application/json")
    assert resp.status_code in (200, 400, 415, 422), (path, resp.get_data(as_text=True)[:300])
    if resp.status_code != 200:
        error = resp.get_json()["error"]
        assert error["code"] and error["message"]
