"""Cluster facts (sections cluster-components, cluster-component-overview, master-ha): who runs where, who
communicates with whom in the table's direction, the sole direct etcd access, roles and responsibilities, Raft."""

from __future__ import annotations

import pytest
from pyoxigraph import Literal

from kubekg import ns

KR = ns.KR
MASTER = {f"{KR}{c}" for c in ("etcd", "kube-apiserver", "kube-scheduler", "kube-controller-manager")}
WORKER = {f"{KR}{c}" for c in ("kubelet", "kube-proxy", "container-runtime")}


@pytest.mark.parametrize(
    ("node", "expected"),
    [("master-node", MASTER), ("worker-node", WORKER)],
    ids=["master", "worker"],
)
def test_components_run_on_their_node(iris, node: str, expected: set[str]) -> None:
    got = iris("SELECT ?x WHERE { ?x kg:runsOn ?node }", asserted_only=True, node=KR + node)
    assert got == expected


@pytest.mark.parametrize(
    ("cls", "expected"),
    [("ControlPlaneComponent", MASTER), ("NodeComponent", WORKER)],
    ids=["control-plane-by-rule", "node-component-by-rule"],
)
def test_component_classes_are_inferred_from_placement(kg, iris, cls: str, expected: set[str]) -> None:
    got = iris("SELECT ?x WHERE { ?x a ?cls }", cls=ns.KG + cls)
    assert got == expected
    assert not iris("SELECT ?x WHERE { ?x a ?cls }", asserted_only=True, cls=ns.KG + cls), (
        "derived, not asserted"
    )


@pytest.mark.parametrize(
    ("component", "listed"),
    [
        (
            "kube-apiserver",
            {"kubectl", "etcd", "kube-scheduler", "kube-controller-manager", "kubelet", "kube-proxy"},
        ),
        ("etcd", {"kube-apiserver"}),
        ("kube-scheduler", {"kube-apiserver"}),
        ("kube-controller-manager", {"kube-apiserver"}),
        ("kubelet", {"kube-apiserver", "container-runtime"}),
        ("kube-proxy", {"kube-apiserver"}),
        ("container-runtime", {"kubelet"}),
    ],
)
def test_communicates_with_follows_the_table_rows(iris, component: str, listed: set[str]) -> None:
    got = iris("SELECT ?x WHERE { ?c kg:communicatesWith ?x }", asserted_only=True, c=KR + component)
    assert got == {KR + x for x in listed}


def test_interacts_with_is_symmetric_by_reasoning(kg) -> None:
    # kubectl is only listed in the kube-apiserver row; the symmetric super-property gives the reverse direction.
    assert kg.ask("ASK { kr:kubectl kg:interactsWith kr:kube-apiserver }")
    assert not kg.ask("ASK { kr:kubectl kg:communicatesWith kr:kube-apiserver }")


def test_only_the_api_server_accesses_etcd_directly(kg) -> None:
    rows = kg.select("SELECT ?a ?b WHERE { ?a kg:accessesDirectly ?b }")
    assert {(r["a"].value, r["b"].value) for r in rows} == {(KR + "kube-apiserver", KR + "etcd")}


@pytest.mark.parametrize(
    ("phrase", "component"),
    [
        ("choose the node a pod runs on", "kube-scheduler"),
        ("파드를 실행할 노드 선택", "kube-scheduler"),
        ("store the cluster state", "etcd"),
        ("run reconciliation loops", "kube-controller-manager"),
        ("run the pods scheduled to its node", "kubelet"),
        ("iptables rule 구성", "kube-proxy"),
        ("run containers", "container-runtime"),
    ],
)
def test_responsibility_phrase_leads_to_component(iris, phrase: str, component: str) -> None:
    query = """SELECT ?x WHERE {
        ?r a kg:Responsibility . { ?r rdfs:label ?l } UNION { ?r skos:altLabel ?l }
        FILTER(LCASE(STR(?l)) = LCASE(STR(?phrase)))
        ?x kg:hasResponsibility ?r }"""
    assert iris(query, phrase=Literal(phrase)) == {KR + component}


def test_shifted_roles_are_assigned_to_the_right_components(kg) -> None:
    def roles(component: str) -> str:
        rows = kg.select("SELECT ?r WHERE { ?c kg:role ?r }", bindings={"c": KR + component})
        return " ".join(r["r"].value for r in rows)

    assert "nodeName" in roles("kube-scheduler")
    assert "nodeName" not in roles("etcd") and "스케줄링" not in roles("etcd")
    assert "reconciliation" in roles("kube-controller-manager")
    assert "reconciliation" not in roles("kube-scheduler")
    assert "container runtime" in roles("kubelet")


def test_container_runtimes_named_by_the_document(iris) -> None:
    named = iris("SELECT ?x WHERE { ?x a kg:ContainerRuntime }")
    assert named == {KR + "docker", KR + "containerd", KR + "runc"}
    assert iris("SELECT ?x WHERE { kr:container-runtime kg:implementedBy ?x }") == named
    builtin = iris("SELECT ?x WHERE { ?x kg:isBuiltInRuntime true }")
    assert builtin == {KR + "containerd"}, (
        "since 1.24 only CRI runtimes; Docker needs cri-dockerd, runc is OCI"
    )


def test_raft_keeps_highly_available_masters_consistent(iris) -> None:
    got = iris(
        "SELECT ?x WHERE { ?ha a kg:HighAvailabilitySetup ; kg:replicates kr:master-node ; kg:usesConsensusAlgorithm ?x }"
    )
    assert got == {KR + "raft"}
