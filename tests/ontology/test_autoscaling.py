"""Autoscaling facts (sections autoscaler, hpa-operation): what the HPA can and cannot scale, VPA and CA, the
metrics pipeline, the HPA settings, and the worked examples' numbers (recomputed here from the graph's inputs)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from kubekg import ns

KR = ns.KR


def test_hpa_can_scale_four_workload_kinds(iris) -> None:
    got = iris("SELECT ?x WHERE { kr:HorizontalPodAutoscaler kg:canScale ?x }")
    assert got == {KR + k for k in ("Deployment", "ReplicaSet", "ReplicationController", "StatefulSet")}


def test_hpa_cannot_scale_a_daemonset(kg) -> None:
    assert kg.ask(
        """ASK { ?n a owl:NegativePropertyAssertion ; owl:sourceIndividual kr:HorizontalPodAutoscaler ;
                 owl:assertionProperty kg:canScale ; owl:targetIndividual kr:DaemonSet }"""
    )
    assert not kg.ask("ASK { kr:HorizontalPodAutoscaler kg:canScale kr:DaemonSet }")


def test_scalable_workloads_are_inferred(iris) -> None:
    assert iris("SELECT ?x WHERE { ?x a kg:ScalableWorkload }") == iris(
        "SELECT ?x WHERE { kr:HorizontalPodAutoscaler kg:canScale ?x }"
    )


@pytest.mark.parametrize(
    ("autoscaler", "method", "app"),
    [
        ("HorizontalPodAutoscaler", "scale-out", "stateless-application"),
        ("VerticalPodAutoscaler", "scale-up", "stateful-application"),
    ],
)
def test_scaling_method_and_application_kind(kg, autoscaler, method, app) -> None:
    assert kg.ask(
        "ASK { ?a kg:scalingMethod ?m ; kg:targetsApplicationKind ?app }",
        bindings={"a": KR + autoscaler, "m": KR + method, "app": KR + app},
    )


@pytest.mark.parametrize(
    ("autoscaler", "abbreviation"),
    [("HorizontalPodAutoscaler", "HPA"), ("VerticalPodAutoscaler", "VPA"), ("ClusterAutoscaler", "CA")],
)
def test_autoscaler_abbreviations(kg, autoscaler, abbreviation) -> None:
    assert KR + autoscaler in kg.find(abbreviation)


def test_cluster_autoscaler_remark(kg) -> None:
    rows = kg.select("SELECT ?r WHERE { kr:ClusterAutoscaler kg:remark ?r }")
    assert {r["r"].value for r in rows} == {"Multi Cloud"}


def test_metric_check_period_is_15_seconds(kg) -> None:
    rows = kg.select("SELECT ?s WHERE { kr:HorizontalPodAutoscaler kg:metricCheckPeriodSeconds ?s }")
    assert len(rows) == 1
    assert rows[0]["s"].datatype.value == ns.PREFIXES["xsd"] + "integer" and int(rows[0]["s"].value) == 15


def test_pipeline_steps_in_order(kg) -> None:
    rows = kg.select(
        "SELECT ?n ?actor WHERE { ?s kg:stepOf kr:HorizontalPodAutoscaler ; kg:order ?n ; kg:actor ?actor } ORDER BY ?n"
    )
    assert [(int(r["n"].value), r["actor"].value) for r in rows] == [
        (1, KR + "cadvisor"),
        (2, KR + "metrics-server"),
        (3, KR + "metrics-server"),
        (4, KR + "HorizontalPodAutoscaler"),
        (5, KR + "kubectl-top"),
        (6, KR + "prometheus"),
    ]


def test_metrics_flow_and_what_the_hpa_depends_on(iris) -> None:
    flow = [("cadvisor", "kubelet"), ("kubelet", "metrics-server"), ("metrics-server", "kube-apiserver")]
    for a, b in flow:
        assert iris("SELECT ?x WHERE { ?a kg:sendsMetricsTo ?x }", a=KR + a) == {KR + b}
    for reader in ("HorizontalPodAutoscaler", "kubectl-top"):
        assert iris("SELECT ?x WHERE { ?r kg:readsMetricsFrom ?x }", r=KR + reader) == {KR + "kube-apiserver"}
        got = iris("SELECT ?x WHERE { ?r kg:dependsOnMetricsFrom ?x }", r=KR + reader)
        assert got == {KR + "metrics-server", KR + "kubelet", KR + "cadvisor"}


def test_prometheus_collects_other_metrics(iris) -> None:
    got = iris("SELECT ?x WHERE { kr:prometheus kg:collectsMetric ?x }")
    assert {KR + "metric-packet-count", KR + "metric-request-volume"} <= got


def test_hpa_settings(kg) -> None:
    rows = kg.select(
        "SELECT ?name WHERE { kr:HorizontalPodAutoscaler kg:hasSetting ?s . ?s kg:settingName ?name }"
    )
    assert {r["name"].value for r in rows} == {"scaleTargetRef", "minReplicas", "maxReplicas", "metrics"}


def _number(term) -> Decimal:
    return Decimal(term.value)


@pytest.mark.parametrize("example", ["hpa-example-scale-out", "hpa-example-scale-in"])
def test_example_calculations_follow_the_hpa_formula(kg, example) -> None:
    (ex,) = kg.select(
        """SELECT ?req ?use ?pct ?target ?desired ?min WHERE {
             ?e kg:requestMillicores ?req ; kg:averageUsageMillicores ?use ; kg:targetUtilizationPercent ?pct ;
                kg:targetUsageMillicores ?target ; kg:desiredReplicas ?desired . OPTIONAL { ?e kg:minReplicas ?min } }""",
        bindings={"e": KR + example},
    )
    target = _number(ex["target"])
    assert target == _number(ex["req"]) * _number(ex["pct"]) / 100
    steps = kg.select(
        """SELECT ?n ?cur ?raw ?des WHERE { ?e kg:hasCalculation ?c . ?c kg:order ?n ; kg:currentReplicas ?cur ;
             kg:rawReplicas ?raw ; kg:desiredReplicas ?des } ORDER BY ?n""",
        bindings={"e": KR + example},
    )
    assert steps
    minimum = int(ex["min"].value) if "min" in ex else 1
    for row in steps:
        raw = _number(row["cur"]) * _number(ex["use"]) / target
        assert raw == _number(row["raw"])
        assert int(row["des"].value) == max(math.ceil(raw), minimum)
    assert int(steps[-1]["des"].value) == int(ex["desired"].value)


def test_scale_out_example_is_six(kg) -> None:
    rows = kg.select(
        "SELECT ?cur ?d ?first ?f ?m WHERE { kr:hpa-example-scale-out kg:currentReplicas ?cur ; kg:desiredReplicas ?d ; "
        "kg:replicasAfterFirstSync ?first . kr:HorizontalPodAutoscaler kg:scaleUpLimitFactor ?f ; "
        "kg:scaleUpLimitMinimum ?m }"
    )
    row = rows[0]
    assert int(row["d"].value) == 6
    limit = max(int(row["f"].value) * int(row["cur"].value), int(row["m"].value))
    assert int(row["first"].value) == min(int(row["d"].value), limit)
