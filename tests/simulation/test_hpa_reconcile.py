"""One HPA reconcile: normalization, behavior rate limits, events, history and conditions (horizontal_test.go cases)."""

from __future__ import annotations

import dataclasses

import pytest
from sim_fixtures import COOL, HOT, MINUTE, NOW, pods

from kubekg.simulation.hpa import reconcile as hr
from kubekg.simulation.hpa.reconcile import (
    ControllerConfig,
    ExternalMetricValues,
    History,
    MetricInputs,
    ObjectMetricValue,
    Recommendation,
    ScaleEvent,
)
from kubekg.simulation.objects import (
    DEFAULT_SCALE_DOWN,
    DEFAULT_SCALE_UP,
    Behavior,
    MetricSpec,
    MetricTarget,
    ScalingPolicy,
    ScalingRules,
    parse_hpa,
)
from kubekg.simulation.timeutil import NS

S = NS  # one second in ns
TEST_CONFIG = ControllerConfig(
    cpu_initialization_period=120, initial_readiness_delay=10, scale_up_limit_factor=8
)


def ago(seconds: float) -> int:
    return NOW - int(seconds * S)


# ---------------------------------------------------------------------------------------------- stabilization (no behavior)

NORMALIZE = [
    ("empty log", [], 5, 5, 1),
    ("stabilize", [(4, ago(120)), (5, ago(60))], 3, 5, 3),
    ("no stabilize", [(1, ago(120)), (2, ago(60))], 3, 3, 3),
    ("no stabilize - old recommendations", [(10, ago(600)), (9, ago(540))], 3, 3, 2),
    (
        "stabilize - old recommendations",
        [(10, ago(600)), (4, ago(60)), (5, ago(120)), (9, ago(540))],
        3,
        5,
        4,
    ),
    ("a sample exactly at the cutoff still counts", [(9, ago(300))], 3, 9, 2),
]


@pytest.mark.parametrize(
    ("recs", "proposal", "expected", "length"), [c[1:] for c in NORMALIZE], ids=[c[0] for c in NORMALIZE]
)
def test_stabilize_recommendation(recs, proposal, expected, length):
    """TestNormalizeDesiredReplicas: max over the 300 s window; one stale slot (the last) is reused."""
    got, updated = hr.stabilize_recommendation([Recommendation(r, t) for r, t in recs], proposal, NOW, 300)
    assert got == expected
    assert len(updated) == length


def test_stale_slot_reuse_keeps_order():
    recs = [
        Recommendation(10, ago(600)),
        Recommendation(4, ago(60)),
        Recommendation(5, ago(120)),
        Recommendation(9, ago(540)),
    ]
    _, updated = hr.stabilize_recommendation(recs, 3, NOW, 300)
    assert [r.replicas for r in updated] == [10, 4, 5, 3]  # the last stale one (9) was overwritten


# ---------------------------------------------------------------------------------------------- stabilization (behavior)

WITH_BEHAVIOR = [
    # name, recs, current, proposal, expected, expected stored values, up window, down window
    ("empty recommendations for scaling down", [], 100, 5, 5, [5], 0, 0),
    ("simple scale down stabilization", [(4, ago(120)), (5, ago(60))], 100, 3, 5, [4, 5, 3], 0, 300),
    ("simple scale up stabilization", [(4, ago(120)), (5, ago(60))], 1, 7, 4, [4, 5, 7], 300, 0),
    ("no scale down stabilization", [(1, ago(120)), (2, ago(60))], 100, 3, 3, [1, 2, 3], 300, 0),
    ("no scale up stabilization", [(4, ago(120)), (5, ago(60))], 1, 3, 3, [4, 5, 3], 0, 300),
    (
        "no scale down stabilization, reuse recommendation element",
        [(10, ago(600)), (9, ago(540))],
        100,
        3,
        3,
        [10, 3],
        0,
        0,
    ),
    (
        "no scale up stabilization, reuse recommendation element",
        [(10, ago(600)), (9, ago(540))],
        1,
        100,
        100,
        [10, 100],
        0,
        0,
    ),
    (
        "scale down stabilization, reuse one of obsolete recommendation element",
        [(10, ago(600)), (4, ago(60)), (5, ago(120)), (9, ago(540))],
        100,
        3,
        5,
        [10, 4, 5, 3],
        0,
        180,
    ),
    (
        "scale up stabilization, reuse one of obsolete recommendation element",
        [(10, ago(6000)), (6, ago(60)), (5, ago(120)), (9, ago(180))],
        1,
        100,
        5,
        [100, 6, 5, 9],
        300,
        300,
    ),
]


@pytest.mark.parametrize(
    ("recs", "current", "proposal", "expected", "stored", "up", "down"),
    [c[1:] for c in WITH_BEHAVIOR],
    ids=[c[0] for c in WITH_BEHAVIOR],
)
def test_stabilize_with_behaviors(recs, current, proposal, expected, stored, up, down):
    """TestNormalizeDesiredReplicasWithBehavior: clamp current into [min of up window, max of down window]."""
    got, _, _, updated = hr.stabilize_with_behaviors(
        [Recommendation(r, t) for r, t in recs], proposal, current, up, down, NOW
    )
    assert got == expected
    assert [r.replicas for r in updated] == stored


def test_oscillating_recommendations_freeze_the_count():
    recs = [Recommendation(v, ago(t)) for v, t in ((3, 50), (7, 40), (3, 30), (7, 20), (3, 10))]
    got, _, _, _ = hr.stabilize_with_behaviors(recs, 7, 5, 60, 60, NOW)
    assert got == 5


def test_up_window_zero_excludes_a_sample_of_this_instant():
    """With upWindow = 0 even the initial sample stored in the same reconcile is excluded."""
    got, _, _, _ = hr.stabilize_with_behaviors([Recommendation(2, NOW)], 9, 2, 0, 300, NOW)
    assert got == 9


# ---------------------------------------------------------------------------------------------- rate limits


def rules(pods_value=0, pods_period=0, percent=0, percent_period=0, window=0, select="Max") -> ScalingRules:
    """generateScalingRules."""
    policies = []
    if pods_value:
        policies.append(ScalingPolicy("Pods", pods_value, pods_period))
    if percent:
        policies.append(ScalingPolicy("Percent", percent, percent_period))
    return ScalingRules(window, select, tuple(policies))


def uniform_events(changes, period):
    """generateEventsUniformDistribution: events spread over the period, the first one oldest."""
    segment = period / len(changes)
    return [ScaleEvent(c, NOW - int((period - segment * i - segment / 2) * S)) for i, c in enumerate(changes)]


def _defaulted(up: ScalingRules | None, down: ScalingRules | None) -> Behavior:
    up = up or DEFAULT_SCALE_UP
    down = down or DEFAULT_SCALE_DOWN
    return Behavior(
        ScalingRules(
            up.stabilization_window_seconds, up.select_policy, up.policies or DEFAULT_SCALE_UP.policies
        ),
        ScalingRules(
            down.stabilization_window_seconds,
            down.select_policy,
            down.policies or DEFAULT_SCALE_DOWN.policies,
        ),
    )


SCALING_WITH_RULES = [
    # name, up events, down events, min, max, up rules, down rules, current, desired, expected, condition
    ("scale up within limits", [], [], 3, 8, None, None, 5, 7, 7, "DesiredWithinRange"),
    ("scale down within limits", [], [], 2, 8, None, None, 5, 3, 3, "DesiredWithinRange"),
    ("scaleUp with default behavior", [], [], 1, 1000, None, None, 10, 50, 20, "ScaleUpLimit"),
    (
        "scaleUp with default behavior from 1 (max(+4, x2) = 5)",
        [],
        [],
        1,
        1000,
        None,
        None,
        1,
        50,
        5,
        "ScaleUpLimit",
    ),
    (
        "scaleUp with default behavior from 3 (7, legacy gives 6)",
        [],
        [],
        1,
        1000,
        None,
        None,
        3,
        50,
        7,
        "ScaleUpLimit",
    ),
    (
        "scaleUp with pods policy larger than percent policy",
        [],
        [],
        1,
        1000,
        rules(100, 60, 100, 60),
        None,
        10,
        500,
        110,
        "ScaleUpLimit",
    ),
    (
        "scaleUp with percent policy larger than pods policy",
        [],
        [],
        1,
        1000,
        rules(2, 60, 100, 60),
        None,
        10,
        500,
        20,
        "ScaleUpLimit",
    ),
    (
        "scaleUp with spec MaxReplicas limitation with large pod policy",
        [],
        [],
        1,
        1000,
        rules(100, 60),
        None,
        10,
        50,
        50,
        "DesiredWithinRange",
    ),
    (
        "scaleUp with spec MaxReplicas limitation with large percent policy",
        [],
        [],
        1,
        10,
        rules(0, 0, 10000, 60),
        None,
        10,
        100,
        10,
        "TooManyReplicas",
    ),
    ("scaleUp with pod policy limitation", [], [], 1, 1000, rules(30, 60), None, 10, 50, 40, "ScaleUpLimit"),
    (
        "scaleUp with percent policy limitation",
        [],
        [],
        1,
        1000,
        rules(0, 0, 200, 60),
        None,
        10,
        50,
        30,
        "ScaleUpLimit",
    ),
    (
        "scaleDown with percent policy larger than pod policy",
        [],
        [],
        1,
        1000,
        None,
        rules(20, 60, 1, 60, 300),
        100,
        2,
        80,
        "ScaleDownLimit",
    ),
    (
        "scaleDown with pod policy larger than percent policy",
        [],
        [],
        1,
        1000,
        None,
        rules(2, 60, 1, 60, 300),
        100,
        2,
        98,
        "ScaleDownLimit",
    ),
    (
        "scaleDown with spec MinReplicas=nil limitation with large pod policy",
        [],
        [],
        1,
        1000,
        None,
        rules(100, 60, 0, 0, 300),
        10,
        0,
        1,
        "TooFewReplicas",
    ),
    (
        "scaleDown with spec MinReplicas limitation with large percent policy",
        [],
        [],
        5,
        1000,
        None,
        rules(0, 0, 100, 60, 300),
        10,
        2,
        5,
        "TooFewReplicas",
    ),
    (
        "scaleDown with pod policy limitation",
        [],
        [],
        1,
        1000,
        None,
        rules(5, 60, 0, 0, 300),
        10,
        2,
        5,
        "ScaleDownLimit",
    ),
    (
        "scaleDown with percent policy limitation",
        [],
        [],
        1,
        1000,
        None,
        rules(0, 0, 50, 60, 300),
        10,
        5,
        5,
        "DesiredWithinRange",
    ),
    (
        "scaleUp with spec MaxReplicas limitation with large pod policy and events",
        uniform_events([1, 5, 9], 120),
        [],
        1,
        200,
        rules(300, 60),
        None,
        100,
        500,
        200,
        "TooManyReplicas",
    ),
    (
        "scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events",
        uniform_events([1, 5, 9], 120),
        [],
        1,
        1000,
        rules(5, 120),
        None,
        100,
        500,
        100,
        "ScaleUpLimit",
    ),
    (
        "scaleUp with pod policy and previous scale up events",
        uniform_events([1, 5, 9], 120),
        [],
        1,
        1000,
        rules(150, 120),
        None,
        100,
        500,
        235,
        "ScaleUpLimit",
    ),
    (
        "scaleUp with percent policy and previous scale up events",
        uniform_events([1, 5, 9], 120),
        [],
        1,
        1000,
        rules(0, 0, 200, 120),
        None,
        100,
        500,
        255,
        "ScaleUpLimit",
    ),
    (
        "scaleUp with percent policy and previous scale up and down events (6 - 4 + 2 = 4 -> ceil(4 x 4))",
        uniform_events([4], 120),
        uniform_events([2], 120),
        1,
        1000,
        rules(0, 0, 300, 300),
        None,
        6,
        24,
        16,
        "ScaleUpLimit",
    ),
    (
        "scaleDown with default policy and previous events",
        [],
        uniform_events([1, 5, 9], 120),
        1,
        1000,
        None,
        None,
        10,
        5,
        5,
        "DesiredWithinRange",
    ),
    (
        "scaleDown with spec MinReplicas limitation with large pod policy and previous events",
        [],
        uniform_events([1, 5, 9], 120),
        5,
        1000,
        None,
        rules(130, 120, 0, 0, 300),
        100,
        0,
        5,
        "TooFewReplicas",
    ),
    (
        "scaleDown with pod policy limitation and previous events",
        [],
        uniform_events([1, 5, 9], 120),
        1,
        1000,
        None,
        rules(5, 120, 0, 0, 300),
        100,
        2,
        100,
        "ScaleDownLimit",
    ),
    (
        "scaleDown with percent policy limitation and previous events ((100 + 12) x 50%)",
        [],
        uniform_events([2, 4, 6], 120),
        1,
        1000,
        None,
        rules(0, 0, 50, 120, 300),
        100,
        0,
        56,
        "ScaleDownLimit",
    ),
    (
        "scaleDown with percent policy and previous scale up and down events",
        uniform_events([2], 120),
        uniform_events([4], 120),
        1,
        1000,
        None,
        rules(0, 0, 50, 180, 0),
        10,
        1,
        6,
        "ScaleDownLimit",
    ),
    (
        "scaleDown with previous events preventing further scale down",
        [],
        uniform_events([10, 10, 10], 120),
        1,
        1000,
        None,
        rules(0, 0, 10, 120, 300),
        100,
        0,
        100,
        "ScaleDownLimit",
    ),
    (
        "scaleDown with previous events still allowing more scale down",
        [],
        uniform_events([10, 10, 10], 120),
        1,
        1000,
        None,
        rules(0, 0, 1000, 120, 300),
        10,
        5,
        5,
        "DesiredWithinRange",
    ),
    (
        "scaleDown percent truncates (10 x 0.85 = 8.5 -> 8)",
        [],
        [],
        1,
        1000,
        None,
        rules(0, 0, 15, 60, 0),
        10,
        1,
        8,
        "ScaleDownLimit",
    ),
    (
        "scaleUp percent rounds up (10 x 1.15 = 11.5 -> 12)",
        [],
        [],
        1,
        1000,
        rules(0, 0, 15, 60),
        None,
        10,
        50,
        12,
        "ScaleUpLimit",
    ),
    (
        "selectPolicy Min on scale up takes the smallest",
        [],
        [],
        1,
        1000,
        rules(2, 60, 100, 60, select="Min"),
        None,
        10,
        500,
        12,
        "ScaleUpLimit",
    ),
    (
        "selectPolicy Min on scale down takes the largest floor",
        [],
        [],
        1,
        1000,
        None,
        rules(2, 60, 50, 60, select="Min"),
        10,
        1,
        8,
        "ScaleDownLimit",
    ),
    (
        "selectPolicy Disabled on scale up keeps current",
        [],
        [],
        1,
        1000,
        rules(2, 60, select="Disabled"),
        None,
        10,
        500,
        10,
        "ScaleUpLimit",
    ),
    (
        "selectPolicy Disabled on scale down keeps current",
        [],
        [],
        1,
        1000,
        None,
        rules(2, 60, select="Disabled"),
        10,
        1,
        10,
        "ScaleDownLimit",
    ),
]


@pytest.mark.parametrize(
    (
        "up_events",
        "down_events",
        "min_r",
        "max_r",
        "up",
        "down",
        "current",
        "desired",
        "expected",
        "condition",
    ),
    [c[1:] for c in SCALING_WITH_RULES],
    ids=[c[0] for c in SCALING_WITH_RULES],
)
def test_scaling_with_rules(
    up_events, down_events, min_r, max_r, up, down, current, desired, expected, condition
):
    """TestScalingWithRules: policies per periodSeconds with events in both directions shifting periodStart."""
    got, reason, _ = hr.convert_desired_with_behavior_rate(
        current, desired, min_r, max_r, _defaulted(up, down), up_events, down_events, NOW
    )
    assert (got, reason) == (expected, condition)


@pytest.mark.parametrize(
    ("current", "desired", "min_r", "max_r", "expected", "reason"),
    [
        (1, 50, 1, 1000, 4, "ScaleUpLimit"),  # max(2 x 1, 4)
        (3, 50, 1, 1000, 6, "ScaleUpLimit"),
        (10, 50, 1, 1000, 20, "ScaleUpLimit"),
        (10, 50, 1, 20, 20, "TooManyReplicas"),  # max == limit: TooManyReplicas
        (10, 15, 1, 12, 12, "TooManyReplicas"),
        (10, 1, 2, 20, 2, "TooFewReplicas"),
        (10, 0, 0, 20, 0, "DesiredWithinRange"),  # no scale-down rate limit without behavior
        (10, 12, 1, 20, 12, "DesiredWithinRange"),
    ],
)
def test_legacy_rules(current, desired, min_r, max_r, expected, reason):
    """convertDesiredReplicasWithRules: min clamp, then min(max, max(2x, 4))."""
    got, why, _ = hr.convert_desired_with_rules(current, desired, min_r, max_r)
    assert (got, why) == (expected, reason)


STORE = [
    ("empty entries with two-policy-rule behavior", [], rules(10, 60, 100, 60), 0, [5]),
    (
        "one outdated entry to be replaced with behavior",
        [ScaleEvent(7, ago(61))],
        rules(10, 60, 100, 60),
        0,
        [5],
    ),
    (
        "one actual entry to be not touched with behavior",
        [ScaleEvent(7, ago(58))],
        rules(10, 60, 100, 60),
        7,
        [7, 5],
    ),
    (
        "two entries, one of them to be replaced",
        [ScaleEvent(7, ago(61)), ScaleEvent(6, ago(59))],
        rules(10, 60),
        6,
        [5, 6],
    ),
    (
        "replace one entry, use policies with different periods",
        [ScaleEvent(8, ago(29)), ScaleEvent(6, ago(121)), ScaleEvent(7, ago(123))],
        rules(10, 60, 100, 120),
        8,
        [8, 6, 5],
    ),
    (
        "two entries, both actual",
        [ScaleEvent(7, ago(58)), ScaleEvent(6, ago(59))],
        rules(10, 120, 100, 100),
        13,
        [7, 6, 5],
    ),
]


@pytest.mark.parametrize(
    ("events", "scaling", "change_per_60s", "stored"), [c[1:] for c in STORE], ids=[c[0] for c in STORE]
)
def test_store_scale_events(events, scaling, change_per_60s, stored):
    """TestStoreScaleEvents: the last outdated slot (older than the longest period) is reused."""
    assert hr.replicas_change_per_period(60, events, NOW) == change_per_60s
    behavior = Behavior(scaling, scaling)
    up = hr.store_scale_event(behavior, History([], events, []), 10, 15, NOW)
    down = hr.store_scale_event(behavior, History([], [], events), 15, 10, NOW)
    assert [e.replica_change for e in up.scale_up_events] == stored
    assert [e.replica_change for e in down.scale_down_events] == stored


def test_no_events_stored_without_behavior():
    history = History([], [ScaleEvent(7, ago(61))], [])
    assert hr.store_scale_event(None, history, 10, 15, NOW) is history


def test_docs_example_one_step_per_period():
    """Docs: Pods 4/60 s + Percent 10/60 s from 80 removes 8 once per 60 s period, not on each loop."""
    behavior = _defaulted(None, rules(4, 60, 10, 60, 0))
    got, reason, _ = hr.convert_desired_with_behavior_rate(80, 10, 1, 100, behavior, [], [], NOW)
    assert (got, reason) == (72, "ScaleDownLimit")
    events = [ScaleEvent(8, NOW)]
    later = NOW + 15 * S
    assert hr.convert_desired_with_behavior_rate(72, 10, 1, 100, behavior, [], events, later)[0] == 72
    at_period = NOW + 60 * S  # the event is not strictly newer than now - 60 s any more
    assert hr.convert_desired_with_behavior_rate(72, 10, 1, 100, behavior, [], events, at_period)[0] == 64


# ---------------------------------------------------------------------------------------------- whole reconciles


def make_hpa(min_r=2, max_r=6, cpu=None, metrics=(), behavior=None, kind="ReplicationController"):
    spec = {"scaleTargetRef": {"kind": kind, "name": "test-rc", "apiVersion": "v1"}, "maxReplicas": max_r}
    if min_r is not None:
        spec["minReplicas"] = min_r
    metric_list = list(metrics)
    if cpu is not None:
        metric_list.insert(
            0,
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu}},
            },
        )
    spec["metrics"] = metric_list
    if behavior is not None:
        spec["behavior"] = behavior
    return parse_hpa(
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "test-hpa", "namespace": "test-namespace"},
            "spec": spec,
        }
    )


def reconcile(
    hpa,
    spec,
    levels=(),
    requests="500m",
    n=None,
    status=None,
    history=...,
    readiness=None,
    phases=None,
    deleting=None,
    starts=None,
    objects=(),
    externals=(),
    config=TEST_CONFIG,
):
    count = n if n is not None else max(len(levels), len(phases or ()), spec)
    pod_list = (
        pods(count, requests, readiness=readiness, phases=phases, deleting=deleting, starts=starts)
        if count
        else []
    )
    for p in pod_list:
        p.ready_ltt = (
            p.start if p.start is not None else p.ready_ltt
        )  # horizontal_test: LastTransitionTime = start
    sample_map = {f"test-pod-{i}": (v, NOW, MINUTE) for i, v in enumerate(levels)}
    metrics = MetricInputs(object_metrics=objects, external_metrics=externals)
    metrics.samples[("cpu", None)] = sample_map
    hist = History() if history is ... else history
    return hr.reconcile(
        hpa, spec, status if status is not None else spec, pod_list, metrics, hist, NOW, config
    )


STATUS_OK = [
    ("AbleToScale", "True", "SucceededRescale"),
    ("ScalingActive", "True", "ValidMetricFound"),
    ("ScalingLimited", "False", "DesiredWithinRange"),
]
NO_RESCALE_OK = [
    ("AbleToScale", "True", "ReadyForNewScale"),
    ("ScalingActive", "True", "ValidMetricFound"),
    ("ScalingLimited", "False", "DesiredWithinRange"),
]
CHEDDAR = MetricSpec("CheddarCheese", "cheese", MetricTarget("Value", value=1))
EMPTY_EXTERNAL = {
    "type": "External",
    "external": {
        "metric": {"name": "qps", "selector": {"matchLabels": {"label": "value"}}},
        "target": {"type": "Value", "value": "100"},
    },
}


def _obj(value, name="qps"):
    return ObjectMetricValue("Deployment", "some-deployment", name, value, "apps/v1")


OBJECT_VALUE = {
    "type": "Object",
    "object": {
        "describedObject": {"kind": "Deployment", "name": "some-deployment", "apiVersion": "apps/v1"},
        "metric": {"name": "qps"},
        "target": {"type": "Value", "value": "15"},
    },
}
OBJECT_AVG = {
    "type": "Object",
    "object": {
        "describedObject": {"kind": "Deployment", "name": "some-deployment", "apiVersion": "apps/v1"},
        "metric": {"name": "qps"},
        "target": {"type": "AverageValue", "averageValue": "10"},
    },
}
PODS_QPS = {
    "type": "Pods",
    "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "15"}},
}

RECONCILES = [
    ("TestScaleUp", lambda: reconcile(make_hpa(cpu=30), 3, [300, 500, 700], history=None), 5, STATUS_OK),
    (
        "TestScaleUpUnreadyLessScale",
        lambda: reconcile(
            make_hpa(cpu=30), 3, [300, 500, 700], readiness=["False", "True", "True"], history=None
        ),
        4,
        STATUS_OK,
    ),
    (
        "TestScaleUpHotCpuLessScale",
        lambda: reconcile(make_hpa(cpu=30), 3, [300, 500, 700], starts=[HOT, COOL, COOL], history=None),
        4,
        STATUS_OK,
    ),
    (
        "TestScaleUpUnreadyNoScale",
        lambda: reconcile(
            make_hpa(cpu=30), 3, [400, 500, 700], readiness=["True", "False", "False"], history=None
        ),
        3,
        NO_RESCALE_OK,
    ),
    (
        "TestScaleUpIgnoresFailedPods",
        lambda: reconcile(
            make_hpa(cpu=30),
            2,
            [500, 700],
            readiness=["True", "True", "False", "False"],
            phases=["Running", "Running", "Failed", "Failed"],
            history=None,
        ),
        4,
        STATUS_OK,
    ),
    (
        "TestScaleUpIgnoresDeletionPods",
        lambda: reconcile(
            make_hpa(cpu=30),
            2,
            [500, 700],
            readiness=["True", "True", "False", "False"],
            phases=["Running"] * 4,
            deleting=[False, False, True, True],
            history=None,
        ),
        4,
        STATUS_OK,
    ),
    ("TestScaleDown", lambda: reconcile(make_hpa(cpu=50), 5, [100, 300, 500, 250, 250]), 3, STATUS_OK),
    (
        "TestScaleDownStabilizeInitialSize",
        lambda: reconcile(make_hpa(cpu=50), 5, [100, 300, 500, 250, 250], history=None),
        5,
        [
            ("AbleToScale", "True", "ScaleDownStabilized"),
            ("ScalingActive", "True", "ValidMetricFound"),
            ("ScalingLimited", "False", "DesiredWithinRange"),
        ],
    ),
    (
        "TestScaleDownIncludeUnreadyPods",
        lambda: reconcile(
            make_hpa(cpu=50),
            5,
            [100, 300, 500, 250, 250],
            readiness=["True", "True", "True", "False", "False"],
        ),
        2,
        STATUS_OK,
    ),
    (
        "TestScaleDownIgnoreHotCpuPods",
        lambda: reconcile(
            make_hpa(cpu=50), 5, [100, 300, 500, 250, 250], starts=[COOL, COOL, COOL, HOT, HOT]
        ),
        2,
        STATUS_OK,
    ),
    (
        "TestScaleDownIgnoresFailedPods",
        lambda: reconcile(
            make_hpa(cpu=50),
            5,
            [100, 300, 500, 250, 250],
            readiness=["True"] * 5 + ["False"] * 2,
            phases=["Running"] * 5 + ["Failed"] * 2,
        ),
        3,
        STATUS_OK,
    ),
    (
        "TestMinReplicas",
        lambda: reconcile(make_hpa(2, 5, cpu=90), 3, [10, 95, 10], requests=["450m", "500m", "550m"]),
        2,
        [
            ("AbleToScale", "True", "SucceededRescale"),
            ("ScalingActive", "True", "ValidMetricFound"),
            ("ScalingLimited", "True", "TooFewReplicas"),
        ],
    ),
    (
        "TestZeroMinReplicasDesiredZero",
        lambda: reconcile(make_hpa(0, 5, cpu=90), 3, [0, 0, 0], requests=["450m", "500m", "550m"]),
        0,
        STATUS_OK,
    ),
    (
        "TestMinReplicasDesiredZero",
        lambda: reconcile(make_hpa(2, 5, cpu=90), 3, [0, 0, 0], requests=["450m", "500m", "550m"]),
        2,
        [
            ("AbleToScale", "True", "SucceededRescale"),
            ("ScalingActive", "True", "ValidMetricFound"),
            ("ScalingLimited", "True", "TooFewReplicas"),
        ],
    ),
    (
        "TestZeroReplicas",
        lambda: reconcile(make_hpa(3, 5, cpu=90), 0, n=0),
        0,
        [("AbleToScale", "True", "SucceededGetScale"), ("ScalingActive", "False", "ScalingDisabled")],
    ),
    (
        "TestTooFewReplicas",
        lambda: reconcile(make_hpa(3, 5, cpu=90), 2, n=0),
        3,
        [("AbleToScale", "True", "SucceededRescale")],
    ),
    (
        "TestTooManyReplicas",
        lambda: reconcile(make_hpa(3, 5, cpu=90), 10, n=0),
        5,
        [("AbleToScale", "True", "SucceededRescale")],
    ),
    (
        "TestMaxReplicas",
        lambda: reconcile(make_hpa(2, 5, cpu=90), 3, [8000, 9500, 1000], requests=["450m", "500m", "550m"]),
        5,
        [
            ("AbleToScale", "True", "SucceededRescale"),
            ("ScalingActive", "True", "ValidMetricFound"),
            ("ScalingLimited", "True", "TooManyReplicas"),
        ],
    ),
    ("TestMissingMetrics", lambda: reconcile(make_hpa(2, 6, cpu=100), 4, [400, 95], n=4), 3, STATUS_OK),
    (
        "TestEmptyMetrics",
        lambda: reconcile(make_hpa(2, 6, cpu=100), 4, [], n=4),
        4,
        [("AbleToScale", "True", "SucceededGetScale"), ("ScalingActive", "False", "FailedGetResourceMetric")],
    ),
    (
        "TestEmptyCPURequest",
        lambda: reconcile(make_hpa(1, 5, cpu=100), 1, [200], requests=None),
        1,
        [("AbleToScale", "True", "SucceededGetScale"), ("ScalingActive", "False", "FailedGetResourceMetric")],
    ),
    (
        "TestUpscaleCap (factor 8 as in the unit tests)",
        lambda: reconcile(make_hpa(1, 100, cpu=10), 3, [100, 200, 300], requests="50m"),
        24,
        [
            ("AbleToScale", "True", "SucceededRescale"),
            ("ScalingActive", "True", "ValidMetricFound"),
            ("ScalingLimited", "True", "ScaleUpLimit"),
        ],
    ),
    (
        "TestUpscaleCapGreaterThanMaxReplicas",
        lambda: reconcile(make_hpa(1, 20, cpu=10), 3, [100, 200, 300], requests="50m"),
        20,
        [
            ("AbleToScale", "True", "SucceededRescale"),
            ("ScalingActive", "True", "ValidMetricFound"),
            ("ScalingLimited", "True", "TooManyReplicas"),
        ],
    ),
    (
        "TestMoreReplicasThanSpecNoScale",
        lambda: reconcile(make_hpa(1, 8, cpu=50), 4, [500] * 5, status=5, n=5),
        4,
        NO_RESCALE_OK,
    ),
    (
        "TestScaleUpCM",
        lambda: reconcile(
            make_hpa(2, 6, metrics=[PODS_QPS]),
            3,
            n=3,
            objects=[
                ObjectMetricValue("Pod", f"test-pod-{i}", "qps", v)
                for i, v in enumerate([20000, 10000, 30000])
            ],
            history=None,
        ),
        4,
        STATUS_OK,
    ),
    (
        "TestScaleUpCMUnreadyAndHotCpuNoLessScale",
        lambda: reconcile(
            make_hpa(2, 6, metrics=[PODS_QPS]),
            3,
            n=3,
            readiness=["True", "True", "False"],
            starts=[COOL, COOL, HOT],
            objects=[
                ObjectMetricValue("Pod", f"test-pod-{i}", "qps", v)
                for i, v in enumerate([50000, 10000, 30000])
            ],
            history=None,
        ),
        6,
        STATUS_OK,
    ),
    (
        "TestScaleUpCMObject",
        lambda: reconcile(
            make_hpa(2, 6, metrics=[OBJECT_VALUE]), 3, n=3, objects=[_obj(20000)], history=None
        ),
        4,
        STATUS_OK,
    ),
    (
        "TestScaleUpFromZeroCMObject",
        lambda: reconcile(
            make_hpa(0, 6, metrics=[OBJECT_VALUE]), 0, n=0, objects=[_obj(20000)], history=None
        ),
        2,
        STATUS_OK,
    ),
    (
        "TestScaleUpFromZeroIgnoresToleranceCMObject",
        lambda: reconcile(
            make_hpa(
                0,
                6,
                metrics=[
                    {
                        **OBJECT_VALUE,
                        "object": {**OBJECT_VALUE["object"], "target": {"type": "Value", "value": "1"}},
                    }
                ],
            ),
            0,
            n=0,
            objects=[_obj(1000)],
            history=None,
        ),
        1,
        STATUS_OK,
    ),
    (
        "TestScaleUpPerPodCMObject",
        lambda: reconcile(make_hpa(2, 6, metrics=[OBJECT_AVG]), 3, n=3, objects=[_obj(40000)], history=None),
        4,
        STATUS_OK,
    ),
    (
        "TestScaleUpCMExternal",
        lambda: reconcile(
            make_hpa(
                2,
                6,
                metrics=[
                    {
                        "type": "External",
                        "external": {
                            "metric": {"name": "qps"},
                            "target": {"type": "Value", "value": "4400m"},
                        },
                    }
                ],
            ),
            3,
            n=3,
            externals=[ExternalMetricValues("qps", (8600,))],
            history=None,
        ),
        6,
        STATUS_OK,
    ),
    (
        "TestScaleUpPerPodCMExternal",
        lambda: reconcile(
            make_hpa(
                2,
                6,
                metrics=[
                    {
                        "type": "External",
                        "external": {
                            "metric": {"name": "qps"},
                            "target": {"type": "AverageValue", "averageValue": "2150m"},
                        },
                    }
                ],
            ),
            3,
            n=3,
            externals=[ExternalMetricValues("qps", (8600,))],
            history=None,
        ),
        4,
        STATUS_OK,
    ),
    (
        "TestScaleDownPerPodCMObject",
        lambda: reconcile(
            make_hpa(
                2,
                6,
                metrics=[
                    {
                        **OBJECT_AVG,
                        "object": {
                            **OBJECT_AVG["object"],
                            "target": {"type": "AverageValue", "averageValue": "2"},
                        },
                    }
                ],
            ),
            5,
            n=5,
            objects=[_obj(6000)],
        ),
        3,
        STATUS_OK,
    ),
    (
        "TestScaleUpOneMetricEmpty (a valid scale-up wins)",
        lambda: reconcile(make_hpa(2, 6, cpu=30, metrics=[EMPTY_EXTERNAL]), 3, [300, 400, 500], history=None),
        4,
        STATUS_OK,
    ),
    (
        "TestNoScaleDownOneMetricEmpty (an invalid metric blocks a scale-down)",
        lambda: reconcile(make_hpa(2, 6, cpu=50, metrics=[EMPTY_EXTERNAL]), 5, [100, 300, 500, 250, 250]),
        5,
        [("AbleToScale", "True", "SucceededGetScale"), ("ScalingActive", "False", "FailedGetExternalMetric")],
    ),
]


@pytest.mark.parametrize(
    ("run", "expected", "conditions"), [c[1:] for c in RECONCILES], ids=[c[0] for c in RECONCILES]
)
def test_reconcile(run, expected, conditions):
    result = run()
    assert result.desired_replicas == expected
    assert [(c.type, c.status, c.reason) for c in result.conditions] == conditions
    assert result.rescale == (expected != result.current_replicas)


@pytest.mark.parametrize(
    ("name", "spec", "levels", "expected", "conditions"),
    [
        ("TestScaleUpOneMetricInvalid", 3, [300, 400, 500], 4, STATUS_OK),
        (
            "TestNoScaleDownOneMetricInvalid",
            5,
            [100, 300, 500, 250, 250],
            5,
            [
                ("AbleToScale", "True", "SucceededGetScale"),
                ("ScalingActive", "False", "InvalidMetricSourceType"),
            ],
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and v.startswith("Test") else None,
)
def test_unknown_metric_type_reaching_the_controller(name, spec, levels, expected, conditions):
    """A metric the controller cannot compute (unknown type) blocks a scale-down but not a scale-up."""
    base = make_hpa(2, 6, cpu=30 if spec == 3 else 50)
    hpa = dataclasses.replace(base, metrics=(*base.metrics, CHEDDAR))
    result = reconcile(hpa, spec, levels, history=None if spec == 3 else ...)
    assert result.desired_replicas == expected
    assert [(c.type, c.status, c.reason) for c in result.conditions] == conditions


def test_failed_metric_result_shape():
    result = reconcile(make_hpa(2, 6, cpu=100), 4, [], n=4)
    out = result.to_dict()
    assert out["rescale"] is False and out["desiredReplicas"] == 4
    assert out["reason"] == "FailedGetResourceMetric"
    assert out["message"] == (
        "the HPA was unable to compute the replica count: failed to get cpu utilization: "
        "unable to get metrics for resource cpu: no metrics returned from resource metrics API"
    )
    assert out["error"].startswith(
        "invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value:"
    )
    assert out["currentMetrics"] == [{"type": ""}]
    assert {"type": "Warning", "reason": "FailedComputeMetricsReplicas", "message": out["error"]} in out[
        "events"
    ]


def test_current_metrics_report_floored_utilization_and_raw_average():
    result = reconcile(make_hpa(2, 6, cpu=30), 3, [300, 500, 700], history=None)
    assert result.current_metrics == [
        {
            "type": "Resource",
            "resource": {"name": "cpu", "current": {"averageUtilization": 50, "averageValue": "500m"}},
        }
    ]


def test_history_absent_seeds_current_and_present_does_not():
    fresh = reconcile(make_hpa(cpu=50), 5, [100, 300, 500, 250, 250], history=None)
    existing = reconcile(make_hpa(cpu=50), 5, [100, 300, 500, 250, 250], history=History())
    assert [r.replicas for r in fresh.history.recommendations] == [5, 3]
    assert [r.replicas for r in existing.history.recommendations] == [3]
    assert (fresh.desired_replicas, existing.desired_replicas) == (5, 3)


def test_stale_history_slot_is_reused_in_output():
    history = History([Recommendation(9, ago(400)), Recommendation(4, ago(100))])
    result = reconcile(make_hpa(cpu=50), 5, [100, 300, 500, 250, 250], history=history)
    assert [(r.replicas, r.timestamp) for r in result.history.recommendations] == [(3, NOW), (4, ago(100))]
    assert result.desired_replicas == 4


def test_behavior_stores_scale_events_and_legacy_does_not():
    behavior = {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}
    with_b = reconcile(make_hpa(cpu=30, behavior=behavior), 3, [300, 500, 700], history=History())
    legacy = reconcile(make_hpa(cpu=30), 3, [300, 500, 700], history=History())
    assert (with_b.desired_replicas, with_b.reason) == (4, "ScaleUpLimit")
    assert [(e.replica_change, e.timestamp) for e in with_b.history.scale_up_events] == [(1, NOW)]
    assert legacy.history.scale_up_events == [] and legacy.desired_replicas == 5


def test_behavior_defaults_differ_from_legacy_limit():
    """Defaulted behavior allows max(c + 4, 2c) per 15 s: from 1 that is 5 where the legacy limit gives 4."""
    legacy = reconcile(
        make_hpa(1, 100, cpu=10),
        1,
        [1000],
        config=ControllerConfig(cpu_initialization_period=120, initial_readiness_delay=10),
    )
    behavior = reconcile(
        make_hpa(1, 100, cpu=10, behavior={}),
        1,
        [1000],
        config=ControllerConfig(cpu_initialization_period=120, initial_readiness_delay=10),
    )
    assert (legacy.desired_replicas, behavior.desired_replicas) == (4, 5)


def test_per_direction_tolerance_from_behavior():
    """spec.behavior.scaleUp.tolerance overrides the flag for scale-up only (v1.33)."""
    plain = reconcile(make_hpa(1, 10, cpu=100), 3, [1040, 1040, 1040])
    tight = reconcile(
        make_hpa(1, 10, cpu=100, behavior={"scaleUp": {"tolerance": "0.01"}}), 3, [1040, 1040, 1040]
    )
    assert (plain.desired_replicas, tight.desired_replicas) == (3, 4)


def test_conditions_keep_transition_time_when_status_unchanged():
    hpa = make_hpa(cpu=30)
    old = "2024-05-01T11:00:00Z"
    hpa = dataclasses.replace(
        hpa,
        conditions=(
            {
                "type": "ScalingActive",
                "status": "True",
                "reason": "ValidMetricFound",
                "message": "x",
                "lastTransitionTime": old,
            },
        ),
    )
    result = reconcile(hpa, 3, [300, 500, 700])
    active = next(c for c in result.conditions if c.type == "ScalingActive")
    assert active.to_dict()["lastTransitionTime"] == old
    assert result.conditions[0].type == "ScalingActive"  # the existing condition keeps its place


def test_reason_is_scaling_limited_reason_and_event_message():
    result = reconcile(
        make_hpa(2, 10, cpu=50), 2, [300, 300], requests="100m", history=None, config=ControllerConfig()
    )
    assert (result.desired_replicas, result.reason) == (4, "ScaleUpLimit")
    assert result.metric_proposal == 6
    assert result.events == [
        {
            "type": "Normal",
            "reason": "SuccessfulRescale",
            "message": "New size: 4; reason: cpu resource utilization (percentage of request) above target",
        }
    ]
