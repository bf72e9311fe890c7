"""The HPA replica calculator, pure: pod grouping, floored utilization, missing-metric fill, readiness guards.

Follows ``pkg/controller/podautoscaler/replica_calculator.go`` (recent master: per-direction ``Tolerances``,
``max(100, target)`` fill for missing pods on scale-down, ``container`` argument) and ``metrics/utilization.go``.
Ratios are IEEE doubles computed in the same order as the Go code, so results match bit for bit; replica counts
are capped at MaxInt32 and summed metrics at MaxInt64. Times are integer nanoseconds.

A :class:`MetricError` is what the controller would get as ``err``: the reconcile turns it into a Failed*
condition, never into a client error.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from kubekg.simulation.objects import Pod, PodMetrics
from kubekg.simulation.quantity import MAX_INT32, MAX_INT64
from kubekg.simulation.timeutil import NS

#: (value in milli-units, sample timestamp ns, sample window ns)
Sample = tuple[int, int, int]


class MetricError(Exception):
    """A replica count that cannot be computed; ``str()`` is the controller's error text."""


@dataclass(frozen=True)
class Tolerances:
    """Per-direction tolerance; ``is_within`` is inclusive on both bounds (``Tolerances.isWithin``)."""

    scale_down: float = 0.1
    scale_up: float = 0.1

    def is_within(self, ratio: float) -> bool:
        """(1 - down) <= ratio <= (1 + up)."""
        return (1.0 - self.scale_down) <= ratio <= (1.0 + self.scale_up)


@dataclass(frozen=True)
class ReadinessConfig:
    """The controller flags that decide when a cpu sample is trusted (ns)."""

    cpu_initialization_period: int = 300 * NS
    initial_readiness_delay: int = 30 * NS


@dataclass(frozen=True)
class PodGroups:
    """groupPods' result: ready pods counted, the others by name."""

    ready_count: int
    unready: frozenset[str]
    missing: frozenset[str]
    ignored: frozenset[str]


def _ceil32(value: float) -> int:
    """int32(math.Ceil(v)) with the overflow cap of the current code."""
    if value > MAX_INT32:
        return MAX_INT32
    return int(math.ceil(value))


_first = operator.itemgetter(0)
_EMPTY: frozenset[str] = frozenset()


def _trunc_div(a: int, b: int) -> int:
    """Go's integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


# ---------------------------------------------------------------------------------------------- grouping


def group_pods(
    pods: Sequence[Pod], samples: Mapping[str, Sample], resource: str | None, now: int, cfg: ReadinessConfig
) -> PodGroups:
    """Put every pod in exactly one group: ignored (deleting/Failed), unready (Pending, or cpu readiness), missing, ready.

    The readiness rules apply to the ``cpu`` resource only; memory and custom metrics never mark a Running pod
    unready.
    """
    init_period = cfg.cpu_initialization_period
    delay = cfg.initial_readiness_delay
    is_cpu = resource == "cpu"
    # the common case first, in one pass: Running, not deleting, with a sample (and for cpu: Ready since before the
    # initialization period ended); such a pod is ready whatever the general rules below say
    if is_cpu:
        cutoff = now - init_period
        common = [
            p
            for p in pods
            if p.phase == "Running"
            and p.ready == "True"
            and not p.deleting
            and p.start is not None
            and p.start <= cutoff
            and p.name in samples
        ]
    else:
        common = [p for p in pods if p.phase == "Running" and not p.deleting and p.name in samples]
    ready = len(common)
    unready: set[str] = set()
    missing: set[str] = set()
    ignored: set[str] = set()
    if ready == len(pods):
        return PodGroups(ready, _EMPTY, _EMPTY, _EMPTY)
    settled = set(map(id, common))
    get = samples.get
    for pod in pods:
        if id(pod) in settled:
            continue
        phase = pod.phase
        if pod.deleting or phase == "Failed":
            ignored.add(pod.name)
            continue
        if phase == "Pending":
            unready.add(pod.name)
            continue
        sample = get(pod.name)
        if sample is None:
            missing.add(pod.name)
            continue
        if is_cpu:
            start = pod.start
            status = pod.ready
            if status is None or start is None:
                unready.add(pod.name)
                continue
            if start + init_period > now:
                # within the cpu initialization period: unready, or the sample predates one window after readiness
                if status == "False" or sample[1] < pod.ready_ltt + sample[2]:
                    unready.add(pod.name)
                    continue
            elif status == "False" and start + delay > pod.ready_ltt:
                # past the period but never been ready
                unready.add(pod.name)
                continue
        ready += 1
    return PodGroups(ready, frozenset(unready), frozenset(missing), frozenset(ignored))


def calculate_requests(pods: Sequence[Pod], container: str | None, resource: str) -> dict[str, int]:
    """Per-pod request (milli) for ``resource``: containers + restartable init containers, or the named container.

    The pod-level request is used when the pod sets one and no container is named (PodLevelResources).
    """
    requests: dict[str, int] = {}
    key = (resource, container)
    for pod in pods:
        cached = pod.cache.get(key)
        if cached is None:
            cached = _pod_request(pod, container, resource)
            pod.cache[key] = cached
        if isinstance(cached, str):
            raise MetricError(cached)
        requests[pod.name] = cached
    return requests


def _pod_request(pod: Pod, container: str | None, resource: str) -> int | str:
    if container is None and pod.pod_requests and resource in pod.pod_requests:
        return pod.pod_requests[resource].milli_value()
    total = 0
    found = container is None
    counted = list(pod.containers) + [c for c in pod.init_containers if c.restart_policy == "Always"]
    for c in counted:
        if container is not None and c.name != container:
            continue
        found = True
        request = c.requests.get(resource)
        if request is None:
            return f"missing request for {resource} in container {c.name} of Pod {pod.name}"
        total += request.milli_value()
    if not found:
        return f"container {container} not found in Pod {pod.name}"
    return total


# ---------------------------------------------------------------------------------------------- ratios


def resource_utilization_ratio(
    metrics: Mapping[str, int], requests: Mapping[str, int], target_utilization: int
) -> tuple[float, int, int]:
    """(ratio, utilization %, raw average) summing only pods with a request; the percent is floored first."""
    if requests.keys() >= metrics.keys():
        metrics_total = sum(metrics.values())
        requests_total = sum(map(requests.__getitem__, metrics))
        entries = len(metrics)
    else:
        metrics_total = requests_total = entries = 0
        for name, value in metrics.items():
            request = requests.get(name)
            if request is None:
                continue  # superfluous sample for a pod we do not know
            metrics_total += value
            requests_total += request
            entries += 1
    if requests_total == 0:
        raise MetricError("no metrics returned matched known pods")
    utilization = _trunc_div(metrics_total * 100, requests_total)
    return float(utilization) / float(target_utilization), utilization, _trunc_div(metrics_total, entries)


def metric_usage_ratio(metrics: Mapping[str, int], target: int) -> tuple[float, int]:
    """(ratio, floored average) for plain per-pod metrics."""
    total = sum(metrics.values())
    usage = _trunc_div(total, len(metrics))
    return float(usage) / float(target), usage


# ---------------------------------------------------------------------------------------------- samples


def resource_samples(
    pod_metrics: Iterable[PodMetrics], resource: str, container: str | None = None
) -> dict[str, Sample]:
    """Per-pod samples of a resource from metrics.k8s.io: the sum over containers, or one container.

    A pod whose containers do not all report the resource (or that has no containers) has no sample.
    """
    out: dict[str, Sample] = {}
    for m in pod_metrics:
        if container is not None:
            for name, usage in m.containers:
                if name == container:
                    if resource in usage:
                        out[m.name] = (usage[resource].milli_value(), m.timestamp, m.window)
                    break
            continue
        if not m.containers:
            continue
        total = 0
        for _, usage in m.containers:
            q = usage.get(resource)
            if q is None:
                break
            total += q.milli_value()
        else:
            out[m.name] = (total, m.timestamp, m.window)
    return out


# ---------------------------------------------------------------------------------------------- calculators


def resource_replicas(
    current: int,
    target_utilization: int,
    resource: str,
    pods: Sequence[Pod],
    samples: Mapping[str, Sample],
    tolerances: Tolerances,
    now: int,
    cfg: ReadinessConfig,
    container: str | None = None,
    requests: Mapping[str, int] | None = None,
) -> tuple[int, int, int]:
    """GetResourceReplicas: (replicas, utilization %, raw average milli) for a Utilization target.

    ``requests`` may carry the per-pod requests already computed for these pods (timelines reuse them).
    """
    if not samples:
        raise MetricError(
            f"unable to get metrics for resource {resource}: no metrics returned from resource metrics API"
        )
    if not pods:
        raise MetricError("no pods returned by selector while calculating replica count")
    groups = group_pods(pods, samples, resource, now, cfg)
    if requests is None:
        requests = calculate_requests(pods, container, resource)
    drop = groups.ignored | groups.unready
    if not drop and not groups.missing and requests.keys() >= samples.keys():
        # every sample belongs to a ready pod with a request: the fast path, without copying the samples
        metrics_total = sum(map(_first, samples.values()))
        requests_total = sum(map(requests.__getitem__, samples))
        if requests_total == 0:
            raise MetricError("no metrics returned matched known pods")
        utilization = _trunc_div(metrics_total * 100, requests_total)
        ratio = float(utilization) / float(target_utilization)
        raw = _trunc_div(metrics_total, len(samples))
        if tolerances.is_within(ratio):
            return current, utilization, raw
        return _ceil32(ratio * float(groups.ready_count)), utilization, raw
    metrics = {name: s[0] for name, s in samples.items() if name not in drop}
    if not metrics:
        raise MetricError("did not receive metrics for targeted pods (pods might be unready)")
    ratio, utilization, raw = resource_utilization_ratio(metrics, requests, target_utilization)
    scale_up_with_unready = bool(groups.unready) and ratio > 1.0
    if not scale_up_with_unready and not groups.missing:
        if tolerances.is_within(ratio):
            return current, utilization, raw
        return _ceil32(ratio * float(groups.ready_count)), utilization, raw
    if groups.missing:
        if ratio < 1.0:
            fallback = max(100, target_utilization)
            for name in groups.missing:
                metrics[name] = requests[name] * fallback // 100
        elif ratio > 1.0:
            for name in groups.missing:
                metrics[name] = 0
    if scale_up_with_unready:
        for name in groups.unready:
            metrics[name] = 0
    new_ratio, _, _ = resource_utilization_ratio(metrics, requests, target_utilization)
    if tolerances.is_within(new_ratio) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current, utilization, raw
    new_replicas = _ceil32(new_ratio * float(len(metrics)))
    if (new_ratio < 1.0 and new_replicas > current) or (new_ratio > 1.0 and new_replicas < current):
        return current, utilization, raw
    return new_replicas, utilization, raw


def plain_metric_replicas(
    samples: Mapping[str, Sample],
    current: int,
    target: int,
    pods: Sequence[Pod],
    resource: str | None,
    tolerances: Tolerances,
    now: int,
    cfg: ReadinessConfig,
) -> tuple[int, int]:
    """calcPlainMetricReplicas: (replicas, average milli) for AverageValue resource targets and Pods metrics."""
    if not pods:
        raise MetricError("no pods returned by selector while calculating replica count")
    groups = group_pods(pods, samples, resource, now, cfg)
    drop = groups.ignored | groups.unready
    metrics = {name: s[0] for name, s in samples.items() if name not in drop}
    if not metrics:
        raise MetricError("did not receive metrics for targeted pods (pods might be unready)")
    ratio, usage = metric_usage_ratio(metrics, target)
    scale_up_with_unready = bool(groups.unready) and ratio > 1.0
    if not scale_up_with_unready and not groups.missing:
        if tolerances.is_within(ratio):
            return current, usage
        return _ceil32(ratio * float(groups.ready_count)), usage
    if groups.missing:
        if ratio < 1.0:
            for name in groups.missing:
                metrics[name] = target
        elif ratio > 1.0:
            for name in groups.missing:
                metrics[name] = 0
    if scale_up_with_unready:
        for name in groups.unready:
            metrics[name] = 0
    new_ratio, _ = metric_usage_ratio(metrics, target)
    if tolerances.is_within(new_ratio) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current, usage
    new_replicas = _ceil32(new_ratio * float(len(metrics)))
    if (new_ratio < 1.0 and new_replicas > current) or (new_ratio > 1.0 and new_replicas < current):
        return current, usage
    return new_replicas, usage


def ready_pods_count(pods: Sequence[Pod]) -> int:
    """Pods that are Running and Ready=True (getReadyPodsCount)."""
    if not pods:
        raise MetricError("no pods returned by selector while calculating replica count")
    return sum(1 for p in pods if p.phase == "Running" and p.ready == "True")


def usage_ratio_replica_count(current: int, ratio: float, pods: Sequence[Pod], tolerances: Tolerances) -> int:
    """getUsageRatioReplicaCount: ratio x ready pods, or ceil(ratio) from zero (no tolerance then)."""
    if current != 0:
        if tolerances.is_within(ratio):
            return current
        try:
            ready = ready_pods_count(pods)
        except MetricError as exc:
            raise MetricError(f"unable to calculate ready pods: {exc}") from exc
        return _ceil32(ratio * float(ready))
    return _ceil32(ratio)


def object_metric_replicas(
    current: int, target: int, usage: int, pods: Sequence[Pod], tolerances: Tolerances
) -> tuple[int, int]:
    """GetObjectMetricReplicas (Object, Value target): (replicas, usage)."""
    ratio = float(usage) / float(target)
    return usage_ratio_replica_count(current, ratio, pods, tolerances), usage


def per_pod_replicas(
    status_replicas: int, target_average: int, usage: int, tolerances: Tolerances
) -> tuple[int, int]:
    """GetObjectPerPodMetricReplicas / GetExternalPerPodMetricReplicas: ceil(total / target), status.replicas based."""
    replicas = status_replicas
    denominator = float(target_average) * float(status_replicas)
    within = denominator != 0.0 and tolerances.is_within(float(usage) / denominator)
    if not within:
        replicas = _ceil32(float(usage) / float(target_average))
    if status_replicas == 0:
        average = usage
    else:
        average = math.ceil(float(usage) / float(status_replicas))
        average = MAX_INT64 if average > MAX_INT64 else average
    return replicas, average


def external_total(values: Iterable[int]) -> int:
    """The sum of every returned series, capped at MaxInt64."""
    total = 0
    for v in values:
        if total > MAX_INT64 - v:
            return MAX_INT64
        total += v
    return total


def external_metric_replicas(
    current: int, target: int, values: Sequence[int], pods: Sequence[Pod], tolerances: Tolerances
) -> tuple[int, int]:
    """GetExternalMetricReplicas (External, Value target): (replicas, summed usage)."""
    usage = external_total(values)
    ratio = float(usage) / float(target)
    return usage_ratio_replica_count(current, ratio, pods, tolerances), usage


__all__ = [
    "MetricError",
    "PodGroups",
    "ReadinessConfig",
    "Sample",
    "Tolerances",
    "calculate_requests",
    "external_metric_replicas",
    "external_total",
    "group_pods",
    "metric_usage_ratio",
    "object_metric_replicas",
    "per_pod_replicas",
    "plain_metric_replicas",
    "ready_pods_count",
    "resource_replicas",
    "resource_samples",
    "resource_utilization_ratio",
    "usage_ratio_replica_count",
]
