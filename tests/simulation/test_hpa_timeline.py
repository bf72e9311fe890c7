"""HPA timelines: the document's example as the controller plays it (2 -> 4 -> 6, scale-in after 300 s), load profiles."""

from __future__ import annotations

import copy

import pytest

from kubekg.simulation import examples
from kubekg.simulation.api import run_hpa_timeline
from kubekg.simulation.errors import InvalidObject
from kubekg.simulation.facts import DEFAULT_FACTS, StaticFacts
from kubekg.simulation.hpa.timeline import Segment, demand_at, parse_load
from kubekg.simulation.timeutil import NS


@pytest.fixture(scope="module")
def doc_timeline():
    return run_hpa_timeline(examples.document_timeline_body(), DEFAULT_FACTS)


def test_scale_out_two_four_six_over_two_syncs(doc_timeline):
    rows = doc_timeline["rows"]
    first, second = rows[0], rows[1]
    assert (
        first["t"],
        first["replicas"],
        first["recommendation"],
        first["desiredReplicas"],
        first["reason"],
    ) == (0, 2, 6, 4, "ScaleUpLimit")
    assert first["utilization"] == 150 and first["naiveReplicas"] == 6  # the document's 2 x 300m / 100m = 6
    assert (second["t"], second["replicas"], second["desiredReplicas"], second["reason"]) == (
        15,
        4,
        6,
        "DesiredWithinRange",
    )
    assert (
        second["pendingPods"] == 2
    )  # the two new pods are still starting: they count as unready (0) on scale-up
    assert all(r["desiredReplicas"] == 6 for r in rows[1:40])


def test_scale_in_only_after_the_stabilization_window(doc_timeline):
    rows = doc_timeline["rows"]
    drop = next(r for r in rows if r["t"] == 600)
    assert (drop["recommendation"], drop["desiredReplicas"], drop["stabilized"]) == (3, 6, 6)
    last_high = max(r["t"] for r in rows if r["recommendation"] is not None and r["recommendation"] >= 6)
    first_in = next(r for r in rows if r["t"] > 15 and r["desiredReplicas"] < 6)
    assert last_high == 585 and first_in["t"] == 900 and first_in["t"] - last_high >= 300
    assert first_in["desiredReplicas"] == 3
    assert all(r["desiredReplicas"] == 6 for r in rows if 600 <= r["t"] < 900)


def test_second_scale_in_to_two(doc_timeline):
    rows = doc_timeline["rows"]
    at_two = next(r for r in rows if r["desiredReplicas"] == 2)
    assert at_two["t"] == 1500 and at_two["replicas"] == 3
    twenty = next(r for r in rows if r["t"] == 1200)
    assert (twenty["utilization"], twenty["recommendation"]) == (25, 2)  # 3 pods at 50m: ceil(1.5) = 2
    assert [c["to"] for c in doc_timeline["summary"]["changes"]] == [4, 6, 3, 2]


def test_sync_period_comes_from_the_facts():
    out = run_hpa_timeline(examples.document_timeline_body(), StaticFacts(sync_period=30))
    assert out["syncPeriodSeconds"] == 30 and [r["t"] for r in out["rows"][:3]] == [0, 30, 60]
    assert out["syncPeriodFact"]["predicate"].endswith("#metricCheckPeriodSeconds")


def test_behavior_scale_up_policy_limits_each_period():
    out = run_hpa_timeline(examples._spike_body(), DEFAULT_FACTS)
    rows = out["rows"]
    by_t = {r["t"]: r["desiredReplicas"] for r in rows}
    for r in rows:
        before = by_t.get(r["t"] - 60)
        if before is not None:
            assert r["desiredReplicas"] - before <= 4  # Pods 4 per 60 s
    assert out["summary"]["maxReplicas"] > 2


def test_pods_start_pending_for_the_startup_delay():
    body = examples.document_timeline_body()
    body["startupDelaySeconds"] = 60
    rows = run_hpa_timeline(body, DEFAULT_FACTS)["rows"]
    assert [r["readyPods"] for r in rows[:6]] == [2, 2, 2, 2, 4, 6]


@pytest.mark.parametrize(
    ("segments", "t", "expected"),
    [
        ([{"value": "1"}], 0, 1000),
        ([{"value": "1"}, {"at": "10m", "value": "2"}], 599, 1000),
        ([{"value": "1"}, {"at": "10m", "value": "2"}], 600, 2000),
        ([{"type": "ramp", "from": "0s", "to": "100s", "start": "0", "end": "1"}], 50, 500),
        ([{"type": "ramp", "from": "0s", "to": "100s", "start": "0", "end": "1"}], 200, 1000),
        ([{"value": "500m"}, {"type": "spike", "at": "1m", "duration": "30s", "value": "1"}], 75, 1500),
        ([{"value": "500m"}, {"type": "spike", "at": "1m", "duration": "30s", "value": "1"}], 90, 500),
    ],
)
def test_demand_profile(segments, t, expected):
    assert demand_at(parse_load(segments), t * NS) == expected


@pytest.mark.parametrize(
    ("load", "field"),
    [
        ([{"type": "wave", "value": "1"}], "load[0].type"),
        ([{"type": "ramp", "from": "10m", "to": "5m", "start": "1", "end": "2"}], "load[0].to"),
        ([{"value": "-1"}], "load[0].value"),
        ([{"value": "lots"}], "load[0].value"),
        ([{"at": "soon", "value": "1"}], "load[0].at"),
    ],
)
def test_bad_load(load, field):
    with pytest.raises(InvalidObject) as info:
        parse_load(load)
    assert info.value.path == field


def test_timeline_refuses_metrics_it_cannot_drive():
    body = copy.deepcopy(examples.document_timeline_body())
    body["hpa"]["spec"]["metrics"] = [
        {"type": "External", "external": {"metric": {"name": "q"}, "target": {"type": "Value", "value": "1"}}}
    ]
    with pytest.raises(InvalidObject, match="Resource"):
        run_hpa_timeline(body, DEFAULT_FACTS)


def test_timeline_needs_a_template_and_bounds_its_length():
    body = examples.document_timeline_body()
    with pytest.raises(InvalidObject, match="podTemplate"):
        run_hpa_timeline({k: v for k, v in body.items() if k != "podTemplate"}, DEFAULT_FACTS)
    with pytest.raises(InvalidObject, match="syncs"):
        run_hpa_timeline({**body, "duration": "720h"}, DEFAULT_FACTS)


def test_missing_request_reported_on_every_sync():
    body = copy.deepcopy(examples.document_timeline_body())
    body["podTemplate"]["spec"]["containers"][0]["resources"] = {}
    rows = run_hpa_timeline({**body, "duration": "1m"}, DEFAULT_FACTS)["rows"]
    assert {r["reason"] for r in rows} == {"FailedGetResourceMetric"}
    assert all(r["desiredReplicas"] == 2 for r in rows)


def test_segment_dataclass_is_plain():
    assert Segment("step", 0, 0, 5).value == 5


def test_worked_examples_show_both_views():
    worked = examples.worked_examples()
    out, scale_in, again = worked
    assert (
        out["document"]["replicas"],
        out["calculator"]["replicas"],
        out["controller"]["desiredReplicas"],
    ) == (6, 6, 4)
    assert out["controller"]["reason"] == "ScaleUpLimit"
    assert (
        scale_in["document"]["replicas"],
        scale_in["calculator"]["replicas"],
        scale_in["controller"]["desiredReplicas"],
    ) == (3, 3, 6)
    assert (again["document"]["replicas"], again["calculator"]["replicas"]) == (2, 2)
