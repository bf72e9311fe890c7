"""The replica calculator against the cases of Kubernetes' replica_calculator_test.go (same numbers, own code)."""

from __future__ import annotations

import math

import pytest
from sim_fixtures import COOL, HOT, MINUTE, NOW, TEST_READINESS, pods, samples

from kubekg.simulation.hpa import replicas as rc
from kubekg.simulation.hpa.replicas import MetricError, Tolerances
from kubekg.simulation.objects import Container, Pod
from kubekg.simulation.quantity import MAX_INT32, MAX_INT64, parse_quantity
from kubekg.simulation.timeutil import NS

TOL = Tolerances(0.1, 0.1)

# (name, current, pods kwargs, levels, container, target %, expected replicas, utilization, raw average)
RESOURCE_SCALE = [
    ("scale up", 3, {"n": 3}, [300, 500, 700], None, 30, 5, 50, 2 * 500),
    (
        "scale up: container metric",
        3,
        {"n": 3},
        [[1000, 300], [1000, 500], [1000, 700]],
        "container2",
        30,
        5,
        50,
        500,
    ),
    (
        "scale up: unready pod scales less",
        3,
        {"n": 3, "readiness": ["False", "True", "True"]},
        [300, 500, 700],
        None,
        30,
        4,
        60,
        2 * 600,
    ),
    (
        "scale up: hot-CPU container scales less",
        3,
        {"n": 3, "starts": [HOT, COOL, COOL]},
        [[0, 300], [0, 500], [0, 700]],
        "container2",
        30,
        4,
        60,
        600,
    ),
    (
        "scale up: hot-CPU pod scales less",
        3,
        {"n": 3, "starts": [HOT, COOL, COOL]},
        [300, 500, 700],
        None,
        30,
        4,
        60,
        2 * 600,
    ),
    (
        "no scale: unready pods ignored",
        3,
        {"n": 3, "readiness": ["True", "False", "False"]},
        [400, 500, 700],
        None,
        30,
        3,
        40,
        2 * 400,
    ),
    (
        "no scale: hot-CPU pods ignored",
        3,
        {"n": 3, "readiness": ["True", "False", "False"], "starts": [COOL, HOT, HOT]},
        [400, 500, 700],
        None,
        30,
        3,
        40,
        2 * 400,
    ),
    (
        "scale up: failed pods ignored",
        2,
        {
            "n": 2,
            "readiness": ["True", "True", "False", "False"],
            "phases": ["Running", "Running", "Failed", "Failed"],
        },
        [500, 700],
        None,
        30,
        4,
        60,
        2 * 600,
    ),
    (
        "scale up: failed pods ignored with missing container metric",
        2,
        {
            "n": 2,
            "readiness": ["True", "True", "False", "False"],
            "phases": ["Running", "Running", "Failed", "Failed"],
        },
        [[1000, 500], [9000, 700], [1000], [9000]],
        "container2",
        30,
        4,
        60,
        600,
    ),
    (
        "scale up: pods being deleted are ignored",
        2,
        {
            "n": 2,
            "readiness": ["True", "True", "False", "False"],
            "phases": ["Running"] * 4,
            "deleting": [False, False, True, True],
        },
        [500, 700],
        None,
        30,
        4,
        60,
        2 * 600,
    ),
    (
        "scale up: container metrics with pods being deleted ignored",
        2,
        {
            "n": 2,
            "readiness": ["True", "True", "False", "False"],
            "phases": ["Running"] * 4,
            "deleting": [False, False, True, True],
        },
        [500, 700],
        "container1",
        30,
        4,
        60,
        600,
    ),
    ("scale down", 5, {"n": 5}, [100, 300, 500, 250, 250], None, 50, 3, 28, 2 * 280),
    (
        "scale down: container metric",
        5,
        {"n": 5},
        [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]],
        "container2",
        50,
        3,
        28,
        280,
    ),
    (
        "scale down: exclude unready pods",
        5,
        {"n": 5, "readiness": ["True", "True", "True", "False", "False"]},
        [100, 300, 500, 250, 250],
        None,
        50,
        2,
        30,
        2 * 300,
    ),
    (
        "scale down: exclude unscheduled pods",
        5,
        {
            "n": 5,
            "readiness": ["True", "False", "False", "False", "False"],
            "phases": ["Running"] + ["Pending"] * 4,
        },
        [100],
        None,
        50,
        1,
        10,
        2 * 100,
    ),
    (
        "scale down: ignore hot-CPU pods",
        5,
        {"n": 5, "starts": [COOL, COOL, COOL, HOT, HOT]},
        [100, 300, 500, 250, 250],
        None,
        50,
        2,
        30,
        2 * 300,
    ),
    (
        "scale down: container metric ignores hot-CPU pods",
        5,
        {"n": 5, "starts": [COOL, COOL, COOL, HOT, HOT]},
        [[1000, 100], [1000, 300], [1000, 500], [1000, 1000], [1000, 1000]],
        "container2",
        50,
        2,
        30,
        300,
    ),
    (
        "scale down: failed pods ignored",
        5,
        {"n": 5, "readiness": ["True"] * 5 + ["False"] * 2, "phases": ["Running"] * 5 + ["Failed"] * 2},
        [100, 300, 500, 250, 250],
        None,
        50,
        3,
        28,
        2 * 280,
    ),
    (
        "scale down: still-running pods being deleted are ignored",
        5,
        {
            "n": 5,
            "readiness": ["True"] * 5 + ["False"] * 2,
            "phases": ["Running"] * 7,
            "deleting": [False] * 5 + [True] * 2,
        },
        [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]],
        "container2",
        50,
        3,
        28,
        280,
    ),
]


@pytest.mark.parametrize(
    ("current", "pod_kwargs", "levels", "container", "target", "expected", "utilization", "raw"),
    [case[1:] for case in RESOURCE_SCALE],
    ids=[case[0] for case in RESOURCE_SCALE],
)
def test_resource_scale(current, pod_kwargs, levels, container, target, expected, utilization, raw):
    kwargs = dict(pod_kwargs)
    n = kwargs.pop("n")
    got = rc.resource_replicas(
        current,
        target,
        "cpu",
        pods(n, **kwargs),
        samples(levels, container=container),
        TOL,
        NOW,
        TEST_READINESS,
        container,
    )
    assert got == (expected, utilization, raw)


# (name, current, requests, levels, target, expected, utilization, raw) for the classic single-case tests
CLASSIC = [
    (
        "TestReplicaCalcSuperfluousMetrics",
        4,
        ["1.0"] * 4,
        [4000, 9500, 3000, 7000, 3200, 2000],
        100,
        24,
        587,
        2 * 5875,
    ),
    ("TestReplicaCalcMissingMetrics (24.75% floored to 24)", 4, ["1.0"] * 4, [400, 95], 100, 3, 24, 495),
    ("TestReplicaCalcMissingMetricsNoChangeEq", 2, ["1.0"] * 2, [1000], 100, 2, 100, 2 * 1000),
    ("TestReplicaCalcMissingMetricsNoChangeGt", 2, ["1.0"] * 2, [1900], 100, 2, 190, 2 * 1900),
    ("TestReplicaCalcMissingMetricsNoChangeLt", 2, ["1.0"] * 2, [600], 100, 2, 60, 2 * 600),
    ("TestReplicaCalcTolerance", 3, ["0.9", "1.0", "1.1"], [1010, 1030, 1020], 100, 3, 102, 2 * 1020),
]


@pytest.mark.parametrize(
    ("current", "requests", "levels", "target", "expected", "utilization", "raw"),
    [c[1:] for c in CLASSIC],
    ids=[c[0] for c in CLASSIC],
)
def test_classic_resource_cases(current, requests, levels, target, expected, utilization, raw):
    got = rc.resource_replicas(
        current, target, "cpu", pods(len(requests), requests), samples(levels), TOL, NOW, TEST_READINESS
    )
    assert got == (expected, utilization, raw)


READINESS_CASES = [
    # name, current, requests, readiness, starts, levels, target, expected, utilization
    (
        "TestReplicaCalcMissingMetricsUnreadyChange",
        3,
        ["1.0"] * 3,
        ["False", "True", "True"],
        None,
        [100, 450],
        50,
        3,
        45,
    ),
    (
        "TestReplicaCalcMissingMetricsHotCpuNoChange",
        3,
        ["1.0"] * 3,
        None,
        [HOT, COOL, COOL],
        [100, 450],
        50,
        3,
        45,
    ),
    (
        "TestReplicaCalcMissingMetricsUnreadyScaleUp",
        3,
        ["1.0"] * 3,
        ["False", "True", "True"],
        None,
        [100, 2000],
        50,
        4,
        200,
    ),
    (
        "TestReplicaCalcMissingMetricsHotCpuScaleUp",
        3,
        ["1.0"] * 3,
        ["False", "True", "True"],
        [HOT, COOL, COOL],
        [100, 2000],
        50,
        4,
        200,
    ),
    (
        "TestReplicaCalcMissingMetricsUnreadyScaleDown",
        4,
        ["1.0"] * 4,
        ["False", "True", "True", "True"],
        None,
        [100, 100, 100],
        50,
        3,
        10,
    ),
    (
        "TestReplicaCalcMissingMetricsScaleDownTargetOver100 (fill max(100, target))",
        4,
        ["1.0", "1.0", "2.0", "2.0"],
        ["False", "True", "True", "True"],
        None,
        [200, 100, 100],
        300,
        2,
        6,
    ),
]


@pytest.mark.parametrize(
    ("current", "requests", "readiness", "starts", "levels", "target", "expected", "utilization"),
    [c[1:] for c in READINESS_CASES],
    ids=[c[0] for c in READINESS_CASES],
)
def test_missing_and_unready(current, requests, readiness, starts, levels, target, expected, utilization):
    got = rc.resource_replicas(
        current,
        target,
        "cpu",
        pods(len(requests), requests, readiness=readiness, starts=starts),
        samples(levels),
        TOL,
        NOW,
        TEST_READINESS,
    )
    assert got[:2] == (expected, utilization)


def test_rolling_update_with_max_surge_keeps_current():
    """TestReplicaCalcDuringRollingUpdateWithMaxSurge: a 3rd (surge) pod without metrics must not push 2 -> 3."""
    got = rc.resource_replicas(2, 50, "cpu", pods(3, "1.0"), samples([100, 100]), TOL, NOW, TEST_READINESS)
    assert got == (2, 10, 2 * 100)


def test_rolling_update_with_max_surge_plain_metric():
    """TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM."""
    got = rc.plain_metric_replicas(
        samples([5000, 5000]), 2, 17000, pods(3, None), None, TOL, NOW, TEST_READINESS
    )
    assert got == (2, 10000)


@pytest.mark.parametrize(
    ("name", "tolerances", "levels", "expected", "utilization"),
    [
        ("Outside of a 0% tolerance", Tolerances(0.0, 0.0), [909, 1010, 1111], 4, 101),
        ("Within a 200% scale-up tolerance", Tolerances(0.1, 2.0), [1890, 1910, 1900], 3, 190),
        (
            "Outside 8% scale-up tolerance (and superfluous scale-down tolerance)",
            Tolerances(2.0, 0.08),
            [1100, 1080, 1090],
            4,
            109,
        ),
        ("Within a 36% scale-down tolerance", Tolerances(0.36, 0.1), [660, 640, 650], 3, 65),
        ("Outside a 34% scale-down tolerance", Tolerances(0.34, 0.1), [660, 640, 650], 2, 65),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_configurable_tolerance(name, tolerances, levels, expected, utilization):
    got = rc.resource_replicas(
        3, 100, "cpu", pods(3, ["0.9", "1.0", "1.1"]), samples(levels), tolerances, NOW, TEST_READINESS
    )
    assert got[:2] == (expected, utilization)


@pytest.mark.parametrize(
    ("name", "utilization", "expected"),
    [
        ("exactly +10% is within (inclusive bound)", 110, 10),
        ("exactly -10% is within", 90, 10),
        ("just over", 111, 12),
    ],
)
def test_tolerance_bounds_are_inclusive(name, utilization, expected):
    levels = [utilization * 10] * 10
    got = rc.resource_replicas(10, 100, "cpu", pods(10, "1.0"), samples(levels), TOL, NOW, TEST_READINESS)
    assert got[0] == expected


def test_computed_tolerance_alg_implementation():
    """TestReplicaCalcComputedToleranceAlgImplementation: a target just past tolerance scales, just inside does not."""
    start_pods = 10
    used = start_pods * 150
    requested = 2 * used
    per_pod = requested // start_pods
    target = abs(1 / (requested / used * (1 - 0.1))) + 0.01
    final_pct = int(target * 100)
    ratio = used / (requested * target)
    final_pods = math.ceil(ratio * start_pods)
    requests = [f"{per_pod + d}m" for d in (100, -100, 10, -10, 2, -2, 1, -1, 0, 0)]
    levels = [used // 10] * 10
    got = rc.resource_replicas(
        start_pods, final_pct, "cpu", pods(10, requests), samples(levels), TOL, NOW, TEST_READINESS
    )
    assert got[0] == final_pods
    target = abs(1 / (requested / used * (1 - 0.1))) + 0.004
    got = rc.resource_replicas(
        start_pods, int(target * 100), "cpu", pods(10, requests), samples(levels), TOL, NOW, TEST_READINESS
    )
    assert got[0] == start_pods


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        (
            "TestReplicaCalcEmptyMetrics",
            lambda: (pods(3, "1.0"), {}),
            "unable to get metrics for resource cpu: no metrics returned from resource metrics API",
        ),
        (
            "TestReplicaCalcEmptyCPURequest",
            lambda: (pods(1, None), samples([200])),
            "missing request for cpu in container container1 of Pod test-pod-0",
        ),
        (
            "TestReplicaCalcDisjointResourcesMetrics",
            lambda: (pods(1, "1.0"), samples([100], names=["an-older-pod-name"])),
            "no metrics returned matched known pods",
        ),
        (
            "no pods",
            lambda: ([], samples([100])),
            "no pods returned by selector while calculating replica count",
        ),
        (
            "all pods unready",
            lambda: (pods(2, "1.0", phases=["Pending", "Pending"]), samples([100, 100])),
            "did not receive metrics for targeted pods",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and v.startswith(("Test", "no", "all")) else None,
)
def test_resource_errors(name, make, message):
    pod_list, sample_map = make()
    with pytest.raises(MetricError, match=message.replace("(", r"\(").replace(")", r"\)")):
        rc.resource_replicas(
            pod_list and len(pod_list) or 1, 100, "cpu", pod_list, sample_map, TOL, NOW, TEST_READINESS
        )


# ---------------------------------------------------------------------------------------------- plain metrics

PLAIN = [
    ("TestReplicaCalcScaleUpCM", 3, None, None, [20000, 10000, 30000], 15000, 4, 20000),
    (
        "TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale",
        3,
        ["True", "True", "False"],
        [COOL, COOL, HOT],
        [50000, 10000, 30000],
        15000,
        6,
        30000,
    ),
    (
        "TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown",
        3,
        ["False", "True", "False"],
        [HOT, COOL, HOT],
        [50000, 15000, 30000],
        15000,
        7,
        31666,
    ),
    ("TestReplicaCalcScaleDownCM", 5, None, None, [12000] * 5, 20000, 3, 12000),
    ("TestReplicaCalcToleranceCM", 3, None, None, [20000, 21000, 21000], 20000, 3, 20666),
    (
        "TestPlainMetricReplicaCalcMissingMetricsNoChangeEq (ratio 1: nothing filled)",
        5,
        None,
        None,
        [20000, 19000, 21000],
        20000,
        5,
        20000,
    ),
]


@pytest.mark.parametrize(
    ("current", "readiness", "starts", "levels", "target", "expected", "usage"),
    [c[1:] for c in PLAIN],
    ids=[c[0] for c in PLAIN],
)
def test_pods_metric(current, readiness, starts, levels, target, expected, usage):
    """Pods metrics ignore readiness (only Pending pods are unready for them)."""
    sample_map = {f"test-pod-{i}": (v, NOW, MINUTE) for i, v in enumerate(levels)}
    got = rc.plain_metric_replicas(
        sample_map,
        current,
        target,
        pods(current, None, readiness=readiness, starts=starts),
        None,
        TOL,
        NOW,
        TEST_READINESS,
    )
    assert got == (expected, usage)


def test_pods_metric_configurable_tolerance():
    """TestReplicaCalcConfigurableToleranceCM: a 1% scale-up tolerance scales 3 -> 4 at +3.3%."""
    sample_map = {f"test-pod-{i}": (v, NOW, MINUTE) for i, v in enumerate([20000, 21000, 21000])}
    got = rc.plain_metric_replicas(
        sample_map, 3, 20000, pods(3, None), None, Tolerances(0.1, 0.01), NOW, TEST_READINESS
    )
    assert got == (4, 20666)


def test_resource_average_value_uses_cpu_readiness():
    """AverageValue resource targets go through calcPlainMetricReplicas with the resource name: cpu readiness applies."""
    pod_list = pods(3, "1.0", starts=[HOT, COOL, COOL])
    got = rc.plain_metric_replicas(
        samples([100, 500, 700]), 3, 500, pod_list, "cpu", TOL, NOW, TEST_READINESS
    )
    # hot pod 0 is unready: average (1000 + 1400) / 2 = 1200 -> ratio 2.4 -> pod 0 added at 0 -> 800 -> 1.6 -> ceil(4.8)
    assert got == (5, 1200)


def test_memory_ignores_cpu_readiness():
    """Memory never marks a Running pod unready: the hot pod counts."""
    pod_list = pods(3, "1Gi", starts=[HOT, COOL, COOL], resource="memory")
    groups = rc.group_pods(pod_list, samples([1, 1, 1]), "memory", NOW, TEST_READINESS)
    assert groups.ready_count == 3 and not groups.unready


# ---------------------------------------------------------------------------------------------- object / external


def _ready_pods(readiness):
    return pods(len(readiness), None, readiness=readiness)


OBJECT_VALUE = [
    ("TestReplicaCalcScaleUpCMObject", 3, ["True"] * 3, 20000, 15000, TOL, 4),
    ("TestReplicaCalcScaleUpCMObjectIgnoresUnreadyPods", 3, ["False", "True", "False"], 50000, 10000, TOL, 5),
    ("TestReplicaCalcScaleDownCMObject", 5, ["True"] * 5, 12000, 20000, TOL, 3),
    ("TestReplicaCalcToleranceCMObject", 3, ["True"] * 3, 20666, 20000, TOL, 3),
    ("TestReplicaCalcConfigurableToleranceCMObject", 3, ["True"] * 3, 20666, 20000, Tolerances(0.1, 0.01), 4),
    ("TestReplicaCalcScaleUpOverflow", 3, ["True"] * 3, MAX_INT64, 1, TOL, MAX_INT32),
    ("TestScaleUpFromZeroIgnoresToleranceCMObject (ratio 1.0 -> 1)", 0, ["True"], 1000, 1000, TOL, 1),
    ("scale from zero: ceil(ratio)", 0, [], 20000, 15000, TOL, 2),
]


@pytest.mark.parametrize(
    ("current", "readiness", "value", "target", "tol", "expected"),
    [c[1:] for c in OBJECT_VALUE],
    ids=[c[0] for c in OBJECT_VALUE],
)
def test_object_value(current, readiness, value, target, tol, expected):
    assert rc.object_metric_replicas(current, target, value, _ready_pods(readiness), tol) == (expected, value)


EXTERNAL_VALUE = [
    (
        "TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods: 3 -> 2 above target",
        3,
        ["False", "True", "False"],
        [8600],
        4400,
        TOL,
        2,
        8600,
    ),
    ("TestReplicaCalcScaleDownCMExternal", 5, ["True"] * 5, [8600], 14334, TOL, 3, 8600),
    ("TestReplicaCalcToleranceCMExternal", 3, ["True"] * 3, [8600], 8888, TOL, 3, 8600),
    (
        "TestReplicaCalcConfigurableToleranceCMExternal",
        3,
        ["True"] * 3,
        [8900],
        8800,
        Tolerances(0.1, 0.01),
        4,
        8900,
    ),
    ("sums every series", 2, ["True"] * 2, [1000, 2000, 3000], 3000, TOL, 4, 6000),
    (
        "TestReplicaCalcExternalMetricUsageOverflow",
        3,
        ["True"] * 3,
        [MAX_INT64 // 2 + 1] * 2,
        MAX_INT64,
        TOL,
        3,
        MAX_INT64,
    ),
]


@pytest.mark.parametrize(
    ("current", "readiness", "values", "target", "tol", "expected", "usage"),
    [c[1:] for c in EXTERNAL_VALUE],
    ids=[c[0] for c in EXTERNAL_VALUE],
)
def test_external_value(current, readiness, values, target, tol, expected, usage):
    assert rc.external_metric_replicas(current, target, values, _ready_pods(readiness), tol) == (
        expected,
        usage,
    )


PER_POD = [
    ("TestReplicaCalcScaleUpCMPerPodObject", 3, 20000, 5000, TOL, 4, 6667),
    ("TestReplicaCalcScaleDownPerPodCMObject", 5, 6000, 2000, TOL, 3, 1200),
    ("TestReplicaCalcTolerancePerPodCMObject", 4, 20166, 5000, TOL, 4, 5042),
    ("TestReplicaCalcConfigurableTolerancePerPodCMObject", 4, 20208, 5000, Tolerances(0.1, 0.01), 5, 5052),
    ("TestReplicaCalcScaleUpPerPodCMExternal", 3, 8600, 2150, TOL, 4, 2867),
    ("TestReplicaCalcScaleDownPerPodCMExternal", 5, 8600, 2867, TOL, 3, 1720),
    ("TestReplicaCalcTolerancePerPodCMExternal", 3, 8600, 2900, TOL, 3, 2867),
    ("TestReplicaCalcConfigurableTolerancePerPodCMExternal", 3, 8600, 2800, Tolerances(0.1, 0.01), 4, 2867),
    ("TestExternalPerPodMetricReplicaOverflow", 1, MAX_INT64, 1, TOL, MAX_INT32, MAX_INT64),
    ("TestExternalPerPodMetricUsageOverflow", 1, MAX_INT64, MAX_INT64, TOL, 1, MAX_INT64),
]


@pytest.mark.parametrize(
    ("status", "usage", "target", "tol", "expected", "average"),
    [c[1:] for c in PER_POD],
    ids=[c[0] for c in PER_POD],
)
def test_per_pod_average_value(status, usage, target, tol, expected, average):
    """AverageValue object/external targets use status.replicas and ceil(total / target), ignoring readiness."""
    assert rc.per_pod_replicas(status, target, usage, tol) == (expected, average)


# ---------------------------------------------------------------------------------------------- grouping and requests


def _pod(name, phase="Succeeded", start=None, ready=None, ltt=None, deleting=False):
    from kubekg.simulation.timeutil import ZERO_TIME

    return Pod(
        name,
        phase=phase,
        start=start,
        ready=ready,
        ready_ltt=ltt if ltt is not None else ZERO_TIME,
        deleting=deleting,
    )


GROUPS = [
    (
        "count in a ready pod - memory",
        [_pod("bentham")],
        {"bentham": (1, NOW, MINUTE)},
        "memory",
        1,
        set(),
        set(),
        set(),
    ),
    (
        "unready a pod without ready condition - CPU",
        [_pod("lucretius", start=NOW)],
        {"lucretius": (1, NOW, MINUTE)},
        "cpu",
        0,
        {"lucretius"},
        set(),
        set(),
    ),
    (
        "count in a ready pod with fresh metrics during initialization period - CPU",
        [_pod("bentham", start=NOW - MINUTE, ready="True", ltt=NOW - 30 * NS)],
        {"bentham": (1, NOW, 30 * NS)},
        "cpu",
        1,
        set(),
        set(),
        set(),
    ),
    (
        "unready a ready pod without fresh metrics during initialization period - CPU",
        [_pod("bentham", start=NOW - MINUTE, ready="True", ltt=NOW - 30 * NS)],
        {"bentham": (1, NOW, 60 * NS)},
        "cpu",
        0,
        {"bentham"},
        set(),
        set(),
    ),
    (
        "unready an unready pod during initialization period - CPU",
        [_pod("lucretius", start=NOW - 10 * MINUTE, ready="False", ltt=NOW - 9 * MINUTE - 54 * NS)],
        {"lucretius": (1, NOW, MINUTE)},
        "cpu",
        0,
        {"lucretius"},
        set(),
        set(),
    ),
    (
        "count in a ready pod without fresh metrics after initialization period - CPU",
        [_pod("bentham", start=NOW - 3 * MINUTE, ready="True", ltt=NOW - 3 * MINUTE)],
        {"bentham": (1, NOW - 2 * MINUTE, MINUTE)},
        "cpu",
        1,
        set(),
        set(),
        set(),
    ),
    (
        "count in an unready pod that was ready after initialization period - CPU",
        [_pod("lucretius", start=NOW - 10 * MINUTE, ready="False", ltt=NOW - 9 * MINUTE)],
        {"lucretius": (1, NOW, MINUTE)},
        "cpu",
        1,
        set(),
        set(),
        set(),
    ),
    (
        "unready pod that has never been ready after initialization period (boundary counts as ready) - CPU",
        [_pod("lucretius", start=NOW - 10 * MINUTE, ready="False", ltt=NOW - 9 * MINUTE - 50 * NS)],
        {"lucretius": (1, NOW, MINUTE)},
        "cpu",
        1,
        set(),
        set(),
        set(),
    ),
    ("a missing pod", [_pod("epicurus", start=NOW - 3 * MINUTE)], {}, "cpu", 0, set(), {"epicurus"}, set()),
    (
        "several pods",
        [
            _pod("lucretius", start=NOW),
            _pod("niccolo", start=NOW - 3 * MINUTE, ready="True", ltt=NOW - 3 * MINUTE),
            _pod("epicurus", start=NOW - 3 * MINUTE),
        ],
        {"lucretius": (1, NOW, MINUTE), "niccolo": (1, NOW, MINUTE)},
        "cpu",
        1,
        {"lucretius"},
        {"epicurus"},
        set(),
    ),
    (
        "pending pods are unreadied",
        [_pod("unscheduled", phase="Pending")],
        {},
        "cpu",
        0,
        {"unscheduled"},
        set(),
        set(),
    ),
    (
        "ignore pods with deletion timestamps",
        [_pod("deleted", phase="Pending", deleting=True)],
        {"deleted": (1, NOW, MINUTE)},
        "cpu",
        0,
        set(),
        set(),
        {"deleted"},
    ),
    (
        "ignore pods in a failed state",
        [_pod("failed", phase="Failed")],
        {"failed": (1, NOW, MINUTE)},
        "cpu",
        0,
        set(),
        set(),
        {"failed"},
    ),
]


@pytest.mark.parametrize(
    ("pod_list", "sample_map", "resource", "ready", "unready", "missing", "ignored"),
    [g[1:] for g in GROUPS],
    ids=[g[0] for g in GROUPS],
)
def test_group_pods(pod_list, sample_map, resource, ready, unready, missing, ignored):
    groups = rc.group_pods(pod_list, sample_map, resource, NOW, TEST_READINESS)
    assert (groups.ready_count, set(groups.unready), set(groups.missing), set(groups.ignored)) == (
        ready,
        unready,
        missing,
        ignored,
    )


def _req_pod(containers, init=(), pod_requests=None):
    return Pod(
        "test-pod",
        containers=tuple(Container(n, {"cpu": parse_quantity(v)} if v else {}) for n, v in containers),
        init_containers=tuple(Container(n, {"cpu": parse_quantity(v)}, policy) for n, v, policy in init),
        pod_requests={"cpu": parse_quantity(pod_requests)} if pod_requests else None,
    )


@pytest.mark.parametrize(
    ("name", "pod", "container", "expected"),
    [
        ("sum container requests", _req_pod([("container1", "100m"), ("container2", "50m")]), None, 150),
        (
            "pod-level requests win when no container is named",
            _req_pod([("container1", "100m"), ("container2", "50m")], pod_requests="800m"),
            None,
            800,
        ),
        (
            "pod-level requests cover a container without one",
            _req_pod([("container1", None), ("container2", "50m")], pod_requests="800m"),
            None,
            800,
        ),
        (
            "a named container only",
            _req_pod([("container1", "100m"), ("container2", "50m")]),
            "container1",
            100,
        ),
        (
            "a named container ignores pod-level requests",
            _req_pod([("container1", "100m"), ("container2", "50m")], pod_requests="800m"),
            "container1",
            100,
        ),
        (
            "restartable init containers (sidecars) count",
            _req_pod(
                [("container1", "100m")],
                init=[("init-container1", "20m", None), ("restartable-container1", "50m", "Always")],
            ),
            None,
            150,
        ),
        (
            "a missing request is an error",
            _req_pod([("container1", None), ("container2", "50m")]),
            None,
            "missing request for cpu in container container1 of Pod test-pod",
        ),
        (
            "an unknown container is an error",
            _req_pod([("container1", "100m")]),
            "non-existent-container",
            "container non-existent-container not found in Pod test-pod",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and " " in v else None,
)
def test_calculate_requests(name, pod, container, expected):
    if isinstance(expected, str):
        with pytest.raises(MetricError, match=expected):
            rc.calculate_requests([pod], container, "cpu")
    else:
        assert rc.calculate_requests([pod], container, "cpu") == {"test-pod": expected}


# ---------------------------------------------------------------------------------------------- the document's examples


def test_document_scale_out_gives_six():
    """2 pods averaging 300m with requests 200m and a 50 % target: 150 % -> ratio 3 -> 6 replicas."""
    got = rc.resource_replicas(2, 50, "cpu", pods(2, "100m"), samples([150, 150]), TOL, NOW, TEST_READINESS)
    assert got == (6, 150, 300)


@pytest.mark.parametrize(
    ("current", "expected"), [(6, 3), (3, 2)], ids=["six pods at 50m -> 3", "three pods at 50m -> 1.5 -> 2"]
)
def test_document_scale_in(current, expected):
    """6 pods averaging 50m -> 3; 3 pods averaging 50m -> ceil(1.5) = 2 (the document's minReplicas)."""
    got = rc.resource_replicas(
        current, 50, "cpu", pods(current, "100m"), samples([25] * current), TOL, NOW, TEST_READINESS
    )
    assert got == (expected, 25, 50)
