"""The storage and networking SHACL shapes: the asserted ontology conforms, and the shapes do catch a plugin that
lost a vendor-table cell, a cell without its row, a service type without a purpose, and an Ingress typed as a
service type."""

from __future__ import annotations

import pyshacl
import pytest
import rdflib
from rdflib import RDF, RDFS

from kubekg import ns
from kubekg.paths import ontology_dir

KG = rdflib.Namespace(ns.KG)
KR = rdflib.Namespace(ns.KR)
SHAPE_FILES = ("storage.ttl", "networking.ttl")


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    graph = rdflib.Graph()
    for name in SHAPE_FILES:
        graph.parse(ontology_dir() / "shapes" / name, format="turtle")
    return graph


@pytest.fixture(scope="module")
def data() -> rdflib.Graph:
    """Everything asserted (core, document, TBox, facts); the TBox lets targets follow rdfs:subClassOf."""
    graph = rdflib.Graph()
    root = ontology_dir()
    for path in [root / "core.ttl", root / "document.ttl", *sorted((root / "tbox").glob("*.ttl"))]:
        graph.parse(path, format="turtle")
    for path in sorted((root / "facts").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def validate(data: rdflib.Graph, shapes: rdflib.Graph) -> tuple[bool, set[str]]:
    conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", allow_warnings=True
    )
    sh = rdflib.Namespace(ns.PREFIXES["sh"])
    messages = {str(m) for m in report.objects(None, sh.resultMessage)}
    return bool(conforms), messages


def copy_of(graph: rdflib.Graph) -> rdflib.Graph:
    clone = rdflib.Graph()
    for triple in graph:
        clone.add(triple)
    return clone


def test_ontology_conforms(data, shapes) -> None:
    conforms, messages = validate(data, shapes)
    assert conforms, sorted(messages)[:20]


def test_plugin_missing_a_cell_is_caught(data, shapes) -> None:
    broken = copy_of(data)
    broken.remove((KR["cell/nfs-RWX"], None, None))
    conforms, messages = validate(broken, shapes)
    assert not conforms
    assert "a volume plugin has exactly one RWX cell" in messages


def test_cell_without_row_is_caught(data, shapes) -> None:
    broken = copy_of(data)
    broken.remove((KR["cell/rbd-ROX"], KG.fromRow, None))
    conforms, messages = validate(broken, shapes)
    assert not conforms
    assert any("kg:fromRow" in m for m in messages)


def test_plugin_without_usage_name_is_caught(data, shapes) -> None:
    broken = copy_of(data)
    broken.remove((KR.fc, KG.usageName, None))
    conforms, messages = validate(broken, shapes)
    assert not conforms
    assert "a volume plugin has exactly one Kubernetes usage name" in messages


def test_service_type_without_purpose_is_caught(data, shapes) -> None:
    broken = copy_of(data)
    broken.remove((KR.NodePort, KG.purpose, None))
    conforms, messages = validate(broken, shapes)
    assert not conforms
    assert "a service type states its purpose in English" in messages


def test_ingress_as_service_type_is_caught(data, shapes) -> None:
    broken = copy_of(data)
    broken.add((KR.Ingress, RDF.type, KG.ServiceType))
    conforms, messages = validate(broken, shapes)
    assert not conforms
    assert "an Ingress resource is not a service type" in messages


def test_missing_korean_label_is_caught(data, shapes) -> None:
    """Labels and definitions of every subject are core.ttl's rule (ksh:LabelledSubjectShape)."""
    broken = copy_of(data)
    for label in list(broken.objects(KR.MetalLB, RDFS.label)):
        if label.language == "ko":
            broken.remove((KR.MetalLB, RDFS.label, label))
    with_core = copy_of(shapes).parse(ontology_dir() / "shapes" / "core.ttl", format="turtle")
    conforms, messages = validate(broken, with_core)
    assert not conforms
    assert (
        "a kg: or kr: subject needs exactly one rdfs:label and one skos:definition in English and in Korean"
        in (messages)
    )
