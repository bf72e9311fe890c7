"""Deployments: rolling updates with maxSurge/maxUnavailable and rollbacks through ReplicaSet revisions.

Follows ``pkg/controller/deployment`` (``rolloutRolling``: scale the new ReplicaSet up within
replicas + maxSurge, else scale old ones down keeping replicas - maxUnavailable available, unhealthy old pods
first; ``rolloutRecreate``; ``rollback`` copying an old ReplicaSet's template, which becomes the newest revision)
and ``deployment/util`` (``ResolveFenceposts``: maxSurge rounds up, maxUnavailable rounds down, both 0 -> 1
unavailable). Pods become available ``podReadySeconds`` + ``minReadySeconds`` after creation (or never, for a
broken template); the ReplicaSet controller deletes unavailable and newest pods first.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

from kubekg.simulation.budget import MAX_REPLICAS, UNLIMITED, Budget, refuse_if_larger
from kubekg.simulation.errors import InvalidObject
from kubekg.simulation.facts import Facts
from kubekg.simulation.objects import boolean, integer, mapping, parse_meta, sequence, string
from kubekg.simulation.timeutil import NS, parse_duration

ACTIONS = ("update", "rollback", "scale", "pause", "resume", "wait")
MAX_TICKS = 20_000


def resolve_int_or_percent(raw: object, total: int, round_up: bool, path: str) -> int:
    """GetScaledValueFromIntOrPercent: an int, or a percent of ``total`` rounded up or down."""
    if isinstance(raw, bool):
        raise InvalidObject(path, f"{raw!r} is not an int or percent")
    if isinstance(raw, int):
        if raw < 0:
            raise InvalidObject(path, "must be greater than or equal to 0")
        return raw
    if isinstance(raw, str) and raw.endswith("%") and raw[:-1].isdigit():
        value = int(raw[:-1])
        scaled = float(value) * float(total) / 100
        return int(math.ceil(scaled)) if round_up else int(math.floor(scaled))
    if isinstance(raw, str) and raw.isdigit():
        return int(raw)
    raise InvalidObject(path, f"{raw!r} is not an int or a percent like 25%")


def resolve_fenceposts(max_surge: object, max_unavailable: object, desired: int) -> tuple[int, int]:
    """ResolveFenceposts: (surge rounded up, unavailable rounded down), never both zero."""
    surge = resolve_int_or_percent(max_surge, desired, True, "spec.strategy.rollingUpdate.maxSurge")
    unavailable = resolve_int_or_percent(
        max_unavailable, desired, False, "spec.strategy.rollingUpdate.maxUnavailable"
    )
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def validate_template(raw: object, path: str) -> dict:
    """A pod template: an object whose ``spec.containers`` is a list of objects with a name."""
    template = copy.deepcopy(mapping(raw, path))
    spec = mapping(template.get("spec"), f"{path}.spec", required=False)
    containers = sequence(spec.get("containers"), f"{path}.spec.containers")
    for i, c in enumerate(containers):
        c = mapping(c, f"{path}.spec.containers[{i}]")
        string(c.get("image"), f"{path}.spec.containers[{i}].image")
    spec["containers"] = list(containers)
    template["spec"] = spec
    return template


def template_hash(template: dict) -> str:
    """A stable short hash of a pod template (the pod-template-hash of the ReplicaSet name)."""
    return hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]


@dataclass
class SimPod:
    """A pod of a ReplicaSet; ``available_at`` None = never becomes available."""

    name: str
    created: int
    available_at: int | None

    def available(self, now: int) -> bool:
        """Ready for at least minReadySeconds."""
        return self.available_at is not None and self.available_at <= now


@dataclass
class ReplicaSet:
    """A ReplicaSet owned by the Deployment."""

    name: str
    template: dict
    revision: int
    created: int
    healthy: bool = True
    replicas: int = 0
    pods: list[SimPod] = field(default_factory=list)

    def available(self, now: int) -> int:
        """status.availableReplicas."""
        return sum(1 for p in self.pods if p.available(now))


class DeploymentSim:
    """The Deployment and ReplicaSet controllers over simulated time (ns)."""

    def __init__(self, raw: object, pod_ready: int, start: int) -> None:
        doc = mapping(raw, "deployment")
        if doc.get("kind") not in (None, "Deployment"):
            raise InvalidObject("deployment.kind", f"expected a Deployment, got {doc.get('kind')!r}")
        self.meta = parse_meta(doc.get("metadata"), "deployment.metadata")
        spec = mapping(doc.get("spec"), "deployment.spec")
        replicas = integer(spec.get("replicas"), "deployment.spec.replicas", minimum=0)
        self.replicas = 1 if replicas is None else replicas
        refuse_if_larger(self.replicas, MAX_REPLICAS, "the replica count", "deployment.spec.replicas")
        strategy = mapping(spec.get("strategy"), "deployment.spec.strategy", required=False)
        self.strategy = string(strategy.get("type"), "deployment.spec.strategy.type") or "RollingUpdate"
        if self.strategy not in ("RollingUpdate", "Recreate"):
            raise InvalidObject(
                "deployment.spec.strategy.type",
                f"unsupported value {self.strategy!r}: must be RollingUpdate or Recreate",
            )
        rolling = mapping(
            strategy.get("rollingUpdate"), "deployment.spec.strategy.rollingUpdate", required=False
        )
        if self.strategy == "Recreate" and rolling:
            raise InvalidObject(
                "deployment.spec.strategy.rollingUpdate",
                "may not be specified when strategy `type` is 'Recreate'",
            )
        self.max_surge = rolling.get("maxSurge", "25%")
        self.max_unavailable = rolling.get("maxUnavailable", "25%")
        surge = resolve_int_or_percent(
            self.max_surge, self.replicas, True, "deployment.spec.strategy.rollingUpdate.maxSurge"
        )
        unavailable = resolve_int_or_percent(
            self.max_unavailable,
            self.replicas,
            False,
            "deployment.spec.strategy.rollingUpdate.maxUnavailable",
        )
        if self.strategy == "RollingUpdate" and _is_zero(self.max_surge) and _is_zero(self.max_unavailable):
            raise InvalidObject(
                "deployment.spec.strategy.rollingUpdate.maxUnavailable", "may not be 0 when `maxSurge` is 0"
            )
        if (
            isinstance(self.max_unavailable, str)
            and self.max_unavailable.endswith("%")
            and int(self.max_unavailable[:-1]) > 100
        ):
            raise InvalidObject(
                "deployment.spec.strategy.rollingUpdate.maxUnavailable", "must not be greater than 100%"
            )
        del surge, unavailable
        self.min_ready = (
            integer(spec.get("minReadySeconds"), "deployment.spec.minReadySeconds", minimum=0) or 0
        ) * NS
        limit = integer(spec.get("revisionHistoryLimit"), "deployment.spec.revisionHistoryLimit", minimum=0)
        self.history_limit = 10 if limit is None else limit
        deadline = integer(
            spec.get("progressDeadlineSeconds"), "deployment.spec.progressDeadlineSeconds", minimum=1
        )
        self.progress_deadline = (600 if deadline is None else deadline) * NS
        self.paused = boolean(spec.get("paused"), "deployment.spec.paused")
        self.template = validate_template(spec.get("template"), "deployment.spec.template")
        self.pod_ready = pod_ready
        self.rss: list[ReplicaSet] = []
        self.events: list[dict[str, Any]] = []
        self.counter = 0
        self.healthy_templates: dict[str, bool] = {template_hash(self.template): True}
        self.progress_since = start
        self.conditions: dict[str, dict[str, str]] = {}
        # the initial revision is already rolled out
        rs = self._new_rs(start)
        rs.replicas = self.replicas
        for _ in range(self.replicas):
            self._add_pod(rs, start - 3600 * NS)

    # ---------------------------------------------------------------- helpers

    def _event(self, now: int, reason: str, message: str, etype: str = "Normal") -> None:
        self.events.append({"t": now, "type": etype, "reason": reason, "message": message})

    def _new_rs(self, now: int) -> ReplicaSet:
        h = template_hash(self.template)
        revision = max((r.revision for r in self.rss), default=0) + 1
        rs = ReplicaSet(
            f"{self.meta.name}-{h}",
            copy.deepcopy(self.template),
            revision,
            now,
            self.healthy_templates.get(h, True),
        )
        self.rss.append(rs)
        return rs

    def new_rs(self) -> ReplicaSet | None:
        """The ReplicaSet whose template equals the Deployment's."""
        h = template_hash(self.template)
        return next((r for r in self.rss if r.name.endswith(h)), None)

    def _add_pod(self, rs: ReplicaSet, now: int) -> None:
        self.counter += 1
        ready = now + self.pod_ready + self.min_ready if rs.healthy else None
        rs.pods.append(SimPod(f"{rs.name}-{self.counter}", now, ready))

    def _scale(self, rs: ReplicaSet, to: int, now: int) -> None:
        if to == rs.replicas:
            return
        direction = "up" if to > rs.replicas else "down"
        self._event(
            now, "ScalingReplicaSet", f"Scaled {direction} replica set {rs.name} from {rs.replicas} to {to}"
        )
        rs.replicas = to

    def replicaset_controller(self, now: int) -> None:
        """Create or delete pods to match each ReplicaSet's replicas (unavailable and newest pods deleted first)."""
        for rs in self.rss:
            while len(rs.pods) < rs.replicas:
                self._add_pod(rs, now)
            if len(rs.pods) > rs.replicas:
                ranked = sorted(rs.pods, key=lambda p: (p.available(now), -p.created))
                doomed = {p.name for p in ranked[: len(rs.pods) - rs.replicas]}
                rs.pods = [p for p in rs.pods if p.name not in doomed]

    # ---------------------------------------------------------------- deployment controller

    def sync(self, now: int) -> None:
        """One syncDeployment: create the new ReplicaSet if needed, then rollout by strategy, then clean up history."""
        if self.paused:
            return
        new = self.new_rs()
        if new is None:
            new = self._new_rs(now)
            self.progress_since = now
        elif new.revision != max(r.revision for r in self.rss):
            new.revision = (
                max(r.revision for r in self.rss) + 1
            )  # a rollback target becomes the newest revision
            self.progress_since = now
        olds = [r for r in self.rss if r is not new]
        if self.strategy == "Recreate":
            if any(r.replicas for r in olds):
                for r in olds:
                    self._scale(r, 0, now)
                return
            if any(r.pods for r in olds):
                return
            self._scale(new, self.replicas, now)
        elif not self._reconcile_new(new, now):
            self._reconcile_old(new, olds, now)
        if self.complete(now):
            self._cleanup(new)

    def _reconcile_new(self, new: ReplicaSet, now: int) -> bool:
        if new.replicas == self.replicas:
            return False
        if new.replicas > self.replicas:
            self._scale(new, self.replicas, now)
            return True
        surge = resolve_int_or_percent(self.max_surge, self.replicas, True, "maxSurge")
        current = sum(r.replicas for r in self.rss)
        max_total = self.replicas + surge
        if current >= max_total:
            return False
        scale_up = min(max_total - current, self.replicas - new.replicas)
        self._scale(new, new.replicas + scale_up, now)
        return scale_up > 0

    def _max_unavailable(self) -> int:
        if self.replicas == 0:
            return 0
        _, unavailable = resolve_fenceposts(self.max_surge, self.max_unavailable, self.replicas)
        return min(unavailable, self.replicas)

    def _reconcile_old(self, new: ReplicaSet, olds: list[ReplicaSet], now: int) -> bool:
        old_pods = sum(r.replicas for r in olds)
        if old_pods == 0:
            return False
        all_pods = sum(r.replicas for r in self.rss)
        min_available = self.replicas - self._max_unavailable()
        new_unavailable = new.replicas - new.available(now)
        max_scaled_down = all_pods - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        olds = sorted(olds, key=lambda r: r.created)
        cleaned = 0
        for rs in olds:  # cleanupUnhealthyReplicas
            if cleaned >= max_scaled_down:
                break
            if rs.replicas == 0 or rs.replicas == rs.available(now):
                continue
            count = min(max_scaled_down - cleaned, rs.replicas - rs.available(now))
            self._scale(rs, rs.replicas - count, now)
            self.replicaset_controller(now)
            cleaned += count
        available = sum(r.available(now) for r in self.rss)
        if available <= min_available:
            return cleaned > 0
        total = available - min_available
        scaled = 0
        for rs in olds:  # scaleDownOldReplicaSetsForRollingUpdate
            if scaled >= total:
                break
            if rs.replicas == 0:
                continue
            count = min(rs.replicas, total - scaled)
            self._scale(rs, rs.replicas - count, now)
            scaled += count
        return cleaned + scaled > 0

    def complete(self, now: int) -> bool:
        """DeploymentComplete: the new ReplicaSet has every replica, all available, and no old pods remain."""
        new = self.new_rs()
        return (
            new is not None
            and new.replicas == self.replicas
            and new.available(now) == self.replicas
            and all(r.replicas == 0 and not r.pods for r in self.rss if r is not new)
        )

    def _cleanup(self, new: ReplicaSet) -> None:
        olds = sorted(
            (r for r in self.rss if r is not new and r.replicas == 0 and not r.pods), key=lambda r: r.revision
        )
        excess = len(olds) - self.history_limit
        for rs in olds[: max(0, excess)]:
            self.rss.remove(rs)

    def rollback(self, to_revision: int, now: int) -> str:
        """rollback: copy the template of the ReplicaSet with that revision (0 = the previous one)."""
        revisions = sorted((r.revision for r in self.rss), reverse=True)
        if to_revision == 0:
            if len(revisions) < 2:
                self._event(
                    now, "DeploymentRollbackRevisionNotFound", "Unable to find last revision.", "Warning"
                )
                return "no previous revision"
            to_revision = revisions[1]
        target = next((r for r in self.rss if r.revision == to_revision), None)
        if target is None:
            self._event(
                now,
                "DeploymentRollbackRevisionNotFound",
                "Unable to find the revision to rollback to.",
                "Warning",
            )
            return f"revision {to_revision} not found"
        self.template = copy.deepcopy(target.template)
        self._event(
            now, "DeploymentRollback", f'Rolled back deployment "{self.meta.name}" to revision {to_revision}'
        )
        return f"rolled back to revision {to_revision} ({target.name})"

    def snapshot(self, now: int) -> dict[str, Any]:
        """ReplicaSets with revision, replicas and available pods; deployment totals."""
        new = self.new_rs()
        return {
            "replicaSets": [
                {
                    "name": r.name,
                    "revision": r.revision,
                    "replicas": r.replicas,
                    "pods": len(r.pods),
                    "available": r.available(now),
                    "new": r is new,
                    "image": _image(r.template),
                }
                for r in sorted(self.rss, key=lambda r: r.revision)
            ],
            "totalPods": sum(len(r.pods) for r in self.rss),
            "availablePods": sum(r.available(now) for r in self.rss),
            "updatedReplicas": len(new.pods) if new else 0,
        }


def _is_zero(raw: object) -> bool:
    return raw in (0, "0", "0%")


def _image(template: dict) -> str | None:
    containers = ((template.get("spec") or {}).get("containers")) or []
    return containers[0].get("image") if containers and isinstance(containers[0], dict) else None


def run(body: object, facts: Facts, budget: Budget = UNLIMITED) -> dict[str, Any]:
    """POST /api/simulate/deployment: rollouts and rollbacks tick by tick, with the ReplicaSets' revisions."""
    from kubekg.simulation.api import DEFAULT_START, body_mapping
    from kubekg.simulation.timeutil import parse_time

    body = body_mapping(body)
    start = parse_time(body.get("start", DEFAULT_START), "start")
    pod_ready = parse_duration(body.get("podReadySeconds", 5), "podReadySeconds")
    tick = parse_duration(body.get("tickSeconds", 1), "tickSeconds") or NS
    sim = DeploymentSim(body.get("deployment"), pod_ready, start)
    now = start
    timeline: list[dict[str, Any]] = []
    steps_out: list[dict[str, Any]] = [{"index": 0, "action": "initial", "t": 0, **sim.snapshot(now)}]
    ticks = 0
    for i, step in enumerate(sequence(body.get("steps"), "steps"), start=1):
        path = f"steps[{i - 1}]"
        step = mapping(step, path)
        action = step.get("action")
        if action not in ACTIONS:
            raise InvalidObject(
                f"{path}.action", f"unknown action {action!r}: use one of {', '.join(ACTIONS)}"
            )
        at = start + parse_duration(step.get("at", 0), f"{path}.at")
        now = max(now, at)
        if action == "update":
            template = copy.deepcopy(sim.template)
            if step.get("template") is not None:
                template = validate_template(step["template"], f"{path}.template")
            if step.get("image") is not None:
                containers = template["spec"].setdefault("containers", [])
                if not containers:
                    containers.append({"name": "main"})
                containers[0]["image"] = string(step["image"], f"{path}.image")
            sim.template = template
            sim.healthy_templates[template_hash(template)] = boolean(step.get("ready"), f"{path}.ready", True)
            description = f"updated the pod template (image {_image(template)})"
        elif action == "rollback":
            to_revision = integer(step.get("toRevision", 0), f"{path}.toRevision", minimum=0) or 0
            description = sim.rollback(to_revision, now)
        elif action == "scale":
            replicas = integer(step.get("replicas"), f"{path}.replicas", minimum=0)
            if replicas is None:
                raise InvalidObject(f"{path}.replicas", "required value")
            refuse_if_larger(replicas, MAX_REPLICAS, "the replica count", f"{path}.replicas")
            sim.replicas = replicas
            description = f"scaled to {replicas}"
        elif action == "pause":
            sim.paused = True
            description = "paused"
        elif action == "resume":
            sim.paused = False
            description = "resumed"
        else:
            description = "waited"
        step_start = now
        status = "Progressing"
        while ticks < MAX_TICKS:
            budget.check()
            ticks += 1
            sim.replicaset_controller(now)
            sim.sync(now)
            sim.replicaset_controller(now)
            snap = sim.snapshot(now)
            if not timeline or {k: v for k, v in timeline[-1].items() if k != "t"} != snap:
                timeline.append({"t": (now - start) // NS, **snap})
            if sim.complete(now) or sim.paused:
                status = "Complete" if sim.complete(now) else "Paused"
                break
            if now - step_start > sim.progress_deadline:
                status = "ProgressDeadlineExceeded"
                sim._event(
                    now,
                    "ProgressDeadlineExceeded",
                    f'ReplicaSet "{sim.new_rs().name}" has timed out progressing.',
                    "Warning",
                )  # type: ignore[union-attr]
                break
            now += tick
        steps_out.append(
            {
                "index": i,
                "action": action,
                "description": description,
                "t": (now - start) // NS,
                "status": status,
                **sim.snapshot(now),
            }
        )
    events = [{**e, "t": (e["t"] - start) // NS} for e in sim.events]
    surge, unavailable = resolve_fenceposts(sim.max_surge, sim.max_unavailable, sim.replicas)
    return {
        "deployment": sim.meta.name,
        "strategy": sim.strategy,
        "maxSurge": surge,
        "maxUnavailable": unavailable,
        "steps": steps_out,
        "timeline": timeline,
        "events": events,
        "factsSource": facts.source,
    }
