"""ontology-A's errata: each is in its section's graph, about the right entity, with what the document says,
the correction in English and Korean, the reason and an upstream reference."""

from __future__ import annotations

import pytest
from pyoxigraph import NamedNode

from kubekg import ns

KR = ns.KR

# erratum IRI suffix -> (section slug, entities it must be about, rows it must affect)
ERRATA = {
    "cluster-components-dockershim": ("cluster-components", {"docker"}, {"cluster-components-2-3"}),
    "cluster-component-overview-etcd-role": (
        "cluster-component-overview",
        {"etcd", "kube-scheduler"},
        {"cluster-component-overview-1-2"},
    ),
    "cluster-component-overview-scheduler-role": (
        "cluster-component-overview",
        {"kube-scheduler", "kube-controller-manager"},
        {"cluster-component-overview-1-3"},
    ),
    "cluster-component-overview-controller-manager-role": (
        "cluster-component-overview",
        {"kube-controller-manager", "kubelet"},
        {"cluster-component-overview-1-4"},
    ),
    "cluster-component-overview-kubelet-role": (
        "cluster-component-overview",
        {"kubelet"},
        {"cluster-component-overview-1-5"},
    ),
    "cluster-component-overview-polling": (
        "cluster-component-overview",
        {"kube-scheduler", "kubelet"},
        {"cluster-component-overview-1-2", "cluster-component-overview-1-4"},
    ),
    "controller-overview-stateless-traits": (
        "controller-overview",
        {"stateless-server"},
        {"controller-overview-1-1"},
    ),
    "statefulset-copy": ("statefulset", {"StatefulSet"}, {"statefulset-1-1"}),
    "hpa-operation-millicores": (
        "hpa-operation",
        {"hpa-example-scale-out", "hpa-example-scale-in"},
        {"hpa-operation-3-1", "hpa-operation-3-2"},
    ),
    "hpa-operation-scaletargetref": ("hpa-operation", {"hpa-setting-scaleTargetRef"}, {"hpa-operation-2-1"}),
    "hpa-operation-scale-in": ("hpa-operation", {"hpa-example-scale-in"}, {"hpa-operation-3-2"}),
    "hpa-operation-scale-out-limit": ("hpa-operation", {"hpa-example-scale-out"}, {"hpa-operation-3-1"}),
    "hpa-operation-tolerance": ("hpa-operation", {"HorizontalPodAutoscaler"}, {"hpa-operation-3-1"}),
    "hpa-operation-step4-target": ("hpa-operation", {"HorizontalPodAutoscaler"}, {"hpa-operation-1-4"}),
    "hpa-operation-metrics-not-in-apiserver": (
        "hpa-operation",
        {"metrics-server", "resource-metrics-api"},
        {"hpa-operation-1-3"},
    ),
}


@pytest.mark.parametrize("name", sorted(ERRATA))
def test_erratum(kg, name: str) -> None:
    slug, about, rows = ERRATA[name]
    e = f"{KR}erratum/{name}"
    assert kg.ask("ASK { ?e a kg:Erratum ; kg:inSection ?s }", bindings={"e": e, "s": ns.SECTION + slug})
    got_about = {r["x"].value for r in kg.select("SELECT ?x WHERE { ?e kg:about ?x }", bindings={"e": e})}
    assert {KR + a for a in about} <= got_about
    got_rows = {r["x"].value for r in kg.select("SELECT ?x WHERE { ?e kg:affectsRow ?x }", bindings={"e": e})}
    assert got_rows == {f"{KR}row/{r}" for r in rows}
    texts = kg.select(
        "SELECT ?p ?lang WHERE { ?e ?p ?v . FILTER(isLiteral(?v)) BIND(LANG(?v) AS ?lang) }",
        bindings={"e": e},
    )
    pairs = {(r["p"].value.removeprefix(ns.KG), r["lang"].value) for r in texts}
    assert {("documentSays", "ko"), ("correction", "en"), ("correction", "ko"), ("reason", "en")} <= pairs
    refs = kg.select("SELECT ?u WHERE { ?e kg:reference ?u }", bindings={"e": e})
    assert refs and all(r["u"].value.startswith("https://") for r in refs)
    graphs = {q.graph_name.value for q in kg.store.quads_for_pattern(NamedNode(e), None, None)}
    assert graphs - {ns.INFERRED_GRAPH} == {ns.SECTION + slug}


def test_the_role_shift_has_one_erratum_per_affected_row(kg) -> None:
    rows = kg.select(
        """SELECT ?row WHERE { ?e a kg:Erratum ; kg:errataKind "shifted-column" ; kg:affectsRow ?row ;
             kg:inSection ks:cluster-component-overview }"""
    )
    assert sorted(r["row"].value for r in rows) == [
        f"{KR}row/cluster-component-overview-1-{i}" for i in (2, 3, 4, 5)
    ]


def test_the_graph_keeps_the_documents_runtimes_while_correcting_them(kg) -> None:
    # The erratum corrects dockershim, but the fact that the document names Docker stays answerable.
    assert kg.ask("ASK { kr:container-runtime kg:implementedBy kr:docker }")
    assert kg.ask("ASK { ?e kg:about kr:docker ; kg:correction ?c }")


def test_the_correct_spelling_is_the_fact(kg) -> None:
    rows = kg.select("SELECT ?n WHERE { kr:hpa-setting-scaleTargetRef kg:settingName ?n }")
    assert [r["n"].value for r in rows] == ["scaleTargetRef"]


def test_metrics_api_is_answered_by_metrics_server(kg) -> None:
    """The corrected fact behind hpa-operation-metrics-not-in-apiserver: the API server only forwards the requests."""
    assert kg.ask(
        "ASK { kr:resource-metrics-api kg:apiBackedBy kr:metrics-server ; kg:servedThrough kr:kube-apiserver }"
    )
