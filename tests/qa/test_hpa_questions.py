"""HPA arithmetic questions: numbers read in both languages, answered by the simulation's replica calculator."""

from __future__ import annotations

import pytest

from kubekg.qa.hpa import HpaInputs, parse, replica_calculation


@pytest.mark.parametrize(
    ("question", "inputs"),
    [
        (
            "Two pods average 300m CPU, each requests 200m and the HPA target is 50% utilization. How many replicas?",
            HpaInputs(2, 50.0, 300.0, 200.0),
        ),
        (
            "파드 2개의 평균 CPU 사용량이 300m이고 요청이 200m, 목표 사용률이 50%일 때 레플리카 수는?",
            HpaInputs(2, 50.0, 300.0, 200.0),
        ),
        (
            "두 Pod의 평균 Requests CPU가 200ms이고 목표 50%, 평균 사용량이 300ms이면 replicas는?",
            HpaInputs(2, 50.0, 300.0, 200.0),
        ),
        (
            "4 replicas use 0.5 cores each with a 1 core request and a 50% target",
            HpaInputs(4, 50.0, 500.0, 1000.0),
        ),
        (
            "3 pods at 90% utilization with a 60% target: how many replicas?",
            HpaInputs(3, 60.0, utilization_percent=90.0),
        ),
        (
            "6개의 Pod가 평균 CPU 50m, 요청 200m, 목표 50%, 최소 Replica 수 2",
            HpaInputs(6, 50.0, 50.0, 200.0, min_replicas=2),
        ),
    ],
)
def test_parse(question, inputs):
    assert parse(question) == inputs


@pytest.mark.parametrize(
    "question", ["How many replicas does a Deployment have?", "HPA 목표는 50%야", "Two pods."]
)
def test_parse_needs_count_target_and_usage(question):
    assert parse(question) is None


@pytest.mark.parametrize(
    ("case", "inputs", "replicas"),
    [
        ("document scale-out", HpaInputs(2, 50.0, 300.0, 200.0), 6),
        ("document scale-in", HpaInputs(6, 50.0, 50.0, 200.0), 3),
        ("within tolerance keeps the count", HpaInputs(4, 50.0, 210.0, 400.0), 4),
        ("utilization floored before the ratio", HpaInputs(3, 60.0, utilization_percent=90.0), 5),
        ("min replicas clamp", HpaInputs(3, 50.0, 50.0, 200.0, min_replicas=2), 2),
    ],
)
def test_replica_calculation(case, inputs, replicas):
    calc = replica_calculation(inputs)
    assert calc.replicas == replicas, case


def test_the_simulation_module_does_the_calculation():
    assert replica_calculation(HpaInputs(2, 50.0, 300.0, 200.0)).engine == "simulation"


def test_answered_through_the_qa_pipeline(answerer):
    r = answerer.answer(
        "Six pods average 50m CPU, each requests 200m and the target is 50%. How many replicas?"
    )
    assert r["kind"] == "hpa_replicas" and r["answers"] == [{"value": 3}]
    assert "replica" in r["text"]
