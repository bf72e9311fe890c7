"""Each competency query (issue 2 section 5) gives its expected answer with its parameters bound at run time."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kubekg import ns

KR, KG = ns.KR, ns.KG


def n(local: str, base: str = KR) -> ox.NamedNode:
    return ox.NamedNode(base + local)


CASES = [
    (
        "plugins_with_capability.rq",
        {"capability": n("ReadWriteMany")},
        "plugin",
        {"azureFile", "glusterfs", "portworxVolume", "cephfs", "nfs"},
    ),
    (
        "plugins_with_capability.rq",
        {"capability": n("volume-expansion")},
        "plugin",
        {
            "awsElasticBlockStore",
            "azureDisk",
            "gcePersistentDisk",
            "glusterfs",
            "portworxVolume",
            "rbd",
            "csi",
            "flexVolume",
        },
    ),
    (
        "plugins_without_capability.rq",
        {"capability": n("ReadOnlyMany")},
        "plugin",
        {"awsElasticBlockStore", "azureDisk", "portworxVolume", "vsphereVolume"},
    ),
    (
        "plugins_with_only_access_mode.rq",
        {"capability": n("ReadWriteOnce")},
        "plugin",
        {"awsElasticBlockStore", "azureDisk", "vsphereVolume"},
    ),
    (
        "relation.rq",
        {"entity": n("kube-apiserver"), "property": n("communicatesWith", KG)},
        "value",
        {"kubectl", "etcd", "kube-scheduler", "kube-controller-manager", "kubelet", "kube-proxy"},
    ),
    (
        "relation_inverse.rq",
        {"entity": n("etcd"), "property": n("accessesDirectly", KG)},
        "value",
        {"kube-apiserver"},
    ),
    (
        "relation_inverse.rq",
        {"entity": n("master-node"), "property": n("runsOn", KG)},
        "value",
        {"etcd", "kube-apiserver", "kube-scheduler", "kube-controller-manager"},
    ),
    (
        "relation.rq",
        {"entity": n("HorizontalPodAutoscaler"), "property": n("canScale", KG)},
        "value",
        {"Deployment", "ReplicaSet", "ReplicationController", "StatefulSet"},
    ),
    (
        "instances.rq",
        {"class": n("ServiceType", KG)},
        "entity",
        {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"},
    ),
    ("instances.rq", {"class": n("ReclaimPolicy", KG)}, "entity", {"Retain", "Delete", "Recycle"}),
    (
        "boolean_filter.rq",
        {"class": n("ReclaimPolicy", KG), "property": n("deletesPhysicalData", KG), "flag": True},
        "entity",
        {"Delete"},
    ),
    ("controller_for_example.rq", {"example": n("mongodb")}, "controller", {"StatefulSet"}),
    (
        "use_case.rq",
        {"class": n("UseCase", KG), "via": n("servedBy", KG)},
        "answer",
        {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"},
    ),
]


@pytest.mark.parametrize(
    ("query", "bindings", "var", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_competency_query(kg, query, bindings, var, expected):
    rows = kg.query_file(f"competency/{query}", bindings)
    got = {row[var].value.rsplit("/", 1)[-1] for row in rows if row[var] is not None}
    assert expected <= got if query == "use_case.rq" else got == expected


def test_yes_no_queries(kg):
    rows = kg.select(
        (kg.queries_dir / "competency/plugin_supports_capability.rq").read_text(encoding="utf-8"),
        {"plugin": n("awsElasticBlockStore"), "capability": n("ReadWriteMany")},
    )
    assert [r["answer"].value for r in rows] == ["false"]
    rows = kg.select(
        (kg.queries_dir / "competency/relation_check.rq").read_text(encoding="utf-8"),
        {"subject": n("HorizontalPodAutoscaler"), "property": n("canScale", KG), "object": n("DaemonSet")},
    )
    assert rows[0]["holds"].value == "false" and "negation" in rows[0]
    rows = kg.select(
        (kg.queries_dir / "competency/is_a.rq").read_text(encoding="utf-8"),
        {"entity": n("Ingress"), "class": n("ServiceType", KG)},
    )
    assert {r["member"].value for r in rows} == {"false"}


def test_hpa_facts_query(kg):
    rows = kg.select(
        (kg.queries_dir / "competency/hpa_replicas.rq").read_text(encoding="utf-8"),
        {"current": 2, "usage": 300, "request": 200, "target": 50},
    )
    assert int(rows[0]["period"].value) == 15
    assert int(rows[0]["desired"].value) == 6


def test_every_competency_query_parses_and_projects_its_parameters(kg):
    import re

    for path in sorted((kg.queries_dir / "competency").glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# title: "), path.name
        kg.query(text)  # parses and runs unbound
        select = re.search(r"SELECT(.*?)WHERE", text, re.S).group(1)
        bound = re.findall(r"(?:bind|and|,) (\?\w+)", text.split("\n")[1])
        for var in bound:
            assert var in select, f"{path.name}: {var} must be projected to be bound"
