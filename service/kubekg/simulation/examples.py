"""The document's worked examples, as its arithmetic and as the HPA controller plays them; presets for the pages.

The document (Kubernetes Autoscaler, "예제") computes replicas as current x usage / target: 2 x 300m / 100m = 6
to scale out, and 6 x 50m / 100m = 3, then 3 x 50m / 100m = 1.5 -> 2 (minReplicas) to scale in. The replica
calculator agrees with that arithmetic; the controller gets there differently: the scale-up limit (max(2x, 4)
per sync) makes it 2 -> 4 -> 6 over two syncs, and a scale-in waits out the 300 s stabilization window.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import yaml

from kubekg.simulation.hpa import replicas as rc
from kubekg.simulation.hpa.reconcile import ControllerConfig, MetricInputs, reconcile
from kubekg.simulation.objects import Container, Pod, parse_hpa
from kubekg.simulation.quantity import parse_quantity
from kubekg.simulation.timeutil import NS, parse_time

DOC_HPA = {
    "apiVersion": "autoscaling/v2",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 2,
        "maxReplicas": 10,
        "metrics": [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}},
            }
        ],
    },
}
DOC_TEMPLATE = {
    "spec": {"containers": [{"name": "web", "image": "nginx", "resources": {"requests": {"cpu": "200m"}}}]}
}
_NOW = "2024-01-01T00:00:00Z"


def _pods(n: int, request: str = "200m") -> list[Pod]:
    return [
        Pod(f"web-{i}", containers=(Container("web", {"cpu": parse_quantity(request)}),)) for i in range(n)
    ]


def _samples(n: int, usage: int, now: int) -> dict[str, rc.Sample]:
    return {f"web-{i}": (usage, now, 60 * NS) for i in range(n)}


def worked_examples() -> list[dict[str, Any]]:
    """Each example: the document's formula and result, the replica calculator and one controller reconcile."""
    now = parse_time(_NOW)
    hpa = parse_hpa(DOC_HPA)
    out = []
    for title, pods, usage, doc_formula, doc_result in (
        ("scale out", 2, 300, "2 × 300m / 100m (= 200m × 50%)", 6),
        ("scale in", 6, 50, "6 × 50m / 100m", 3),
        ("scale in, again", 3, 50, "3 × 50m / 100m = 1.5 → 2 (minReplicas)", 2),
    ):
        samples = _samples(pods, usage, now)
        replicas, utilization, raw = rc.resource_replicas(
            pods, 50, "cpu", _pods(pods), samples, rc.Tolerances(), now, rc.ReadinessConfig()
        )
        result = reconcile(
            hpa,
            pods,
            pods,
            _pods(pods),
            MetricInputs(samples={("cpu", None): samples}),
            None,
            now,
            ControllerConfig(),
        )
        out.append(
            {
                "example": title,
                "document": {
                    "formula": doc_formula,
                    "replicas": doc_result,
                    "naive": math.ceil(pods * usage / 100),
                },
                "calculator": {
                    "replicas": replicas,
                    "utilization": utilization,
                    "rawAverage": raw,
                    "formula": f"ceil({utilization}% / 50% × {pods} ready pods) = {replicas}",
                },
                "controller": {
                    "desiredReplicas": result.desired_replicas,
                    "reason": result.reason,
                    "message": result.message,
                    "note": (
                        "a fresh HPA: the scale-up limit max(2 × current, 4) caps one sync"
                        if result.desired_replicas < replicas and replicas > pods
                        else "a fresh HPA: its current count is its first recommendation, so it cannot scale down for 300 s"
                        if replicas < pods
                        else "within the limits"
                    ),
                },
            }
        )
    return out


def document_timeline_body() -> dict[str, Any]:
    """The HPA timeline of the document's examples: 600m, then 300m (6 x 50m), then 150m (3 x 50m) total CPU."""
    return {
        "hpa": copy.deepcopy(DOC_HPA),  # a fresh body each call: callers may edit it
        "podTemplate": copy.deepcopy(DOC_TEMPLATE),
        "initialReplicas": 2,
        "start": _NOW,
        "duration": "30m",
        "startupDelaySeconds": 30,
        "load": [
            {"type": "step", "at": "0s", "value": "600m"},
            {"type": "step", "at": "10m", "value": "300m"},
            {"type": "step", "at": "20m", "value": "150m"},
        ],
    }


EXAMPLE_START = "2024-01-01T00:00:00Z"  # the example pods' creation and readiness time
EXAMPLE_NOW = "2024-01-01T01:00:00Z"  # the example reconcile's clock and metrics timestamp


def ready_pod(name: str, cpu: str = "200m") -> dict[str, Any]:
    """A Running, Ready pod of the example Deployment requesting ``cpu``, ready since EXAMPLE_START."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "creationTimestamp": EXAMPLE_START},
        "spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": cpu}}}]},
        "status": {
            "phase": "Running",
            "startTime": EXAMPLE_START,
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": EXAMPLE_START}],
        },
    }


def pod_metrics(name: str, cpu: str = "300m") -> dict[str, Any]:
    """The metrics.k8s.io sample of one example pod using ``cpu`` at EXAMPLE_NOW."""
    return {
        "apiVersion": "metrics.k8s.io/v1beta1",
        "kind": "PodMetrics",
        "metadata": {"name": name, "namespace": "default"},
        "timestamp": EXAMPLE_NOW,
        "window": "30s",
        "containers": [{"name": "app", "usage": {"cpu": cpu}}],
    }


def reconcile_body(target_kind: str = "Deployment") -> dict[str, Any]:
    """POST /api/simulate/hpa/reconcile for the document's scale-out example: 2 ready pods requesting 200m and
    using 300m each against a 50% target (the formula says 6, the controller's first sync 4); a fresh body."""
    hpa = copy.deepcopy(DOC_HPA)
    hpa["spec"]["minReplicas"] = 1
    hpa["spec"]["scaleTargetRef"]["kind"] = target_kind
    return {
        "hpa": hpa,
        "scale": {"spec": {"replicas": 2}, "status": {"replicas": 2}},
        "pods": [ready_pod("web-1"), ready_pod("web-2")],
        "podMetrics": [pod_metrics("web-1"), pod_metrics("web-2")],
        "now": EXAMPLE_NOW,
    }


def bind_body(reclaim_policy: str = "Retain") -> dict[str, Any]:
    """POST /api/simulate/pv/bind: one Available 10Gi NFS volume (RWX) and a 5Gi RWX claim without a class."""
    return {
        "persistentVolumes": [
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {"name": "pv-nfs"},
                "spec": {
                    "capacity": {"storage": "10Gi"},
                    "accessModes": ["ReadWriteMany"],
                    "nfs": {"server": "nfs.example", "path": "/exports"},
                    "persistentVolumeReclaimPolicy": reclaim_policy,
                },
                "status": {"phase": "Available"},
            }
        ],
        "claim": {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": "default"},
            "spec": {
                "accessModes": ["ReadWriteMany"],
                "resources": {"requests": {"storage": "5Gi"}},
                "storageClassName": "",
            },
        },
        "storageClasses": [],
    }


def _spike_body() -> dict[str, Any]:
    hpa = {
        **DOC_HPA,
        "spec": {
            **DOC_HPA["spec"],
            "maxReplicas": 20,
            "behavior": {
                "scaleUp": {
                    "stabilizationWindowSeconds": 0,
                    "policies": [{"type": "Pods", "value": 4, "periodSeconds": 60}],
                },
                "scaleDown": {
                    "stabilizationWindowSeconds": 120,
                    "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}],
                },
            },
        },
    }
    return {
        "hpa": copy.deepcopy(hpa),
        "podTemplate": copy.deepcopy(DOC_TEMPLATE),
        "initialReplicas": 2,
        "start": _NOW,
        "duration": "40m",
        "startupDelaySeconds": 45,
        "load": [
            {"type": "step", "at": "0s", "value": "200m"},
            {"type": "ramp", "from": "5m", "to": "15m", "start": "200m", "end": "2"},
            {"type": "spike", "at": "20m", "duration": "3m", "value": "1"},
            {"type": "step", "at": "25m", "value": "300m"},
        ],
    }


def _pv(
    name: str, size: str, policy: str, source: dict, modes: list[str] | None = None, cls: str | None = None
) -> dict:
    spec: dict[str, Any] = {
        "capacity": {"storage": size},
        "accessModes": modes or ["ReadWriteOnce"],
        "persistentVolumeReclaimPolicy": policy,
        **source,
    }
    if cls is not None:
        spec["storageClassName"] = cls
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name}, "spec": spec}


def _pvc(name: str, size: str, cls: str | None = None, modes: list[str] | None = None) -> dict:
    spec: dict[str, Any] = {
        "accessModes": modes or ["ReadWriteOnce"],
        "resources": {"requests": {"storage": size}},
    }
    if cls is not None:
        spec["storageClassName"] = cls
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "default"},
        "spec": spec,
    }


def _pod(name: str, claim: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "containers": [{"name": "app", "image": "nginx"}],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}],
        },
    }


def pv_lifecycle_body() -> dict[str, Any]:
    """Static provisioning, binding, use, in-use protection and the three reclaim policies."""
    return {
        "start": _NOW,
        "persistentVolumes": [
            _pv("pv-retain", "10Gi", "Retain", {"nfs": {"server": "nfs.example", "path": "/a"}}, cls=""),
            _pv("pv-delete", "5Gi", "Delete", {"awsElasticBlockStore": {"volumeID": "vol-1"}}, cls=""),
            _pv("pv-recycle", "2Gi", "Recycle", {"nfs": {"server": "nfs.example", "path": "/b"}}, cls=""),
        ],
        "steps": [
            {"at": "0s", "action": "create", "object": _pvc("data-a", "8Gi", "")},
            {"at": "10s", "action": "create", "object": _pvc("data-b", "4Gi", "")},
            {"at": "20s", "action": "create", "object": _pvc("data-c", "1Gi", "")},
            {"at": "30s", "action": "create", "object": _pod("app", "data-a")},
            {"at": "1m", "action": "delete", "kind": "PersistentVolumeClaim", "name": "data-a"},
            {"at": "2m", "action": "delete", "kind": "Pod", "name": "app"},
            {"at": "3m", "action": "delete", "kind": "PersistentVolumeClaim", "name": "data-b"},
            {"at": "4m", "action": "delete", "kind": "PersistentVolumeClaim", "name": "data-c"},
        ],
    }


def pv_dynamic_body() -> dict[str, Any]:
    """Dynamic provisioning through a StorageClass (WaitForFirstConsumer), expansion and a failing delete."""
    return {
        "start": _NOW,
        "storageClasses": [
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": {
                    "name": "gp2",
                    "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
                },
                "provisioner": "kubernetes.io/aws-ebs",
                "volumeBindingMode": "WaitForFirstConsumer",
                "allowVolumeExpansion": True,
            }
        ],
        "steps": [
            {"at": "0s", "action": "create", "object": _pvc("db", "20Gi", "gp2")},
            {"at": "30s", "action": "create", "object": _pod("db-0", "db")},
            {"at": "1m", "action": "expand", "claim": "db", "size": "40Gi"},
            {"at": "2m", "action": "injectFault", "operation": "delete", "mode": "fails-once"},
            {"at": "3m", "action": "delete", "kind": "Pod", "name": "db-0"},
            {"at": "3m10s", "action": "delete", "kind": "PersistentVolumeClaim", "name": "db"},
            {"at": "4m", "action": "wait"},
        ],
    }


PAGE_PRESETS: dict[str, dict[str, Any]] = {
    "hpa": {"document-example": document_timeline_body, "ramp-and-spike-with-behavior": _spike_body},
    "pv": {
        "static-lifecycle-and-reclaim": pv_lifecycle_body,
        "dynamic-provisioning-and-faults": pv_dynamic_body,
    },
}


def preset_yaml(kind: str, name: str) -> str:
    """A preset body as YAML for the page's form."""
    return yaml.safe_dump(PAGE_PRESETS[kind][name](), sort_keys=False, allow_unicode=True)
