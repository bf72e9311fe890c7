"""PV scenarios: the lifecycle of the document (provisioning, binding, use, reclaim, deletion) step by step."""

from __future__ import annotations

import pytest

from kubekg.simulation import examples
from kubekg.simulation.errors import InvalidObject
from kubekg.simulation.facts import DEFAULT_FACTS
from kubekg.simulation.pv import scenario

F = DEFAULT_FACTS


def phases(step, table="volumes"):
    return {k: v["phase"] + ("*" if v["terminating"] else "") for k, v in step[table].items()}


@pytest.fixture(scope="module")
def lifecycle():
    return scenario.run(examples.pv_lifecycle_body(), F)


def test_static_binding_smallest_fit(lifecycle):
    steps = lifecycle["steps"]
    assert phases(steps[1]) == {
        "pv-delete": "Available",
        "pv-recycle": "Available",
        "pv-retain": "Bound",
    }  # 8Gi -> 10Gi
    assert steps[3]["claims"]["default/data-c"]["volumeName"] == "pv-recycle"


def test_claim_in_use_stays_until_the_pod_is_gone(lifecycle):
    steps = lifecycle["steps"]
    deleted = steps[5]
    assert deleted["claims"]["default/data-a"]["terminating"] is True
    assert phases(deleted)["pv-retain"] == "Bound"
    after_pod = steps[6]
    assert "default/data-a" not in after_pod["claims"]
    assert phases(after_pod)["pv-retain"] == "Released"


def test_reclaim_policies(lifecycle):
    final = lifecycle["final"]["volumes"]
    assert (
        final["pv-retain"]["phase"] == "Released" and final["pv-retain"]["claim"] == "default/data-a"
    )  # claimRef kept
    assert "pv-delete" not in final and lifecycle["deletedStorageAssets"] == ["pv-delete"]
    assert final["pv-recycle"]["phase"] == "Available" and final["pv-recycle"]["claim"] is None
    assert [e["reason"] for e in lifecycle["steps"][8]["events"]] == ["VolumeRecycled"]


@pytest.fixture(scope="module")
def dynamic():
    return scenario.run(examples.pv_dynamic_body(), F)


def test_wait_for_first_consumer_then_provision(dynamic):
    steps = dynamic["steps"]
    assert [e["reason"] for e in steps[1]["events"]] == ["WaitForFirstConsumer"]
    assert steps[1]["claims"]["default/db"]["phase"] == "Pending" and not steps[1]["volumes"]
    provisioned = steps[2]
    ((name, pv),) = provisioned["volumes"].items()
    assert name.startswith("pvc-") and pv["phase"] == "Bound" and pv["reclaimPolicy"] == "Delete"
    assert provisioned["pods"]["default/db-0"] == {"phase": "Running", "node": "node-1"}
    assert [e["reason"] for e in provisioned["events"]] == ["ProvisioningSucceeded", "Scheduled"]


def test_expansion(dynamic):
    step = dynamic["steps"][3]
    (pv,) = step["volumes"].values()
    assert pv["capacity"] == "40Gi" and step["claims"]["default/db"]["capacity"] == "40Gi"
    assert [e["reason"] for e in step["events"]] == [
        "Resizing",
        "VolumeResizeSuccessful",
        "FileSystemResizeSuccessful",
    ]


def test_failing_delete_is_retried_on_the_next_resync(dynamic):
    released = dynamic["steps"][6]
    (pv,) = released["volumes"].values()
    assert pv["phase"] == "Failed" and "injected fault" in pv["message"]
    assert [e["reason"] for e in released["events"]] == ["VolumeFailedDelete"]
    assert dynamic["steps"][7]["volumes"] == {} and len(dynamic["deletedStorageAssets"]) == 1


def sc(name, provisioner, expand=True, mode="Immediate", policy="Delete"):
    return {
        "kind": "StorageClass",
        "metadata": {"name": name},
        "provisioner": provisioner,
        "allowVolumeExpansion": expand,
        "volumeBindingMode": mode,
        "reclaimPolicy": policy,
    }


def pvc(name, size, klass, modes=("ReadWriteOnce",)):
    return {
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": {
            "accessModes": list(modes),
            "storageClassName": klass,
            "resources": {"requests": {"storage": size}},
        },
    }


def test_expansion_refusals():
    body = {
        "storageClasses": [
            sc("fixed", "kubernetes.io/aws-ebs", expand=False),
            sc("vs", "kubernetes.io/vsphere-volume"),
        ],
        "claims": [pvc("a", "1Gi", "fixed"), pvc("b", "1Gi", "vs")],
        "steps": [
            {"action": "expand", "claim": "a", "size": "2Gi"},
            {"action": "expand", "claim": "b", "size": "2Gi"},
            {"action": "expand", "claim": "b", "size": "500Mi"},
        ],
    }
    out = scenario.run(body, F)
    codes = [s.get("rejected", {}).get("code") for s in out["steps"][1:]]
    assert codes == ["expansion_not_allowed"] * 3
    assert "allowVolumeExpansion" in out["steps"][1]["rejected"]["message"]
    assert out["steps"][2]["rejected"]["details"]["fact"]["predicate"].endswith(
        "#supportsVolumeExpansion"
    )  # vSphere cannot, says the graph
    assert "less than previous value" in out["steps"][3]["rejected"]["message"]


def test_csi_class_external_provisioner_and_deleter():
    body = {
        "storageClasses": [sc("fast", "ebs.csi.aws.com")],
        "steps": [
            {"action": "create", "object": pvc("data", "5Gi", "fast")},
            {"at": "1m", "action": "delete", "kind": "PersistentVolumeClaim", "name": "data"},
        ],
    }
    out = scenario.run(body, F)
    assert [e["reason"] for e in out["steps"][1]["events"]] == [
        "ExternalProvisioning",
        "Provisioning",
        "ProvisioningSucceeded",
    ]
    assert out["steps"][1]["claims"]["default/data"]["phase"] == "Bound"
    assert out["steps"][2]["volumes"] == {} and len(out["deletedStorageAssets"]) == 1


def test_pv_deleted_while_bound_waits_for_release_and_keeps_storage():
    pv = {
        "kind": "PersistentVolume",
        "metadata": {"name": "keep"},
        "spec": {
            "capacity": {"storage": "1Gi"},
            "accessModes": ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Delete",
            "storageClassName": "",
            "awsElasticBlockStore": {"volumeID": "v"},
        },
    }
    body = {
        "persistentVolumes": [pv],
        "claims": [pvc("c", "1Gi", "")],
        "steps": [
            {"action": "delete", "kind": "PersistentVolume", "name": "keep"},
            {"action": "delete", "kind": "PersistentVolumeClaim", "name": "c"},
        ],
    }
    out = scenario.run(body, F)
    assert phases(out["steps"][1]) == {"keep": "Bound*"}
    assert (
        out["steps"][2]["volumes"] == {} and out["deletedStorageAssets"] == []
    )  # the object goes, the disk stays


def test_unsupported_access_mode_rejects_the_create_step():
    pv = {
        "kind": "PersistentVolume",
        "metadata": {"name": "ebs"},
        "spec": {
            "capacity": {"storage": "1Gi"},
            "accessModes": ["ReadWriteMany"],
            "awsElasticBlockStore": {"volumeID": "v"},
        },
    }
    out = scenario.run({"steps": [{"action": "create", "object": pv}]}, F)
    assert (
        out["steps"][1]["rejected"]["code"] == "unsupported_access_mode" and out["steps"][1]["volumes"] == {}
    )


def test_retain_pre_bound_volume_is_reserved_by_name_after_recycle():
    pv = {
        "kind": "PersistentVolume",
        "metadata": {"name": "nfs"},
        "spec": {
            "capacity": {"storage": "1Gi"},
            "accessModes": ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Recycle",
            "storageClassName": "",
            "nfs": {"server": "s", "path": "/"},
            "claimRef": {"namespace": "default", "name": "mine"},
        },
    }
    body = {
        "persistentVolumes": [pv],
        "claims": [pvc("mine", "1Gi", "")],
        "steps": [{"action": "delete", "kind": "PersistentVolumeClaim", "name": "mine"}],
    }
    out = scenario.run(body, F)
    final = out["final"]["volumes"]["nfs"]
    assert final["phase"] == "Available" and final["claim"] == "default/mine" and final["claimUID"] is None


@pytest.mark.parametrize(
    ("step", "field"),
    [
        ({"action": "teleport"}, "steps[0].action"),
        ({"action": "delete", "kind": "Node", "name": "x"}, "steps[0].kind"),
        ({"action": "injectFault", "operation": "recycle", "mode": "sometimes"}, "steps[0].mode"),
    ],
)
def test_bad_steps(step, field):
    out_or_error = None
    try:
        out_or_error = scenario.run({"steps": [step]}, F)
    except InvalidObject as exc:
        assert exc.path == field
        return
    assert out_or_error["steps"][1]["rejected"]["details"]["field"] == field


def test_unknown_kind_is_a_client_error():
    with pytest.raises(InvalidObject) as info:
        scenario.run(
            {"steps": [{"action": "create", "object": {"kind": "Gizmo", "metadata": {"name": "g"}}}]}, F
        )
    assert info.value.code == "unknown_kind"
