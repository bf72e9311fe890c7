"""Quantities, times and manifest validation: the 4xx side of the simulators."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kubekg.simulation.errors import (
    InvalidObject,
    InvalidQuantity,
    InvalidTime,
    UnknownKind,
    UnknownMetricType,
)
from kubekg.simulation.objects import (
    kind_of,
    parse_hpa,
    parse_pod,
    parse_pv,
    parse_pvc,
    parse_selector,
    parse_storage_class,
)
from kubekg.simulation.quantity import MAX_INT64, format_milli, parse_quantity
from kubekg.simulation.timeutil import NS, ZERO_TIME, format_time, parse_duration, parse_time


@pytest.mark.parametrize(
    ("text", "value", "milli"),
    [
        ("200m", Decimal("0.2"), 200),
        ("1.5", Decimal("1.5"), 1500),
        ("10Gi", Decimal(10 * 2**30), 10 * 2**30 * 1000),
        ("10G", Decimal(10**10), 10**13),
        ("1e3", Decimal(1000), 10**6),
        ("1E3", Decimal(1000), 10**6),
        ("1E", Decimal(10**18), MAX_INT64),  # milli-values saturate at int64
        (".5", Decimal("0.5"), 500),
        ("0.1m", Decimal("0.0001"), 1),  # MilliValue rounds up
        ("1.5Gi", Decimal(1610612736), 1610612736000),
        ("-2k", Decimal(-2000), -2000000),
        ("800E", Decimal(8 * 10**20), MAX_INT64),
        (3, Decimal(3), 3000),
        (0.25, Decimal("0.25"), 250),
    ],
)
def test_parse_quantity(text, value, milli):
    q = parse_quantity(text)
    assert q.value == value and q.milli_value() == milli


@pytest.mark.parametrize(
    "text", ["", "abc", "1.2.3", "1Gb", "--1", "1 Gi", "1e", "Gi", "1ki", True, None, [1]]
)
def test_invalid_quantity(text):
    with pytest.raises(InvalidQuantity):
        parse_quantity(text, "spec.x")


@pytest.mark.parametrize(
    ("milli", "text"),
    [
        (0, "0"),
        (300, "300m"),
        (1000, "1"),
        (1500, "1500m"),
        (6667, "6667m"),
        (20000, "20"),
        (20_000_000, "20k"),
        (5 * 10**9, "5M"),
    ],
)
def test_format_milli(milli, text):
    assert format_milli(milli) == text


def test_int_value_rounds_up():
    assert parse_quantity("1500m").int_value() == 2 and parse_quantity("1Ki").int_value() == 1024


def test_times():
    t = parse_time("2024-05-01T12:00:00Z")
    assert parse_time("2024-05-01T21:00:00+09:00") == t
    assert parse_time("2024-05-01T12:00:00.5Z") == t + NS // 2
    assert format_time(t + 1500 * 1_000_000) == "2024-05-01T12:00:01.5Z"
    assert format_time(ZERO_TIME) == "0001-01-01T00:00:00Z"
    for bad in ("yesterday", "2024-13-01T00:00:00Z", "2024-05-01", 5):
        with pytest.raises(InvalidTime):
            parse_time(bad)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("1m30s", 90), ("2h", 7200), ("500ms", 0.5), (15, 15), ("1.5h", 5400), ("45", 45)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == int(seconds * NS)


@pytest.mark.parametrize("text", ["", "soon", "1d", "-5s", -3, "5s5"])
def test_bad_durations(text):
    with pytest.raises(InvalidTime):
        parse_duration(text)


def hpa_doc(**spec):
    base = {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 5}
    base.update(spec)
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "h"},
        "spec": base,
    }


def test_hpa_defaults():
    hpa = parse_hpa(hpa_doc())
    assert hpa.min_replicas is None and hpa.behavior is None
    (metric,) = hpa.metrics
    assert (metric.type, metric.name, metric.target.average_utilization) == ("Resource", "cpu", 80)
    behaved = parse_hpa(hpa_doc(behavior={"scaleDown": {"selectPolicy": "Min"}}))
    assert behaved.behavior.scale_up.stabilization_window_seconds == 0
    assert [(p.type, p.value, p.period_seconds) for p in behaved.behavior.scale_up.policies] == [
        ("Pods", 4, 15),
        ("Percent", 100, 15),
    ]
    assert (
        behaved.behavior.scale_down.stabilization_window_seconds is None
        and behaved.behavior.scale_down.select_policy == "Min"
    )
    v1 = parse_hpa(
        {
            "apiVersion": "autoscaling/v1",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "h"},
            "spec": {
                "scaleTargetRef": {"kind": "Deployment", "name": "w"},
                "maxReplicas": 3,
                "targetCPUUtilizationPercentage": 60,
            },
        }
    )
    assert v1.metrics[0].target.average_utilization == 60


@pytest.mark.parametrize(
    ("spec", "error", "field"),
    [
        ({"minReplicas": 6}, InvalidObject, "hpa.spec.minReplicas"),
        ({"minReplicas": -1}, InvalidObject, "hpa.spec.minReplicas"),
        ({"maxReplicas": 0}, InvalidObject, "hpa.spec.maxReplicas"),
        ({"metrics": [{"type": "Magic"}]}, UnknownMetricType, "hpa.spec.metrics[0].type"),
        ({"metrics": [{"type": "Resource"}]}, InvalidObject, "hpa.spec.metrics[0].resource"),
        (
            {
                "metrics": [
                    {
                        "type": "Pods",
                        "pods": {
                            "metric": {"name": "q"},
                            "target": {"type": "Utilization", "averageUtilization": 5},
                        },
                    }
                ]
            },
            InvalidObject,
            "hpa.spec.metrics[0].pods.target.type",
        ),
        (
            {
                "metrics": [
                    {
                        "type": "External",
                        "external": {"metric": {"name": "q"}, "target": {"type": "Value", "value": "x1"}},
                    }
                ]
            },
            InvalidQuantity,
            "hpa.spec.metrics[0].external.target.value",
        ),
        (
            {
                "metrics": [
                    {
                        "type": "External",
                        "external": {"metric": {"name": "q"}, "target": {"type": "Value", "value": "0"}},
                    }
                ]
            },
            InvalidObject,
            "hpa.spec.metrics[0].external.target.value",
        ),
        (
            {"behavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 0, "periodSeconds": 15}]}}},
            InvalidObject,
            "hpa.spec.behavior.scaleUp.policies[0].value",
        ),
        (
            {"behavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 1801}]}}},
            InvalidObject,
            "hpa.spec.behavior.scaleUp.policies[0].periodSeconds",
        ),
        (
            {"behavior": {"scaleDown": {"selectPolicy": "Sometimes"}}},
            InvalidObject,
            "hpa.spec.behavior.scaleDown.selectPolicy",
        ),
        (
            {"behavior": {"scaleDown": {"stabilizationWindowSeconds": 3601}}},
            InvalidObject,
            "hpa.spec.behavior.scaleDown.stabilizationWindowSeconds",
        ),
        ({"scaleTargetRef": {"name": "web"}}, InvalidObject, "hpa.spec.scaleTargetRef.kind"),
    ],
)
def test_hpa_validation(spec, error, field):
    with pytest.raises(error) as info:
        parse_hpa(hpa_doc(**spec))
    assert info.value.path == field


def test_unknown_kind():
    with pytest.raises(UnknownKind):
        kind_of({"kind": "Flux"})
    with pytest.raises(UnknownKind):
        parse_pod({"kind": "Flux", "metadata": {"name": "x"}})
    with pytest.raises(InvalidObject, match="expected a PersistentVolume"):
        parse_pv({"kind": "Pod", "metadata": {"name": "x"}, "spec": {}})


def test_pod_without_status_is_running_and_ready():
    pod = parse_pod(
        {
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "250m"}}}]},
        }
    )
    assert (pod.phase, pod.ready, pod.start) == ("Running", "True", ZERO_TIME)
    unready = parse_pod({"metadata": {"name": "p"}, "status": {"phase": "Running"}})
    assert unready.ready is None  # no Ready condition: unready for cpu, as the controller sees it


@pytest.mark.parametrize(
    ("selector", "labels", "matches"),
    [
        ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
        ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]}, {"a": "2"}, True),
        ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {}, True),
        ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"a": ""}, True),
        ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"a": "x"}, False),
        (
            {"matchLabels": {"a": "1"}, "matchExpressions": [{"key": "b", "operator": "Exists"}]},
            {"a": "1"},
            False,
        ),
        ({}, {"anything": "x"}, True),
    ],
)
def test_label_selectors(selector, labels, matches):
    assert parse_selector(selector, "s").matches(labels) is matches


@pytest.mark.parametrize(
    "selector",
    [
        {"matchExpressions": [{"key": "a", "operator": "In"}]},
        {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
        {"matchExpressions": [{"key": "a", "operator": "Near", "values": ["x"]}]},
    ],
)
def test_bad_selectors(selector):
    with pytest.raises(InvalidObject):
        parse_selector(selector, "s")


def test_storage_objects():
    pvc = parse_pvc(
        {
            "metadata": {"name": "c", "annotations": {"volume.beta.kubernetes.io/storage-class": "gold"}},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        }
    )
    assert pvc.storage_class == "gold" and pvc.has_class and pvc.class_name is None
    plain = parse_pvc(
        {
            "metadata": {"name": "c"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        }
    )
    assert plain.storage_class == "" and not plain.has_class
    sc = parse_storage_class({"metadata": {"name": "s"}, "provisioner": "p"})
    assert (sc.reclaim_policy, sc.binding_mode, sc.allow_expansion) == ("Delete", "Immediate", False)
    pv = parse_pv(
        {
            "metadata": {"name": "v"},
            "spec": {"capacity": {"storage": "1Gi"}, "nfs": {"server": "s", "path": "/"}},
        }
    )
    assert (pv.plugin, pv.reclaim_policy, pv.volume_mode, pv.phase) == ("nfs", "Retain", "Filesystem", "")
    for bad in (
        {"volumeMode": "Raw"},
        {"accessModes": ["ReadWriteAlways"]},
        {"capacity": {"storage": "-1Gi"}},
    ):
        with pytest.raises(InvalidObject):
            parse_pv({"metadata": {"name": "v"}, "spec": {"capacity": {"storage": "1Gi"}, **bad}})
    with pytest.raises(InvalidObject, match="required"):
        parse_pvc({"metadata": {"name": "c"}, "spec": {"accessModes": ["ReadWriteOnce"]}})
    with pytest.raises(InvalidObject, match="reclaimPolicy"):
        parse_storage_class({"metadata": {"name": "s"}, "provisioner": "p", "reclaimPolicy": "Keep"})
