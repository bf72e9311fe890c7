"""The PV controller's claim sync, volume sync, binding, provisioning and reclaim, with events as kubectl shows them.

Follows ``pkg/controller/volume/persistentvolume/pv_controller.go``: ``syncClaim`` (``syncUnboundClaim`` /
``syncBoundClaim``), ``bind`` (volume side first), ``syncVolume``, ``reclaimVolume`` (Retain, Recycle, Delete,
unknown -> Failed; Failed is never overwritten by Released; reclaim retried on every sync), ``isVolumeReleased``,
``unbindVolume`` (bound-by-controller: claimRef removed; user-bound: only the UID cleared) and
``provisionClaim``. Operations the real controller runs asynchronously run inline here, once per sync.

Which plugin deletes or recycles is recognised from the volume source; whether it can is a graph fact
(``kg:supportsReclaimPolicy``). CSI volumes and volumes provisioned by an external provisioner are left to it.
The state lives in a :class:`PVController` built from the request; nothing reads the clock.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubekg.simulation.errors import InvalidObject, InvalidQuantity, UnsupportedAccessMode
from kubekg.simulation.facts import Facts
from kubekg.simulation.objects import (
    ACCESS_MODES,
    ANN_BETA_CLASS,
    ANN_BIND_COMPLETED,
    ANN_BOUND_BY_CONTROLLER,
    ANN_MIGRATED_TO,
    ANN_PROVISIONED_BY,
    ANN_SELECTED_NODE,
    Claim,
    Pod,
    StorageClass,
    Volume,
    mapping,
    parse_pv,
    parse_pvc,
)
from kubekg.simulation.pv.binder import (
    VolumeIndex,
    check_access_modes,
    is_volume_bound_to_claim,
    volume_mode_mismatch,
)
from kubekg.simulation.quantity import parse_quantity
from kubekg.simulation.timeutil import format_time

#: in-tree provisioner name -> volume plugin (usage name) it creates
PROVISIONER_PLUGINS = {
    "kubernetes.io/aws-ebs": "awsElasticBlockStore",
    "kubernetes.io/gce-pd": "gcePersistentDisk",
    "kubernetes.io/azure-disk": "azureDisk",
    "kubernetes.io/azure-file": "azureFile",
    "kubernetes.io/cinder": "cinder",
    "kubernetes.io/glusterfs": "glusterfs",
    "kubernetes.io/portworx-volume": "portworxVolume",
    "kubernetes.io/vsphere-volume": "vsphereVolume",
    "kubernetes.io/rbd": "rbd",
    "kubernetes.io/quobyte": "quobyte",
    "kubernetes.io/storageos": "storageos",
    "kubernetes.io/scaleio": "scaleIO",
    "kubernetes.io/host-path": "hostPath",
}
CONTROLLER = "persistentvolume-controller"
FAULT_MODES = ("fails", "fails-once")
FAULT_OPERATIONS = ("delete", "recycle")


def check_plugin_access_modes(volume: Volume, facts: Facts) -> None:
    """Refuse a PV whose plugin the graph says lacks one of its access modes (kg:lacksAccessMode), citing the fact."""
    if volume.plugin is None:
        return
    caps = facts.plugin_capabilities(volume.plugin)
    if caps is None:
        return
    for mode in volume.access_modes:
        level, fact = caps.access_modes.get(mode, (None, None))
        if level == "lacks":
            supported = [m for m, (lv, _) in caps.access_modes.items() if lv == "supported"]
            raise UnsupportedAccessMode(
                f"PersistentVolume {volume.name!r}: the {caps.label or volume.plugin} plugin ({volume.plugin}) does not "
                f"support {mode} ({ACCESS_MODES[mode]}); it supports {', '.join(supported) or 'no mode the graph lists'}",
                details={
                    "volume": volume.name,
                    "plugin": volume.plugin,
                    "accessMode": mode,
                    "fact": fact.to_dict() if fact else None,
                },
            )


def check_volume_satisfy_claim(volume: Volume, claim: Claim) -> str | None:
    """checkVolumeSatisfyClaim for a claim that names the volume: the error text, or None when it fits.

    It does not look at the label selector or the volume phase.
    """
    if volume.deleting:
        return f'the volume is marked for deletion "{volume.name}"'
    requested = claim.request.int_value() if claim.request else 0
    size = volume.capacity.int_value() if volume.capacity else 0
    if size < requested:
        return "requested PV is too small"
    if volume.storage_class != claim.storage_class:
        return "storageClassName does not match"
    if volume_mode_mismatch(claim, volume):
        return "incompatible volumeMode"
    if not check_access_modes(claim, volume):
        return "incompatible accessMode"
    return None


def _annotations(doc: dict) -> dict:
    meta = doc.setdefault("metadata", {})
    if meta.get("annotations") is None:
        meta["annotations"] = {}
    return meta["annotations"]


def _has_ann(doc: Mapping, key: str) -> bool:
    return key in ((doc.get("metadata") or {}).get("annotations") or {})


@dataclass
class PVController:
    """The controller's caches (volumes, claims, classes, pods) and what it did to them."""

    facts: Facts
    now: int
    volumes: dict[str, dict] = field(default_factory=dict)
    claims: dict[str, dict] = field(default_factory=dict)
    classes: dict[str, StorageClass] = field(default_factory=dict)
    pods: dict[str, Pod] = field(default_factory=dict)
    faults: dict[str, str] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)
    deleted_volumes: list[str] = field(default_factory=list)
    deleted_assets: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    simulate_external_provisioner: bool = True
    #: volumes whose reclaim failed since the last resync: retried on the next periodic sync, not at once
    reclaim_blocked: set[str] = field(default_factory=set)
    _fault_attempts: dict[str, int] = field(default_factory=dict)
    _counter: int = 0

    # ------------------------------------------------------------------ construction

    @classmethod
    def build(
        cls,
        facts: Facts,
        now: int,
        volumes: Iterable[Mapping] = (),
        claims: Iterable[Mapping] = (),
        classes: Iterable[StorageClass] = (),
        pods: Iterable[Pod] = (),
        faults: Mapping[str, str] | None = None,
    ) -> PVController:
        """A controller over deep copies of validated manifests (uids filled in, plugin access modes checked)."""
        ctrl = cls(facts, now)
        for i, raw in enumerate(volumes):
            ctrl.add_volume(raw, f"persistentVolumes[{i}]")
        for i, raw in enumerate(claims):
            ctrl.add_claim(raw, f"claims[{i}]")
        for sc in classes:
            ctrl.classes[sc.name] = sc
        for pod in pods:
            ctrl.pods[f"{pod.namespace}/{pod.name}"] = pod
        for op, mode in (faults or {}).items():
            if op not in FAULT_OPERATIONS:
                raise InvalidObject(
                    f"faults.{op}", f"unknown operation: must be one of {', '.join(FAULT_OPERATIONS)}"
                )
            if mode not in FAULT_MODES:
                raise InvalidObject(
                    f"faults.{op}", f"{mode!r} is not a fault mode: use {' or '.join(FAULT_MODES)}"
                )
            ctrl.faults[op] = mode
        return ctrl

    def add_volume(self, raw: Mapping, path: str = "persistentVolume") -> Volume:
        """Add (or replace) a PV manifest after validation and the graph's access-mode check."""
        doc = copy.deepcopy(mapping(raw, path))
        view = parse_pv(doc, path)
        check_plugin_access_modes(view, self.facts)
        meta = doc.setdefault("metadata", {})
        meta.setdefault("uid", view.uid)
        doc.setdefault("apiVersion", "v1")
        doc.setdefault("kind", "PersistentVolume")
        self.volumes[view.name] = doc
        return view

    def add_claim(self, raw: Mapping, path: str = "claim") -> Claim:
        """Add (or replace) a PVC manifest after validation."""
        doc = copy.deepcopy(mapping(raw, path))
        view = parse_pvc(doc, path)
        meta = doc.setdefault("metadata", {})
        meta.setdefault("uid", view.uid)
        meta.setdefault("namespace", view.namespace)
        doc.setdefault("apiVersion", "v1")
        doc.setdefault("kind", "PersistentVolumeClaim")
        self.claims[view.key] = doc
        return view

    # ------------------------------------------------------------------ views and events

    def volume(self, name: str) -> Volume:
        """The parsed view of a PV in the cache."""
        return parse_pv(self.volumes[name], f"persistentVolume {name}")

    def claim(self, key: str) -> Claim:
        """The parsed view of a claim in the cache."""
        return parse_pvc(self.claims[key], f"claim {key}")

    def _index(self) -> VolumeIndex:
        return VolumeIndex(self.volume(n) for n in self.volumes)

    def event(self, kind: str, name: str, etype: str, reason: str, message: str, **extra: Any) -> None:
        """Record an event as ``kubectl describe`` lists it (type, reason, from, message)."""
        self.events.append(
            {
                "object": f"{kind}/{name}",
                "type": etype,
                "reason": reason,
                "message": message,
                "from": extra.pop("source", CONTROLLER),
                "time": format_time(self.now),
                **extra,
            }
        )

    def _claim_event(self, claim: Claim, etype: str, reason: str, message: str, **extra: Any) -> None:
        self.event("PersistentVolumeClaim", claim.key, etype, reason, message, **extra)

    def _volume_event(self, name: str, etype: str, reason: str, message: str, **extra: Any) -> None:
        self.event("PersistentVolume", name, etype, reason, message, **extra)

    # ------------------------------------------------------------------ status updates

    def update_volume_phase(self, name: str, phase: str, message: str = "") -> None:
        """updateVolumePhase: status.phase and status.message (lastPhaseTransitionTime on a change)."""
        doc = self.volumes[name]
        status = doc.setdefault("status", {})
        if status.get("phase") != phase:
            status["lastPhaseTransitionTime"] = format_time(self.now)
        status["phase"] = phase
        if message:
            status["message"] = message
        else:
            status.pop("message", None)

    def update_volume_phase_with_event(
        self, name: str, phase: str, etype: str, reason: str, message: str
    ) -> None:
        """updateVolumePhaseWithEvent: nothing (and no event) when the phase is already set."""
        if (self.volumes[name].get("status") or {}).get("phase") == phase:
            return
        self.update_volume_phase(name, phase, message)
        self._volume_event(name, etype, reason, message)

    def update_claim_status(self, key: str, phase: str, volume_name: str | None) -> None:
        """updateClaimStatus: phase, access modes and (on the transition to Bound) the volume's capacity.

        The capacity is the PV's, or its ``pre-resize-capacity`` annotation when it has one (a volume expanded
        before the claim bound reports the size the claim asked for), as in pv_controller.go updateClaimStatus.
        """
        doc = self.claims[key]
        status = doc.setdefault("status", {})
        old_phase = status.get("phase")
        status["phase"] = phase
        if volume_name is None:
            status.pop("accessModes", None)
            status.pop("capacity", None)
            return
        pv = self.volumes[volume_name]
        status["accessModes"] = list((pv.get("spec") or {}).get("accessModes") or [])
        if old_phase != phase:
            # Only on the transition: a later difference may be intentional (filesystem vs block size).
            capacity = (pv.get("spec") or {}).get("capacity")
            annotations = (pv.get("metadata") or {}).get("annotations") or {}
            if ANN_PRE_RESIZE_CAPACITY in annotations:
                status.setdefault("capacity", {})["storage"] = _pre_resize_capacity(
                    annotations[ANN_PRE_RESIZE_CAPACITY], capacity
                )
            elif capacity is not None:
                status["capacity"] = copy.deepcopy(capacity)

    def update_claim_status_with_event(
        self, key: str, phase: str, etype: str, reason: str, message: str
    ) -> None:
        """updateClaimStatusWithEvent: emit only when the phase changes."""
        if (self.claims[key].get("status") or {}).get("phase") == phase:
            return
        self.update_claim_status(key, phase, None)
        self._claim_event(self.claim(key), etype, reason, message)

    # ------------------------------------------------------------------ binding

    def bind(self, volume_name: str, claim_key: str) -> None:
        """bind(): claimRef (with UID) and bound-by-controller on the PV, Bound, then volumeName and bind-completed."""
        pv = self.volumes[volume_name]
        claim = self.claim(claim_key)
        view = self.volume(volume_name)
        should_set_bound_by_controller = not is_volume_bound_to_claim(view, claim)
        ref = view.claim_ref
        if ref is None or ref.name != claim.name or ref.namespace != claim.namespace or ref.uid != claim.uid:
            pv.setdefault("spec", {})["claimRef"] = {
                "kind": "PersistentVolumeClaim",
                "namespace": claim.namespace,
                "name": claim.name,
                "uid": claim.uid,
                "apiVersion": "v1",
            }
        if should_set_bound_by_controller and not _has_ann(pv, ANN_BOUND_BY_CONTROLLER):
            _annotations(pv)[ANN_BOUND_BY_CONTROLLER] = "yes"
        self.update_volume_phase(volume_name, "Bound")
        doc = self.claims[claim_key]
        spec = doc.setdefault("spec", {})
        if spec.get("volumeName") != volume_name:
            spec["volumeName"] = volume_name
            if not _has_ann(doc, ANN_BOUND_BY_CONTROLLER):
                _annotations(doc)[ANN_BOUND_BY_CONTROLLER] = "yes"
        if not _has_ann(doc, ANN_BIND_COMPLETED):
            _annotations(doc)[ANN_BIND_COMPLETED] = "yes"
        self.update_claim_status(claim_key, "Bound", volume_name)

    def unbind_volume(self, name: str) -> None:
        """unbindVolume: controller-bound -> claimRef and annotation removed; user-bound -> only the UID cleared."""
        pv = self.volumes[name]
        if _has_ann(pv, ANN_BOUND_BY_CONTROLLER):
            pv["spec"].pop("claimRef", None)
            anns = _annotations(pv)
            anns.pop(ANN_BOUND_BY_CONTROLLER, None)
            if not anns:
                pv["metadata"].pop("annotations", None)
        else:
            pv["spec"]["claimRef"]["uid"] = ""
        self.update_volume_phase(name, "Available")

    # ------------------------------------------------------------------ claim sync

    def sync_claim(self, key: str) -> None:
        """syncClaim: unbound until the bind-completed annotation is set, bound afterwards."""
        if key not in self.claims:
            return
        if _has_ann(self.claims[key], ANN_BIND_COMPLETED):
            self.sync_bound_claim(key)
        else:
            self.sync_unbound_claim(key)

    def default_class(self) -> StorageClass | None:
        """GetDefaultClass: among classes marked default, the newest (then by name)."""
        defaults = [c for c in self.classes.values() if c.is_default]
        if not defaults:
            return None
        return sorted(defaults, key=lambda c: (-(c.created or 0), c.name))[0]

    def _pods_using(self, claim: Claim) -> list[Pod]:
        return [
            p
            for p in self.pods.values()
            if p.namespace == claim.namespace
            and claim.name in p.claim_names
            and p.phase not in ("Succeeded", "Failed")
        ]

    def sync_unbound_claim(self, key: str, *, _retry: bool = True) -> None:
        """syncUnboundClaim: find and bind a volume, wait for a consumer, provision, or report FailedBinding."""
        claim = self.claim(key)
        if not claim.volume_name:
            klass = self.classes.get(claim.storage_class)
            delay = klass is not None and klass.binding_mode == "WaitForFirstConsumer"
            match = self._index().find_best_match(claim, delay)
            if match.volume is None:
                if _retry and not claim.has_class:
                    default = self.default_class()
                    if default is not None:
                        self.claims[key].setdefault("spec", {})["storageClassName"] = default.name
                        self.sync_unbound_claim(key, _retry=False)
                        return
                if delay and ANN_SELECTED_NODE not in claim.annotations:
                    self._emit_wait_for_consumer(claim)
                elif claim.storage_class != "":
                    self.provision_claim(key)
                    return
                else:
                    self._claim_event(
                        claim,
                        "Normal",
                        "FailedBinding",
                        "no persistent volumes available for this claim and no storage class is set",
                    )
                self.update_claim_status(key, "Pending", None)
                return
            self.bind(match.volume.name, key)
            return
        if claim.volume_name not in self.volumes:
            self.update_claim_status(key, "Pending", None)
            return
        volume = self.volume(claim.volume_name)
        if volume.claim_ref is None:
            err = check_volume_satisfy_claim(volume, claim)
            if err is not None:
                self._claim_event(
                    claim,
                    "Warning",
                    "VolumeMismatch",
                    f'Cannot bind to requested volume "{volume.name}": {err}',
                )
                self.update_claim_status(key, "Pending", None)
                return
            self.bind(volume.name, key)
        elif is_volume_bound_to_claim(volume, claim):
            self.bind(volume.name, key)
        else:
            self._claim_event(
                claim,
                "Warning",
                "FailedBinding",
                f'volume "{volume.name}" already bound to a different claim.',
            )
            if ANN_BOUND_BY_CONTROLLER not in claim.annotations:
                self.update_claim_status(key, "Pending", None)
            else:
                ref = volume.claim_ref
                self.errors.append(
                    f'invalid binding of claim "{claim.key}" to volume "{claim.volume_name}": '
                    f'volume already claimed by "{ref.namespace}/{ref.name}"'
                )

    def _emit_wait_for_consumer(self, claim: Claim) -> None:
        waiting = sorted(f"{p.namespace}/{p.name}" for p in self._pods_using(claim) if not p.node_name)
        if not waiting:
            self._claim_event(
                claim,
                "Normal",
                "WaitForFirstConsumer",
                "waiting for first consumer to be created before binding",
            )
        elif len(waiting) == 1:
            self._claim_event(
                claim, "Normal", "WaitForPodScheduled", f"waiting for pod {waiting[0]} to be scheduled"
            )
        else:
            self._claim_event(
                claim,
                "Normal",
                "WaitForPodScheduled",
                f"waiting for pods {','.join(waiting)} to be scheduled",
            )

    def sync_bound_claim(self, key: str) -> None:
        """syncBoundClaim: Lost when the volume is gone or claimed by another claim, else (re)bind."""
        claim = self.claim(key)
        if not claim.volume_name:
            self.update_claim_status_with_event(
                key,
                "Lost",
                "Warning",
                "ClaimLost",
                "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!",
            )
            return
        if claim.volume_name not in self.volumes:
            self.update_claim_status_with_event(
                key,
                "Lost",
                "Warning",
                "ClaimLost",
                "Bound claim has lost its PersistentVolume. Data on the volume is lost!",
            )
            return
        volume = self.volume(claim.volume_name)
        if volume.claim_ref is None or volume.claim_ref.uid == claim.uid:
            self.bind(volume.name, key)
            return
        self.update_claim_status_with_event(
            key,
            "Lost",
            "Warning",
            "ClaimMisbound",
            "Two claims are bound to the same volume, this one is bound incorrectly",
        )

    # ------------------------------------------------------------------ provisioning

    def provision_decision(self, claim: Claim) -> tuple[str, str, StorageClass | None, str | None]:
        """What provisionClaim would do: (reason, message, class, plugin) without creating anything."""
        klass = self.classes.get(claim.storage_class)
        if klass is None:
            return (
                "ProvisioningFailed",
                f'storageclass.storage.k8s.io "{claim.storage_class}" not found',
                None,
                None,
            )
        prov = klass.provisioner
        if prov.startswith("kubernetes.io/"):
            plugin = PROVISIONER_PLUGINS.get(prov)
            if plugin is None:
                return "ProvisioningFailed", "no provisionable volume plugin matched", klass, None
            caps = self.facts.plugin_capabilities(plugin)
            label = (caps.label if caps else None) or plugin
            if claim.selector is not None:
                return (
                    "ProvisioningFailed",
                    f'Failed to provision volume with StorageClass "{klass.name}": claim.Spec.Selector is not supported '
                    f"for dynamic provisioning on {label}",
                    klass,
                    plugin,
                )
            if caps is not None:
                lacking = [m for m in claim.access_modes if caps.access_modes.get(m, (None,))[0] == "lacks"]
                if lacking:
                    supported = [m for m, (lv, _) in caps.access_modes.items() if lv == "supported"]
                    return (
                        "ProvisioningFailed",
                        f'Failed to provision volume with StorageClass "{klass.name}": invalid AccessModes {lacking}: '
                        f"only AccessModes {supported} are supported",
                        klass,
                        plugin,
                    )
            return (
                "Provisioning",
                f"the PV controller provisions a {label} volume for the claim with {prov}",
                klass,
                plugin,
            )
        message = (
            f"Waiting for a volume to be created either by the external provisioner '{prov}' or manually by the "
            "system administrator. If volume creation is delayed, please verify that the provisioner is running and "
            "correctly registered."
        )
        return "ExternalProvisioning", message, klass, "csi"

    def provision_claim(self, key: str) -> None:
        """provisionClaim: in-tree plugins provision here; an external provisioner is announced and (optionally) run."""
        claim = self.claim(key)
        reason, message, klass, plugin = self.provision_decision(claim)
        anns = _annotations(self.claims[key])
        if klass is not None:
            anns.setdefault("volume.kubernetes.io/storage-provisioner", klass.provisioner)
            anns.setdefault("volume.beta.kubernetes.io/storage-provisioner", klass.provisioner)
        if reason == "ProvisioningFailed":
            self._claim_event(claim, "Warning", reason, message)
            return
        pv_name = f"pvc-{claim.uid}"
        if pv_name in self.volumes:
            return
        assert klass is not None and plugin is not None
        if reason == "ExternalProvisioning":
            self._claim_event(claim, "Normal", reason, message)
            if not self.simulate_external_provisioner:
                return
            if claim.selector is not None:
                self._claim_event(
                    claim,
                    "Warning",
                    "ProvisioningFailed",
                    "failed to provision volume: claim Selector is not supported",
                    source=f"{klass.provisioner}_external-provisioner",
                )
                return
            self._claim_event(
                claim,
                "Normal",
                "Provisioning",
                f'External provisioner is provisioning volume for claim "{claim.key}"',
                source=f"{klass.provisioner}_external-provisioner",
            )
        self._create_provisioned_volume(claim, klass, plugin, pv_name)
        source = (
            f"{klass.provisioner}_external-provisioner" if reason == "ExternalProvisioning" else CONTROLLER
        )
        suffix = "" if reason == "ExternalProvisioning" else f" using {klass.provisioner}"
        self._claim_event(
            claim,
            "Normal",
            "ProvisioningSucceeded",
            f"Successfully provisioned volume {pv_name}{suffix}",
            source=source,
        )

    def _create_provisioned_volume(self, claim: Claim, klass: StorageClass, plugin: str, name: str) -> None:
        request = claim.raw["spec"]["resources"]["requests"]["storage"]
        if plugin == "csi":
            source: dict[str, Any] = {
                "csi": {"driver": klass.provisioner, "volumeHandle": f"{name}-handle", "fsType": "ext4"}
            }
        else:
            source = {
                plugin: {"volumeID": f"{name}-disk"} if plugin != "hostPath" else {"path": f"/tmp/{name}"}
            }
        pv = {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {
                "name": name,
                "uid": f"uid-{name}",
                "annotations": {ANN_PROVISIONED_BY: klass.provisioner, ANN_BOUND_BY_CONTROLLER: "yes"},
                "creationTimestamp": format_time(self.now),
            },
            "spec": {
                "capacity": {"storage": request},
                "accessModes": list(claim.access_modes),
                "persistentVolumeReclaimPolicy": klass.reclaim_policy,
                "storageClassName": klass.name,
                "volumeMode": claim.volume_mode or "Filesystem",
                "claimRef": {
                    "kind": "PersistentVolumeClaim",
                    "namespace": claim.namespace,
                    "name": claim.name,
                    "uid": claim.uid,
                    "apiVersion": "v1",
                },
                **source,
            },
            "status": {"phase": "Pending"},
        }
        self.volumes[name] = pv

    # ------------------------------------------------------------------ volume sync

    def _find_claim(self, volume: Volume) -> Claim | None:
        ref = volume.claim_ref
        assert ref is not None
        key = f"{ref.namespace}/{ref.name}"
        if key not in self.claims:
            return None
        claim = self.claim(key)
        if claim.uid != ref.uid:
            return None  # deleted and recreated: treat as missing
        return claim

    def sync_volume(self, name: str) -> None:
        """syncVolume: Available when unclaimed or reserved by name; Released and reclaimed when the claim is gone."""
        if name not in self.volumes:
            return
        volume = self.volume(name)
        if volume.claim_ref is None:
            self.update_volume_phase(name, "Available")
            return
        if not volume.claim_ref.uid:
            self.update_volume_phase(name, "Available")
            return
        claim = self._find_claim(volume)
        if claim is None:
            if volume.phase not in ("Released", "Failed"):
                self.update_volume_phase(name, "Released")
            self.reclaim_volume(name)
            return
        if not claim.volume_name:
            if volume_mode_mismatch(claim, volume):
                self._volume_event(
                    name,
                    "Warning",
                    "VolumeMismatch",
                    f'Cannot bind PersistentVolume to requested PersistentVolumeClaim "{claim.name}" due to incompatible volumeMode.',
                )
                self._claim_event(
                    claim,
                    "Warning",
                    "VolumeMismatch",
                    f'Cannot bind PersistentVolume "{name}" to requested PersistentVolumeClaim due to incompatible volumeMode.',
                )
            return  # the claim sync finishes the binding
        if claim.volume_name == name:
            self.update_volume_phase(name, "Bound")
            return
        if volume.annotations.get(ANN_PROVISIONED_BY) is not None and volume.reclaim_policy == "Delete":
            if volume.phase not in ("Released", "Failed"):
                self.update_volume_phase(name, "Released")
            self.reclaim_volume(name)
            return
        self.unbind_volume(name)

    # ------------------------------------------------------------------ reclaim

    def is_volume_released(self, name: str) -> bool:
        """isVolumeReleased: a claimRef with UID whose claim is missing, recreated, or bound to another volume."""
        volume = self.volume(name)
        ref = volume.claim_ref
        if ref is None or not ref.uid:
            return False
        key = f"{ref.namespace}/{ref.name}"
        if key in self.claims:
            claim = self.claim(key)
            if claim.uid == ref.uid:
                return bool(claim.volume_name) and claim.volume_name != name
        return True

    def reclaim_volume(self, name: str) -> None:
        """reclaimVolume: Retain keeps it Released; Recycle and Delete run their operation; anything else fails."""
        volume = self.volume(name)
        if volume.annotations.get(ANN_MIGRATED_TO) or name in self.reclaim_blocked:
            return
        policy = volume.reclaim_policy
        if policy == "Retain":
            return
        if policy == "Recycle":
            self.recycle_volume_operation(name)
        elif policy == "Delete":
            self.delete_volume_operation(name)
        else:
            self.update_volume_phase_with_event(
                name,
                "Failed",
                "Warning",
                "VolumeUnknownReclaimPolicy",
                "Volume has unrecognized PersistentVolumeReclaimPolicy",
            )

    def _fault(self, operation: str, name: str) -> bool:
        mode = self.faults.get(operation)
        if mode is None:
            return False
        key = f"{operation}/{name}"
        attempts = self._fault_attempts.get(key, 0)
        self._fault_attempts[key] = attempts + 1
        return mode == "fails" or attempts == 0

    def recycle_volume_operation(self, name: str) -> None:
        """recycleVolumeOperation: refuse while pods use it; no recycler -> Failed; scrub, then unbind to Available."""
        if not self.is_volume_released(name):
            return
        volume = self.volume(name)
        ref = volume.claim_ref
        assert ref is not None
        users = sorted(
            f"{p.namespace}/{p.name}"
            for p in self.pods.values()
            if p.namespace == ref.namespace
            and ref.name in p.claim_names
            and p.phase not in ("Succeeded", "Failed")
        )
        if users and f"{ref.namespace}/{ref.name}" not in self.claims:
            self._volume_event(
                name, "Normal", "VolumeFailedRecycle", f"Volume is used by pods: {','.join(users)}"
            )
            return
        caps = self.facts.plugin_capabilities(volume.plugin) if volume.plugin else None
        fact = caps.reclaim.get("Recycle") if caps else None
        if fact is None:
            self.reclaim_blocked.add(name)
            self.update_volume_phase_with_event(
                name, "Failed", "Warning", "VolumeFailedRecycle", "No recycler plugin found for the volume!"
            )
            return
        if self._fault("recycle", name):
            self.reclaim_blocked.add(name)
            self.update_volume_phase_with_event(
                name,
                "Failed",
                "Warning",
                "VolumeFailedRecycle",
                "Recycle failed: injected fault: the recycler pod failed to scrub the volume",
            )
            return
        self._volume_event(name, "Normal", "VolumeRecycled", "Volume recycled", fact=fact.to_dict())
        self.unbind_volume(name)

    def _deleter(self, volume: Volume) -> tuple[str, Any]:
        """findDeletablePlugin: ("external", None) | ("plugin", fact) | ("error", message)."""
        provisioner = volume.annotations.get(ANN_PROVISIONED_BY)
        plugin = volume.plugin
        if provisioner:
            if not provisioner.startswith("kubernetes.io/"):
                return "external", None
            plugin = PROVISIONER_PLUGINS.get(provisioner, plugin)
        if plugin == "csi":
            return "external", None
        if plugin is None:
            return (
                "error",
                f'error getting deleter volume plugin for volume "{volume.name}": no volume plugin matched',
            )
        caps = self.facts.plugin_capabilities(plugin)
        fact = caps.reclaim.get("Delete") if caps else None
        if fact is None:
            return (
                "error",
                f'error getting deleter volume plugin for volume "{volume.name}": no deletable volume plugin matched',
            )
        return "plugin", fact

    def delete_volume_operation(self, name: str) -> None:
        """deleteVolumeOperation: external deleters wait; a plugin error marks the PV Failed; success removes it."""
        volume = self.volume(name)
        if volume.deleting or not self.is_volume_released(name):
            return
        how, info = self._deleter(volume)
        if how == "external":
            return
        if how == "error":
            self.reclaim_blocked.add(name)
            self.update_volume_phase_with_event(name, "Failed", "Warning", "VolumeFailedDelete", info)
            return
        if self._fault("delete", name):
            self.reclaim_blocked.add(name)
            self.update_volume_phase_with_event(
                name,
                "Failed",
                "Warning",
                "VolumeFailedDelete",
                f'injected fault: the storage backend failed to delete the {volume.plugin} volume of "{name}"',
            )
            return
        del self.volumes[name]
        self.deleted_volumes.append(name)
        self.deleted_assets.append(name)

    # ------------------------------------------------------------------ whole-cluster passes

    def resync(self) -> None:
        """The periodic resync: reclaims that failed earlier are tried again."""
        self.reclaim_blocked.clear()

    def sync_all(self, max_rounds: int = 10) -> int:
        """Sync every claim then every volume until nothing changes (bounded); returns the rounds used."""
        for rounds in range(1, max_rounds + 1):
            before = copy.deepcopy((self.volumes, self.claims))
            for key in sorted(self.claims):
                self.sync_claim(key)
            for name in sorted(self.volumes):
                self.sync_volume(name)
            if (self.volumes, self.claims) == before:
                return rounds
        return max_rounds


def storage_class_of(claim: Claim) -> str:
    """GetPersistentVolumeClaimClass (beta annotation first, nil = "")."""
    return claim.annotations.get(ANN_BETA_CLASS, claim.class_name or "")


ANN_PRE_RESIZE_CAPACITY = "volume.alpha.kubernetes.io/pre-resize-capacity"  # util.AnnPreResizeCapacity


def _pre_resize_capacity(raw: object, capacity: Mapping[str, Any] | None) -> Any:
    """The annotation's quantity, or the PV's own storage capacity when it does not parse (upstream logs and falls back)."""
    try:
        return parse_quantity(raw).text
    except InvalidQuantity:
        return (capacity or {}).get("storage")
