"""The PV controller's claim and volume syncs, binding and reclaim (binder_test, recycle_test, delete_test cases)."""

from __future__ import annotations

import pytest
from pv_fixtures import ROX, RWO, RWX, claim, volume
from sim_fixtures import NOW

from kubekg.simulation.errors import InvalidObject, UnsupportedAccessMode
from kubekg.simulation.facts import DEFAULT_FACTS
from kubekg.simulation.objects import ANN_BIND_COMPLETED as BC
from kubekg.simulation.objects import ANN_BOUND_BY_CONTROLLER as BBC
from kubekg.simulation.objects import ANN_PROVISIONED_BY as DP
from kubekg.simulation.objects import ANN_SELECTED_NODE, parse_pod, parse_storage_class
from kubekg.simulation.pv.controller import ANN_PRE_RESIZE_CAPACITY, PVController

NFS = {"nfs": {"server": "nfs.example", "path": "/export"}}
EBS = {"awsElasticBlockStore": {"volumeID": "vol-1"}}
NONE: dict = {}
WAIT_CLASS = parse_storage_class(
    {
        "kind": "StorageClass",
        "metadata": {"name": "wait"},
        "provisioner": "kubernetes.io/no-provisioner",
        "volumeBindingMode": "WaitForFirstConsumer",
    }
)


def ctrl(volumes=(), claims=(), classes=(WAIT_CLASS,), pods=(), faults=None) -> PVController:
    return PVController.build(
        DEFAULT_FACTS, NOW, volumes, claims, classes, [parse_pod(p) for p in pods], faults
    )


def vstate(c: PVController, name: str):
    """(phase, claimRef uid, claimRef name, bound-by-controller) of a volume, None when it is gone."""
    doc = c.volumes.get(name)
    if doc is None:
        return None
    ref = doc["spec"].get("claimRef")
    anns = doc["metadata"].get("annotations") or {}
    return (
        doc.get("status", {}).get("phase"),
        ref.get("uid") if ref else None,
        ref.get("name") if ref else None,
        BBC in anns,
    )


def cstate(c: PVController, key: str):
    """(phase, volumeName, bound-by-controller, bind-completed) of a claim."""
    doc = c.claims[f"default/{key}"]
    anns = doc["metadata"].get("annotations") or {}
    return (doc["status"]["phase"], doc["spec"].get("volumeName", ""), BBC in anns, BC in anns)


def reasons(c: PVController):
    return [f"{e['type']} {e['reason']}" for e in c.events]


# name, volumes, claims, claim to sync, expected volume states, expected claim state, expected event reasons
SYNC_CLAIM = [
    (
        "1-1 - successful bind",
        [volume("volume1-1", "1Gi")],
        [claim("claim1-1", "uid1-1", "1Gi")],
        {"volume1-1": ("Bound", "uid1-1", "claim1-1", True)},
        ("Bound", "volume1-1", True, True),
        [],
    ),
    (
        "1-2 - noop",
        [volume("volume1-2", "1Gi")],
        [claim("claim1-2", "uid1-2", "10Gi")],
        {"volume1-2": ("Available", None, None, False)},
        ("Pending", "", False, False),
        ["Normal FailedBinding"],
    ),
    (
        "1-3 - reset to Pending",
        [volume("volume1-3", "1Gi")],
        [claim("claim1-3", "uid1-3", "10Gi", "", "Bound")],
        {"volume1-3": ("Available", None, None, False)},
        ("Pending", "", False, False),
        ["Normal FailedBinding"],
    ),
    (
        "1-4 - smallest volume",
        [volume("volume1-4_1", "10Gi"), volume("volume1-4_2", "1Gi")],
        [claim("claim1-4", "uid1-4", "1Gi")],
        {
            "volume1-4_1": ("Available", None, None, False),
            "volume1-4_2": ("Bound", "uid1-4", "claim1-4", True),
        },
        ("Bound", "volume1-4_2", True, True),
        [],
    ),
    (
        "1-5 - prebound volume by name - success",
        [volume("volume1-5_1", "10Gi", "", "claim1-5"), volume("volume1-5_2", "1Gi")],
        [claim("claim1-5", "uid1-5", "1Gi")],
        {
            "volume1-5_1": ("Bound", "uid1-5", "claim1-5", False),
            "volume1-5_2": ("Available", None, None, False),
        },
        ("Bound", "volume1-5_1", True, True),
        [],
    ),
    (
        "1-6 - prebound volume by UID - success",
        [volume("volume1-6_1", "10Gi", "uid1-6", "claim1-6"), volume("volume1-6_2", "1Gi")],
        [claim("claim1-6", "uid1-6", "1Gi")],
        {"volume1-6_1": ("Bound", "uid1-6", "claim1-6", False)},
        ("Bound", "volume1-6_1", True, True),
        [],
    ),
    (
        "1-7 - prebound volume to different claim",
        [volume("volume1-7", "10Gi", "uid1-777", "claim1-7")],
        [claim("claim1-7", "uid1-7", "1Gi")],
        {"volume1-7": ("Available", "uid1-777", "claim1-7", False)},
        ("Pending", "", False, False),
        ["Normal FailedBinding"],
    ),
    (
        "1-8 - complete bind after crash - PV bound",
        [volume("volume1-8", "1Gi", "uid1-8", "claim1-8", "Available", "Retain", "", BBC)],
        [claim("claim1-8", "uid1-8", "1Gi")],
        {"volume1-8": ("Bound", "uid1-8", "claim1-8", True)},
        ("Bound", "volume1-8", True, True),
        [],
    ),
    (
        "1-10 - complete bind after crash - PVC bound",
        [volume("volume1-10", "1Gi", "uid1-10", "claim1-10", "Bound", "Retain", "", BBC)],
        [claim("claim1-10", "uid1-10", "1Gi", "volume1-10", "Pending", None, BBC, BC)],
        {"volume1-10": ("Bound", "uid1-10", "claim1-10", True)},
        ("Bound", "volume1-10", True, True),
        [],
    ),
    (
        "1-11 - bind when selector matches",
        [volume("volume1-1", "1Gi", labels={"foo": "true", "bar": "false"})],
        [claim("claim1-1", "uid1-1", "1Gi", selector={"matchLabels": {"foo": "true", "bar": "false"}})],
        {"volume1-1": ("Bound", "uid1-1", "claim1-1", True)},
        ("Bound", "volume1-1", True, True),
        [],
    ),
    (
        "1-12 - do not bind when selector does not match",
        [volume("volume1-1", "1Gi")],
        [claim("claim1-1", "uid1-1", "1Gi", selector={"matchLabels": {"foo": "true"}})],
        {"volume1-1": ("Available", None, None, False)},
        ("Pending", "", False, False),
        ["Normal FailedBinding"],
    ),
    (
        "1-13 - delayed binding",
        [volume("volume1-1", "1Gi", klass="wait")],
        [claim("claim1-1", "uid1-1", "1Gi", klass="wait")],
        {"volume1-1": ("Available", None, None, False)},
        ("Pending", "", False, False),
        ["Normal WaitForFirstConsumer"],
    ),
    (
        "1-14 - successful prebound PV",
        [volume("volume1-1", "1Gi", "", "claim1-1", klass="wait")],
        [claim("claim1-1", "uid1-1", "1Gi", klass="wait")],
        {"volume1-1": ("Bound", "uid1-1", "claim1-1", False)},
        ("Bound", "volume1-1", True, True),
        [],
    ),
    (
        "1-15 - successful prebound PVC",
        [volume("volume1-15_1", "10Gi"), volume("volume1-15_2", "1Gi")],
        [claim("claim1-15", "uid1-15", "1Gi", "volume1-15_1")],
        {
            "volume1-15_1": ("Bound", "uid1-15", "claim1-15", True),
            "volume1-15_2": ("Available", None, None, False),
        },
        ("Bound", "volume1-15_1", False, True),
        [],
    ),
    (
        "1-16 - prebound PVC with a different access mode",
        [volume("volume1-16", "1Gi")],
        [claim("claim1-16", "uid1-16", "1Gi", "volume1-16", modes=[RWX])],
        {"volume1-16": ("Available", None, None, False)},
        ("Pending", "volume1-16", False, False),
        ["Warning VolumeMismatch"],
    ),
    (
        "1-17 - skip non-available PV if it's not pre-bound",
        [
            volume("volume1-17-pending", "1Gi", phase="Pending"),
            volume("volume1-17-failed", "1Gi", phase="Failed"),
            volume("volume1-17-released", "1Gi", phase="Released"),
            volume("volume1-17-empty", "1Gi", phase=""),
        ],
        [claim("claim1-17", "uid1-17", "1Gi")],
        {},
        ("Pending", "", False, False),
        ["Normal FailedBinding"],
    ),
    (
        "1-18 - successful pre-bound PV to PVC provisioning",
        [volume("volume1-18", "1Gi", "uid1-18", "claim1-18", klass="wait")],
        [
            dict(
                claim("claim1-18", "uid1-18", "1Gi", klass="wait"),
                metadata={
                    "name": "claim1-18",
                    "namespace": "default",
                    "uid": "uid1-18",
                    "annotations": {ANN_SELECTED_NODE: "node1"},
                },
            )
        ],
        {"volume1-18": ("Bound", "uid1-18", "claim1-18", False)},
        ("Bound", "volume1-18", True, True),
        [],
    ),
    (
        "2-1 - claim prebound to non-existing volume - noop",
        [],
        [claim("claim2-1", "uid2-1", "10Gi", "volume2-1")],
        {},
        ("Pending", "volume2-1", False, False),
        [],
    ),
    (
        "2-2 - claim prebound to non-existing volume - reset status",
        [],
        [claim("claim2-2", "uid2-2", "10Gi", "volume2-2", "Bound")],
        {},
        ("Pending", "volume2-2", False, False),
        [],
    ),
    (
        "2-3 - claim prebound to unbound volume",
        [volume("volume2-3", "1Gi")],
        [claim("claim2-3", "uid2-3", "1Gi", "volume2-3")],
        {"volume2-3": ("Bound", "uid2-3", "claim2-3", True)},
        ("Bound", "volume2-3", False, True),
        [],
    ),
    (
        "2-4 - claim prebound to prebound volume by name",
        [volume("volume2-4", "1Gi", "", "claim2-4")],
        [claim("claim2-4", "uid2-4", "1Gi", "volume2-4")],
        {"volume2-4": ("Bound", "uid2-4", "claim2-4", False)},
        ("Bound", "volume2-4", False, True),
        [],
    ),
    (
        "2-5 - claim prebound to prebound volume by UID",
        [volume("volume2-5", "1Gi", "uid2-5", "claim2-5")],
        [claim("claim2-5", "uid2-5", "1Gi", "volume2-5")],
        {"volume2-5": ("Bound", "uid2-5", "claim2-5", False)},
        ("Bound", "volume2-5", False, True),
        [],
    ),
    (
        "2-6 - claim prebound to already bound volume",
        [volume("volume2-6", "1Gi", "uid2-6_1", "claim2-6_1", "Bound")],
        [claim("claim2-6", "uid2-6", "1Gi", "volume2-6", "Bound")],
        {"volume2-6": ("Bound", "uid2-6_1", "claim2-6_1", False)},
        ("Pending", "volume2-6", False, False),
        ["Warning FailedBinding"],
    ),
    (
        "2-8 - claim prebound to unbound volume that does not match the selector",
        [volume("volume2-8", "1Gi")],
        [claim("claim2-8", "uid2-8", "1Gi", "volume2-8", selector={"matchLabels": {"foo": "true"}})],
        {"volume2-8": ("Bound", "uid2-8", "claim2-8", True)},
        ("Bound", "volume2-8", False, True),
        [],
    ),
    (
        "2-9 - claim prebound to unbound volume that size is smaller than requested",
        [volume("volume2-9", "1Gi")],
        [claim("claim2-9", "uid2-9", "2Gi", "volume2-9", "Bound")],
        {"volume2-9": ("Available", None, None, False)},
        ("Pending", "volume2-9", False, False),
        ["Warning VolumeMismatch"],
    ),
    (
        "2-10 - claim prebound to unbound volume that class is different",
        [volume("volume2-10", "1Gi", klass="gold")],
        [claim("claim2-10", "uid2-10", "1Gi", "volume2-10", "Bound")],
        {"volume2-10": ("Available", None, None, False)},
        ("Pending", "volume2-10", False, False),
        ["Warning VolumeMismatch"],
    ),
    (
        "claim spec.volumeName ignores the volume phase",
        [volume("released-free", "1Gi", phase="Released")],
        [claim("c", "uidc", "1Gi", "released-free")],
        {"released-free": ("Bound", "uidc", "c", True)},
        ("Bound", "released-free", False, True),
        [],
    ),
    (
        "3-1 - bound claim with missing VolumeName",
        [],
        [claim("claim3-1", "uid3-1", "10Gi", "", "Bound", None, BBC, BC)],
        {},
        ("Lost", "", True, True),
        ["Warning ClaimLost"],
    ),
    (
        "3-2 - bound claim with missing volume",
        [],
        [claim("claim3-2", "uid3-2", "10Gi", "volume3-2", "Bound", None, BBC, BC)],
        {},
        ("Lost", "volume3-2", True, True),
        ["Warning ClaimLost"],
    ),
    (
        "3-3 - bound claim with unbound volume",
        [volume("volume3-3", "10Gi")],
        [claim("claim3-3", "uid3-3", "10Gi", "volume3-3", "Pending", None, BBC, BC)],
        {"volume3-3": ("Bound", "uid3-3", "claim3-3", True)},
        ("Bound", "volume3-3", True, True),
        [],
    ),
    (
        "3-4 - bound claim with prebound volume",
        [volume("volume3-4", "10Gi", "claim3-4-x", "claim3-4")],
        [claim("claim3-4", "uid3-4", "10Gi", "volume3-4", "Pending", None, BBC, BC)],
        {"volume3-4": ("Available", "claim3-4-x", "claim3-4", False)},
        ("Lost", "volume3-4", True, True),
        ["Warning ClaimMisbound"],
    ),
    (
        "3-5 - bound claim with bound volume",
        [volume("volume3-5", "10Gi", "uid3-5", "claim3-5")],
        [claim("claim3-5", "uid3-5", "10Gi", "volume3-5", "Pending", None, BC)],
        {"volume3-5": ("Bound", "uid3-5", "claim3-5", False)},
        ("Bound", "volume3-5", False, True),
        [],
    ),
    (
        "3-6 - bound claim with bound volume of another claim",
        [volume("volume3-6", "10Gi", "uid3-6-x", "claim3-6-x")],
        [claim("claim3-6", "uid3-6", "10Gi", "volume3-6", "Pending", None, BC)],
        {"volume3-6": ("Available", "uid3-6-x", "claim3-6-x", False)},
        ("Lost", "volume3-6", False, True),
        ["Warning ClaimMisbound"],
    ),
    (
        "13-1 - binding to class",
        [volume("volume13-1-1", "1Gi"), volume("volume13-1-2", "10Gi", klass="gold")],
        [claim("claim13-1", "uid13-1", "1Gi", klass="gold")],
        {"volume13-1-2": ("Bound", "uid13-1", "claim13-1", True)},
        ("Bound", "volume13-1-2", True, True),
        [],
    ),
    (
        "13-2 - binding without a class",
        [volume("volume13-2-1", "1Gi", klass="gold"), volume("volume13-2-2", "10Gi")],
        [claim("claim13-2", "uid13-2", "1Gi")],
        {"volume13-2-2": ("Bound", "uid13-2", "claim13-2", True)},
        ("Bound", "volume13-2-2", True, True),
        [],
    ),
    (
        "13-4 - empty class",
        [volume("volume13-4", "1Gi")],
        [claim("claim13-4", "uid13-4", "1Gi", klass="")],
        {"volume13-4": ("Bound", "uid13-4", "claim13-4", True)},
        ("Bound", "volume13-4", True, True),
        [],
    ),
    (
        "14-3 - do not bind pv volumeMode filesystem and pvc volumeMode block",
        [volume("volume14-3", "10Gi")],
        [claim("claim14-3", "uid14-3", "10Gi", mode="Block")],
        {"volume14-3": ("Available", None, None, False)},
        ("Pending", "", False, False),
        ["Normal FailedBinding"],
    ),
    (
        "14-5 - matching class but not volumeMode: provisioning fails for a missing class",
        [volume("volume14-5", "10Gi", klass="gold")],
        [claim("claim14-5", "uid14-5", "10Gi", klass="gold", mode="Block")],
        {"volume14-5": ("Available", None, None, False)},
        ("Pending", "", False, False),
        ["Warning ProvisioningFailed"],
    ),
    (
        "14-5-2 - prebound pvc with matching volumeModes but another class",
        [volume("volume14-5-2", "10Gi", klass="gold")],
        [claim("claim14-5-2", "uid14-5-2", "10Gi", "volume14-5-2", klass="silver")],
        {"volume14-5-2": ("Available", None, None, False)},
        ("Pending", "volume14-5-2", False, False),
        ["Warning VolumeMismatch"],
    ),
    (
        "14-8-1 - pv prebound to a pvc with another volumeMode",
        [volume("volume14-8-1", "10Gi", "", "claim14-8-1", mode="Block")],
        [claim("claim14-8-1", "uid14-8-1", "10Gi")],
        {"volume14-8-1": ("Available", None, "claim14-8-1", False)},
        ("Pending", "", False, False),
        ["Normal FailedBinding"],
    ),
]


@pytest.mark.parametrize(
    ("volumes", "claims", "vols", "cl", "events"), [c[1:] for c in SYNC_CLAIM], ids=[c[0] for c in SYNC_CLAIM]
)
def test_sync_claim(volumes, claims, vols, cl, events):
    c = ctrl(volumes, claims)
    key = next(iter(c.claims))
    c.sync_claim(key)
    for name, state in vols.items():
        got = vstate(c, name)
        assert (
            got[0] == state[0]
            and got[1] in (state[1], "" if state[1] is None else state[1])
            and got[2] == state[2]
            and got[3] == state[3]
        ), name
    assert cstate(c, key.split("/")[1]) == cl
    assert reasons(c)[: len(events)] == events


def test_bound_claim_status_gets_the_volume_capacity():
    """1-5: the claim's status capacity is the PV's (10Gi), not its request (1Gi)."""
    c = ctrl(
        [volume("volume1-5_1", "10Gi", "", "claim1-5"), volume("volume1-5_2", "1Gi")],
        [claim("claim1-5", "uid1-5", "1Gi")],
    )
    c.sync_claim("default/claim1-5")
    status = c.claims["default/claim1-5"]["status"]
    assert status["capacity"] == {"storage": "10Gi"} and status["accessModes"] == [RWO, ROX]


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        pytest.param(None, "10Gi", id="no-annotation-volume-capacity"),
        pytest.param("5Gi", "5Gi", id="pre-resize-capacity-wins"),
        pytest.param("not-a-size", "10Gi", id="unparsable-annotation-falls-back"),
    ],
)
def test_bound_claim_status_capacity_honours_pre_resize_annotation(annotation, expected):
    """updateClaimStatus: an expanded PV's pre-resize-capacity annotation is what the newly bound claim reports."""
    pv = volume("volume-resized", "10Gi", "", "claim-resized")
    if annotation is not None:
        pv["metadata"].setdefault("annotations", {})[ANN_PRE_RESIZE_CAPACITY] = annotation
    c = ctrl([pv], [claim("claim-resized", "uid-resized", "1Gi")])
    c.sync_claim("default/claim-resized")
    status = c.claims["default/claim-resized"]["status"]
    assert status["phase"] == "Bound" and status["capacity"] == {"storage": expected}


def test_claim_bound_by_controller_to_already_bound_volume_is_an_error():
    """2-7: this should never happen, and the controller reports an error."""
    c = ctrl(
        [volume("volume2-7", "1Gi", "uid2-7_1", "claim2-7_1", "Bound")],
        [claim("claim2-7", "uid2-7", "1Gi", "volume2-7", "Bound", None, BBC)],
    )
    c.sync_claim("default/claim2-7")
    assert c.errors and "volume already claimed" in c.errors[0]
    assert cstate(c, "claim2-7")[0] == "Bound"


def test_failed_binding_message_without_class():
    c = ctrl([], [claim("c", "u", "1Gi")])
    c.sync_claim("default/c")
    assert (
        c.events[-1]["message"]
        == "no persistent volumes available for this claim and no storage class is set"
    )


def test_volume_mismatch_message():
    c = ctrl([volume("volume2-9", "1Gi")], [claim("claim2-9", "uid2-9", "2Gi", "volume2-9")])
    c.sync_claim("default/claim2-9")
    assert c.events[-1]["message"] == 'Cannot bind to requested volume "volume2-9": requested PV is too small'


def test_wait_for_pod_scheduled_names_the_pod():
    pod = {
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "c"}}]},
    }
    c = ctrl([], [claim("c", "u", "1Gi", klass="wait")], pods=[pod])
    c.sync_claim("default/c")
    assert (c.events[-1]["reason"], c.events[-1]["message"]) == (
        "WaitForPodScheduled",
        "waiting for pod default/p to be scheduled",
    )


def test_default_class_is_assigned_retroactively_then_provisions():
    default = parse_storage_class(
        {
            "kind": "StorageClass",
            "metadata": {
                "name": "std",
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            },
            "provisioner": "kubernetes.io/aws-ebs",
        }
    )
    c = ctrl([], [claim("c", "u", "1Gi", modes=[RWO])], classes=[default])
    c.sync_claim("default/c")
    assert c.claims["default/c"]["spec"]["storageClassName"] == "std"
    assert "pvc-u" in c.volumes and reasons(c)[-1] == "Normal ProvisioningSucceeded"
    c.sync_claim("default/c")
    assert cstate(c, "c")[:2] == ("Bound", "pvc-u")
    assert c.volumes["pvc-u"]["spec"]["persistentVolumeReclaimPolicy"] == "Delete"


def test_external_provisioner_is_announced():
    csi = parse_storage_class(
        {
            "kind": "StorageClass",
            "metadata": {"name": "csi"},
            "provisioner": "ebs.csi.aws.com",
            "reclaimPolicy": "Retain",
        }
    )
    c = ctrl([], [claim("c", "u", "1Gi", klass="csi")], classes=[csi])
    c.simulate_external_provisioner = False
    c.sync_claim("default/c")
    assert reasons(c) == ["Normal ExternalProvisioning"]
    assert "external provisioner 'ebs.csi.aws.com'" in c.events[0]["message"]


def test_in_tree_provisioning_refuses_a_mode_the_plugin_lacks():
    gp2 = parse_storage_class(
        {"kind": "StorageClass", "metadata": {"name": "gp2"}, "provisioner": "kubernetes.io/aws-ebs"}
    )
    c = ctrl([], [claim("c", "u", "1Gi", klass="gp2", modes=[RWX])], classes=[gp2])
    c.sync_claim("default/c")
    assert (
        reasons(c) == ["Warning ProvisioningFailed"]
        and "invalid AccessModes ['ReadWriteMany']" in c.events[0]["message"]
    )


# ---------------------------------------------------------------------------------------------- volume sync

SYNC_VOLUME = [
    (
        "4-1 - pending volume",
        volume("volume4-1", "10Gi", phase="Pending"),
        [],
        ("Available", None, None, False),
    ),
    (
        "4-2 - pending prebound volume",
        volume("volume4-2", "10Gi", "", "claim4-2", "Pending"),
        [],
        ("Available", "", "claim4-2", False),
    ),
    (
        "4-3 - bound volume with missing claim",
        volume("volume4-3", "10Gi", "uid4-3", "claim4-3", "Bound"),
        [],
        ("Released", "uid4-3", "claim4-3", False),
    ),
    (
        "4-4 - volume bound to claim with different UID",
        volume("volume4-4", "10Gi", "uid4-4", "claim4-4", "Bound"),
        [claim("claim4-4", "uid4-4-x", "10Gi", "volume4-4", "Bound", None, BC)],
        ("Released", "uid4-4", "claim4-4", False),
    ),
    (
        "4-5 - volume bound by controller to unbound claim",
        volume("volume4-5", "10Gi", "uid4-5", "claim4-5", "Bound", "Retain", "", BBC),
        [claim("claim4-5", "uid4-5", "10Gi")],
        ("Bound", "uid4-5", "claim4-5", True),
    ),
    (
        "4-6 - volume bound to bound claim",
        volume("volume4-6", "10Gi", "uid4-6", "claim4-6", "Available"),
        [claim("claim4-6", "uid4-6", "10Gi", "volume4-6", "Bound")],
        ("Bound", "uid4-6", "claim4-6", False),
    ),
    (
        "4-7 - volume bound by controller to claim bound somewhere else",
        volume("volume4-7", "10Gi", "uid4-7", "claim4-7", "Bound", "Retain", "", BBC),
        [claim("claim4-7", "uid4-7", "10Gi", "volume4-7-x", "Bound")],
        ("Available", None, None, False),
    ),
    (
        "4-8 - volume bound by user to claim bound somewhere else",
        volume("volume4-8", "10Gi", "uid4-8", "claim4-8", "Bound"),
        [claim("claim4-8", "uid4-8", "10Gi", "volume4-8-x", "Bound")],
        ("Available", "", "claim4-8", False),
    ),
    (
        "6-1 - successful recycle",
        volume("volume6-1", "1Gi", "uid6-1", "claim6-1", "Bound", "Recycle", "", BBC, source=NFS),
        [],
        ("Available", None, None, False),
    ),
    (
        "6-2 - successful recycle with prebound volume",
        volume("volume6-2", "1Gi", "uid6-2", "claim6-2", "Bound", "Recycle", source=NFS),
        [],
        ("Available", "", "claim6-2", False),
    ),
    (
        "6-3 - plugin not found",
        volume("volume6-3", "1Gi", "uid6-3", "claim6-3", "Bound", "Recycle", source=EBS, modes=[RWO]),
        [],
        ("Failed", "uid6-3", "claim6-3", False),
    ),
    (
        "6-9 - prebound volume is recycled while the claim exists",
        volume("volume6-9", "1Gi", "uid6-9", "claim6-9", "Bound", "Recycle", source=NFS),
        [claim("claim6-9", "uid6-9-x", "10Gi")],
        ("Available", "", "claim6-9", False),
    ),
    (
        "6-10 - unknown reclaim policy",
        volume("volume6-10", "1Gi", "uid6-10", "claim6-10", "Bound", "Unknown"),
        [],
        ("Failed", "uid6-10", "claim6-10", False),
    ),
    (
        "8-1 - successful delete",
        volume("volume8-1", "1Gi", "uid8-1", "claim8-1", "Bound", "Delete", "", BBC, source=EBS, modes=[RWO]),
        [],
        None,
    ),
    (
        "8-2 - successful delete with prebound volume",
        volume("volume8-2", "1Gi", "uid8-2", "claim8-2", "Bound", "Delete", source=EBS, modes=[RWO]),
        [],
        None,
    ),
    (
        "8-3 - plugin not found",
        volume("volume8-3", "1Gi", "uid8-3", "claim8-3", "Bound", "Delete", source=NONE),
        [],
        ("Failed", "uid8-3", "claim8-3", False),
    ),
    (
        "8-9 - prebound volume is deleted while the claim exists",
        volume("volume8-9", "1Gi", "uid8-9", "claim8-9", "Bound", "Delete", source=EBS, modes=[RWO]),
        [claim("claim8-9", "uid8-9-x", "10Gi")],
        None,
    ),
    (
        "8-10-2 - external deleter when volume is static provisioning (CSI)",
        volume(
            "volume8-10-2",
            "1Gi",
            "uid10-1-2",
            "claim10-1-2",
            "Bound",
            "Delete",
            "",
            BBC,
            source={"csi": {"driver": "pd.csi.storage.gke.io", "volumeHandle": "h"}},
        ),
        [],
        ("Released", "uid10-1-2", "claim10-1-2", True),
    ),
    (
        "8-11 - dynamically provisioned volume whose claim is bound elsewhere is deleted",
        volume(
            "volume8-11-1", "1Gi", "uid8-11", "claim8-11", "Bound", "Delete", "", DP, source=EBS, modes=[RWO]
        ),
        [claim("claim8-11", "uid8-11", "10Gi", "volume8-11-2", "Bound")],
        None,
    ),
    (
        "retain keeps the claimRef and stays Released",
        volume("v", "1Gi", "uid", "gone", "Bound", "Retain"),
        [],
        ("Released", "uid", "gone", False),
    ),
    (
        "delete on a plugin without a deleter fails",
        volume("v", "1Gi", "uid", "gone", "Bound", "Delete", source=NFS),
        [],
        ("Failed", "uid", "gone", False),
    ),
]


@pytest.mark.parametrize(
    ("vol", "claims", "expected"), [c[1:] for c in SYNC_VOLUME], ids=[c[0] for c in SYNC_VOLUME]
)
def test_sync_volume(vol, claims, expected):
    c = ctrl([vol], claims)
    name = vol["metadata"]["name"]
    c.sync_volume(name)
    got = vstate(c, name)
    if expected is None:
        assert got is None and name in c.deleted_assets
    else:
        assert (
            got[0] == expected[0]
            and (got[1] or None) == (expected[1] or None)
            and got[2] == expected[2]
            and got[3] == expected[3]
        )
        if expected[1] == "":
            assert got[1] == ""  # reserved by name: claimRef kept, UID cleared


@pytest.mark.parametrize(
    ("vol", "message", "event"),
    [
        (
            volume("volume6-3", "1Gi", "uid6-3", "claim6-3", "Bound", "Recycle", source=EBS, modes=[RWO]),
            "No recycler plugin found for the volume!",
            "Warning VolumeFailedRecycle",
        ),
        (
            volume("volume6-10", "1Gi", "uid6-10", "claim6-10", "Bound", "Unknown"),
            "Volume has unrecognized PersistentVolumeReclaimPolicy",
            "Warning VolumeUnknownReclaimPolicy",
        ),
        (
            volume("volume8-3", "1Gi", "uid8-3", "claim8-3", "Bound", "Delete", source=NONE),
            'error getting deleter volume plugin for volume "volume8-3": no volume plugin matched',
            "Warning VolumeFailedDelete",
        ),
        (
            volume("v", "1Gi", "uid", "gone", "Bound", "Delete", source=NFS),
            'error getting deleter volume plugin for volume "v": no deletable volume plugin matched',
            "Warning VolumeFailedDelete",
        ),
    ],
    ids=["6-3 message", "6-10 message", "8-3 message", "nfs has no deleter"],
)
def test_failed_reclaim_messages(vol, message, event):
    c = ctrl([vol])
    name = vol["metadata"]["name"]
    c.sync_volume(name)
    assert c.volumes[name]["status"]["message"] == message
    assert reasons(c) == [event]


def test_failed_is_never_overwritten_and_reclaim_is_retried():
    """7-1 / 9-1: fails-once -> Failed (one event); the next sync retries and succeeds."""
    c = ctrl(
        [volume("volume9-1", "1Gi", "uid9-1", "claim9-1", "Bound", "Delete", source=EBS, modes=[RWO])],
        faults={"delete": "fails-once"},
    )
    c.sync_volume("volume9-1")
    assert vstate(c, "volume9-1")[0] == "Failed" and reasons(c) == ["Warning VolumeFailedDelete"]
    c.resync()
    c.sync_volume("volume9-1")
    assert "volume9-1" not in c.volumes
    r = ctrl(
        [volume("volume7-1", "1Gi", "uid7-1", "claim7-1", "Bound", "Recycle", source=NFS)],
        faults={"recycle": "fails-once"},
    )
    r.sync_volume("volume7-1")
    assert vstate(r, "volume7-1")[0] == "Failed"
    r.resync()
    r.sync_volume("volume7-1")
    assert vstate(r, "volume7-1")[:3] == ("Available", "", "claim7-1")
    assert reasons(r) == ["Warning VolumeFailedRecycle", "Normal VolumeRecycled"]


def test_failed_phase_stays_failed_with_a_permanent_fault():
    c = ctrl(
        [volume("v", "1Gi", "uid", "gone", "Failed", "Delete", source=EBS, modes=[RWO])],
        faults={"delete": "fails"},
    )
    for _ in range(3):
        c.resync()
        c.sync_volume("v")
        assert vstate(c, "v")[0] == "Failed"


def test_recycle_refused_while_a_pod_uses_the_claim_name():
    pod = {
        "kind": "Pod",
        "metadata": {"name": "user", "namespace": "default"},
        "spec": {"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "gone"}}]},
    }
    c = ctrl([volume("v", "1Gi", "uid", "gone", "Bound", "Recycle", source=NFS)], pods=[pod])
    c.sync_volume("v")
    assert vstate(c, "v")[0] == "Released"
    assert (
        reasons(c) == ["Normal VolumeFailedRecycle"]
        and c.events[0]["message"] == "Volume is used by pods: default/user"
    )


def test_volume_mismatch_on_volume_sync():
    """14-13: a PV pre-bound (with UID) to a pending claim of another volumeMode warns on both objects."""
    c = ctrl(
        [volume("volume14-13", "10Gi", "uid14-13", "claim14-13", "Available", "Retain", "", BBC)],
        [claim("claim14-13", "uid14-13", "10Gi", mode="Block")],
    )
    c.sync_volume("volume14-13")
    assert reasons(c) == ["Warning VolumeMismatch", "Warning VolumeMismatch"]


def test_bind_race_rolls_back_the_loser():
    """10-2 (multi-sync): two PVs bound to one claim; the one the claim does not name becomes Available."""
    c = ctrl(
        [
            volume("volume10-2-1", "1Gi", "uid10-2", "claim10-2", "Bound", "Retain", "", BBC),
            volume("volume10-2-2", "1Gi", "uid10-2", "claim10-2", "Bound", "Retain", "", BBC),
        ],
        [claim("claim10-2", "uid10-2", "1Gi", "volume10-2-1", "Bound", None, BBC, BC)],
    )
    c.sync_all()
    assert vstate(c, "volume10-2-1")[0] == "Bound" and vstate(c, "volume10-2-2") == (
        "Available",
        None,
        None,
        False,
    )


def test_multisync_binds_a_pending_volume():
    """10-1: a Pending PV and a claim converge to Bound/Bound."""
    c = ctrl([volume("volume10-1", "1Gi", phase="Pending")], [claim("claim10-1", "uid10-1", "1Gi")])
    c.sync_all()
    assert vstate(c, "volume10-1") == ("Bound", "uid10-1", "claim10-1", True)
    assert cstate(c, "claim10-1") == ("Bound", "volume10-1", True, True)


def test_plugin_lacking_access_mode_is_rejected_citing_the_graph():
    with pytest.raises(UnsupportedAccessMode) as info:
        ctrl([volume("ebs", "1Gi", source=EBS, modes=[RWX])])
    fact = info.value.details["fact"]
    assert fact["predicate"].endswith("#lacksAccessMode") and fact["object"].endswith("/ReadWriteMany")
    assert info.value.status == 422


def test_bad_fault_mode_is_refused():
    with pytest.raises(InvalidObject):
        ctrl([], faults={"delete": "sometimes"})
