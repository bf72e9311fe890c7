"""Kubernetes manifests (as ``kubectl get -o json|yaml`` prints them) parsed and validated into small dataclasses.

Validation follows what the API server would refuse (``pkg/apis/*/validation``): a bad manifest raises an
:class:`~kubekg.simulation.errors.InvalidObject` naming the field path, never a controller condition.
Defaults follow ``pkg/apis/*/v*/defaults.go`` (HPA minReplicas 1, metrics cpu 80 %, behavior policies ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubekg.simulation.errors import InvalidObject, UnknownKind, UnknownMetricType
from kubekg.simulation.quantity import Quantity, parse_quantity
from kubekg.simulation.timeutil import NS, ZERO_TIME, parse_duration, parse_time

# ---------------------------------------------------------------------------------------------- field helpers


def mapping(raw: object, path: str, *, required: bool = True) -> dict:
    """``raw`` as a dict, or InvalidObject; None becomes {} when not required."""
    if raw is None and not required:
        return {}
    if not isinstance(raw, Mapping):
        raise InvalidObject(path, f"must be an object, not {type(raw).__name__}")
    return dict(raw)


def sequence(raw: object, path: str) -> list:
    """``raw`` as a list (None is empty), or InvalidObject."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidObject(path, f"must be a list, not {type(raw).__name__}")
    return raw


def string(raw: object, path: str, *, required: bool = False, default: str | None = None) -> str | None:
    """A string field; InvalidObject when it has another type or is required and missing/empty."""
    if raw is None or raw == "":
        if required:
            raise InvalidObject(path, "required value")
        return default if raw is None else raw
    if not isinstance(raw, str):
        raise InvalidObject(path, f"must be a string, not {type(raw).__name__}")
    return raw


def integer(raw: object, path: str, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """An integer field (None stays None); InvalidObject for other types or out of range values."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        else:
            raise InvalidObject(path, f"must be an integer, not {raw!r}")
    if minimum is not None and raw < minimum:
        if minimum == 0:
            raise InvalidObject(
                path, f"must be greater than or equal to 0 (got {raw}); negative values are invalid"
            )
        raise InvalidObject(path, f"must be greater than or equal to {minimum} (got {raw})")
    if maximum is not None and raw > maximum:
        raise InvalidObject(path, f"must be less than or equal to {maximum} (got {raw})")
    return raw


def boolean(raw: object, path: str, default: bool = False) -> bool:
    """A boolean field."""
    if raw is None:
        return default
    if not isinstance(raw, bool):
        raise InvalidObject(path, f"must be true or false, not {raw!r}")
    return raw


def string_map(raw: object, path: str) -> dict[str, str]:
    """labels / annotations / nodeSelector: a map of strings."""
    out = mapping(raw, path, required=False)
    for key, value in out.items():
        if not isinstance(key, str) or not isinstance(value, str | int | float | bool):
            raise InvalidObject(f"{path}.{key}", "must be a string")
    return {
        k: v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in out.items()
    }


# ---------------------------------------------------------------------------------------------- meta


@dataclass(frozen=True)
class Meta:
    """metadata: name, namespace, uid, labels, annotations, creation and deletion timestamps (ns or None)."""

    name: str
    namespace: str
    uid: str
    labels: dict[str, str]
    annotations: dict[str, str]
    created: int | None
    deleting: bool


def parse_meta(
    raw: object, path: str = "metadata", *, namespaced: bool = True, require_name: bool = True
) -> Meta:
    """Parse ``metadata``; a missing uid becomes ``uid-<name>`` so references stay stable."""
    meta = mapping(raw, path, required=require_name)
    name = string(meta.get("name"), f"{path}.name", required=require_name) or ""
    namespace = (string(meta.get("namespace"), f"{path}.namespace") or "default") if namespaced else ""
    uid = string(meta.get("uid"), f"{path}.uid") or (
        f"uid-{namespace}-{name}" if namespaced else f"uid-{name}"
    )
    created = meta.get("creationTimestamp")
    deletion = meta.get("deletionTimestamp")
    return Meta(
        name=name,
        namespace=namespace,
        uid=uid,
        labels=string_map(meta.get("labels"), f"{path}.labels"),
        annotations=string_map(meta.get("annotations"), f"{path}.annotations"),
        created=parse_time(created, f"{path}.creationTimestamp") if created else None,
        deleting=deletion is not None and deletion != "",
    )


# ---------------------------------------------------------------------------------------------- label selectors

_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


@dataclass(frozen=True)
class LabelSelector:
    """metav1.LabelSelector: matchLabels AND matchExpressions (In, NotIn, Exists, DoesNotExist)."""

    match_labels: tuple[tuple[str, str], ...] = ()
    expressions: tuple[tuple[str, str, frozenset[str]], ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True when every requirement holds for ``labels`` (an empty selector matches everything)."""
        for key, value in self.match_labels:
            if labels.get(key) != value:
                return False
        for key, op, values in self.expressions:
            present = key in labels
            if op == "In" and (not present or labels[key] not in values):
                return False
            if op == "NotIn" and present and labels[key] in values:
                return False
            if op == "Exists" and not present:
                return False
            if op == "DoesNotExist" and present:
                return False
        return True

    def describe(self) -> str:
        """The selector in kubectl's string form (``app=web,tier in (a,b)``)."""
        parts = [f"{k}={v}" for k, v in self.match_labels]
        for key, op, values in self.expressions:
            if op == "Exists":
                parts.append(key)
            elif op == "DoesNotExist":
                parts.append(f"!{key}")
            else:
                parts.append(f"{key} {'in' if op == 'In' else 'notin'} ({','.join(sorted(values))})")
        return ",".join(parts)


def parse_selector(raw: object, path: str) -> LabelSelector | None:
    """A label selector, or None when the field is absent (an empty object selects everything)."""
    if raw is None:
        return None
    sel = mapping(raw, path)
    labels = string_map(sel.get("matchLabels"), f"{path}.matchLabels")
    expressions = []
    for i, expr in enumerate(sequence(sel.get("matchExpressions"), f"{path}.matchExpressions")):
        epath = f"{path}.matchExpressions[{i}]"
        expr = mapping(expr, epath)
        key = string(expr.get("key"), f"{epath}.key", required=True)
        op = string(expr.get("operator"), f"{epath}.operator", required=True)
        if op not in _OPERATORS:
            raise InvalidObject(
                f"{epath}.operator", f"{op!r} is not a valid operator (In, NotIn, Exists, DoesNotExist)"
            )
        values = [str(v) for v in sequence(expr.get("values"), f"{epath}.values")]
        if op in ("In", "NotIn") and not values:
            raise InvalidObject(f"{epath}.values", f"must be specified when operator is {op}")
        if op in ("Exists", "DoesNotExist") and values:
            raise InvalidObject(f"{epath}.values", f"may not be specified when operator is {op}")
        expressions.append((key, op, frozenset(values)))
    return LabelSelector(tuple(sorted(labels.items())), tuple(expressions))


# ---------------------------------------------------------------------------------------------- pods and metrics


@dataclass(frozen=True)
class Container:
    """A container (or a restartable init container) with its resource requests."""

    name: str
    requests: dict[str, Quantity]
    restart_policy: str | None = None


@dataclass(eq=False, slots=True)
class Pod:
    """A pod as the HPA replica calculator and the PV controller see it.

    ``ready`` is the Ready condition's status ("True", "False", "Unknown") or None when the pod has no Ready
    condition; ``ready_ltt`` its lastTransitionTime (Go's zero time when unset); times are ns since the epoch.
    """

    name: str
    namespace: str = "default"
    labels: dict[str, str] = field(default_factory=dict)
    phase: str = "Running"
    deleting: bool = False
    start: int | None = ZERO_TIME
    ready: str | None = "True"
    ready_ltt: int = ZERO_TIME
    containers: tuple[Container, ...] = ()
    init_containers: tuple[Container, ...] = ()
    pod_requests: dict[str, Quantity] | None = None
    node_name: str = ""
    claim_names: tuple[str, ...] = ()
    cache: dict = field(default_factory=dict, repr=False)


def _containers(raw: object, path: str) -> tuple[Container, ...]:
    out = []
    for i, c in enumerate(sequence(raw, path)):
        cpath = f"{path}[{i}]"
        c = mapping(c, cpath)
        name = string(c.get("name"), f"{cpath}.name") or f"container-{i}"
        resources = mapping(c.get("resources"), f"{cpath}.resources", required=False)
        requests_raw = mapping(resources.get("requests"), f"{cpath}.resources.requests", required=False)
        requests = {
            str(k): parse_quantity(v, f"{cpath}.resources.requests.{k}") for k, v in requests_raw.items()
        }
        out.append(Container(name, requests, string(c.get("restartPolicy"), f"{cpath}.restartPolicy")))
    return tuple(out)


def parse_pod(raw: object, path: str = "pod") -> Pod:
    """A v1 Pod; without a ``status`` it is taken as Running and Ready since long ago (what users paste)."""
    doc = mapping(raw, path)
    _check_kind(doc, path, "Pod")
    meta = parse_meta(doc.get("metadata"), f"{path}.metadata")
    spec = mapping(doc.get("spec"), f"{path}.spec", required=False)
    pod_resources = mapping(spec.get("resources"), f"{path}.spec.resources", required=False)
    pod_requests = None
    if pod_resources.get("requests"):
        pod_requests = {
            str(k): parse_quantity(v, f"{path}.spec.resources.requests.{k}")
            for k, v in mapping(pod_resources["requests"], f"{path}.spec.resources.requests").items()
        }
    claims = []
    for i, vol in enumerate(sequence(spec.get("volumes"), f"{path}.spec.volumes")):
        vol = mapping(vol, f"{path}.spec.volumes[{i}]")
        pvc = vol.get("persistentVolumeClaim")
        if pvc is not None:
            name = string(
                mapping(pvc, f"{path}.spec.volumes[{i}].persistentVolumeClaim").get("claimName"),
                f"{path}.spec.volumes[{i}].persistentVolumeClaim.claimName",
                required=True,
            )
            claims.append(name)
    pod = Pod(
        name=meta.name,
        namespace=meta.namespace,
        labels=meta.labels,
        deleting=meta.deleting,
        containers=_containers(spec.get("containers"), f"{path}.spec.containers"),
        init_containers=_containers(spec.get("initContainers"), f"{path}.spec.initContainers"),
        pod_requests=pod_requests,
        node_name=string(spec.get("nodeName"), f"{path}.spec.nodeName") or "",
        claim_names=tuple(claims),
    )
    if "status" in doc and doc["status"] is not None:
        status = mapping(doc["status"], f"{path}.status")
        pod.phase = string(status.get("phase"), f"{path}.status.phase") or "Pending"
        start = status.get("startTime")
        # a running pod always has a startTime; one left out (or null, as Go's zero time marshals) is Go's zero time
        pod.start = parse_time(start, f"{path}.status.startTime") if start else ZERO_TIME
        pod.ready, pod.ready_ltt = None, ZERO_TIME
        for i, cond in enumerate(sequence(status.get("conditions"), f"{path}.status.conditions")):
            cond = mapping(cond, f"{path}.status.conditions[{i}]")
            if cond.get("type") == "Ready":
                pod.ready = string(cond.get("status"), f"{path}.status.conditions[{i}].status") or "Unknown"
                ltt = cond.get("lastTransitionTime")
                pod.ready_ltt = (
                    parse_time(ltt, f"{path}.status.conditions[{i}].lastTransitionTime") if ltt else ZERO_TIME
                )
    return pod


@dataclass(frozen=True)
class PodMetrics:
    """metrics.k8s.io/v1beta1 PodMetrics: per-container usage at ``timestamp`` over ``window`` (ns)."""

    name: str
    namespace: str
    timestamp: int
    window: int
    containers: tuple[tuple[str, dict[str, Quantity]], ...]


DEFAULT_METRIC_WINDOW = 60 * NS  # metricServerDefaultMetricWindow


def parse_pod_metrics(raw: object, path: str, now: int) -> PodMetrics:
    """A PodMetrics object; a missing (or null) timestamp is Go's zero time, a missing window one minute.

    The zero timestamp is what a sample without one means to the controller: within a pod's cpu
    initialization period such a sample predates the readiness transition, so it is not trusted.
    """
    doc = mapping(raw, path)
    _check_kind(doc, path, "PodMetrics")
    meta = parse_meta(doc.get("metadata"), f"{path}.metadata")
    ts = doc.get("timestamp")
    window = doc.get("window")
    containers = []
    for i, c in enumerate(sequence(doc.get("containers"), f"{path}.containers")):
        cpath = f"{path}.containers[{i}]"
        c = mapping(c, cpath)
        usage = mapping(c.get("usage"), f"{cpath}.usage", required=False)
        containers.append(
            (
                string(c.get("name"), f"{cpath}.name") or f"container-{i}",
                {str(k): parse_quantity(v, f"{cpath}.usage.{k}") for k, v in usage.items()},
            )
        )
    return PodMetrics(
        name=meta.name,
        namespace=meta.namespace,
        timestamp=parse_time(ts, f"{path}.timestamp") if ts else ZERO_TIME,
        window=parse_duration(window, f"{path}.window") if window is not None else DEFAULT_METRIC_WINDOW,
        containers=tuple(containers),
    )


# ---------------------------------------------------------------------------------------------- HPA

METRIC_TYPES = ("Resource", "ContainerResource", "Pods", "Object", "External")
_SOURCE_FIELD = {
    "Resource": "resource",
    "ContainerResource": "containerResource",
    "Pods": "pods",
    "Object": "object",
    "External": "external",
}
_ALLOWED_TARGETS = {
    "Resource": ("Utilization", "AverageValue"),
    "ContainerResource": ("Utilization", "AverageValue"),
    "Pods": ("AverageValue",),
    "Object": ("Value", "AverageValue"),
    "External": ("Value", "AverageValue"),
}


@dataclass(frozen=True)
class MetricTarget:
    """autoscaling/v2 MetricTarget with values as milli-units."""

    type: str
    average_utilization: int | None = None
    value: int | None = None
    average_value: int | None = None


@dataclass(frozen=True)
class MetricSpec:
    """One entry of spec.metrics: ``name`` is the resource name (Resource kinds) or the metric name."""

    type: str
    name: str
    target: MetricTarget
    container: str | None = None
    selector: dict | None = None
    described_object: dict | None = None


@dataclass(frozen=True)
class ScalingPolicy:
    """HPAScalingPolicy: Pods or Percent ``value`` per ``period_seconds``."""

    type: str
    value: int
    period_seconds: int


@dataclass(frozen=True)
class ScalingRules:
    """HPAScalingRules after API defaulting; ``stabilization_window_seconds`` None = the controller's flag."""

    stabilization_window_seconds: int | None
    select_policy: str
    policies: tuple[ScalingPolicy, ...]
    tolerance: float | None = None


@dataclass(frozen=True)
class Behavior:
    """spec.behavior with both directions defaulted (GenerateHPAScaleUpRules / GenerateHPAScaleDownRules)."""

    scale_up: ScalingRules
    scale_down: ScalingRules


DEFAULT_SCALE_UP = ScalingRules(0, "Max", (ScalingPolicy("Pods", 4, 15), ScalingPolicy("Percent", 100, 15)))
DEFAULT_SCALE_DOWN = ScalingRules(None, "Max", (ScalingPolicy("Percent", 100, 15),))


@dataclass(frozen=True)
class HPA:
    """A HorizontalPodAutoscaler (autoscaling/v2, or v1 converted) after defaulting."""

    name: str
    namespace: str
    target_kind: str
    target_name: str
    target_api_version: str
    min_replicas: int | None
    max_replicas: int
    metrics: tuple[MetricSpec, ...]
    behavior: Behavior | None
    conditions: tuple[dict, ...] = ()
    raw: dict = field(default_factory=dict, compare=False, repr=False)


def _target(raw: object, path: str, metric_type: str) -> MetricTarget:
    t = mapping(raw, path)
    ttype = string(t.get("type"), f"{path}.type", required=True)
    if ttype not in ("Utilization", "Value", "AverageValue"):
        raise InvalidObject(
            f"{path}.type", f"unsupported value {ttype!r}: must be Utilization, Value or AverageValue"
        )
    if ttype not in _ALLOWED_TARGETS[metric_type]:
        raise InvalidObject(
            f"{path}.type",
            f"{ttype} is not allowed for a {metric_type} metric (allowed: {', '.join(_ALLOWED_TARGETS[metric_type])})",
        )
    if ttype == "Utilization":
        util = integer(t.get("averageUtilization"), f"{path}.averageUtilization", minimum=1)
        if util is None:
            raise InvalidObject(f"{path}.averageUtilization", "required value when type is Utilization")
        return MetricTarget(ttype, average_utilization=util)
    key = "value" if ttype == "Value" else "averageValue"
    if t.get(key) is None:
        raise InvalidObject(f"{path}.{key}", f"required value when type is {ttype}")
    q = parse_quantity(t[key], f"{path}.{key}")
    if q.value <= 0:
        raise InvalidObject(f"{path}.{key}", "must be positive")
    if ttype == "Value":
        return MetricTarget(ttype, value=q.milli_value())
    return MetricTarget(ttype, average_value=q.milli_value())


def parse_metric_spec(raw: object, path: str) -> MetricSpec:
    """One autoscaling/v2 MetricSpec; an unknown type is an UnknownMetricType error."""
    m = mapping(raw, path)
    mtype = string(m.get("type"), f"{path}.type", required=True)
    if mtype not in METRIC_TYPES:
        raise UnknownMetricType(
            f"{path}.type", f"unknown metric source type {mtype!r}: must be one of {', '.join(METRIC_TYPES)}"
        )
    spath = f"{path}.{_SOURCE_FIELD[mtype]}"
    source = m.get(_SOURCE_FIELD[mtype])
    if source is None:
        raise InvalidObject(spath, "must populate information for the given metric source")
    source = mapping(source, spath)
    if mtype in ("Resource", "ContainerResource"):
        name = string(source.get("name"), f"{spath}.name", required=True)
        container = None
        if mtype == "ContainerResource":
            container = string(source.get("container"), f"{spath}.container", required=True)
        return MetricSpec(
            mtype, name, _target(source.get("target"), f"{spath}.target", mtype), container=container
        )
    metric = mapping(source.get("metric"), f"{spath}.metric")
    name = string(metric.get("name"), f"{spath}.metric.name", required=True)
    selector = metric.get("selector")
    if selector is not None:
        parse_selector(selector, f"{spath}.metric.selector")
    described = None
    if mtype == "Object":
        described = mapping(source.get("describedObject"), f"{spath}.describedObject")
        string(described.get("kind"), f"{spath}.describedObject.kind", required=True)
        string(described.get("name"), f"{spath}.describedObject.name", required=True)
    return MetricSpec(
        mtype,
        name,
        _target(source.get("target"), f"{spath}.target", mtype),
        selector=dict(selector) if isinstance(selector, Mapping) else None,
        described_object=described,
    )


def _rules(raw: object, path: str, default: ScalingRules) -> ScalingRules:
    if raw is None:
        return default
    r = mapping(raw, path)
    window = integer(
        r.get("stabilizationWindowSeconds"), f"{path}.stabilizationWindowSeconds", minimum=0, maximum=3600
    )
    select = string(r.get("selectPolicy"), f"{path}.selectPolicy") or default.select_policy
    if select not in ("Max", "Min", "Disabled"):
        raise InvalidObject(
            f"{path}.selectPolicy", f"unsupported value {select!r}: must be Max, Min or Disabled"
        )
    policies = []
    for i, p in enumerate(sequence(r.get("policies"), f"{path}.policies")):
        ppath = f"{path}.policies[{i}]"
        p = mapping(p, ppath)
        ptype = string(p.get("type"), f"{ppath}.type", required=True)
        if ptype not in ("Pods", "Percent"):
            raise InvalidObject(f"{ppath}.type", f"unsupported value {ptype!r}: must be Pods or Percent")
        value = integer(p.get("value"), f"{ppath}.value", minimum=1)
        period = integer(p.get("periodSeconds"), f"{ppath}.periodSeconds", minimum=1, maximum=1800)
        if value is None:
            raise InvalidObject(f"{ppath}.value", "required value")
        if period is None:
            raise InvalidObject(f"{ppath}.periodSeconds", "required value")
        policies.append(ScalingPolicy(ptype, value, period))
    tolerance = None
    if r.get("tolerance") is not None:
        tq = parse_quantity(r["tolerance"], f"{path}.tolerance")
        if tq.value < 0:
            raise InvalidObject(f"{path}.tolerance", "must be greater than or equal to 0")
        tolerance = float(tq.value)
    return ScalingRules(
        window if window is not None else default.stabilization_window_seconds,
        select,
        tuple(policies) or default.policies,
        tolerance,
    )


def parse_hpa(raw: object, path: str = "hpa") -> HPA:
    """A HorizontalPodAutoscaler (autoscaling/v2; v1's targetCPUUtilizationPercentage is converted)."""
    doc = mapping(raw, path)
    _check_kind(doc, path, "HorizontalPodAutoscaler")
    # The name only labels the result.
    meta = parse_meta(doc.get("metadata"), f"{path}.metadata", require_name=False)
    spec = mapping(doc.get("spec"), f"{path}.spec")
    ref = mapping(spec.get("scaleTargetRef"), f"{path}.spec.scaleTargetRef")
    kind = string(ref.get("kind"), f"{path}.spec.scaleTargetRef.kind", required=True)
    target_name = string(ref.get("name"), f"{path}.spec.scaleTargetRef.name", required=True)
    min_replicas = integer(spec.get("minReplicas"), f"{path}.spec.minReplicas", minimum=0)
    if spec.get("maxReplicas") is None:
        raise InvalidObject(f"{path}.spec.maxReplicas", "required value")
    max_replicas = integer(spec.get("maxReplicas"), f"{path}.spec.maxReplicas", minimum=1)
    if min_replicas is not None and max_replicas is not None and min_replicas > max_replicas:
        raise InvalidObject(
            f"{path}.spec.minReplicas",
            f"minReplicas ({min_replicas}) must be less than or equal to maxReplicas ({max_replicas})",
        )
    api_version = str(doc.get("apiVersion") or "autoscaling/v2")
    metrics: list[MetricSpec] = []
    if api_version == "autoscaling/v1" or "targetCPUUtilizationPercentage" in spec:
        pct = integer(
            spec.get("targetCPUUtilizationPercentage"),
            f"{path}.spec.targetCPUUtilizationPercentage",
            minimum=1,
        )
        metrics.append(
            MetricSpec("Resource", "cpu", MetricTarget("Utilization", average_utilization=pct or 80))
        )
    else:
        for i, m in enumerate(sequence(spec.get("metrics"), f"{path}.spec.metrics")):
            metrics.append(parse_metric_spec(m, f"{path}.spec.metrics[{i}]"))
    if not metrics:  # SetDefaults_HorizontalPodAutoscaler: cpu, Utilization, 80 %
        metrics.append(MetricSpec("Resource", "cpu", MetricTarget("Utilization", average_utilization=80)))
    behavior = None
    if spec.get("behavior") is not None:
        b = mapping(spec["behavior"], f"{path}.spec.behavior")
        behavior = Behavior(
            _rules(b.get("scaleUp"), f"{path}.spec.behavior.scaleUp", DEFAULT_SCALE_UP),
            _rules(b.get("scaleDown"), f"{path}.spec.behavior.scaleDown", DEFAULT_SCALE_DOWN),
        )
    status = mapping(doc.get("status"), f"{path}.status", required=False)
    conditions = tuple(
        mapping(c, f"{path}.status.conditions[{i}]")
        for i, c in enumerate(sequence(status.get("conditions"), f"{path}.status.conditions"))
    )
    return HPA(
        name=meta.name,
        namespace=meta.namespace,
        target_kind=kind,
        target_name=target_name,
        target_api_version=str(ref.get("apiVersion") or ""),
        min_replicas=min_replicas,
        max_replicas=max_replicas,
        metrics=tuple(metrics),
        behavior=behavior,
        conditions=conditions,
        raw=doc,
    )


# ---------------------------------------------------------------------------------------------- storage

ACCESS_MODES = {
    "ReadWriteOnce": "RWO",
    "ReadOnlyMany": "ROX",
    "ReadWriteMany": "RWX",
    "ReadWriteOncePod": "RWOP",
}
_MODE_ORDER = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")
VOLUME_MODES = ("Filesystem", "Block")
ANN_BETA_CLASS = "volume.beta.kubernetes.io/storage-class"
ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
ANN_PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
ANN_MIGRATED_TO = "pv.kubernetes.io/migrated-to"
ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node"
ANN_DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
ANN_BETA_DEFAULT_CLASS = "storageclass.beta.kubernetes.io/is-default-class"
#: volume source keys of a PV spec, by Kubernetes usage name (the graph's kr:<usageName> IRIs)
PLUGIN_KEYS = (
    "awsElasticBlockStore",
    "azureDisk",
    "azureFile",
    "gcePersistentDisk",
    "glusterfs",
    "portworxVolume",
    "vsphereVolume",
    "cephfs",
    "rbd",
    "csi",
    "nfs",
    "flexVolume",
    "fc",
    "iscsi",
    "hostPath",
    "local",
    "cinder",
    "quobyte",
    "storageos",
    "photonPersistentDisk",
    "scaleIO",
    "flocker",
)


def mode_key(modes: Iterable[str]) -> tuple[str, ...]:
    """The canonical, de-duplicated access-mode set (GetAccessModesAsString order) used as the index key."""
    present = set(modes)
    return tuple(m for m in _MODE_ORDER if m in present)


def _access_modes(raw: object, path: str) -> tuple[str, ...]:
    modes = []
    for i, m in enumerate(sequence(raw, path)):
        if not isinstance(m, str) or m not in ACCESS_MODES:
            raise InvalidObject(
                f"{path}[{i}]", f"unsupported value {m!r}: must be one of {', '.join(ACCESS_MODES)}"
            )
        modes.append(m)
    return tuple(modes)


@dataclass(frozen=True)
class ClaimRef:
    """spec.claimRef of a PV: a reservation by namespace/name, bound when ``uid`` is set."""

    namespace: str
    name: str
    uid: str


@dataclass(eq=False)
class Volume:
    """A PersistentVolume view for the binder and the PV controller (``raw`` is the manifest)."""

    name: str
    uid: str
    labels: dict[str, str]
    annotations: dict[str, str]
    capacity: Quantity | None
    access_modes: tuple[str, ...]
    volume_mode: str
    storage_class: str
    claim_ref: ClaimRef | None
    phase: str
    deleting: bool
    vac: str
    reclaim_policy: str
    plugin: str | None
    raw: dict


def parse_pv(raw: object, path: str = "persistentVolume") -> Volume:
    """A v1 PersistentVolume; a missing phase stays "" (the controller treats it as not Available)."""
    doc = mapping(raw, path)
    _check_kind(doc, path, "PersistentVolume")
    meta = parse_meta(doc.get("metadata"), f"{path}.metadata", namespaced=False)
    spec = mapping(doc.get("spec"), f"{path}.spec")
    capacity = mapping(spec.get("capacity"), f"{path}.spec.capacity", required=False)
    storage = (
        parse_quantity(capacity["storage"], f"{path}.spec.capacity.storage")
        if "storage" in capacity
        else None
    )
    if storage is not None and storage.value < 0:
        raise InvalidObject(f"{path}.spec.capacity.storage", "must be greater than or equal to 0")
    mode = string(spec.get("volumeMode"), f"{path}.spec.volumeMode") or "Filesystem"
    if mode not in VOLUME_MODES:
        raise InvalidObject(
            f"{path}.spec.volumeMode", f"unsupported value {mode!r}: must be Filesystem or Block"
        )
    ref = None
    if spec.get("claimRef") is not None:
        r = mapping(spec["claimRef"], f"{path}.spec.claimRef")
        ref = ClaimRef(
            string(r.get("namespace"), f"{path}.spec.claimRef.namespace") or "",
            string(r.get("name"), f"{path}.spec.claimRef.name") or "",
            string(r.get("uid"), f"{path}.spec.claimRef.uid") or "",
        )
    status = mapping(doc.get("status"), f"{path}.status", required=False)
    klass = meta.annotations.get(ANN_BETA_CLASS)
    if klass is None:
        klass = string(spec.get("storageClassName"), f"{path}.spec.storageClassName") or ""
    plugin = next((k for k in PLUGIN_KEYS if spec.get(k) is not None), None)
    policy = spec.get("persistentVolumeReclaimPolicy")
    return Volume(
        name=meta.name,
        uid=meta.uid,
        labels=meta.labels,
        annotations=meta.annotations,
        capacity=storage,
        access_modes=_access_modes(spec.get("accessModes"), f"{path}.spec.accessModes"),
        volume_mode=mode,
        storage_class=klass,
        claim_ref=ref,
        phase=string(status.get("phase"), f"{path}.status.phase") or "",
        deleting=meta.deleting,
        vac=string(spec.get("volumeAttributesClassName"), f"{path}.spec.volumeAttributesClassName") or "",
        reclaim_policy=str(policy) if policy is not None else "Retain",
        plugin=plugin,
        raw=doc,
    )


@dataclass(eq=False)
class Claim:
    """A PersistentVolumeClaim view; ``storage_class`` is the resolved class (beta annotation first, nil = "")."""

    name: str
    namespace: str
    uid: str
    labels: dict[str, str]
    annotations: dict[str, str]
    request: Quantity | None
    access_modes: tuple[str, ...]
    volume_mode: str | None
    class_name: str | None
    storage_class: str
    selector: LabelSelector | None
    volume_name: str
    phase: str
    deleting: bool
    vac: str
    raw: dict

    @property
    def key(self) -> str:
        """namespace/name, the PV controller's claim key."""
        return f"{self.namespace}/{self.name}"

    @property
    def has_class(self) -> bool:
        """PersistentVolumeClaimHasClass: the beta annotation or spec.storageClassName is set (even to "")."""
        return ANN_BETA_CLASS in self.annotations or self.class_name is not None


def parse_pvc(raw: object, path: str = "claim") -> Claim:
    """A v1 PersistentVolumeClaim; spec.resources.requests.storage is required, as the API server requires."""
    doc = mapping(raw, path)
    _check_kind(doc, path, "PersistentVolumeClaim")
    meta = parse_meta(doc.get("metadata"), f"{path}.metadata")
    spec = mapping(doc.get("spec"), f"{path}.spec")
    resources = mapping(spec.get("resources"), f"{path}.spec.resources", required=False)
    requests = mapping(resources.get("requests"), f"{path}.spec.resources.requests", required=False)
    if "storage" not in requests:
        raise InvalidObject(f"{path}.spec.resources.requests.storage", "required value")
    request = parse_quantity(requests["storage"], f"{path}.spec.resources.requests.storage")
    if request.value <= 0:
        raise InvalidObject(f"{path}.spec.resources.requests.storage", "must be greater than zero")
    modes = _access_modes(spec.get("accessModes"), f"{path}.spec.accessModes")
    if not modes:
        raise InvalidObject(f"{path}.spec.accessModes", "at least 1 access mode is required")
    mode = string(spec.get("volumeMode"), f"{path}.spec.volumeMode")
    if mode is not None and mode not in VOLUME_MODES:
        raise InvalidObject(
            f"{path}.spec.volumeMode", f"unsupported value {mode!r}: must be Filesystem or Block"
        )
    class_name = spec.get("storageClassName")
    if class_name is not None and not isinstance(class_name, str):
        raise InvalidObject(f"{path}.spec.storageClassName", "must be a string")
    resolved = meta.annotations.get(ANN_BETA_CLASS)
    if resolved is None:
        resolved = class_name or ""
    status = mapping(doc.get("status"), f"{path}.status", required=False)
    return Claim(
        name=meta.name,
        namespace=meta.namespace,
        uid=meta.uid,
        labels=meta.labels,
        annotations=meta.annotations,
        request=request,
        access_modes=modes,
        volume_mode=mode,
        class_name=class_name,
        storage_class=resolved,
        selector=parse_selector(spec.get("selector"), f"{path}.spec.selector"),
        volume_name=string(spec.get("volumeName"), f"{path}.spec.volumeName") or "",
        phase=string(status.get("phase"), f"{path}.status.phase") or "Pending",
        deleting=meta.deleting,
        vac=string(spec.get("volumeAttributesClassName"), f"{path}.spec.volumeAttributesClassName") or "",
        raw=doc,
    )


@dataclass(frozen=True)
class StorageClass:
    """storage.k8s.io/v1 StorageClass with its defaults (reclaimPolicy Delete, volumeBindingMode Immediate)."""

    name: str
    provisioner: str
    reclaim_policy: str
    binding_mode: str
    allow_expansion: bool
    is_default: bool
    created: int | None
    parameters: dict[str, str]


def parse_storage_class(raw: object, path: str = "storageClass") -> StorageClass:
    """A StorageClass; an unknown reclaimPolicy or volumeBindingMode is refused like the API server does."""
    doc = mapping(raw, path)
    _check_kind(doc, path, "StorageClass")
    meta = parse_meta(doc.get("metadata"), f"{path}.metadata", namespaced=False)
    policy = string(doc.get("reclaimPolicy"), f"{path}.reclaimPolicy") or "Delete"
    if policy not in ("Delete", "Retain", "Recycle"):
        raise InvalidObject(
            f"{path}.reclaimPolicy", f"unsupported value {policy!r}: must be Delete, Retain or Recycle"
        )
    mode = string(doc.get("volumeBindingMode"), f"{path}.volumeBindingMode") or "Immediate"
    if mode not in ("Immediate", "WaitForFirstConsumer"):
        raise InvalidObject(
            f"{path}.volumeBindingMode",
            f"unsupported value {mode!r}: must be Immediate or WaitForFirstConsumer",
        )
    default = (
        meta.annotations.get(ANN_DEFAULT_CLASS) or meta.annotations.get(ANN_BETA_DEFAULT_CLASS) or ""
    ) == "true"
    return StorageClass(
        name=meta.name,
        provisioner=string(doc.get("provisioner"), f"{path}.provisioner", required=True) or "",
        reclaim_policy=policy,
        binding_mode=mode,
        allow_expansion=boolean(doc.get("allowVolumeExpansion"), f"{path}.allowVolumeExpansion"),
        is_default=default,
        created=meta.created,
        parameters=string_map(doc.get("parameters"), f"{path}.parameters"),
    )


# ---------------------------------------------------------------------------------------------- nodes and services


@dataclass(frozen=True)
class Node:
    """A v1 Node: labels, taints (key, value, effect) and spec.unschedulable."""

    name: str
    labels: dict[str, str]
    taints: tuple[tuple[str, str, str], ...] = ()
    unschedulable: bool = False


def parse_node(raw: object, path: str = "node") -> Node:
    """A v1 Node (only the scheduling-relevant fields)."""
    doc = mapping(raw, path)
    _check_kind(doc, path, "Node")
    meta = parse_meta(doc.get("metadata"), f"{path}.metadata", namespaced=False)
    spec = mapping(doc.get("spec"), f"{path}.spec", required=False)
    taints = []
    for i, t in enumerate(sequence(spec.get("taints"), f"{path}.spec.taints")):
        t = mapping(t, f"{path}.spec.taints[{i}]")
        effect = string(t.get("effect"), f"{path}.spec.taints[{i}].effect", required=True)
        if effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            raise InvalidObject(f"{path}.spec.taints[{i}].effect", f"unsupported value {effect!r}")
        taints.append(
            (
                string(t.get("key"), f"{path}.spec.taints[{i}].key", required=True),
                str(t.get("value") or ""),
                effect,
            )
        )
    labels = {"kubernetes.io/hostname": meta.name, **meta.labels}
    return Node(
        meta.name, labels, tuple(taints), boolean(spec.get("unschedulable"), f"{path}.spec.unschedulable")
    )


# ---------------------------------------------------------------------------------------------- kinds

KINDS = (
    "HorizontalPodAutoscaler",
    "Pod",
    "PodMetrics",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "StorageClass",
    "Deployment",
    "ReplicaSet",
    "DaemonSet",
    "StatefulSet",
    "Job",
    "CronJob",
    "Service",
    "Node",
)


def _check_kind(doc: dict, path: str, expected: str) -> None:
    kind = doc.get("kind")
    if kind is None:
        return
    if kind not in KINDS:
        raise UnknownKind(f"{path}.kind", f"unknown kind {kind!r}: kubekg simulates {', '.join(KINDS)}")
    if kind != expected:
        raise InvalidObject(f"{path}.kind", f"expected a {expected}, got a {kind}")


def kind_of(doc: object, path: str = "") -> str:
    """The ``kind`` of a manifest, checked against the kinds kubekg simulates."""
    d = mapping(doc, path or "document")
    kind = d.get("kind")
    if not isinstance(kind, str) or not kind:
        raise InvalidObject(f"{path}.kind" if path else "kind", "required value")
    if kind not in KINDS:
        raise UnknownKind(
            f"{path}.kind" if path else "kind", f"unknown kind {kind!r}: kubekg simulates {', '.join(KINDS)}"
        )
    return kind


def template_requests(template: Mapping[str, Any], path: str) -> tuple[Container, ...]:
    """The containers (with requests) of a pod template (``spec.template`` or a bare PodSpec)."""
    spec = template.get("spec", template) if isinstance(template, Mapping) else template
    spec = mapping(spec, path)
    return _containers(spec.get("containers"), f"{path}.containers")
