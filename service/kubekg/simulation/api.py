"""Request bodies (JSON or YAML already decoded) to simulation results: the pure core of every endpoint and CLI.

Each ``run_*`` function validates its body (raising :mod:`kubekg.simulation.errors` for bad input), asks the
graph facts it needs and returns a JSON-ready dict. The HTTP contracts of issue 8 section 4 are
``run_hpa_reconcile``, ``run_pv_bind`` and ``run_pv_sync_volume``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubekg.simulation.budget import UNLIMITED, Budget
from kubekg.simulation.errors import InvalidBody, InvalidObject, NotScalable
from kubekg.simulation.facts import Facts
from kubekg.simulation.hpa.reconcile import (
    ControllerConfig,
    ExternalMetricValues,
    History,
    MetricInputs,
    ObjectMetricValue,
    Recommendation,
    ScaleEvent,
    reconcile,
)
from kubekg.simulation.objects import (
    ANN_BIND_COMPLETED,
    ANN_SELECTED_NODE,
    HPA,
    Claim,
    integer,
    mapping,
    parse_hpa,
    parse_pod,
    parse_pod_metrics,
    parse_pvc,
    parse_selector,
    parse_storage_class,
    sequence,
    string,
)
from kubekg.simulation.pv.binder import is_volume_bound_to_claim, key_text
from kubekg.simulation.pv.controller import PVController, check_volume_satisfy_claim
from kubekg.simulation.quantity import parse_quantity
from kubekg.simulation.timeutil import NS, parse_duration, parse_time

DEFAULT_START = "2024-01-01T00:00:00Z"
MAX_SYNCS = 1000


def body_mapping(body: object) -> dict:
    """The request body as a dict; lists, strings and scalars are a 400."""
    if not isinstance(body, Mapping):
        kind = "a list" if isinstance(body, list) else type(body).__name__
        raise InvalidBody(f"the request body must be an object (a JSON/YAML mapping), not {kind}")
    return dict(body)


def _now(body: Mapping, key: str = "now", default: str | None = None) -> int:
    raw = body.get(key, default)
    if raw is None:
        raise InvalidObject(key, "required value (an RFC 3339 timestamp such as 2024-05-01T12:00:00Z)")
    return parse_time(raw, key)


def _float(raw: object, path: str, minimum: float = 0.0) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InvalidObject(path, f"must be a number, not {raw!r}")
    try:
        value = float(raw)
    except ValueError:
        value = float(parse_quantity(raw, path).value)
    if not value >= minimum or value == float("inf"):
        raise InvalidObject(path, f"must be a number >= {minimum}")
    return value


def parse_controller_config(raw: object, path: str = "config") -> ControllerConfig:
    """The controller flags of the reconcile contract (seconds) plus the legacy scale-up factor and minimum."""
    cfg = mapping(raw, path, required=False)
    base = ControllerConfig()
    return ControllerConfig(
        tolerance=_float(cfg["tolerance"], f"{path}.tolerance")
        if cfg.get("tolerance") is not None
        else base.tolerance,
        downscale_stabilization_window=_int(
            cfg, "downscaleStabilizationWindowSeconds", path, base.downscale_stabilization_window
        ),
        cpu_initialization_period=_int(
            cfg, "cpuInitializationPeriodSeconds", path, base.cpu_initialization_period
        ),
        initial_readiness_delay=_int(cfg, "initialReadinessDelaySeconds", path, base.initial_readiness_delay),
        scale_up_limit_factor=_float(cfg["scaleUpLimitFactor"], f"{path}.scaleUpLimitFactor")
        if cfg.get("scaleUpLimitFactor") is not None
        else base.scale_up_limit_factor,
        scale_up_limit_minimum=_float(cfg["scaleUpLimitMinimum"], f"{path}.scaleUpLimitMinimum")
        if cfg.get("scaleUpLimitMinimum") is not None
        else base.scale_up_limit_minimum,
    )


def _int(cfg: Mapping, key: str, path: str, default: int) -> int:
    value = integer(cfg.get(key), f"{path}.{key}", minimum=0)
    return default if value is None else value


# ---------------------------------------------------------------------------------------------- HPA


def check_scalable(hpa: HPA, facts: Facts) -> dict[str, Any] | None:
    """Refuse a target kind the graph says an HPA cannot scale (citing the fact); return the supporting fact."""
    kind = hpa.target_kind
    negative = facts.hpa_unscalable_kinds().get(kind)
    if negative is not None:
        raise NotScalable(
            f"a HorizontalPodAutoscaler cannot scale a {kind}: the knowledge graph states "
            f"{negative.to_dict()['statement']}"
            + (f" (section {negative.heading})" if negative.heading else ""),
            details={"kind": kind, "fact": negative.to_dict()},
        )
    positive = facts.hpa_scalable_kinds().get(kind)
    return positive.to_dict() if positive else None


def parse_history(raw: object, path: str = "history") -> History:
    """The controller's stored recommendations and scale events (present, even empty, = an existing HPA)."""
    h = mapping(raw, path)
    recs = []
    for i, r in enumerate(sequence(h.get("recommendations"), f"{path}.recommendations")):
        rpath = f"{path}.recommendations[{i}]"
        r = mapping(r, rpath)
        replicas = integer(r.get("replicas"), f"{rpath}.replicas", minimum=0)
        if replicas is None:
            raise InvalidObject(f"{rpath}.replicas", "required value")
        recs.append(Recommendation(replicas, parse_time(r.get("timestamp"), f"{rpath}.timestamp")))

    def events(key: str) -> list[ScaleEvent]:
        out = []
        for i, e in enumerate(sequence(h.get(key), f"{path}.{key}")):
            epath = f"{path}.{key}[{i}]"
            e = mapping(e, epath)
            change = integer(e.get("replicaChange"), f"{epath}.replicaChange", minimum=0)
            if change is None:
                raise InvalidObject(f"{epath}.replicaChange", "required value")
            outdated = bool(e.get("outdated", False))
            out.append(ScaleEvent(change, parse_time(e.get("timestamp"), f"{epath}.timestamp"), outdated))
        return out

    return History(recs, events("scaleUpEvents"), events("scaleDownEvents"))


def parse_metric_inputs(body: Mapping, now: int) -> MetricInputs:
    """podMetrics (metrics.k8s.io), objectMetrics (custom, Pod items = per-pod) and externalMetrics."""
    pod_metrics = [
        parse_pod_metrics(m, f"podMetrics[{i}]", now)
        for i, m in enumerate(sequence(body.get("podMetrics"), "podMetrics"))
    ]
    objects = []
    for i, item in enumerate(sequence(body.get("objectMetrics"), "objectMetrics")):
        ipath = f"objectMetrics[{i}]"
        item = mapping(item, ipath)
        described = mapping(item.get("describedObject"), f"{ipath}.describedObject")
        metric = mapping(item.get("metric"), f"{ipath}.metric")
        if metric.get("selector") is not None:
            parse_selector(metric["selector"], f"{ipath}.metric.selector")
        if item.get("value") is None:
            raise InvalidObject(f"{ipath}.value", "required value")
        ts = item.get("timestamp")
        window = item.get("windowSeconds")
        objects.append(
            ObjectMetricValue(
                kind=string(described.get("kind"), f"{ipath}.describedObject.kind", required=True) or "",
                name=string(described.get("name"), f"{ipath}.describedObject.name", required=True) or "",
                metric_name=string(metric.get("name"), f"{ipath}.metric.name", required=True) or "",
                value=parse_quantity(item["value"], f"{ipath}.value").milli_value(),
                api_version=str(described.get("apiVersion") or ""),
                selector=metric.get("selector"),
                timestamp=parse_time(ts, f"{ipath}.timestamp") if ts else None,
                window=(integer(window, f"{ipath}.windowSeconds", minimum=0) or 60) * NS
                if window is not None
                else 60 * NS,
            )
        )
    externals = []
    for i, item in enumerate(sequence(body.get("externalMetrics"), "externalMetrics")):
        ipath = f"externalMetrics[{i}]"
        item = mapping(item, ipath)
        metric = mapping(item.get("metric"), f"{ipath}.metric")
        if metric.get("selector") is not None:
            parse_selector(metric["selector"], f"{ipath}.metric.selector")
        values = tuple(
            parse_quantity(v, f"{ipath}.values[{j}]").milli_value()
            for j, v in enumerate(sequence(item.get("values"), f"{ipath}.values"))
        )
        externals.append(
            ExternalMetricValues(
                string(metric.get("name"), f"{ipath}.metric.name", required=True) or "",
                values,
                metric.get("selector"),
            )
        )
    return MetricInputs(pod_metrics, objects, externals)


def run_hpa_reconcile(body: object, facts: Facts, budget: Budget = UNLIMITED) -> dict[str, Any]:
    """POST /api/simulate/hpa/reconcile: one reconcile of the HPA controller."""
    body = body_mapping(body)
    now = _now(body)
    hpa = parse_hpa(body.get("hpa"), "hpa")
    scale_fact = check_scalable(hpa, facts)
    scale = mapping(body.get("scale"), "scale")
    spec = mapping(scale.get("spec"), "scale.spec")
    spec_replicas = integer(spec.get("replicas"), "scale.spec.replicas", minimum=0)
    if spec_replicas is None:
        raise InvalidObject("scale.spec.replicas", "required value")
    status = mapping(scale.get("status"), "scale.status", required=False)
    status_replicas = integer(status.get("replicas"), "scale.status.replicas", minimum=0)
    if status_replicas is None:
        status_replicas = spec_replicas
    pods = [parse_pod(p, f"pods[{i}]") for i, p in enumerate(sequence(body.get("pods"), "pods"))]
    metrics = parse_metric_inputs(body, now)
    history = parse_history(body["history"]) if body.get("history") is not None else None
    config = parse_controller_config(body.get("config"))
    result = reconcile(hpa, spec_replicas, status_replicas, pods, metrics, history, now, config)
    out = result.to_dict()
    out["newHpa"] = history is None
    out["factsSource"] = facts.source
    if scale_fact:
        out["scaleTargetFact"] = scale_fact
    return out


# ---------------------------------------------------------------------------------------------- PV bind and sync


def _pv_controller(
    body: Mapping, facts: Facts, now: int, volumes_key: str, claims: list, faults: object = None
) -> PVController:
    classes = [
        parse_storage_class(c, f"storageClasses[{i}]")
        for i, c in enumerate(sequence(body.get("storageClasses"), "storageClasses"))
    ]
    pods = [parse_pod(p, f"pods[{i}]") for i, p in enumerate(sequence(body.get("pods"), "pods"))]
    volumes = body.get(volumes_key)
    volume_list = [volumes] if isinstance(volumes, Mapping) else sequence(volumes, volumes_key)
    ctrl = PVController.build(facts, now, [], [], classes, pods, mapping(faults, "faults", required=False))
    for i, raw in enumerate(volume_list):
        ctrl.add_volume(raw, f"{volumes_key}[{i}]" if not isinstance(volumes, Mapping) else volumes_key)
    for i, raw in enumerate(claims):
        ctrl.add_claim(raw, f"claims[{i}]")
    return ctrl


def bind_decision(ctrl: PVController, key: str) -> dict[str, Any]:
    """What syncClaim decides for one claim, without changing anything: the volume, or why there is none."""
    claim = ctrl.claim(key)
    if ANN_BIND_COMPLETED in claim.annotations and claim.volume_name:
        if claim.volume_name not in ctrl.volumes:
            return _decision(
                None, "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!"
            )
        volume = ctrl.volume(claim.volume_name)
        if volume.claim_ref is not None and volume.claim_ref.uid != claim.uid:
            return _decision(
                None,
                "ClaimMisbound",
                "Two claims are bound to the same volume, this one is bound incorrectly",
            )
        return _decision(volume.name, "Bound", f'the claim is already bound to volume "{volume.name}"')
    if claim.volume_name:
        return _prebound_claim_decision(ctrl, claim)
    klass = ctrl.classes.get(claim.storage_class)
    delay = klass is not None and klass.binding_mode == "WaitForFirstConsumer"
    index = ctrl._index()
    match = index.find_best_match(claim, delay)
    defaulted = None
    if match.volume is None and not claim.has_class:
        default = ctrl.default_class()
        if default is not None:
            defaulted = default.name
            raw = dict(claim.raw)
            raw["spec"] = {**raw["spec"], "storageClassName": default.name}
            claim = parse_pvc(raw, "claim")
            klass = default
            delay = klass.binding_mode == "WaitForFirstConsumer"
            match = index.find_best_match(claim, delay)
    extra: dict[str, Any] = {
        "storageClass": claim.storage_class,
        "delayBinding": delay,
        "accessModeGroupsTried": [key_text(k) for k in match.groups_tried],
    }
    if defaulted:
        extra["defaultStorageClassAssigned"] = defaulted
    if match.volume is not None:
        v = match.volume
        cap = v.capacity.text if v.capacity else "?"
        group = key_text(match.group or ())
        if match.prebound:
            message = f'volume "{v.name}" ({cap}, [{group}]) is pre-bound to the claim by its claimRef; it wins over any smaller volume'
        else:
            message = (
                f'volume "{v.name}" ({cap}) is the smallest Available volume of class "{claim.storage_class}" that fits '
                f"in access-mode group [{group}], the group with the fewest modes that has a match"
            )
        return _decision(v.name, "Bound", message, accessModeGroup=group, prebound=match.prebound, **extra)
    if delay and ANN_SELECTED_NODE not in claim.annotations:
        waiting = sorted(f"{p.namespace}/{p.name}" for p in ctrl._pods_using(claim) if not p.node_name)
        if waiting:
            names = ",".join(waiting)
            return _decision(
                None,
                "WaitForPodScheduled",
                f"waiting for pod{'s' if len(waiting) > 1 else ''} {names} to be scheduled",
                **extra,
            )
        return _decision(
            None, "WaitForFirstConsumer", "waiting for first consumer to be created before binding", **extra
        )
    if claim.storage_class != "":
        reason, message, sc, _plugin = ctrl.provision_decision(claim)
        if sc is not None:
            extra["provisioner"] = sc.provisioner
        return _decision(None, reason, message, **extra)
    return _decision(
        None,
        "FailedBinding",
        "no persistent volumes available for this claim and no storage class is set",
        **extra,
    )


def _prebound_claim_decision(ctrl: PVController, claim: Claim) -> dict[str, Any]:
    name = claim.volume_name
    if name not in ctrl.volumes:
        return _decision(
            None,
            "VolumeNotFound",
            f'volume "{name}" requested by the claim does not exist; the claim stays Pending',
        )
    volume = ctrl.volume(name)
    if volume.claim_ref is None:
        err = check_volume_satisfy_claim(volume, claim)
        if err is not None:
            return _decision(None, "VolumeMismatch", f'Cannot bind to requested volume "{name}": {err}')
        return _decision(
            name,
            "Bound",
            f'the claim names volume "{name}" (spec.volumeName); its selector and the volume phase are not checked',
        )
    if is_volume_bound_to_claim(volume, claim):
        return _decision(
            name, "Bound", f'the claim names volume "{name}" and the volume points back at the claim'
        )
    return _decision(None, "FailedBinding", f'volume "{name}" already bound to a different claim.')


def _decision(volume: str | None, reason: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"volumeName": volume, "reason": reason, "message": message, **extra}


def run_pv_bind(body: object, facts: Facts, budget: Budget = UNLIMITED) -> dict[str, Any]:
    """POST /api/simulate/pv/bind: the volume the PV controller binds the claim to, or why none."""
    body = body_mapping(body)
    now = _now(body, default=DEFAULT_START)
    claim_raw = body.get("claim")
    if claim_raw is None:
        raise InvalidObject("claim", "required value")
    ctrl = _pv_controller(body, facts, now, "persistentVolumes", [])
    synced = []
    for name, doc in ctrl.volumes.items():
        ref = (doc.get("spec") or {}).get("claimRef")
        if "status" not in doc and not (ref or {}).get("uid"):
            # a manifest without any status has just been created: its first syncVolume makes it Available
            ctrl.update_volume_phase(name, "Available")
            synced.append(name)
    view = ctrl.add_claim(claim_raw, "claim")
    out = bind_decision(ctrl, view.key)
    if synced:
        out["assumedAvailable"] = synced
    out["factsSource"] = facts.source
    return out


def run_pv_sync_volume(body: object, facts: Facts, budget: Budget = UNLIMITED) -> dict[str, Any]:
    """POST /api/simulate/pv/sync-volume: the PV after ``syncs`` volume syncs (null once deleted), with events."""
    body = body_mapping(body)
    now = _now(body, default=DEFAULT_START)
    pv_raw = body.get("persistentVolume")
    if not isinstance(pv_raw, Mapping):
        raise InvalidObject("persistentVolume", "required value (a PersistentVolume object)")
    syncs = integer(body.get("syncs", 1), "syncs", minimum=1, maximum=MAX_SYNCS)
    claims = sequence(body.get("claims"), "claims")
    ctrl = _pv_controller(body, facts, now, "persistentVolume", claims, body.get("faults"))
    name = next(iter(ctrl.volumes))
    phases = []
    for _ in range(syncs or 1):
        budget.check()
        ctrl.resync()
        ctrl.sync_volume(name)
        phases.append(
            ((ctrl.volumes.get(name) or {}).get("status") or {}).get("phase", "Deleted")
            if name in ctrl.volumes
            else "Deleted"
        )
    pv = ctrl.volumes.get(name)
    return {
        "persistentVolume": pv,
        "events": [{k: e[k] for k in ("type", "reason", "message", "object", "from")} for e in ctrl.events],
        "phases": phases,
        "deleted": pv is None,
        "storageAssetDeleted": name in ctrl.deleted_assets,
        "factsSource": facts.source,
    }


# ---------------------------------------------------------------------------------------------- HPA timeline


def run_hpa_timeline(body: object, facts: Facts, budget: Budget = UNLIMITED) -> dict[str, Any]:
    """POST /api/simulate/hpa/timeline: a reconcile every sync period over a load profile."""
    from kubekg.simulation.hpa.timeline import TimelineSpec, parse_load, run_timeline
    from kubekg.simulation.objects import template_requests

    body = body_mapping(body)
    hpa = parse_hpa(body.get("hpa"), "hpa")
    scale_fact = check_scalable(hpa, facts)
    for i, m in enumerate(hpa.metrics):
        if m.type not in ("Resource", "ContainerResource"):
            raise InvalidObject(
                f"hpa.spec.metrics[{i}].type", "a timeline drives Resource and ContainerResource metrics only"
            )
    deployment = mapping(body.get("deployment"), "deployment", required=False)
    if body.get("podTemplate") is not None:
        containers = template_requests(mapping(body["podTemplate"], "podTemplate"), "podTemplate.spec")
    elif deployment:
        dspec = mapping(deployment.get("spec"), "deployment.spec")
        containers = template_requests(
            mapping(dspec.get("template"), "deployment.spec.template"), "deployment.spec.template.spec"
        )
    else:
        raise InvalidObject(
            "podTemplate", "required value: the pod template (or a deployment) gives the pods' requests"
        )
    if not containers:
        raise InvalidObject("podTemplate.spec.containers", "at least one container is required")
    initial = body.get("initialReplicas")
    if initial is None and deployment:
        initial = (deployment.get("spec") or {}).get("replicas", 1)
    initial_replicas = integer(initial, "initialReplicas", minimum=0)
    if initial_replicas is None:
        initial_replicas = hpa.min_replicas if hpa.min_replicas is not None else 1
    period_s, period_fact = facts.hpa_sync_period_seconds()
    if body.get("syncPeriodSeconds") is not None:
        period_s = integer(body["syncPeriodSeconds"], "syncPeriodSeconds", minimum=1) or period_s
        period_fact = None
    load = parse_load(body.get("load"), "load")
    resource = string(body.get("resource"), "resource") or "cpu"
    spec = TimelineSpec(
        hpa=hpa,
        containers=containers,
        initial_replicas=initial_replicas,
        start=_now(body, "start", DEFAULT_START),
        duration=parse_duration(body.get("duration", "1h"), "duration"),
        sync_period=period_s * NS,
        startup_delay=parse_duration(body.get("startupDelaySeconds", 30), "startupDelaySeconds"),
        metric_window=parse_duration(body.get("metricWindowSeconds", 30), "metricWindowSeconds"),
        load=tuple(load),
        config=parse_controller_config(body.get("config")),
        resource=resource,
    )
    out = run_timeline(spec, budget)
    out["syncPeriodSeconds"] = period_s
    out["syncPeriodFact"] = period_fact.to_dict() if period_fact else None
    out["factsSource"] = facts.source
    if scale_fact:
        out["scaleTargetFact"] = scale_fact
    return out
