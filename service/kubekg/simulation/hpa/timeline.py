"""HPA timelines: an HPA, its pods' requests, a load profile and a pod start-up delay, synced every period for hours.

Each sync builds the pods and metrics the controller would see (Pending pods while they start, Ready pods sharing
the total demand, a sample window after readiness) and runs :func:`kubekg.simulation.hpa.reconcile.reconcile`;
the desired count is applied at once (new pods Pending for the start-up delay, surplus pods removed newest and
Pending first, like a ReplicaSet). The sync period is a graph fact (15 s). Each row also carries the textbook
formula ceil(current x utilization / target) so the document's arithmetic and the controller's behaviour can be
compared.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubekg.simulation.budget import MAX_POD_SYNCS, UNLIMITED, Budget, refuse_if_larger
from kubekg.simulation.errors import InvalidObject
from kubekg.simulation.hpa import replicas as rc
from kubekg.simulation.hpa.reconcile import ControllerConfig, History, MetricInputs, reconcile
from kubekg.simulation.objects import HPA, Container, Pod
from kubekg.simulation.quantity import format_milli, parse_quantity
from kubekg.simulation.timeutil import NS, format_time

#: timelines longer than this are refused (a week of 15 s syncs is 40 320 reconciles)
MAX_SYNCS = 50_000
SEGMENT_TYPES = ("step", "ramp", "spike")


@dataclass(frozen=True)
class Segment:
    """A piece of the load profile in milli-units of the resource (total over all ready pods)."""

    type: str
    start: int  # ns offset
    end: int  # ns offset (ramps and spikes); steps last until the next step or ramp
    value: int
    to_value: int = 0


def parse_load(raw: object, path: str = "load") -> list[Segment]:
    """Steps ({"at": "10m", "value": "600m"}), ramps ({"from", "to", "start", "end"}) and spikes ({"at", "duration", "value"})."""
    from kubekg.simulation.objects import mapping, sequence
    from kubekg.simulation.timeutil import parse_duration

    out: list[Segment] = []
    for i, seg in enumerate(sequence(raw, path)):
        spath = f"{path}[{i}]"
        seg = mapping(seg, spath)
        stype = seg.get("type", "step")
        if stype not in SEGMENT_TYPES:
            raise InvalidObject(f"{spath}.type", f"unknown load segment {stype!r}: use step, ramp or spike")
        if stype == "step":
            at = parse_duration(seg.get("at", 0), f"{spath}.at")
            out.append(Segment("step", at, at, _milli(seg.get("value"), f"{spath}.value")))
        elif stype == "ramp":
            start = parse_duration(seg.get("from", seg.get("at", 0)), f"{spath}.from")
            end = parse_duration(seg.get("to"), f"{spath}.to") if seg.get("to") is not None else None
            if end is None or end <= start:
                raise InvalidObject(f"{spath}.to", "a ramp needs 'to' after 'from'")
            out.append(
                Segment(
                    "ramp",
                    start,
                    end,
                    _milli(seg.get("start"), f"{spath}.start"),
                    _milli(seg.get("end"), f"{spath}.end"),
                )
            )
        else:
            at = parse_duration(seg.get("at", 0), f"{spath}.at")
            duration = parse_duration(seg.get("duration", 60), f"{spath}.duration")
            out.append(Segment("spike", at, at + duration, _milli(seg.get("value"), f"{spath}.value")))
    return out


def _milli(raw: object, path: str) -> int:
    if raw is None:
        raise InvalidObject(path, "required value")
    q = parse_quantity(raw, path)
    if q.value < 0:
        raise InvalidObject(path, "must not be negative")
    return q.milli_value()


def demand_at(segments: Sequence[Segment], t: int) -> int:
    """Total demand at offset ``t``: the latest step or ramp that started, plus the spikes in progress."""
    base = 0
    base_start = -1
    for seg in segments:
        if seg.type == "spike" or seg.start > t or seg.start < base_start:
            continue
        base_start = seg.start
        if seg.type == "step":
            base = seg.value
        elif t >= seg.end:
            base = seg.to_value
        else:
            frac = (t - seg.start) / (seg.end - seg.start)
            base = round(seg.value + (seg.to_value - seg.value) * frac)
    extra = sum(seg.value for seg in segments if seg.type == "spike" and seg.start <= t < seg.end)
    return base + extra


@dataclass
class _SimPod:
    pod: Pod
    created: int
    ready_at: int


@dataclass(frozen=True)
class TimelineSpec:
    """Everything a timeline needs, parsed."""

    hpa: HPA
    containers: tuple[Container, ...]
    initial_replicas: int
    start: int
    duration: int
    sync_period: int  # ns
    startup_delay: int  # ns
    metric_window: int  # ns
    load: tuple[Segment, ...]
    config: ControllerConfig
    resource: str = "cpu"


def run_timeline(spec: TimelineSpec, budget: Budget = UNLIMITED) -> dict[str, Any]:
    """Sync every period from ``start`` for ``duration``; one row per sync, ``budget.check()`` before each."""
    syncs = spec.duration // spec.sync_period + 1
    if syncs > MAX_SYNCS:
        raise InvalidObject("duration", f"{syncs} syncs is more than the {MAX_SYNCS} a timeline may run")
    hpa = spec.hpa
    most_pods = max(hpa.max_replicas, spec.initial_replicas, 1)
    refuse_if_larger(
        syncs * most_pods,
        MAX_POD_SYNCS,
        f"syncs x the largest pod count ({syncs:,} x {most_pods:,} = maxReplicas or initialReplicas)",
        "duration",
    )
    target_pct = next(
        (m.target.average_utilization for m in hpa.metrics if m.target.average_utilization is not None), None
    )
    metric_container = next(
        (
            m.container
            for m in hpa.metrics
            if m.type in ("Resource", "ContainerResource") and m.name == spec.resource
        ),
        None,
    )
    counter = 0
    pods: list[_SimPod] = []

    def new_pod(now: int, ready_now: bool = False) -> _SimPod:
        nonlocal counter
        counter += 1
        ready_at = now if ready_now else now + spec.startup_delay
        pod = Pod(
            f"{hpa.target_name}-{counter}",
            hpa.namespace,
            containers=spec.containers,
            start=None,
            ready=None,
            phase="Pending",
        )
        return _SimPod(pod, now, ready_at)

    # initial pods have been running for a long time
    for _ in range(spec.initial_replicas):
        pods.append(new_pod(spec.start - 3600 * NS, ready_now=True))
    replicas = spec.initial_replicas
    history: History | None = None
    rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    key = (spec.resource, metric_container)
    try:  # every pod has the template's requests: compute them once
        per_pod_request: dict[str, int] | None = rc.calculate_requests(
            [Pod("template", containers=spec.containers)], metric_container, spec.resource
        )
    except rc.MetricError:
        per_pod_request = None  # each reconcile then reports the missing request as the controller would
    pod_objects: list[Pod] = []
    requests: dict[str, int] = {}
    changed = True
    pending: list[_SimPod] = []
    ready_names: list[str] = []
    window = spec.metric_window
    min_replicas = hpa.min_replicas if hpa.min_replicas is not None else 1
    for i in range(syncs):
        budget.check()
        offset = i * spec.sync_period
        now = spec.start + offset
        if changed:
            pod_objects = [sp.pod for sp in pods]
            pending = sorted((sp for sp in pods if sp.pod.phase != "Running"), key=lambda sp: sp.ready_at)
            for sp in [sp for sp in pending if sp.ready_at <= now]:
                sp.pod.phase, sp.pod.start, sp.pod.ready, sp.pod.ready_ltt = (
                    "Running",
                    sp.ready_at,
                    "True",
                    sp.ready_at,
                )
            pending = [sp for sp in pending if sp.ready_at > now]
            ready_names = [sp.pod.name for sp in pods if sp.pod.phase == "Running"]
            if per_pod_request is not None:
                value = next(iter(per_pod_request.values()))
                requests = {p.name: value for p in pod_objects}
            changed = False
        if pending and pending[0].ready_at <= now:
            while pending and pending[0].ready_at <= now:
                sp = pending.pop(0)
                p = sp.pod
                p.phase, p.start, p.ready, p.ready_ltt = "Running", sp.ready_at, "True", sp.ready_at
            ready_names = [sp.pod.name for sp in pods if sp.pod.phase == "Running"]
        demand = demand_at(spec.load, offset)
        if ready_names:
            share, remainder = divmod(demand, len(ready_names))
            if remainder:
                samples = {
                    n: (share + (1 if j < remainder else 0), now, window) for j, n in enumerate(ready_names)
                }
            else:
                sample = (share, now, window)
                samples = dict.fromkeys(ready_names, sample)
        else:
            samples = {}
        metrics = MetricInputs(
            samples={key: samples}, requests={key: requests} if per_pod_request is not None else {}
        )
        result = reconcile(hpa, replicas, len(pods), pod_objects, metrics, history, now, spec.config)
        history = result.history
        utilization = result.utilization
        naive = None
        if utilization is not None and target_pct:
            naive = max(min_replicas, min(hpa.max_replicas, math.ceil(replicas * utilization / target_pct)))
        rows.append(
            {
                "t": offset // NS,
                "time": format_time(now),
                "demand": format_milli(demand),
                "demandMilli": demand,
                "replicas": replicas,
                "readyPods": len(ready_names),
                "pendingPods": len(pending),
                "utilization": utilization,
                "target": target_pct,
                "recommendation": result.metric_proposal,
                "stabilized": result.stabilized_replicas,
                "desiredReplicas": result.desired_replicas,
                "rescale": result.rescale,
                "reason": result.reason,
                "message": result.message,
                "naiveReplicas": naive,
            }
        )
        desired = result.desired_replicas
        if result.rescale:
            events.extend(
                {"t": offset // NS, "time": format_time(now), **ev}
                for ev in result.events
                if ev["reason"] == "SuccessfulRescale"
            )
        if desired > len(pods):
            for _ in range(desired - len(pods)):
                pods.append(new_pod(now))
            changed = True
        elif desired < len(pods):
            # ReplicaSet victims: Pending before Running, then the newest first
            ranked = sorted(pods, key=lambda sp: (sp.pod.phase == "Running", -sp.created))
            victims = {id(sp) for sp in ranked[: len(pods) - desired]}
            pods = [sp for sp in pods if id(sp) not in victims]
            changed = True
        replicas = desired
    return {
        "rows": rows,
        "events": events,
        "summary": _summary(rows),
    }


def _summary(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    replicas = [r["desiredReplicas"] for r in rows]
    changes = [
        {"t": r["t"], "from": r["replicas"], "to": r["desiredReplicas"], "reason": r["reason"]}
        for r in rows
        if r["rescale"]
    ]
    return {
        "syncs": len(rows),
        "minReplicas": min(replicas, default=0),
        "maxReplicas": max(replicas, default=0),
        "finalReplicas": replicas[-1] if replicas else 0,
        "rescales": len(changes),
        "changes": changes,
    }
