"""PV/PVC builders in the spirit of persistentvolume/framework_test.go (newVolume, newClaim) and index_test.go."""

from __future__ import annotations

from typing import Any

from kubekg.simulation.objects import ANN_BOUND_BY_CONTROLLER, ANN_PROVISIONED_BY, parse_pv, parse_pvc

NS_ = "default"
RWO, ROX, RWX = "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany"


def volume(
    name: str,
    capacity: str = "1Gi",
    claim_uid: str = "",
    claim_name: str = "",
    phase: str = "Available",
    policy: str = "Retain",
    klass: str = "",
    *annotations: str,
    source: dict | None = None,
    modes: list[str] | None = None,
    labels: dict | None = None,
    mode: str | None = "Filesystem",
    deleting: bool = False,
    claim_namespace: str = NS_,
) -> dict[str, Any]:
    """newVolume: GCE PD (RWO+ROX) unless another source is given; a claimRef when a claim name is given."""
    anns = {}
    for a in annotations:
        anns[a] = "kubernetes.io/aws-ebs" if a == ANN_PROVISIONED_BY else "yes"
    meta: dict[str, Any] = {"name": name, "uid": f"uid-{name}", "labels": labels or {}}
    if anns:
        meta["annotations"] = anns
    if deleting:
        meta["deletionTimestamp"] = "2024-05-01T11:00:00Z"
    spec: dict[str, Any] = {
        "capacity": {"storage": capacity},
        "accessModes": modes or [RWO, ROX],
        "persistentVolumeReclaimPolicy": policy,
        "storageClassName": klass,
        **(source if source is not None else {"gcePersistentDisk": {"pdName": name}}),
    }
    if mode is not None:
        spec["volumeMode"] = mode
    if claim_name:
        spec["claimRef"] = {
            "kind": "PersistentVolumeClaim",
            "apiVersion": "v1",
            "namespace": claim_namespace,
            "name": claim_name,
            "uid": claim_uid,
        }
    doc = {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": meta, "spec": spec}
    if phase is not None:
        doc["status"] = {"phase": phase}
    return doc


def claim(
    name: str,
    uid: str,
    capacity: str = "1Gi",
    volume_name: str = "",
    phase: str = "Pending",
    klass: str | None = None,
    *annotations: str,
    modes: list[str] | None = None,
    selector: dict | None = None,
    mode: str | None = "Filesystem",
) -> dict[str, Any]:
    """newClaim: RWO+ROX, a storage request, optionally pre-bound by spec.volumeName."""
    meta: dict[str, Any] = {"name": name, "namespace": NS_, "uid": uid}
    if annotations:
        meta["annotations"] = {a: "yes" for a in annotations}
    spec: dict[str, Any] = {
        "accessModes": modes or [RWO, ROX],
        "resources": {"requests": {"storage": capacity}},
    }
    if volume_name:
        spec["volumeName"] = volume_name
    if klass is not None:
        spec["storageClassName"] = klass
    if selector is not None:
        spec["selector"] = selector
    if mode is not None:
        spec["volumeMode"] = mode
    status: dict[str, Any] = {"phase": phase}
    if phase == "Bound":
        status["capacity"] = {"storage": capacity}
        status["accessModes"] = spec["accessModes"]
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": meta,
        "spec": spec,
        "status": status,
    }


def pv(*args: Any, **kwargs: Any):
    """A parsed Volume view."""
    return parse_pv(volume(*args, **kwargs))


def pvc(*args: Any, **kwargs: Any):
    """A parsed Claim view."""
    return parse_pvc(claim(*args, **kwargs))


BOUND_BY_CONTROLLER = ANN_BOUND_BY_CONTROLLER
