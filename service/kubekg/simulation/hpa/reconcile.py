"""One HPA reconcile as a pure function of (HPA, scale, pods, metrics, history, now, config).

Follows ``pkg/controller/podautoscaler/horizontal.go`` (autoscaling/v2 with separate scale-up and scale-down
events): ``reconcileAutoscaler``, ``computeReplicasForMetrics`` (largest proposal, invalid-metric rules),
``normalizeDesiredReplicas`` (300 s max stabilization, legacy max(2x, 4) limit) and
``normalizeDesiredReplicasWithBehaviors`` (window clamp, Pods/Percent policies per periodSeconds with events in
both directions), ``storeScaleEvent`` and ``recordInitialRecommendation`` with their slot reuse. The history the
controller keeps in memory is an explicit input and output here. Times are integer nanoseconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kubekg.simulation.hpa import replicas as rc
from kubekg.simulation.hpa.replicas import MetricError, ReadinessConfig, Sample, Tolerances
from kubekg.simulation.objects import HPA, Behavior, LabelSelector, MetricSpec, Pod, PodMetrics, ScalingRules
from kubekg.simulation.quantity import format_milli
from kubekg.simulation.timeutil import NS, format_time

# ---------------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class ControllerConfig:
    """kube-controller-manager flags (seconds); defaults from config/v1alpha1/defaults.go."""

    tolerance: float = 0.1
    downscale_stabilization_window: int = 300
    cpu_initialization_period: int = 300
    initial_readiness_delay: int = 30
    scale_up_limit_factor: float = 2.0
    scale_up_limit_minimum: float = 4.0

    @property
    def readiness(self) -> ReadinessConfig:
        """The calculator's readiness settings in ns."""
        return ReadinessConfig(self.cpu_initialization_period * NS, self.initial_readiness_delay * NS)


@dataclass(frozen=True)
class Recommendation:
    """timestampedRecommendation."""

    replicas: int
    timestamp: int


@dataclass(frozen=True)
class ScaleEvent:
    """timestampedScaleEvent; ``outdated`` marks a slot that may be reused."""

    replica_change: int
    timestamp: int
    outdated: bool = False


@dataclass
class History:
    """The controller's in-memory state for one HPA key."""

    recommendations: list[Recommendation] = field(default_factory=list)
    scale_up_events: list[ScaleEvent] = field(default_factory=list)
    scale_down_events: list[ScaleEvent] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the HTTP contract (slots kept in place)."""
        return {
            "recommendations": [
                {"replicas": r.replicas, "timestamp": format_time(r.timestamp)} for r in self.recommendations
            ],
            "scaleUpEvents": [
                {"replicaChange": e.replica_change, "timestamp": format_time(e.timestamp)}
                for e in self.scale_up_events
            ],
            "scaleDownEvents": [
                {"replicaChange": e.replica_change, "timestamp": format_time(e.timestamp)}
                for e in self.scale_down_events
            ],
        }


@dataclass(frozen=True)
class ObjectMetricValue:
    """A custom-metrics value for one object (a Pod item is a per-pod sample for a Pods metric)."""

    kind: str
    name: str
    metric_name: str
    value: int  # milli
    api_version: str = ""
    selector: Mapping | None = None
    timestamp: int | None = None
    window: int = 60 * NS


@dataclass(frozen=True)
class ExternalMetricValues:
    """The series an external-metrics query returns for one metric name and selector."""

    metric_name: str
    values: tuple[int, ...]  # milli
    selector: Mapping | None = None


@dataclass
class MetricInputs:
    """What the metrics APIs return: metrics.k8s.io pod metrics, custom object metrics, external metrics."""

    pod_metrics: Sequence[PodMetrics] = ()
    object_metrics: Sequence[ObjectMetricValue] = ()
    external_metrics: Sequence[ExternalMetricValues] = ()
    #: precomputed resource samples by (resource, container) (the timeline fills it to skip PodMetrics objects)
    samples: dict[tuple[str, str | None], dict[str, Sample]] = field(default_factory=dict)
    #: precomputed per-pod requests by (resource, container), valid for the pods of this reconcile
    requests: dict[tuple[str, str | None], dict[str, int]] = field(default_factory=dict)

    def resource_samples(self, resource: str, container: str | None) -> dict[str, Sample]:
        """Per-pod samples of ``resource`` (cached)."""
        key = (resource, container)
        found = self.samples.get(key)
        if found is None:
            found = rc.resource_samples(self.pod_metrics, resource, container)
            self.samples[key] = found
        return found


# ---------------------------------------------------------------------------------------------- outputs


@dataclass
class Condition:
    """An HPA status condition."""

    type: str
    status: str
    reason: str
    message: str
    last_transition: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """autoscaling/v2 HorizontalPodAutoscalerCondition JSON."""
        out = {"type": self.type, "status": self.status, "reason": self.reason, "message": self.message}
        if self.last_transition is not None:
            out["lastTransitionTime"] = format_time(self.last_transition)
        return out


@dataclass
class ReconcileResult:
    """What one reconcile decided, with the reason codes and the updated history."""

    current_replicas: int
    desired_replicas: int
    rescale: bool
    reason: str
    message: str
    conditions: list[Condition]
    current_metrics: list[dict]
    history: History
    events: list[dict]
    metric_proposal: int | None = None
    metric_name: str = ""
    stabilized_replicas: int | None = None
    rescale_reason: str = ""
    error: str | None = None
    utilization: int | None = None  # the first Utilization metric's floored percent, for timelines

    def to_dict(self) -> dict[str, Any]:
        """The JSON of the /api/simulate/hpa/reconcile contract (plus a few explanatory fields)."""
        out: dict[str, Any] = {
            "desiredReplicas": self.desired_replicas,
            "rescale": self.rescale,
            "reason": self.reason,
            "message": self.message,
            "conditions": [c.to_dict() for c in self.conditions],
            "currentMetrics": self.current_metrics,
            "history": self.history.to_dict(),
            "currentReplicas": self.current_replicas,
            "metricProposal": self.metric_proposal,
            "stabilizedReplicas": self.stabilized_replicas,
            "events": self.events,
        }
        if self.metric_name:
            out["metricName"] = self.metric_name
        if self.rescale_reason:
            out["rescaleReason"] = self.rescale_reason
        if self.error:
            out["error"] = self.error
        return out


def set_condition(
    conditions: list[Condition], ctype: str, status: str, reason: str, message: str, now: int
) -> None:
    """setConditionInList: update in place (transition time only on a status change) or append."""
    for cond in conditions:
        if cond.type == ctype:
            if cond.status != status:
                cond.last_transition = now
            cond.status, cond.reason, cond.message = status, reason, message
            return
    conditions.append(Condition(ctype, status, reason, message, now))


# ---------------------------------------------------------------------------------------------- normalization (no behavior)


def stabilize_recommendation(
    recommendations: Sequence[Recommendation], proposal: int, now: int, window_seconds: int
) -> tuple[int, list[Recommendation]]:
    """stabilizeRecommendation: max over samples not older than the window; the last stale slot is reused."""
    maximum = proposal
    old_index = -1
    cutoff = now - window_seconds * NS
    for i, rec in enumerate(recommendations):
        if rec.timestamp < cutoff:
            old_index = i
        elif rec.replicas > maximum:
            maximum = rec.replicas
    updated = list(recommendations)
    if old_index >= 0:
        updated[old_index] = Recommendation(proposal, now)
    else:
        updated.append(Recommendation(proposal, now))
    return maximum, updated


def scale_up_limit(current: int, factor: float = 2.0, minimum: float = 4.0) -> int:
    """calculateScaleUpLimit: max(factor x current, minimum)."""
    return int(max(factor * float(current), minimum))


def convert_desired_with_rules(
    current: int,
    desired: int,
    min_replicas: int,
    max_replicas: int,
    factor: float = 2.0,
    minimum: float = 4.0,
) -> tuple[int, str, str]:
    """convertDesiredReplicasWithRules: clamp to min, then to min(max, scale-up limit); (replicas, reason, message)."""
    limit = scale_up_limit(current, factor, minimum)
    if max_replicas > limit:
        maximum_allowed = limit
        reason, message = (
            "ScaleUpLimit",
            "the desired replica count is increasing faster than the maximum scale rate",
        )
    else:
        maximum_allowed = max_replicas
        reason, message = (
            "TooManyReplicas",
            "the desired replica count is more than the maximum replica count",
        )
    if desired < min_replicas:
        return (
            min_replicas,
            "TooFewReplicas",
            "the desired replica count is less than the minimum replica count",
        )
    if desired > maximum_allowed:
        return maximum_allowed, reason, message
    return desired, "DesiredWithinRange", "the desired count is within the acceptable range"


# ---------------------------------------------------------------------------------------------- normalization (behavior)


def stabilize_with_behaviors(
    recommendations: Sequence[Recommendation],
    proposal: int,
    current: int,
    up_window_seconds: int,
    down_window_seconds: int,
    now: int,
) -> tuple[int, str, str, list[Recommendation]]:
    """stabilizeRecommendationWithBehaviors: clamp current into [min of up window, max of down window]."""
    up = proposal
    up_cutoff = now - up_window_seconds * NS
    down = proposal
    down_cutoff = now - down_window_seconds * NS
    old_index = -1
    for i, rec in enumerate(recommendations):
        if rec.timestamp > up_cutoff:
            up = min(rec.replicas, up)
        if rec.timestamp > down_cutoff:
            down = max(rec.replicas, down)
        if rec.timestamp < up_cutoff and rec.timestamp < down_cutoff:
            old_index = i
    recommendation = current
    if recommendation < up:
        recommendation = up
    if recommendation > down:
        recommendation = down
    updated = list(recommendations)
    if old_index >= 0:
        updated[old_index] = Recommendation(proposal, now)
    else:
        updated.append(Recommendation(proposal, now))
    if proposal >= current:
        reason = "ScaleUpStabilized"
        message = (
            "recent recommendations were lower than current one, applying the lowest recent recommendation"
        )
    else:
        reason = "ScaleDownStabilized"
        message = (
            "recent recommendations were higher than current one, applying the highest recent recommendation"
        )
    return recommendation, reason, message, updated


def replicas_change_per_period(period_seconds: int, events: Sequence[ScaleEvent], now: int) -> int:
    """getReplicasChangePerPeriod: the sum of changes strictly newer than now - period."""
    cutoff = now - period_seconds * NS
    return sum(e.replica_change for e in events if e.timestamp > cutoff)


def scale_up_limit_with_rules(
    current: int,
    up_events: Sequence[ScaleEvent],
    down_events: Sequence[ScaleEvent],
    rules: ScalingRules,
    now: int,
) -> int:
    """calculateScaleUpLimitWithScalingRules: per policy, periodStart + Pods or ceil(periodStart x (1 + %))."""
    if rules.select_policy == "Disabled":
        return current
    pick = min if rules.select_policy == "Min" else max
    result = None
    for policy in rules.policies:
        added = replicas_change_per_period(policy.period_seconds, up_events, now)
        deleted = replicas_change_per_period(policy.period_seconds, down_events, now)
        start = current - added + deleted
        if policy.type == "Pods":
            proposed = start + policy.value
        else:
            proposed = int(math.ceil(float(start) * (1 + float(policy.value) / 100)))
        result = proposed if result is None else pick(result, proposed)
    return current if result is None else result


def scale_down_limit_with_rules(
    current: int,
    up_events: Sequence[ScaleEvent],
    down_events: Sequence[ScaleEvent],
    rules: ScalingRules,
    now: int,
) -> int:
    """calculateScaleDownLimitWithBehaviors: periodStart - Pods or trunc(periodStart x (1 - %)); Max = smallest."""
    if rules.select_policy == "Disabled":
        return current
    pick = max if rules.select_policy == "Min" else min
    result = None
    for policy in rules.policies:
        added = replicas_change_per_period(policy.period_seconds, up_events, now)
        deleted = replicas_change_per_period(policy.period_seconds, down_events, now)
        start = current - added + deleted
        if policy.type == "Pods":
            proposed = start - policy.value
        else:
            proposed = int(float(start) * (1 - float(policy.value) / 100))
        result = proposed if result is None else pick(result, proposed)
    return current if result is None else result


def convert_desired_with_behavior_rate(
    current: int,
    desired: int,
    min_replicas: int,
    max_replicas: int,
    behavior: Behavior,
    up_events: Sequence[ScaleEvent],
    down_events: Sequence[ScaleEvent],
    now: int,
) -> tuple[int, str, str]:
    """convertDesiredReplicasWithBehaviorRate: (replicas, ScalingLimited reason, message)."""
    if desired > current:
        limit = scale_up_limit_with_rules(current, up_events, down_events, behavior.scale_up, now)
        limit = max(limit, current)
        if max_replicas > limit:
            maximum_allowed = limit
            reason, message = (
                "ScaleUpLimit",
                "the desired replica count is increasing faster than the maximum scale rate",
            )
        else:
            maximum_allowed = max_replicas
            reason, message = (
                "TooManyReplicas",
                "the desired replica count is more than the maximum replica count",
            )
        if desired > maximum_allowed:
            return maximum_allowed, reason, message
    elif desired < current:
        limit = scale_down_limit_with_rules(current, up_events, down_events, behavior.scale_down, now)
        limit = min(limit, current)
        if min_replicas < limit:
            minimum_allowed = limit
            reason, message = (
                "ScaleDownLimit",
                "the desired replica count is decreasing faster than the maximum scale rate",
            )
        else:
            minimum_allowed = min_replicas
            reason, message = (
                "TooFewReplicas",
                "the desired replica count is less than the minimum replica count",
            )
        if desired < minimum_allowed:
            return minimum_allowed, reason, message
    return desired, "DesiredWithinRange", "the desired count is within the acceptable range"


def _longest_period(rules: ScalingRules) -> int:
    return max((p.period_seconds for p in rules.policies), default=0)


def _store(events: Sequence[ScaleEvent], change: int, longest: int, now: int) -> list[ScaleEvent]:
    cutoff = now - longest * NS
    marked = [replace(e, outdated=True) if e.timestamp < cutoff else e for e in events]
    old_index = -1
    for i, e in enumerate(marked):
        if e.outdated:
            old_index = i
    new_event = ScaleEvent(change, now, False)
    if old_index >= 0:
        marked[old_index] = new_event
    else:
        marked.append(new_event)
    return marked


def store_scale_event(
    behavior: Behavior | None, history: History, previous: int, new: int, now: int
) -> History:
    """storeScaleEvent: record |new - previous| in the up or down list, reusing the last outdated slot."""
    if behavior is None:
        return history
    if new > previous:
        return History(
            history.recommendations,
            _store(history.scale_up_events, new - previous, _longest_period(behavior.scale_up), now),
            history.scale_down_events,
        )
    return History(
        history.recommendations,
        history.scale_up_events,
        _store(history.scale_down_events, previous - new, _longest_period(behavior.scale_down), now),
    )


# ---------------------------------------------------------------------------------------------- metrics


class _InvalidMetric(Exception):
    def __init__(self, reason: str, condition_error: str, error: str) -> None:
        super().__init__(error)
        self.reason = reason
        self.condition_error = condition_error
        self.condition_message = f"the HPA was unable to compute the replica count: {condition_error}"
        self.error = error


def _selector_text(selector: Mapping | None) -> str:
    if not selector:
        return ""
    from kubekg.simulation.objects import parse_selector

    parsed: LabelSelector | None = parse_selector(selector, "selector")
    return parsed.describe() if parsed else ""


def _same_selector(a: Mapping | None, b: Mapping | None) -> bool:
    return (dict(a) if a else {}) == (dict(b) if b else {})


def _metric_identifier(spec: MetricSpec) -> dict:
    out: dict[str, Any] = {"name": spec.name}
    if spec.selector:
        out["selector"] = spec.selector
    return out


@dataclass
class _Ctx:
    hpa: HPA
    spec_replicas: int
    status_replicas: int
    pods: Sequence[Pod]
    metrics: MetricInputs
    tolerances: Tolerances
    readiness: ReadinessConfig
    now: int
    events: list[dict]
    utilization: int | None = None


def _resource_metric(ctx: _Ctx, spec: MetricSpec) -> tuple[int, str, dict]:
    resource, container = spec.name, spec.container
    samples = ctx.metrics.resource_samples(resource, container)
    reason = "FailedGetContainerResourceMetric" if container else "FailedGetResourceMetric"
    outer = (
        f"failed to get {container} container metric value: "
        if container
        else f"failed to get {resource} resource metric value: "
    )
    target = spec.target
    if target.average_value is not None:
        try:
            if not samples:
                raise MetricError(
                    f"unable to get metrics for resource {resource}: no metrics returned from resource metrics API"
                )
            proposal, usage = rc.plain_metric_replicas(
                samples,
                ctx.spec_replicas,
                target.average_value,
                ctx.pods,
                resource,
                ctx.tolerances,
                ctx.now,
                ctx.readiness,
            )
        except MetricError as exc:
            inner = f"failed to get {resource} usage: {exc}"
            raise _InvalidMetric(reason, inner, outer + inner) from exc
        current = {"averageValue": format_milli(usage)}
        name = f"{resource} resource"
    elif target.average_utilization is not None:
        try:
            proposal, utilization, raw = rc.resource_replicas(
                ctx.spec_replicas,
                target.average_utilization,
                resource,
                ctx.pods,
                samples,
                ctx.tolerances,
                ctx.now,
                ctx.readiness,
                container,
                ctx.metrics.requests.get((resource, container)),
            )
        except MetricError as exc:
            inner = f"failed to get {resource} utilization: {exc}"
            raise _InvalidMetric(reason, inner, outer + inner) from exc
        if ctx.utilization is None:
            ctx.utilization = utilization
        current = {"averageUtilization": utilization, "averageValue": format_milli(raw)}
        name = (
            f"{resource} container resource utilization (percentage of request)"
            if container
            else f"{resource} resource utilization (percentage of request)"
        )
    else:
        inner = "invalid resource metric source: neither an average utilization target nor an average value (usage) target was set"
        raise _InvalidMetric(reason, inner, outer + inner)
    if container:
        status = {
            "type": "ContainerResource",
            "containerResource": {"name": resource, "container": container, "current": current},
        }
    else:
        status = {"type": "Resource", "resource": {"name": resource, "current": current}}
    return proposal, name, status


def _pods_metric(ctx: _Ctx, spec: MetricSpec) -> tuple[int, str, dict]:
    samples: dict[str, Sample] = {}
    for item in ctx.metrics.object_metrics:
        if (
            item.kind == "Pod"
            and item.metric_name == spec.name
            and (item.selector is None or _same_selector(item.selector, spec.selector))
        ):
            ts = item.timestamp if item.timestamp is not None else ctx.now
            samples[item.name] = (item.value, ts, item.window)
    try:
        if not samples:
            raise MetricError(
                f"unable to get metric {spec.name}: no metrics returned from custom metrics API"
            )
        proposal, usage = rc.plain_metric_replicas(
            samples,
            ctx.spec_replicas,
            spec.target.average_value or 0,
            ctx.pods,
            None,
            ctx.tolerances,
            ctx.now,
            ctx.readiness,
        )
    except MetricError as exc:
        raise _InvalidMetric(
            "FailedGetPodsMetric", str(exc), f"failed to get pods metric value: {exc}"
        ) from exc
    status = {
        "type": "Pods",
        "pods": {"metric": _metric_identifier(spec), "current": {"averageValue": format_milli(usage)}},
    }
    return proposal, f"pods metric {spec.name}", status


def _object_metric(ctx: _Ctx, spec: MetricSpec) -> tuple[int, str, dict]:
    described = spec.described_object or {}
    kind, obj_name = str(described.get("kind", "")), str(described.get("name", ""))
    api_version = str(described.get("apiVersion", "") or "")
    value = None
    for item in ctx.metrics.object_metrics:
        if (
            item.kind == kind
            and item.name == obj_name
            and item.metric_name == spec.name
            and (not item.api_version or not api_version or item.api_version == api_version)
            and (item.selector is None or _same_selector(item.selector, spec.selector))
        ):
            value = item.value
            break
    target = spec.target
    fetch_error = (
        f"unable to get metric {spec.name}: {kind} on {ctx.hpa.namespace} {obj_name}/"
        "no metrics returned from custom metrics API"
    )
    if target.value is not None:
        try:
            if value is None:
                raise MetricError(fetch_error)
            proposal, usage = rc.object_metric_replicas(
                ctx.spec_replicas, target.value, value, ctx.pods, ctx.tolerances
            )
        except MetricError as exc:
            raise _InvalidMetric(
                "FailedGetObjectMetric", str(exc), f"failed to get object metric value: {exc}"
            ) from exc
        status = {
            "type": "Object",
            "object": {
                "describedObject": described,
                "metric": _metric_identifier(spec),
                "current": {"value": format_milli(usage)},
            },
        }
        return proposal, f"{kind} metric {spec.name}", status
    if value is None:
        inner = f"failed to get {spec.name} object metric: {fetch_error}"
        raise _InvalidMetric(
            "FailedGetObjectMetric", fetch_error, f"failed to get object metric value: {inner}"
        )
    proposal, usage = rc.per_pod_replicas(
        ctx.status_replicas, target.average_value or 1, value, ctx.tolerances
    )
    status = {
        "type": "Object",
        "object": {
            "describedObject": described,
            "metric": _metric_identifier(spec),
            "current": {"averageValue": format_milli(usage)},
        },
    }
    return proposal, f"external metric {spec.name}({_selector_text(spec.selector)})", status


def _external_metric(ctx: _Ctx, spec: MetricSpec) -> tuple[int, str, dict]:
    values: list[int] = []
    found = False
    for item in ctx.metrics.external_metrics:
        if item.metric_name == spec.name and (
            item.selector is None or _same_selector(item.selector, spec.selector)
        ):
            values.extend(item.values)
            found = True
    outer = f"failed to get {spec.name} external metric value: "
    fetch_error = (
        f"unable to get external metric {ctx.hpa.namespace}/{spec.name}/{_selector_text(spec.selector) or '<all>'}: "
        "no metrics returned from external metrics API"
    )
    if not found or not values:
        inner = f"failed to get {spec.name} external metric: {fetch_error}"
        raise _InvalidMetric("FailedGetExternalMetric", fetch_error, outer + inner)
    target = spec.target
    if target.average_value is not None:
        proposal, usage = rc.per_pod_replicas(
            ctx.status_replicas, target.average_value, rc.external_total(values), ctx.tolerances
        )
        current = {"averageValue": format_milli(usage)}
    else:
        try:
            proposal, usage = rc.external_metric_replicas(
                ctx.spec_replicas, target.value or 1, values, ctx.pods, ctx.tolerances
            )
        except MetricError as exc:
            inner = f"failed to get {spec.name} external metric: {exc}"
            raise _InvalidMetric("FailedGetExternalMetric", str(exc), outer + inner) from exc
        current = {"value": format_milli(usage)}
    status = {"type": "External", "external": {"metric": _metric_identifier(spec), "current": current}}
    return proposal, f"external metric {spec.name}({_selector_text(spec.selector)})", status


_HANDLERS = {
    "Resource": _resource_metric,
    "ContainerResource": _resource_metric,
    "Pods": _pods_metric,
    "Object": _object_metric,
    "External": _external_metric,
}


def compute_replicas_for_metrics(
    ctx: _Ctx, conditions: list[Condition]
) -> tuple[int, str, list[dict], str | None, _InvalidMetric | None]:
    """computeReplicasForMetrics: the largest valid proposal; -1 when every metric (or a scale-down) is blocked."""
    statuses: list[dict] = []
    replicas, metric = 0, ""
    invalid_count = 0
    first: _InvalidMetric | None = None
    for spec in ctx.hpa.metrics:
        handler = _HANDLERS.get(spec.type)
        try:
            if handler is None:
                err = f'unknown metric source type "{spec.type}"'
                raise _InvalidMetric("InvalidMetricSourceType", err, err)
            proposal, name, status = handler(ctx, spec)
        except _InvalidMetric as exc:
            ctx.events.append({"type": "Warning", "reason": exc.reason, "message": exc.condition_error})
            if first is None:
                first = exc
            invalid_count += 1
            statuses.append({"type": ""})
            continue
        statuses.append(status)
        if replicas == 0 or proposal > replicas:
            replicas, metric = proposal, name
    error = None
    if first is not None:
        error = f"invalid metrics ({invalid_count} invalid out of {len(ctx.hpa.metrics)}), first error is: {first.error}"
    if invalid_count >= len(ctx.hpa.metrics) or (invalid_count > 0 and replicas < ctx.spec_replicas):
        assert first is not None
        set_condition(conditions, "ScalingActive", "False", first.reason, first.condition_message, ctx.now)
        return -1, "", statuses, error, first
    set_condition(
        conditions,
        "ScalingActive",
        "True",
        "ValidMetricFound",
        f"the HPA was able to successfully calculate a replica count from {metric}",
        ctx.now,
    )
    return replicas, metric, statuses, error, None


# ---------------------------------------------------------------------------------------------- reconcile


def tolerances_for(hpa: HPA, config: ControllerConfig) -> Tolerances:
    """tolerancesForHpa: the flag in both directions, overridden per direction by spec.behavior.*.tolerance."""
    down = up = config.tolerance
    if hpa.behavior is not None:
        if hpa.behavior.scale_down.tolerance is not None:
            down = hpa.behavior.scale_down.tolerance
        if hpa.behavior.scale_up.tolerance is not None:
            up = hpa.behavior.scale_up.tolerance
    return Tolerances(down, up)


def _initial_conditions(hpa: HPA) -> list[Condition]:
    from kubekg.simulation.timeutil import parse_time

    out = []
    for c in hpa.conditions:
        ltt = c.get("lastTransitionTime")
        out.append(
            Condition(
                str(c.get("type", "")),
                str(c.get("status", "")),
                str(c.get("reason", "")),
                str(c.get("message", "")),
                parse_time(ltt, "hpa.status.conditions.lastTransitionTime") if ltt else None,
            )
        )
    return out


def reconcile(
    hpa: HPA,
    spec_replicas: int,
    status_replicas: int,
    pods: Sequence[Pod],
    metrics: MetricInputs,
    history: History | None,
    now: int,
    config: ControllerConfig | None = None,
) -> ReconcileResult:
    """reconcileAutoscaler: the desired count, whether to rescale, the condition reasons and the new history.

    ``history`` None is a new HPA key: the current count is recorded as a recommendation first
    (recordInitialRecommendation), so a fresh HPA cannot scale down for the stabilization window.
    """
    config = config or ControllerConfig()
    conditions = _initial_conditions(hpa)
    events: list[dict] = []
    set_condition(
        conditions,
        "AbleToScale",
        "True",
        "SucceededGetScale",
        "the HPA controller was able to get the target's current scale",
        now,
    )
    current = spec_replicas
    if history is None:
        history = History([Recommendation(current, now)], [], [])
    else:
        history = History(
            list(history.recommendations), list(history.scale_up_events), list(history.scale_down_events)
        )
    min_replicas = hpa.min_replicas if hpa.min_replicas is not None else 1
    ctx = _Ctx(
        hpa,
        spec_replicas,
        status_replicas,
        pods,
        metrics,
        tolerances_for(hpa, config),
        config.readiness,
        now,
        events,
    )

    statuses: list[dict] = []
    proposal: int | None = None
    stabilized: int | None = None
    metric_name = ""
    error = None
    rescale_reason = ""
    if current == 0 and min_replicas != 0:
        message = "scaling is disabled since the replica count of the target is zero"
        set_condition(conditions, "ScalingActive", "False", "ScalingDisabled", message, now)
        return ReconcileResult(
            current, current, False, "ScalingDisabled", message, conditions, [], history, events
        )
    if current > hpa.max_replicas:
        rescale_reason = "Current number of replicas above Spec.MaxReplicas"
        desired, reason, message = hpa.max_replicas, "TooManyReplicas", rescale_reason
    elif current < min_replicas:
        rescale_reason = "Current number of replicas below Spec.MinReplicas"
        desired, reason, message = min_replicas, "TooFewReplicas", rescale_reason
    else:
        proposal, metric_name, statuses, error, invalid = compute_replicas_for_metrics(ctx, conditions)
        if proposal == -1:
            assert invalid is not None and error is not None
            events.append({"type": "Warning", "reason": "FailedComputeMetricsReplicas", "message": error})
            return ReconcileResult(
                current,
                current,
                False,
                invalid.reason,
                invalid.condition_message,
                conditions,
                statuses,
                history,
                events,
                None,
                "",
                None,
                "",
                error,
                ctx.utilization,
            )
        desired = 0
        rescale_metric = ""
        if proposal > desired:
            desired, rescale_metric = proposal, metric_name
        if desired > current:
            rescale_reason = f"{rescale_metric} above target"
        if desired < current:
            rescale_reason = "All metrics below target"
        if hpa.behavior is None:
            stabilized, recs = stabilize_recommendation(
                history.recommendations, desired, now, config.downscale_stabilization_window
            )
            history = History(recs, history.scale_up_events, history.scale_down_events)
            if stabilized != desired:
                set_condition(
                    conditions,
                    "AbleToScale",
                    "True",
                    "ScaleDownStabilized",
                    "recent recommendations were higher than current one, applying the highest recent recommendation",
                    now,
                )
            else:
                set_condition(
                    conditions,
                    "AbleToScale",
                    "True",
                    "ReadyForNewScale",
                    "recommended size matches current size",
                    now,
                )
            desired, reason, message = convert_desired_with_rules(
                current,
                stabilized,
                min_replicas,
                hpa.max_replicas,
                config.scale_up_limit_factor,
                config.scale_up_limit_minimum,
            )
        else:
            behavior = hpa.behavior
            down_window = behavior.scale_down.stabilization_window_seconds
            if down_window is None:
                down_window = config.downscale_stabilization_window
            up_window = behavior.scale_up.stabilization_window_seconds or 0
            stabilized, st_reason, st_message, recs = stabilize_with_behaviors(
                history.recommendations, desired, current, up_window, down_window, now
            )
            history = History(recs, history.scale_up_events, history.scale_down_events)
            if stabilized != desired:
                set_condition(conditions, "AbleToScale", "True", st_reason, st_message, now)
            else:
                set_condition(
                    conditions,
                    "AbleToScale",
                    "True",
                    "ReadyForNewScale",
                    "recommended size matches current size",
                    now,
                )
            desired, reason, message = convert_desired_with_behavior_rate(
                current,
                stabilized,
                min_replicas,
                hpa.max_replicas,
                behavior,
                history.scale_up_events,
                history.scale_down_events,
                now,
            )
        limited = "False" if desired == stabilized else "True"
        set_condition(conditions, "ScalingLimited", limited, reason, message, now)
    rescale = desired != current
    if rescale:
        set_condition(
            conditions,
            "AbleToScale",
            "True",
            "SucceededRescale",
            f"the HPA controller was able to update the target scale to {desired}",
            now,
        )
        events.append(
            {
                "type": "Normal",
                "reason": "SuccessfulRescale",
                "message": f"New size: {desired}; reason: {rescale_reason}",
            }
        )
        history = store_scale_event(hpa.behavior, history, current, desired, now)
    else:
        desired = current
    return ReconcileResult(
        current,
        desired,
        rescale,
        reason,
        message,
        conditions,
        statuses,
        history,
        events,
        proposal,
        metric_name,
        stabilized,
        rescale_reason,
        error,
        ctx.utilization,
    )
