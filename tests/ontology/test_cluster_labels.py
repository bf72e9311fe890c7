"""Labels and shapes of ontology-A's modules: every term and individual is labelled and defined in English and
Korean with the usual abbreviations as altLabels, and the SHACL shapes (core and workloads) accept the facts and
reject broken variants of them."""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
import rdflib
from rdflib import RDF, Literal, Namespace

from kubekg import ns
from kubekg.paths import ontology_dir

KG = Namespace(ns.KG)
KR = Namespace(ns.KR)
SH = Namespace(ns.PREFIXES["sh"])
SKOS = Namespace(ns.PREFIXES["skos"])
TBOX = ("cluster", "workloads", "autoscaling")


def _langs(graph: rdflib.Graph, subject, predicate) -> set[str]:
    return {o.language for o in graph.objects(subject, predicate) if isinstance(o, Literal)}


@pytest.mark.parametrize("module", TBOX)
def test_every_term_of_my_tbox_is_bilingual(module: str) -> None:
    graph = rdflib.Graph().parse(ontology_dir() / "tbox" / f"{module}.ttl")
    terms = {s for s in graph.subjects(RDF.type, None) if str(s).startswith(ns.KG)}
    assert len(terms) > 10
    for term in terms:
        assert {"en", "ko"} <= _langs(graph, term, rdflib.RDFS.label), term
        assert {"en", "ko"} <= _langs(graph, term, SKOS.definition), term
        assert any(graph.objects(term, SKOS.altLabel)), term


def test_every_individual_of_my_facts_is_bilingual(a_fact_graph) -> None:
    """Every subject is labelled and defined in both languages; concepts (not document parts or errata, which have
    no abbreviations or usual spellings) also carry an altLabel."""
    individuals = {s for s in a_fact_graph.subjects(None, None) if str(s).startswith(ns.KR)}
    assert len(individuals) > 100
    structure = {KG.Table, KG.TableRow, KG.ListItem, KG.Erratum}
    for ind in individuals:
        assert {"en", "ko"} <= _langs(a_fact_graph, ind, rdflib.RDFS.label), ind
        assert {"en", "ko"} <= _langs(a_fact_graph, ind, SKOS.definition), ind
        if not structure & set(a_fact_graph.objects(ind, RDF.type)):
            assert any(a_fact_graph.objects(ind, SKOS.altLabel)), ind


@pytest.mark.parametrize(
    ("text", "iri"),
    [
        ("API server", "kube-apiserver"),
        ("apiserver", "kube-apiserver"),
        ("Kube API서버", "kube-apiserver"),
        ("컨트롤러 매니저", "kube-controller-manager"),
        ("스케줄러", "kube-scheduler"),
        ("kube scheduler", "kube-scheduler"),
        ("HPA", "HorizontalPodAutoscaler"),
        ("Horizontal Pod Autoscaler", "HorizontalPodAutoscaler"),
        ("VPA", "VerticalPodAutoscaler"),
        ("Cluster Autoscaler", "ClusterAutoscaler"),
        ("RC", "ReplicationController"),
        ("Replicaset", "ReplicaSet"),
        ("Statefulset", "StatefulSet"),
        ("데몬셋", "DaemonSet"),
        ("크론잡", "CronJob"),
        ("Container Engine", "container-runtime"),
        ("마스터노드", "master-node"),
        ("RAFT", "raft"),
        ("Resource API", "resource-metrics-api"),
        ("Ambassador", "ambassador-pattern"),
    ],
)
def test_usual_spellings_find_the_entity(kg, text: str, iri: str) -> None:
    assert ns.KR + iri in kg.find(text)


@pytest.fixture(scope="module")
def data(a_fact_graph: rdflib.Graph) -> rdflib.Graph:
    """The TBox (core, document, every module) plus ontology-A's facts: what my shapes are checked against."""
    graph = rdflib.Graph()
    for path in [ontology_dir() / "core.ttl", ontology_dir() / "document.ttl"]:
        graph.parse(path)
    for path in sorted((ontology_dir() / "tbox").glob("*.ttl")):
        graph.parse(path)
    for t in a_fact_graph:
        graph.add(t)
    return graph


def _validate(data: rdflib.Graph, shapes: Path) -> list[tuple[str, str]]:
    _conforms, report, _text = pyshacl.validate(
        data, shacl_graph=rdflib.Graph().parse(shapes), inference="none", allow_warnings=True
    )
    out = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        if report.value(result, SH.resultSeverity) == SH.Violation:
            out.append((str(report.value(result, SH.focusNode)), str(report.value(result, SH.resultMessage))))
    return out


def test_workload_shapes_accept_the_facts(data) -> None:
    assert _validate(data, ontology_dir() / "shapes" / "workloads.ttl") == []


def test_core_shapes_accept_my_facts(data) -> None:
    assert _validate(data, ontology_dir() / "shapes" / "core.ttl") == []


def _mutated(data: rdflib.Graph, remove=(), add=()) -> rdflib.Graph:
    graph = rdflib.Graph()
    for t in data:
        graph.add(t)
    for pattern in remove:
        for t in list(graph.triples(pattern)):
            graph.remove(t)
    for t in add:
        graph.add(t)
    return graph


@pytest.mark.parametrize(
    ("case", "shapes", "remove", "add", "focus"),
    [
        (
            "server-kind-without-trait",
            "workloads",
            [(KR["stateless-server"], KG.needsStableAddress, None)],
            [],
            KR["stateless-server"],
        ),
        ("second-etcd-accessor", "workloads", [], [(KR.kubelet, KG.accessesDirectly, KR.etcd)], KR.kubelet),
        (
            "example-arithmetic",
            "workloads",
            [(KR["hpa-example-scale-out"], KG.targetUsageMillicores, None)],
            [(KR["hpa-example-scale-out"], KG.targetUsageMillicores, Literal(150))],
            KR["hpa-example-scale-out"],
        ),
        ("concept-without-source", "core", [(None, KG.represents, KR.raft)], [], KR.raft),
        (
            "concept-without-korean-label",
            "core",
            [(KR.etcd, rdflib.RDFS.label, Literal("etcd", lang="ko"))],
            [],
            KR.etcd,
        ),
        (
            "row-without-cells",
            "core",
            [(KR["row/daemonset-1-1"], KG.cells, None)],
            [],
            KR["row/daemonset-1-1"],
        ),
        (
            "erratum-without-korean-correction",
            "core",
            [(KR["erratum/statefulset-copy"], KG.correction, None)],
            [(KR["erratum/statefulset-copy"], KG.correction, Literal("fixed", lang="en"))],
            KR["erratum/statefulset-copy"],
        ),
        ("property-without-definition", "core", [(KG.canScale, SKOS.definition, None)], [], KG.canScale),
    ],
)
def test_shapes_reject_broken_facts(data, case, shapes, remove, add, focus) -> None:
    violations = _validate(_mutated(data, remove, add), ontology_dir() / "shapes" / f"{shapes}.ttl")
    assert str(focus) in {v[0] for v in violations}, case
