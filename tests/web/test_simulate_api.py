"""The simulation blueprint's HTTP contracts (issue 8 section 4) through Flask's test client."""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from kubekg.simulation import examples
from kubekg.web.simulate import bp

NOW = "2024-05-01T12:00:00Z"


@pytest.fixture
def sim_app() -> Flask:
    """A tiny app with only the simulation blueprint; a graph stand-in without SPARQL -> the static facts double."""
    app = Flask("simulate-test")
    app.config["TESTING"] = True
    app.extensions["kubekg"] = object()
    app.register_blueprint(bp)
    return app


@pytest.fixture
def sim(sim_app: Flask) -> FlaskClient:
    return sim_app.test_client()


def hpa(min_r=2, max_r=10, kind="Deployment", metrics=None, behavior=None) -> dict:
    spec = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": "web"},
        "minReplicas": min_r,
        "maxReplicas": max_r,
        "metrics": metrics
        if metrics is not None
        else [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}},
            }
        ],
    }
    if behavior is not None:
        spec["behavior"] = behavior
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": spec,
    }


def pod(name: str, cpu: str = "200m") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": [{"name": "web", "resources": {"requests": {"cpu": cpu}}}]},
        "status": {
            "phase": "Running",
            "startTime": "2024-05-01T10:00:00Z",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2024-05-01T10:00:30Z"}],
        },
    }


def pod_metrics(name: str, cpu: str) -> dict:
    return {
        "apiVersion": "metrics.k8s.io/v1beta1",
        "kind": "PodMetrics",
        "metadata": {"name": name, "namespace": "default"},
        "timestamp": NOW,
        "window": "30s",
        "containers": [{"name": "web", "usage": {"cpu": cpu, "memory": "100Mi"}}],
    }


def reconcile_body(n: int = 2, usage: str = "300m", **extra) -> dict:
    body = {
        "hpa": hpa(),
        "scale": {"spec": {"replicas": n}, "status": {"replicas": n}},
        "pods": [pod(f"web-{i}") for i in range(n)],
        "podMetrics": [pod_metrics(f"web-{i}", usage) for i in range(n)],
        "now": NOW,
    }
    body.update(extra)
    return body


# ---------------------------------------------------------------------------------------------- /hpa/reconcile


def test_reconcile_document_scale_out(sim):
    resp = sim.post("/api/simulate/hpa/reconcile", json=reconcile_body())
    assert resp.status_code == 200
    out = resp.get_json()
    assert (out["desiredReplicas"], out["rescale"], out["reason"]) == (4, True, "ScaleUpLimit")
    assert out["metricProposal"] == 6
    assert [(c["type"], c["status"], c["reason"]) for c in out["conditions"]] == [
        ("AbleToScale", "True", "SucceededRescale"),
        ("ScalingActive", "True", "ValidMetricFound"),
        ("ScalingLimited", "True", "ScaleUpLimit"),
    ]
    assert out["currentMetrics"] == [
        {
            "type": "Resource",
            "resource": {"name": "cpu", "current": {"averageUtilization": 150, "averageValue": "300m"}},
        }
    ]
    assert out["history"]["recommendations"] == [
        {"replicas": 2, "timestamp": NOW},
        {"replicas": 6, "timestamp": NOW},
    ]
    assert out["history"]["scaleUpEvents"] == [] and out["history"]["scaleDownEvents"] == []


def test_reconcile_second_sync_reaches_six(sim):
    first = sim.post("/api/simulate/hpa/reconcile", json=reconcile_body()).get_json()
    body = reconcile_body(4, "150m", history=first["history"], now="2024-05-01T12:00:15Z")
    out = sim.post("/api/simulate/hpa/reconcile", json=body).get_json()
    assert (out["desiredReplicas"], out["reason"]) == (6, "DesiredWithinRange")


def test_history_absent_versus_empty(sim):
    scale_in = reconcile_body(6, "50m")
    fresh = sim.post("/api/simulate/hpa/reconcile", json=scale_in).get_json()
    existing = sim.post("/api/simulate/hpa/reconcile", json={**scale_in, "history": {}}).get_json()
    assert (fresh["desiredReplicas"], fresh["rescale"], fresh["newHpa"]) == (6, False, True)
    assert (existing["desiredReplicas"], existing["rescale"], existing["newHpa"]) == (3, True, False)
    ready = next(c for c in fresh["conditions"] if c["type"] == "AbleToScale")
    assert ready["reason"] == "ScaleDownStabilized"


def test_history_slot_reuse_is_kept(sim):
    history = {
        "recommendations": [
            {"replicas": 9, "timestamp": "2024-05-01T11:50:00Z"},
            {"replicas": 6, "timestamp": "2024-05-01T11:58:00Z"},
        ],
        "scaleUpEvents": [],
        "scaleDownEvents": [],
    }
    out = sim.post("/api/simulate/hpa/reconcile", json=reconcile_body(6, "50m", history=history)).get_json()
    assert out["history"]["recommendations"] == [
        {"replicas": 3, "timestamp": NOW},
        {"replicas": 6, "timestamp": "2024-05-01T11:58:00Z"},
    ]
    assert out["desiredReplicas"] == 6


def test_behavior_events_in_history(sim):
    body = reconcile_body(2, "300m")
    body["hpa"] = hpa(behavior={"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}})
    body["history"] = {"scaleUpEvents": [{"replicaChange": 1, "timestamp": "2024-05-01T11:59:30Z"}]}
    out = sim.post("/api/simulate/hpa/reconcile", json=body).get_json()
    # periodStart = 2 - 1 = 1 -> limit 2 = current: no scale-up this period
    assert (out["desiredReplicas"], out["rescale"], out["reason"]) == (2, False, "ScaleUpLimit")


def test_yaml_body(sim):
    text = yaml.safe_dump(reconcile_body())
    for ctype in ("application/yaml", "text/yaml"):
        resp = sim.post("/api/simulate/hpa/reconcile", data=text, content_type=ctype)
        assert resp.status_code == 200 and resp.get_json()["desiredReplicas"] == 4


def test_unquoted_yaml_timestamps(sim):
    text = yaml.safe_dump(reconcile_body()).replace(f"'{NOW}'", "2024-05-01T12:00:00Z")
    resp = sim.post("/api/simulate/hpa/reconcile", data=text, content_type="application/yaml")
    assert resp.status_code == 200


def test_config_keys(sim):
    body = reconcile_body(
        10, "200m"
    )  # 100 % of the request at a 50 % target... with a huge tolerance nothing moves
    body["config"] = {
        "tolerance": 1.5,
        "downscaleStabilizationWindowSeconds": 0,
        "cpuInitializationPeriodSeconds": 300,
        "initialReadinessDelaySeconds": 30,
    }
    body["hpa"] = hpa(max_r=30)
    out = sim.post("/api/simulate/hpa/reconcile", json=body).get_json()
    assert (out["desiredReplicas"], out["rescale"]) == (10, False)


def test_metric_failure_is_200_with_failed_reason(sim):
    body = reconcile_body()
    body["podMetrics"] = []
    resp = sim.post("/api/simulate/hpa/reconcile", json=body)
    assert resp.status_code == 200
    out = resp.get_json()
    assert (out["desiredReplicas"], out["rescale"], out["reason"]) == (2, False, "FailedGetResourceMetric")
    assert out["message"].startswith("the HPA was unable to compute the replica count")


def test_disabled_at_zero_replicas(sim):
    body = reconcile_body(0)
    out = sim.post("/api/simulate/hpa/reconcile", json=body).get_json()
    assert (out["desiredReplicas"], out["rescale"], out["reason"]) == (0, False, "ScalingDisabled")


def test_object_and_external_metrics(sim):
    metrics = [
        {
            "type": "Object",
            "object": {
                "describedObject": {"kind": "Ingress", "name": "main", "apiVersion": "networking.k8s.io/v1"},
                "metric": {"name": "requests"},
                "target": {"type": "AverageValue", "averageValue": "10"},
            },
        },
        {
            "type": "External",
            "external": {
                "metric": {"name": "queue", "selector": {"matchLabels": {"q": "jobs"}}},
                "target": {"type": "Value", "value": "30"},
            },
        },
        {
            "type": "Pods",
            "pods": {"metric": {"name": "tps"}, "target": {"type": "AverageValue", "averageValue": "5"}},
        },
    ]
    body = reconcile_body(3)
    body["hpa"] = hpa(min_r=1, max_r=50, metrics=metrics)
    body["scale"] = {"spec": {"replicas": 3}, "status": {"replicas": 4}}
    body["objectMetrics"] = [
        {
            "describedObject": {"kind": "Ingress", "name": "main", "apiVersion": "networking.k8s.io/v1"},
            "metric": {"name": "requests"},
            "value": "100",
        },
        *(
            {"describedObject": {"kind": "Pod", "name": f"web-{i}"}, "metric": {"name": "tps"}, "value": "5"}
            for i in range(3)
        ),
    ]
    body["externalMetrics"] = [
        {"metric": {"name": "queue", "selector": {"matchLabels": {"q": "jobs"}}}, "values": ["20", "40"]}
    ]
    out = sim.post("/api/simulate/hpa/reconcile", json=body).get_json()
    # object: ceil(100 / 10) = 10 on status.replicas 4; external: 60 / 30 = 2 x 3 ready = 6; pods: within tolerance -> 3
    assert out["metricProposal"] == 10
    assert out["currentMetrics"][0]["object"]["current"] == {"averageValue": "25"}
    assert out["currentMetrics"][1]["external"]["current"] == {"value": "60"}
    assert out["currentMetrics"][2]["pods"]["current"] == {"averageValue": "5"}


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda b: b["hpa"]["spec"].update(minReplicas=5, maxReplicas=3), "invalid_object"),
        (lambda b: b["scale"]["spec"].update(replicas=-1), "invalid_object"),
        (lambda b: b["hpa"]["spec"].update(minReplicas=-2), "invalid_object"),
        (lambda b: b["hpa"]["spec"]["metrics"].append({"type": "CheddarCheese"}), "unknown_metric_type"),
        (
            lambda b: b["pods"][0]["spec"]["containers"][0]["resources"]["requests"].update(cpu="12x"),
            "invalid_quantity",
        ),
        (lambda b: b["podMetrics"][0]["containers"][0]["usage"].update(cpu="lots"), "invalid_quantity"),
        (lambda b: b["pods"][0].update(kind="Banana"), "unknown_kind"),
        (lambda b: b.update(now="yesterday"), "invalid_time"),
        (lambda b: b.pop("now"), "invalid_object"),
        (lambda b: b["hpa"]["spec"].pop("maxReplicas"), "invalid_object"),
        (
            lambda b: b["hpa"]["spec"]["metrics"][0]["resource"]["target"].update(type="Percent"),
            "invalid_object",
        ),
        (lambda b: b.update(scale=[1, 2]), "invalid_object"),
    ],
    ids=[
        "min>max",
        "negative scale replicas",
        "negative minReplicas",
        "unknown metric type",
        "unparsable request",
        "unparsable usage",
        "unknown kind",
        "bad now",
        "missing now",
        "missing maxReplicas",
        "bad target type",
        "scale not an object",
    ],
)
def test_reconcile_client_errors(sim, mutate, code):
    body = copy.deepcopy(reconcile_body())
    mutate(body)
    resp = sim.post("/api/simulate/hpa/reconcile", json=body)
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == code and error["message"]


def test_daemonset_target_cites_the_graph_fact(sim):
    body = reconcile_body()
    body["hpa"] = hpa(kind="DaemonSet")
    resp = sim.post("/api/simulate/hpa/reconcile", json=body)
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "not_scalable" and "DaemonSet" in error["message"]
    fact = error["details"]["fact"]
    assert (
        fact["negative"] is True
        and fact["predicate"].endswith("#canScale")
        and fact["object"].endswith("/DaemonSet")
    )
    assert fact["subject"].endswith("/HorizontalPodAutoscaler") and fact["section"]


@pytest.mark.parametrize(
    ("data", "ctype", "status", "code"),
    [
        ("[1, 2]", "application/json", 400, "invalid_body"),
        ('"a string"', "application/json", 400, "invalid_body"),
        ("{not json", "application/json", 400, "invalid_body"),
        ("", "application/json", 400, "invalid_body"),
        ("- a\n- list\n", "application/yaml", 400, "invalid_body"),
        ("key: [unclosed", "text/yaml", 400, "invalid_body"),
        ("hpa=1", "text/plain", 415, "unsupported_media_type"),
        ("hpa=1", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ],
    ids=["json list", "json string", "bad json", "empty", "yaml list", "bad yaml", "text/plain", "form"],
)
def test_body_errors(sim, data, ctype, status, code):
    for path in (
        "/api/simulate/hpa/reconcile",
        "/api/simulate/pv/bind",
        "/api/simulate/pv/sync-volume",
        "/api/simulate/nodeport",
    ):
        resp = sim.post(path, data=data, content_type=ctype)
        assert resp.status_code == status, path
        assert resp.get_json()["error"]["code"] == code


def test_missing_content_type_is_415(sim):
    resp = sim.post("/api/simulate/hpa/reconcile", data=json.dumps(reconcile_body()))
    assert resp.status_code == 415


# ---------------------------------------------------------------------------------------------- /pv/bind


def pv(
    name,
    size,
    modes=("ReadWriteOnce",),
    klass=None,
    source=None,
    claim_ref=None,
    phase="Available",
    labels=None,
    policy="Retain",
):
    spec = {
        "capacity": {"storage": size},
        "accessModes": list(modes),
        "persistentVolumeReclaimPolicy": policy,
        **(source or {"nfs": {"server": "s", "path": "/" + name}}),
    }
    if klass is not None:
        spec["storageClassName"] = klass
    if claim_ref is not None:
        spec["claimRef"] = claim_ref
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": spec,
        "status": {"phase": phase},
    }


def pvc(name="data", size="1Gi", modes=("ReadWriteOnce",), klass=None, volume_name=None, uid="uid-data"):
    spec = {"accessModes": list(modes), "resources": {"requests": {"storage": size}}}
    if klass is not None:
        spec["storageClassName"] = klass
    if volume_name:
        spec["volumeName"] = volume_name
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "default", "uid": uid},
        "spec": spec,
    }


def sc(name, provisioner="kubernetes.io/aws-ebs", mode="Immediate", default=False):
    meta = {"name": name}
    if default:
        meta["annotations"] = {"storageclass.kubernetes.io/is-default-class": "true"}
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": meta,
        "provisioner": provisioner,
        "volumeBindingMode": mode,
    }


def test_bind_fewest_modes_then_smallest(sim):
    body = {
        "persistentVolumes": [
            pv("wide-small", "1Gi", ("ReadWriteOnce", "ReadOnlyMany")),
            pv("narrow-big", "10Gi"),
            pv("narrow-huge", "100Gi"),
        ],
        "claim": pvc(),
        "storageClasses": [],
    }
    out = sim.post("/api/simulate/pv/bind", json=body).get_json()
    assert (out["volumeName"], out["reason"]) == ("narrow-big", "Bound")
    assert out["accessModeGroup"] == "RWO" and out["prebound"] is False


def test_bind_prebound_wins(sim):
    ref = {"kind": "PersistentVolumeClaim", "namespace": "default", "name": "data"}
    body = {
        "persistentVolumes": [pv("small", "1Gi"), pv("reserved", "50Gi", claim_ref=ref)],
        "claim": pvc(),
        "storageClasses": [],
    }
    out = sim.post("/api/simulate/pv/bind", json=body).get_json()
    assert (out["volumeName"], out["prebound"]) == ("reserved", True)


def test_bind_provisioning_when_nothing_matches(sim):
    body = {
        "persistentVolumes": [pv("small", "1Gi", klass="gp2")],
        "claim": pvc(size="5Gi", klass="gp2"),
        "storageClasses": [sc("gp2")],
    }
    out = sim.post("/api/simulate/pv/bind", json=body).get_json()
    assert out["volumeName"] is None and "Provisioning" in out["reason"] and "provision" in out["message"]
    csi = {
        "persistentVolumes": [],
        "claim": pvc(klass="fast"),
        "storageClasses": [sc("fast", "ebs.csi.aws.com")],
    }
    out = sim.post("/api/simulate/pv/bind", json=csi).get_json()
    assert (out["volumeName"], out["reason"]) == (None, "ExternalProvisioning")


def test_bind_wait_for_first_consumer(sim):
    body = {
        "persistentVolumes": [pv("local", "10Gi", klass="local")],
        "claim": pvc(klass="local"),
        "storageClasses": [sc("local", "kubernetes.io/no-provisioner", "WaitForFirstConsumer")],
    }
    out = sim.post("/api/simulate/pv/bind", json=body).get_json()
    assert (out["volumeName"], out["reason"]) == (None, "WaitForFirstConsumer")


def test_bind_class_missing_and_no_class(sim):
    missing = sim.post(
        "/api/simulate/pv/bind",
        json={"persistentVolumes": [], "claim": pvc(klass="gold"), "storageClasses": []},
    ).get_json()
    assert (missing["reason"], missing["message"]) == (
        "ProvisioningFailed",
        'storageclass.storage.k8s.io "gold" not found',
    )
    none = sim.post(
        "/api/simulate/pv/bind", json={"persistentVolumes": [], "claim": pvc(), "storageClasses": []}
    ).get_json()
    assert (none["volumeName"], none["reason"]) == (None, "FailedBinding")


def test_bind_nil_class_gets_default_class(sim):
    body = {
        "persistentVolumes": [pv("gp", "5Gi", klass="std")],
        "claim": pvc(),
        "storageClasses": [sc("std", default=True)],
    }
    out = sim.post("/api/simulate/pv/bind", json=body).get_json()
    assert (out["volumeName"], out["defaultStorageClassAssigned"]) == ("gp", "std")


def test_bind_volume_name_mismatch(sim):
    body = {
        "persistentVolumes": [pv("named", "1Gi")],
        "claim": pvc(size="2Gi", volume_name="named"),
        "storageClasses": [],
    }
    out = sim.post("/api/simulate/pv/bind", json=body).get_json()
    assert (out["volumeName"], out["reason"], out["message"]) == (
        None,
        "VolumeMismatch",
        'Cannot bind to requested volume "named": requested PV is too small',
    )


def test_bind_refuses_plugin_without_the_access_mode(sim):
    body = {
        "persistentVolumes": [
            pv("ebs", "1Gi", ("ReadWriteMany",), source={"awsElasticBlockStore": {"volumeID": "v"}})
        ],
        "claim": pvc(),
        "storageClasses": [],
    }
    resp = sim.post("/api/simulate/pv/bind", json=body)
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "unsupported_access_mode" and error["details"]["fact"]["predicate"].endswith(
        "#lacksAccessMode"
    )


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (
            lambda b: b["claim"]["spec"]["resources"]["requests"].update(storage="ten gigs"),
            "invalid_quantity",
        ),
        (lambda b: b["claim"]["spec"].update(accessModes=["ReadWriteSometimes"]), "invalid_object"),
        (lambda b: b["persistentVolumes"][0].update(kind="Gadget"), "unknown_kind"),
        (lambda b: b.pop("claim"), "invalid_object"),
        (lambda b: b.update(claim="not an object"), "invalid_object"),
        (lambda b: b.update(persistentVolumes=["not an object"]), "invalid_object"),
        (lambda b: b.update(storageClasses="gold"), "invalid_object"),
        (
            lambda b: b["storageClasses"].append({"kind": "StorageClass", "metadata": {"name": "x"}}),
            "invalid_object",
        ),
    ],
    ids=[
        "bad size",
        "bad access mode",
        "unknown kind",
        "no claim",
        "claim a string",
        "volume a string",
        "classes a string",
        "class without provisioner",
    ],
)
def test_bind_client_errors(sim, mutate, code):
    body = {"persistentVolumes": [pv("a", "1Gi")], "claim": pvc(), "storageClasses": []}
    mutate(body)
    resp = sim.post("/api/simulate/pv/bind", json=body)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == code


# ---------------------------------------------------------------------------------------------- /pv/sync-volume


def released_body(policy, source=None, **extra):
    ref = {"kind": "PersistentVolumeClaim", "namespace": "default", "name": "gone", "uid": "uid-gone"}
    return {
        "persistentVolume": pv("vol", "1Gi", claim_ref=ref, phase="Bound", policy=policy, source=source),
        "claims": [],
        "storageClasses": [],
        "pods": [],
        **extra,
    }


EBS = {"awsElasticBlockStore": {"volumeID": "vol-1"}}


def test_sync_volume_retain_released_keeps_claim_ref(sim):
    out = sim.post("/api/simulate/pv/sync-volume", json=released_body("Retain")).get_json()
    assert out["persistentVolume"]["status"]["phase"] == "Released"
    assert out["persistentVolume"]["spec"]["claimRef"]["uid"] == "uid-gone"
    assert out["events"] == []


def test_sync_volume_delete_removes_the_volume(sim):
    out = sim.post("/api/simulate/pv/sync-volume", json=released_body("Delete", EBS)).get_json()
    assert out["persistentVolume"] is None and out["deleted"] is True and out["storageAssetDeleted"] is True


def test_sync_volume_delete_fault_then_retry(sim):
    once = released_body("Delete", EBS, faults={"delete": "fails-once"})
    first = sim.post("/api/simulate/pv/sync-volume", json=once).get_json()
    assert first["persistentVolume"]["status"]["phase"] == "Failed"
    assert [(e["type"], e["reason"]) for e in first["events"]] == [("Warning", "VolumeFailedDelete")]
    second = sim.post("/api/simulate/pv/sync-volume", json={**once, "syncs": 2}).get_json()
    assert second["persistentVolume"] is None and second["phases"] == ["Failed", "Deleted"]
    always = sim.post(
        "/api/simulate/pv/sync-volume", json=released_body("Delete", EBS, faults={"delete": "fails"}, syncs=3)
    ).get_json()
    assert always["phases"] == ["Failed", "Failed", "Failed"] and len(always["events"]) == 1


def test_sync_volume_recycle_and_user_reservation(sim):
    out = sim.post("/api/simulate/pv/sync-volume", json=released_body("Recycle")).get_json()
    pv_out = out["persistentVolume"]
    assert pv_out["status"]["phase"] == "Available"
    assert (
        pv_out["spec"]["claimRef"]["name"] == "gone" and pv_out["spec"]["claimRef"]["uid"] == ""
    )  # still reserved by name
    assert [e["reason"] for e in out["events"]] == ["VolumeRecycled"]


def test_sync_volume_recycle_without_plugin_fails(sim):
    out = sim.post("/api/simulate/pv/sync-volume", json=released_body("Recycle", EBS)).get_json()
    assert out["persistentVolume"]["status"] == {
        **out["persistentVolume"]["status"],
        "phase": "Failed",
        "message": "No recycler plugin found for the volume!",
    }


def test_sync_volume_unknown_policy_and_failed_not_overwritten(sim):
    out = sim.post("/api/simulate/pv/sync-volume", json=released_body("Scrub", syncs=2)).get_json()
    assert out["phases"] == ["Failed", "Failed"]
    assert (
        out["persistentVolume"]["status"]["message"]
        == "Volume has unrecognized PersistentVolumeReclaimPolicy"
    )


def test_sync_volume_bound_claim_keeps_bound(sim):
    body = released_body("Delete", EBS)
    body["claims"] = [{**pvc("gone", uid="uid-gone", volume_name="vol"), "status": {"phase": "Bound"}}]
    out = sim.post("/api/simulate/pv/sync-volume", json=body).get_json()
    assert out["persistentVolume"]["status"]["phase"] == "Bound"


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda b: b.update(faults={"delete": "maybe"}), "invalid_object"),
        (lambda b: b.update(syncs=0), "invalid_object"),
        (lambda b: b.pop("persistentVolume"), "invalid_object"),
        (lambda b: b["persistentVolume"]["spec"]["capacity"].update(storage="1 Gi"), "invalid_quantity"),
    ],
    ids=["bad fault", "zero syncs", "no volume", "bad capacity"],
)
def test_sync_volume_client_errors(sim, mutate, code):
    body = released_body("Retain")
    mutate(body)
    resp = sim.post("/api/simulate/pv/sync-volume", json=body)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == code


# ---------------------------------------------------------------------------------------------- scenario endpoints and pages


def test_timeline_endpoint(sim):
    out = sim.post("/api/simulate/hpa/timeline", json=examples.document_timeline_body()).get_json()
    assert [r["desiredReplicas"] for r in out["rows"][:3]] == [4, 6, 6]
    assert out["syncPeriodSeconds"] == 15


def test_scenario_endpoints_answer(sim):
    bodies = {
        "/api/simulate/pv/scenario": examples.pv_lifecycle_body(),
        "/api/simulate/daemonset": {
            "daemonSet": {
                "kind": "DaemonSet",
                "metadata": {"name": "agent"},
                "spec": {"template": {"spec": {}}},
            },
            "nodes": [{"metadata": {"name": "n1"}}],
        },
        "/api/simulate/job": {"job": {"kind": "Job", "metadata": {"name": "pi"}, "spec": {"completions": 2}}},
        "/api/simulate/cronjob": {
            "cronJob": {"kind": "CronJob", "metadata": {"name": "c"}, "spec": {"schedule": "*/15 * * * *"}},
            "duration": "1h",
        },
        "/api/simulate/deployment": {
            "deployment": {
                "kind": "Deployment",
                "metadata": {"name": "web"},
                "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "w", "image": "a"}]}}},
            },
            "steps": [{"action": "update", "image": "b"}],
        },
        "/api/simulate/nodeport": {
            "services": [
                {
                    "kind": "Service",
                    "metadata": {"name": "s"},
                    "spec": {"type": "NodePort", "ports": [{"port": 80}]},
                }
            ]
        },
    }
    for path, body in bodies.items():
        resp = sim.post(path, json=body)
        assert resp.status_code == 200, (path, resp.get_json())


def test_pages_render_svg_without_inline_script_or_style(sim):
    for path in (
        "/simulate/hpa",
        "/simulate/pv",
        "/simulate/hpa?preset=ramp-and-spike-with-behavior",
        "/simulate/pv?preset=dynamic-provisioning-and-faults",
    ):
        resp = sim.get(path)
        assert resp.status_code == 200, path
        html = resp.get_data(as_text=True)
        assert "<svg" in html and "<script" not in html and " style=" not in html and "<style" not in html
    css = sim.get("/simulate/static/sim.css")
    try:
        assert css.status_code == 200 and b".sim-chart" in css.get_data() or b"sim-main" in css.get_data()
    finally:
        css.close()


def test_page_form_errors_are_shown(sim):
    resp = sim.post("/simulate/hpa", data={"body": "hpa: [broken"})
    assert resp.status_code == 422 and "invalid_body" in resp.get_data(as_text=True)
    ok = sim.post("/simulate/hpa", data={"body": examples.preset_yaml("hpa", "document-example")})
    assert ok.status_code == 200 and "ScaleUpLimit" in ok.get_data(as_text=True)


# ---------------------------------------------------------------------------------------------- the service app and the real graph


def test_in_the_service_app_with_the_graph(client):
    """create_app registers the blueprint; facts come from the knowledge graph (DaemonSet refusal cites its section)."""
    body = reconcile_body()
    body["hpa"] = hpa(kind="DaemonSet")
    resp = client.post("/api/simulate/hpa/reconcile", json=body)
    assert resp.status_code == 422
    fact = resp.get_json()["error"]["details"]["fact"]
    assert fact["section"].startswith("https://kubekg.dev/id/section/") and fact["heading"]
    ok = client.post("/api/simulate/hpa/reconcile", json=reconcile_body()).get_json()
    assert ok["factsSource"] == "graph" and ok["desiredReplicas"] == 4
    page = client.get("/simulate/hpa")
    assert page.status_code == 200 and "<script" not in page.get_data(as_text=True)


def test_go_zero_times_from_marshalled_test_fixtures(sim):
    """Pods without startTime and samples without timestamp read as Go's zero time (how the k8s fixtures marshal)."""

    def fixture_pod(i, start=None):
        status = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
        if start:
            status["startTime"] = start
        return {
            "kind": "Pod",
            "metadata": {"name": f"test-pod-{i}"},
            "spec": {
                "containers": [
                    {"name": "c1", "resources": {"requests": {"cpu": "500m"}}},
                    {"name": "c2", "resources": {"requests": {"cpu": "500m"}}},
                ]
            },
            "status": status,
        }

    body = {
        "hpa": hpa(
            min_r=2,
            max_r=6,
            metrics=[
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 30}},
                }
            ],
        ),
        "scale": {"spec": {"replicas": 3}},
        "pods": [fixture_pod(0, NOW), fixture_pod(1), fixture_pod(2)],  # pod 0 is "hot": started now
        "podMetrics": [
            {
                "kind": "PodMetrics",
                "metadata": {"name": f"test-pod-{i}"},
                "containers": [
                    {"name": "c1", "usage": {"cpu": f"{v}m"}},
                    {"name": "c2", "usage": {"cpu": f"{v}m"}},
                ],
            }
            for i, v in enumerate([150, 250, 350])
        ],
        "now": NOW,
        "config": {"cpuInitializationPeriodSeconds": 120, "initialReadinessDelaySeconds": 10},
    }
    out = sim.post("/api/simulate/hpa/reconcile", json=body).get_json()
    # TestScaleUpHotCpuLessScale: the hot pod is unready -> 60 % over two pods -> added back at 0 -> 40 % -> 4
    assert (
        out["desiredReplicas"],
        out["currentMetrics"][0]["resource"]["current"]["averageUtilization"],
    ) == (4, 60)


def test_bind_fresh_manifests_without_status_are_synced_first(sim):
    """A PV manifest with no status at all gets Available from its first volume sync; an empty status stays unmatched (1-17)."""
    fresh = pv("fresh", "1Gi")
    fresh.pop("status")
    out = sim.post("/api/simulate/pv/bind", json={"persistentVolumes": [fresh], "claim": pvc()}).get_json()
    assert (out["volumeName"], out["assumedAvailable"]) == ("fresh", ["fresh"])
    empty = pv("empty", "1Gi")
    empty["status"] = {}
    out = sim.post("/api/simulate/pv/bind", json={"persistentVolumes": [empty], "claim": pvc()}).get_json()
    assert out["volumeName"] is None
