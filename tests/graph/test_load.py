"""The loader puts each ontology file in its named graph and names file and line on a parse error."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kubekg import ns
from kubekg.graph import OntologyLoadError
from kubekg.graph.load import load_into


def _graph_of(store: ox.Store, s: str, p: str, o: str) -> set[str]:
    return {
        q.graph_name.value for q in store.quads_for_pattern(ox.NamedNode(s), ox.NamedNode(p), ox.NamedNode(o))
    }


RDF_TYPE = ns.PREFIXES["rdf"] + "type"


@pytest.mark.parametrize(
    ("case", "subject", "obj", "graph"),
    [
        (
            "core goes to the ontology graph",
            ns.KG + "Section",
            ns.PREFIXES["owl"] + "Class",
            ns.ONTOLOGY_GRAPH,
        ),
        (
            "tbox modules go to the ontology graph",
            ns.KG + "VolumePlugin",
            ns.PREFIXES["owl"] + "Class",
            ns.ONTOLOGY_GRAPH,
        ),
        (
            "document.ttl goes to the document graph",
            ns.SECTION + "volume-kinds",
            ns.KG + "Section",
            ns.DOCUMENT_GRAPH,
        ),
        (
            "errata.ttl goes to the document graph",
            ns.KR + "erratum/fixture",
            ns.KG + "Erratum",
            ns.DOCUMENT_GRAPH,
        ),
        (
            "facts/<slug>.ttl goes to the section graph",
            ns.KR + "azureFile",
            ns.KG + "VolumePlugin",
            ns.SECTION + "volume-kinds",
        ),
    ],
)
def test_named_graph_placement(fixture_ontology: Path, case: str, subject: str, obj: str, graph: str) -> None:
    store = ox.Store()
    load_into(store, fixture_ontology)
    assert _graph_of(store, subject, RDF_TYPE, obj) == {graph}, case


def test_shapes_are_not_loaded_and_report_lists_files(fixture_ontology: Path) -> None:
    store = ox.Store()
    report = load_into(store, fixture_ontology)
    shapes = list(
        store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(ns.PREFIXES["sh"] + "NodeShape"))
    )
    assert shapes == []
    assert report.files["facts/volume-kinds.ttl"] == ns.SECTION + "volume-kinds"
    assert set(report.files.values()) == {ns.ONTOLOGY_GRAPH, ns.DOCUMENT_GRAPH, ns.SECTION + "volume-kinds"}
    assert not any(g.value == ns.INFERRED_GRAPH for g in store.named_graphs())


def test_unknown_turtle_file_is_reported_not_loaded(fixture_ontology: Path) -> None:
    (fixture_ontology / "stray.ttl").write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    store = ox.Store()
    report = load_into(store, fixture_ontology)
    assert report.ignored == ["stray.ttl"]
    assert not list(store.quads_for_pattern(ox.NamedNode("urn:a"), None, None))


def test_parse_error_names_file_and_line(fixture_ontology: Path) -> None:
    bad = fixture_ontology / "facts" / "broken.ttl"
    bad.write_text(
        "@prefix kr: <https://kubekg.dev/id/> .\n\nkr:a kr:b kr:c .\nkr:a kr:b kr:c kr:d .\n",
        encoding="utf-8",
    )
    store = ox.Store()
    with pytest.raises(OntologyLoadError) as info:
        load_into(store, fixture_ontology)
    assert info.value.path == bad
    assert info.value.line == 4
    assert f"{bad}:4" in str(info.value)


def test_blank_nodes_of_different_files_do_not_merge(fixture_ontology: Path) -> None:
    for name in ("one", "two"):
        (fixture_ontology / "facts" / f"{name}.ttl").write_text(f'_:b <urn:p> "{name}" .\n', encoding="utf-8")
    store = ox.Store()
    load_into(store, fixture_ontology)
    subjects = {q.subject for q in store.quads_for_pattern(None, ox.NamedNode("urn:p"), None)}
    assert len(subjects) == 2
