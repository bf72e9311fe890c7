"""Workload facts (sections controller-overview ... job-cronjob, multi-container): server kinds and their deciding
traits, the controllers of stateless pods, what Deployment adds over ReplicaSet, manages chains, use cases that
choose a controller from a description, and the multi-container patterns."""

from __future__ import annotations

import pytest
from pyoxigraph import Literal

from kubekg import ns

KR = ns.KR


@pytest.mark.parametrize(
    ("kind", "unique_data", "stable_address", "controller"),
    [
        ("stateless-server", False, False, "Deployment"),
        ("stateful-server", True, True, "StatefulSet"),
    ],
)
def test_deciding_traits_choose_the_controller(kg, kind, unique_data, stable_address, controller) -> None:
    rows = kg.select(
        "SELECT ?u ?a ?c WHERE { ?k kg:keepsUniqueData ?u ; kg:needsStableAddress ?a ; kg:deployedWith ?c }",
        bindings={"k": KR + kind},
        asserted_only=True,
    )
    assert [(r["u"].value == "true", r["a"].value == "true", r["c"].value) for r in rows] == [
        (unique_data, stable_address, KR + controller)
    ]


@pytest.mark.parametrize(
    ("kind", "trait", "controller"),
    [
        ("daemon-server", "runsInBackground", "DaemonSet"),
        ("one-off-job-server", "terminatesAfterWork", "Job"),
        ("batch-job-server", "runsPeriodically", "CronJob"),
    ],
)
def test_other_server_kinds(kg, kind, trait, controller) -> None:
    assert kg.ask(
        "ASK { ?k ?trait true ; kg:deployedWith ?c }",
        bindings={"k": KR + kind, "trait": ns.KG + trait, "c": KR + controller},
    )


def test_every_server_kind_has_one_controller(kg) -> None:
    rows = kg.select(
        "SELECT ?k (COUNT(?c) AS ?n) WHERE { ?k a kg:ServerKind ; kg:deployedWith ?c } GROUP BY ?k"
    )
    assert len(rows) == 5 and all(int(r["n"].value) == 1 for r in rows)


def test_stateless_pods_are_managed_by_rc_replicaset_deployment(iris) -> None:
    expected = {KR + "ReplicationController", KR + "ReplicaSet", KR + "Deployment"}
    assert (
        iris("SELECT ?x WHERE { ?x kg:managesPodsFor kr:stateless-application }", asserted_only=True)
        == expected
    )
    assert iris("SELECT ?x WHERE { ?x a kg:StatelessWorkloadController }") == expected
    assert iris("SELECT ?x WHERE { ?x a kg:StatefulWorkloadController }") == {KR + "StatefulSet"}


@pytest.mark.parametrize(
    ("app", "examples"),
    [
        ("stateless-application", {"apache", "nginx"}),
        ("stateful-application", {"database", "mongodb", "redis"}),
    ],
)
def test_application_examples(iris, app, examples) -> None:
    assert iris("SELECT ?x WHERE { ?app kg:hasExample ?x }", app=KR + app) == {KR + e for e in examples}


def test_deployment_adds_history_rolling_update_pause_resume_rollback_over_replicaset(iris) -> None:
    added = iris("SELECT ?x WHERE { kr:Deployment kg:addsFeature ?x }", asserted_only=True)
    assert added == {
        KR + f
        for f in (
            "feature-revision-history",
            "feature-rolling-update",
            "feature-pause-resume",
            "feature-rollback",
        )
    }
    replicaset = iris("SELECT ?x WHERE { kr:ReplicaSet kg:hasFeature ?x }")
    assert not added & replicaset
    assert replicaset <= iris("SELECT ?x WHERE { kr:Deployment kg:hasFeature ?x }")


@pytest.mark.parametrize(
    ("controller", "direct", "indirect"),
    [
        ("Deployment", {"ReplicaSet"}, {"ReplicaSet", "Pod"}),
        ("CronJob", {"Job"}, {"Job", "Pod"}),
        ("StatefulSet", {"Pod"}, {"Pod"}),
        ("DaemonSet", {"Pod"}, {"Pod"}),
    ],
)
def test_manages_chains(iris, controller, direct, indirect) -> None:
    c = KR + controller
    assert iris("SELECT ?x WHERE { ?c kg:manages ?x }", asserted_only=True, c=c) == {KR + d for d in direct}
    assert iris("SELECT ?x WHERE { ?c kg:managesTransitively ?x }", c=c) == {KR + d for d in indirect}


def test_statefulset_has_its_own_features_not_deployments(iris) -> None:
    features = iris("SELECT ?x WHERE { kr:StatefulSet kg:hasFeature ?x }")
    assert features == {
        KR + f
        for f in ("feature-stable-network-identity", "feature-stable-storage", "feature-ordered-deployment")
    }
    assert KR + "ReplicaSet" not in iris("SELECT ?x WHERE { kr:StatefulSet kg:managesTransitively ?x }")


@pytest.mark.parametrize(
    ("phrase", "controller"),
    [
        ("log collection", "DaemonSet"),
        ("로그 수집용 파드", "DaemonSet"),
        ("server monitoring", "DaemonSet"),
        ("database migration", "Job"),
        ("MongoDB", "StatefulSet"),
        ("Redis", "StatefulSet"),
        ("nginx web server", "Deployment"),
        ("runs a job periodically", "CronJob"),
        ("주기적 배치", "CronJob"),
    ],
)
def test_use_case_description_chooses_controller(iris, phrase, controller) -> None:
    query = """SELECT ?x WHERE {
        ?u a kg:UseCase . { ?u rdfs:label ?l } UNION { ?u skos:altLabel ?l }
        FILTER(LCASE(STR(?l)) = LCASE(STR(?phrase)))
        ?u kg:servedBy ?x }"""
    assert iris(query, phrase=Literal(phrase)) == {KR + controller}


def test_daemonset_facts(iris) -> None:
    features = iris("SELECT ?x WHERE { kr:DaemonSet kg:hasFeature ?x }")
    assert features == {
        KR + f
        for f in ("feature-pod-per-node", "feature-no-rescheduling-on-node-removal", "feature-node-selector")
    }


@pytest.mark.parametrize(
    ("responsibility", "pattern"),
    [
        ("take over the main container's network connections", "ambassador-pattern"),
        ("transform the main container's output", "adapter-pattern"),
        ("provide monitoring information", "adapter-pattern"),
        ("extend or enhance the main container's functions", "sidecar-pattern"),
        ("웹서비스와 로그기능 분리", "sidecar-pattern"),
    ],
)
def test_multi_container_pattern_by_responsibility(iris, responsibility, pattern) -> None:
    query = """SELECT ?x WHERE {
        ?x a kg:MultiContainerPattern ; kg:hasResponsibility ?r . ?r rdfs:label ?l
        FILTER(STR(?l) = STR(?phrase)) }"""
    assert iris(query, phrase=Literal(responsibility)) == {KR + pattern}


def test_multi_container_pod_principles_and_envoy(iris) -> None:
    assert iris("SELECT ?x WHERE { kr:multi-container-pod kg:hasCharacteristic ?x }") == {
        KR + "shared-ip-and-port",
        KR + "shared-disk-volumes",
    }
    assert KR + "principle-single-responsibility" in iris(
        "SELECT ?x WHERE { kr:multi-container-pod kg:hasPrinciple ?x }"
    )
    assert iris("SELECT ?x WHERE { kr:envoy kg:classifiedAs ?x }") == {KR + "sidecar-pattern"}
    assert iris("SELECT ?x WHERE { kr:envoy kg:embeddedIn ?x }") == {KR + "istio"}
