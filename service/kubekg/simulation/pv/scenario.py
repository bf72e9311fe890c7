"""PV scenarios: timed actions on volumes, claims, classes and pods, with every object's phase after each step.

Actions: ``create`` (any of PersistentVolume, PersistentVolumeClaim, StorageClass, Pod), ``delete``, ``expand`` a
claim, ``injectFault`` (delete or recycle: fails | fails-once) and ``wait``. After each action the controllers run
until nothing changes: the PV controller (:mod:`kubekg.simulation.pv.controller`), the scheduler's volume binding
for pods (WaitForFirstConsumer), the pvc-protection and pv-protection finalizers (a claim deleted while a pod uses
it stays Terminating until the pod is gone; a Bound PV stays Terminating until released) and, for CSI classes,
the external provisioner.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from typing import Any

from kubekg.simulation.budget import MAX_OBJECT_STEPS, UNLIMITED, Budget, refuse_if_larger
from kubekg.simulation.errors import ExpansionNotAllowed, InvalidObject, SimulationError
from kubekg.simulation.facts import Facts
from kubekg.simulation.objects import (
    ANN_PROVISIONED_BY,
    ANN_SELECTED_NODE,
    kind_of,
    mapping,
    parse_pod,
    parse_pv,
    parse_pvc,
    parse_storage_class,
    sequence,
    string,
)
from kubekg.simulation.pv.binder import VolumeIndex
from kubekg.simulation.pv.controller import FAULT_MODES, FAULT_OPERATIONS, PVController, _annotations
from kubekg.simulation.quantity import parse_quantity
from kubekg.simulation.timeutil import format_time, parse_duration, parse_time

ACTIONS = ("create", "delete", "expand", "injectFault", "wait")
MAX_STEPS = 500
NODE = "node-1"


class Scenario:
    """A cluster under the PV controller, driven by actions."""

    def __init__(self, facts: Facts, start: int) -> None:
        self.facts = facts
        self.ctrl = PVController(facts, start)
        self.terminating_claims: set[str] = set()
        self.terminating_volumes: set[str] = set()
        self.pod_status: dict[str, dict[str, str]] = {}
        self._uid = 0

    # ------------------------------------------------------------------ objects

    def _fresh_uid(self, doc: dict, kind: str) -> dict:
        doc = copy.deepcopy(doc)
        meta = doc.setdefault("metadata", {})
        if not meta.get("uid"):
            self._uid += 1
            name = f"{kind}/{meta.get('namespace', '')}/{meta.get('name', '')}/{self._uid}"
            meta["uid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://kubekg.dev/sim/" + name))
        return doc

    def create(self, raw: Mapping, path: str) -> str:
        """Create an object; returns a description."""
        kind = kind_of(raw, path)
        if kind in ("PersistentVolume", "PersistentVolumeClaim"):
            (parse_pv if kind == "PersistentVolume" else parse_pvc)(
                raw, path
            )  # validate before filling in the uid
        if kind == "PersistentVolume":
            doc = self._fresh_uid(dict(raw), kind)
            doc.setdefault("status", {}).setdefault("phase", "Pending")
            view = self.ctrl.add_volume(doc, path)
            return f"created PersistentVolume {view.name}"
        if kind == "PersistentVolumeClaim":
            doc = self._fresh_uid(dict(raw), kind)
            doc.setdefault("status", {}).setdefault("phase", "Pending")
            view = self.ctrl.add_claim(doc, path)
            return f"created PersistentVolumeClaim {view.key}"
        if kind == "StorageClass":
            sc = parse_storage_class(raw, path)
            self.ctrl.classes[sc.name] = sc
            return f"created StorageClass {sc.name}"
        if kind == "Pod":
            pod = parse_pod(raw, path)
            pod.phase, pod.node_name = "Pending", ""
            self.ctrl.pods[f"{pod.namespace}/{pod.name}"] = pod
            return f"created Pod {pod.namespace}/{pod.name}"
        raise InvalidObject(f"{path}.kind", f"a PV scenario cannot create a {kind}")

    def delete(self, step: Mapping, path: str) -> str:
        """Delete an object by kind and name (namespace default for namespaced kinds)."""
        kind = string(step.get("kind"), f"{path}.kind", required=True)
        name = string(step.get("name"), f"{path}.name", required=True)
        namespace = string(step.get("namespace"), f"{path}.namespace") or "default"
        if kind == "PersistentVolumeClaim":
            key = f"{namespace}/{name}"
            if key not in self.ctrl.claims:
                raise InvalidObject(f"{path}.name", f"no PersistentVolumeClaim {key}")
            self.ctrl.claims[key].setdefault("metadata", {})["deletionTimestamp"] = format_time(self.ctrl.now)
            self.terminating_claims.add(key)
            return f"deleted PersistentVolumeClaim {key} (finalizer kubernetes.io/pvc-protection)"
        if kind == "PersistentVolume":
            if name not in self.ctrl.volumes:
                raise InvalidObject(f"{path}.name", f"no PersistentVolume {name}")
            self.ctrl.volumes[name].setdefault("metadata", {})["deletionTimestamp"] = format_time(
                self.ctrl.now
            )
            self.terminating_volumes.add(name)
            return f"deleted PersistentVolume {name} (finalizer kubernetes.io/pv-protection; the storage asset is kept)"
        if kind == "Pod":
            key = f"{namespace}/{name}"
            if self.ctrl.pods.pop(key, None) is None:
                raise InvalidObject(f"{path}.name", f"no Pod {key}")
            self.pod_status.pop(key, None)
            return f"deleted Pod {key}"
        if kind == "StorageClass":
            if self.ctrl.classes.pop(name, None) is None:
                raise InvalidObject(f"{path}.name", f"no StorageClass {name}")
            return f"deleted StorageClass {name}"
        raise InvalidObject(f"{path}.kind", f"a PV scenario cannot delete a {kind}")

    def expand(self, step: Mapping, path: str) -> str:
        """Grow a claim: its class must allow expansion and the graph must say the plugin expands."""
        name = string(step.get("claim") or step.get("name"), f"{path}.claim", required=True)
        namespace = string(step.get("namespace"), f"{path}.namespace") or "default"
        key = f"{namespace}/{name}"
        if key not in self.ctrl.claims:
            raise InvalidObject(f"{path}.claim", f"no PersistentVolumeClaim {key}")
        size = parse_quantity(step.get("size"), f"{path}.size")
        claim = self.ctrl.claim(key)
        if claim.request is not None and size.value < claim.request.value:
            raise ExpansionNotAllowed(
                f"{key}: spec.resources.requests.storage: field can not be less than previous value"
            )
        klass = self.ctrl.classes.get(claim.storage_class)
        if klass is None or not klass.allow_expansion:
            raise ExpansionNotAllowed(
                f"{key}: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc "
                f"must support resize (StorageClass {claim.storage_class or '(none)'!r} has allowVolumeExpansion "
                f"{'unset' if klass is None else str(klass.allow_expansion).lower()})"
            )
        details: dict[str, Any] = {}
        if claim.volume_name and claim.volume_name in self.ctrl.volumes:
            volume = self.ctrl.volume(claim.volume_name)
            caps = self.facts.plugin_capabilities(volume.plugin) if volume.plugin else None
            if caps is not None and caps.expansion is False:
                raise ExpansionNotAllowed(
                    f"{key}: the {caps.label or volume.plugin} plugin cannot expand volumes (kg:supportsVolumeExpansion false)",
                    details={"fact": caps.expansion_fact.to_dict() if caps.expansion_fact else None},
                )
            if caps is not None and caps.expansion_fact is not None:
                details["fact"] = caps.expansion_fact.to_dict()
        self.ctrl.claims[key]["spec"]["resources"]["requests"]["storage"] = size.text
        if claim.volume_name and claim.volume_name in self.ctrl.volumes:
            pv = self.ctrl.volumes[claim.volume_name]
            pv["spec"]["capacity"]["storage"] = size.text
            self.ctrl._claim_event(
                claim,
                "Normal",
                "Resizing",
                f"External resizer is resizing volume {claim.volume_name}",
                source="external-resizer",
                **details,
            )
            self.ctrl._claim_event(
                claim,
                "Normal",
                "VolumeResizeSuccessful",
                "resize volume succeeded",
                source="external-resizer",
            )
            self.ctrl.claims[key].setdefault("status", {}).setdefault("capacity", {})["storage"] = size.text
            self.ctrl._claim_event(
                claim,
                "Normal",
                "FileSystemResizeSuccessful",
                f"MountVolume.NodeExpandVolume succeeded for volume {claim.volume_name}",
                source="kubelet",
            )
        return f"expanded PersistentVolumeClaim {key} to {size.text}"

    # ------------------------------------------------------------------ controllers

    def schedule_pods(self) -> None:
        """The scheduler's volume binding: bind or trigger provisioning for WaitForFirstConsumer claims, then place pods."""
        for key, pod in sorted(self.ctrl.pods.items()):
            if pod.node_name:
                continue
            ready = True
            for claim_name in pod.claim_names:
                ckey = f"{pod.namespace}/{claim_name}"
                if ckey not in self.ctrl.claims or ckey in self.terminating_claims:
                    self._pod_event(
                        key, "Warning", "FailedScheduling", f'persistentvolumeclaim "{claim_name}" not found'
                    )
                    ready = False
                    continue
                claim = self.ctrl.claim(ckey)
                if claim.phase == "Bound":
                    continue
                klass = self.ctrl.classes.get(claim.storage_class)
                if klass is None or klass.binding_mode != "WaitForFirstConsumer":
                    self._pod_event(
                        key, "Warning", "FailedScheduling", "pod has unbound immediate PersistentVolumeClaims"
                    )
                    ready = False
                    continue
                ready = False
                match = VolumeIndex(self.ctrl.volume(n) for n in self.ctrl.volumes).find_best_match(
                    claim, False
                )
                if match.volume is not None:
                    self.ctrl.bind(
                        match.volume.name, ckey
                    )  # the scheduler's binder, completed by the PV controller
                elif ANN_SELECTED_NODE not in claim.annotations:
                    _annotations(self.ctrl.claims[ckey])[ANN_SELECTED_NODE] = NODE
            if ready:
                pod.node_name, pod.phase = NODE, "Running"
                self._pod_event(
                    key,
                    "Normal",
                    "Scheduled",
                    f"Successfully assigned {key} to {NODE}",
                    source="default-scheduler",
                )

    def _pod_event(
        self, key: str, etype: str, reason: str, message: str, source: str = "default-scheduler"
    ) -> None:
        last = self.pod_status.get(key)
        if last == {"reason": reason, "message": message}:
            return
        self.pod_status[key] = {"reason": reason, "message": message}
        self.ctrl.event("Pod", key, etype, reason, message, source=source)

    def finalize(self) -> bool:
        """pvc-protection and pv-protection: remove terminating objects nothing holds any more."""
        changed = False
        for key in sorted(self.terminating_claims):
            claim = self.ctrl.claim(key)
            if not self.ctrl._pods_using(claim):
                del self.ctrl.claims[key]
                self.terminating_claims.discard(key)
                changed = True
        for name in sorted(self.terminating_volumes):
            if name not in self.ctrl.volumes:
                self.terminating_volumes.discard(name)
                continue
            if (self.ctrl.volumes[name].get("status") or {}).get("phase") != "Bound":
                del self.ctrl.volumes[name]
                self.terminating_volumes.discard(name)
                changed = True
        return changed

    def external_deleter(self) -> None:
        """The CSI external-provisioner deletes the Released volumes it provisioned when their policy is Delete."""
        for name in sorted(self.ctrl.volumes):
            view = self.ctrl.volume(name)
            provisioner = view.annotations.get(ANN_PROVISIONED_BY, "")
            if (
                view.phase == "Released"
                and view.reclaim_policy == "Delete"
                and view.plugin == "csi"
                and provisioner
                and not provisioner.startswith("kubernetes.io/")
                and not view.deleting
                and self.ctrl.is_volume_released(name)
            ):
                del self.ctrl.volumes[name]
                self.ctrl.deleted_volumes.append(name)
                self.ctrl.deleted_assets.append(name)

    def converge(self, max_rounds: int = 12, budget: Budget = UNLIMITED) -> None:
        """Run scheduler, PV controller and finalizers until the state stops changing (bounded rounds and budget)."""
        for _ in range(max_rounds):
            budget.check()
            before = copy.deepcopy(
                (
                    self.ctrl.volumes,
                    self.ctrl.claims,
                    {k: (p.phase, p.node_name) for k, p in self.ctrl.pods.items()},
                )
            )
            self.schedule_pods()
            self.ctrl.sync_all(max_rounds=4)
            self.external_deleter()
            self.finalize()
            after = (
                self.ctrl.volumes,
                self.ctrl.claims,
                {k: (p.phase, p.node_name) for k, p in self.ctrl.pods.items()},
            )
            if after == before:
                return

    # ------------------------------------------------------------------ snapshots

    def snapshot(self) -> dict[str, Any]:
        """Every object's phase (Terminating shown as such)."""
        volumes = {}
        for name, doc in sorted(self.ctrl.volumes.items()):
            status = doc.get("status") or {}
            ref = (doc.get("spec") or {}).get("claimRef")
            volumes[name] = {
                "phase": status.get("phase", ""),
                "terminating": name in self.terminating_volumes,
                "claim": f"{ref.get('namespace', '')}/{ref.get('name', '')}" if ref else None,
                "claimUID": (ref or {}).get("uid") or None,
                "capacity": ((doc.get("spec") or {}).get("capacity") or {}).get("storage"),
                "reclaimPolicy": (doc.get("spec") or {}).get("persistentVolumeReclaimPolicy", "Retain"),
            }
            if status.get("message"):
                volumes[name]["message"] = status["message"]
        claims = {}
        for key, doc in sorted(self.ctrl.claims.items()):
            status = doc.get("status") or {}
            claims[key] = {
                "phase": status.get("phase", "Pending"),
                "terminating": key in self.terminating_claims,
                "volumeName": (doc.get("spec") or {}).get("volumeName") or None,
                "capacity": (status.get("capacity") or {}).get("storage"),
            }
        pods = {k: {"phase": p.phase, "node": p.node_name or None} for k, p in sorted(self.ctrl.pods.items())}
        return {"volumes": volumes, "claims": claims, "pods": pods}


def run(body: object, facts: Facts, budget: Budget = UNLIMITED) -> dict[str, Any]:
    """POST /api/simulate/pv/scenario: the phases of every object after each timed action, with the events."""
    from kubekg.simulation.api import DEFAULT_START, body_mapping

    body = body_mapping(body)
    start = parse_time(body.get("start", body.get("now", DEFAULT_START)), "start")
    _refuse_too_large(body)
    sc = Scenario(facts, start)
    for key in ("storageClasses", "persistentVolumes", "claims", "pods"):
        for i, raw in enumerate(sequence(body.get(key), key)):
            sc.create(raw, f"{key}[{i}]")
    for op, mode in mapping(body.get("faults"), "faults", required=False).items():
        if op not in FAULT_OPERATIONS or mode not in FAULT_MODES:
            raise InvalidObject(
                f"faults.{op}", f"use an operation in {FAULT_OPERATIONS} and a mode in {FAULT_MODES}"
            )
        sc.ctrl.faults[op] = mode
    sc.converge(budget=budget)
    steps_out = [
        {
            "index": 0,
            "at": 0,
            "time": format_time(start),
            "action": "initial",
            "description": "initial objects",
            **sc.snapshot(),
            "events": list(sc.ctrl.events),
        }
    ]
    seen = len(sc.ctrl.events)
    steps = sequence(body.get("steps"), "steps")
    if len(steps) > MAX_STEPS:
        raise InvalidObject("steps", f"at most {MAX_STEPS} steps")
    for i, step in enumerate(steps, start=1):
        budget.check()
        path = f"steps[{i - 1}]"
        step = mapping(step, path)
        offset = parse_duration(step.get("at", 0), f"{path}.at")
        sc.ctrl.now = start + offset
        sc.ctrl.resync()
        action = step.get("action")
        if action not in ACTIONS:
            raise InvalidObject(
                f"{path}.action", f"unknown action {action!r}: use one of {', '.join(ACTIONS)}"
            )
        rejected = None
        try:
            if action == "create":
                description = sc.create(mapping(step.get("object"), f"{path}.object"), f"{path}.object")
            elif action == "delete":
                description = sc.delete(step, path)
            elif action == "expand":
                description = sc.expand(step, path)
            elif action == "injectFault":
                op = string(step.get("operation"), f"{path}.operation", required=True)
                mode = string(step.get("mode"), f"{path}.mode") or "fails"
                if op not in FAULT_OPERATIONS:
                    raise InvalidObject(f"{path}.operation", f"use one of {', '.join(FAULT_OPERATIONS)}")
                if mode not in FAULT_MODES:
                    raise InvalidObject(f"{path}.mode", f"use one of {', '.join(FAULT_MODES)}")
                sc.ctrl.faults[op] = mode
                description = f"injected fault: {op} {mode}"
            else:
                description = "waited"
        except SimulationError as exc:
            if (
                isinstance(exc, InvalidObject)
                and action in ("delete", "create")
                and exc.code in ("unknown_kind", "invalid_quantity")
            ):
                raise
            rejected = exc.to_dict()
            description = f"{action} rejected"
        sc.converge(budget=budget)
        steps_out.append(
            {
                "index": i,
                "at": offset // 1_000_000_000,
                "time": format_time(sc.ctrl.now),
                "action": action,
                "description": description,
                **({"rejected": rejected} if rejected else {}),
                **sc.snapshot(),
                "events": sc.ctrl.events[seen:],
            }
        )
        seen = len(sc.ctrl.events)
    final = sc.snapshot()
    return {
        "steps": steps_out,
        "final": final,
        "events": sc.ctrl.events,
        "deletedVolumes": sc.ctrl.deleted_volumes,
        "deletedStorageAssets": sc.ctrl.deleted_assets,
        "factsSource": facts.source,
    }


def _refuse_too_large(body: dict[str, Any]) -> None:
    """Refuse up front a scenario whose snapshots ((steps + 1) x objects) would exceed MAX_OBJECT_STEPS."""
    raw_steps = body.get("steps")
    steps = raw_steps if isinstance(raw_steps, list) else []
    objects = sum(
        len(body[key]) for key in ("persistentVolumes", "claims", "pods") if isinstance(body.get(key), list)
    )
    objects += sum(1 for step in steps if isinstance(step, dict) and step.get("action") == "create")
    refuse_if_larger(
        (len(steps) + 1) * objects,
        MAX_OBJECT_STEPS,
        f"(steps + 1) x objects ({len(steps) + 1:,} x {objects:,} volumes, claims and pods)",
        "steps",
    )
