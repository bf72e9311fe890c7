"""Validity: HermiT consistency through owlready2, SHACL with pyshacl, and the document's table coverage."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from kubekg import ns
from kubekg.graph import build_graph
from kubekg.graph.document import parse_markdown, seed_path
from kubekg.graph.validate import (
    asserted_ntriples,
    asserted_rdflib_graph,
    coverage,
    dl_ntriples,
    hermit,
    hermit_and_shacl,
    hermit_command,
    run_hermit,
    shacl,
    shacl_report,
    shapes_files,
)

KG = rdflib.Namespace(ns.KG)
KR = rdflib.Namespace(ns.KR)
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
SUBCLASS = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"


@pytest.mark.slow
def test_hermit_finds_an_inconsistency(fixture_ontology: Path, fixture_queries: Path, tmp_path: Path) -> None:
    (fixture_ontology / "tbox" / "clash.ttl").write_text(
        "@prefix kg: <https://kubekg.dev/ontology#> .\n@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "kg:VolumePlugin owl:disjointWith kg:AccessMode .\n"
        "<https://kubekg.dev/id/ReadWriteMany> a kg:VolumePlugin .\n"
        "kg:Impossible a owl:Class ; owl:intersectionOf ( kg:VolumePlugin kg:AccessMode ) .\n",
        encoding="utf-8",
    )
    kg = build_graph(fixture_ontology, fixture_queries, tmp_path)
    result = hermit(kg)
    assert result.error is None
    assert not result.consistent and not result.ok


@pytest.mark.slow
def test_hermit_on_the_real_ontology_is_consistent_and_cached(real_kg) -> None:
    result = hermit(real_kg)
    assert result.error is None, result.error
    assert result.consistent, "HermiT finds the asserted ontology inconsistent"
    assert result.unsatisfiable == [], f"unsatisfiable classes: {result.unsatisfiable}"
    again = hermit(real_kg)
    assert again.cached and again.consistent == result.consistent


def test_hermit_is_asked_for_class_classification_only() -> None:
    command = hermit_command(Path("/tmp/x.nt"))
    assert "org.semanticweb.HermiT.cli.CommandLine" in command and "-c" in command
    assert not {"-O", "-D", "-I", "-Y"} & set(command), "no property classification or realisation"
    assert any("owlready2" in part and "HermiT.jar" in part for part in command), "owlready2's bundled jar"


def test_hermit_input_leaves_out_annotations_only(real_kg) -> None:
    data, count = dl_ntriples(real_kg)
    text = data.decode("utf-8")
    full = asserted_ntriples(real_kg).decode("utf-8")
    predicates = {line.split(" ", 2)[1] for line in text.splitlines() if line}
    annotations = {
        f"<{ns.PREFIXES['rdfs']}label>",
        f"<{ns.PREFIXES['rdfs']}comment>",
        f"<{ns.KG}upstreamNote>",
    }
    annotations |= {f"<{ns.PREFIXES['skos']}{p}>" for p in ("definition", "altLabel", "prefLabel")}
    assert not predicates & annotations
    # datatype and object property assertions stay: they can make the ontology inconsistent
    assert {f"<{ns.KG}cells>", f"<{ns.KG}rowIndex>", f"<{ns.KG}represents>", RDF_TYPE} <= predicates
    assert count == len(text.splitlines()) < len(full.splitlines())


@pytest.mark.slow
@pytest.mark.parametrize(
    ("case", "extra", "consistent", "unsatisfiable"),
    [
        ("as-asserted", [], True, []),
        (
            "individual-in-two-disjoint-classes",  # KubernetesConcept owl:disjointWith DocumentPart
            [f"<{ns.KR}etcd> {RDF_TYPE} <{ns.KG}TableRow> ."],
            False,
            [],
        ),
        (
            "functional-datatype-property-twice",  # kg:rowIndex is functional; the row already has index 11
            [
                f'<{ns.KR}row/volume-access-modes-2-11> <{ns.KG}rowIndex> "12"^^<{ns.PREFIXES["xsd"]}integer> .'
            ],
            False,
            [],
        ),
        (
            "unsatisfiable-class",
            [
                f"<{ns.KG}Impossible> {RDF_TYPE} <{ns.PREFIXES['owl']}Class> .",
                f"<{ns.KG}Impossible> {SUBCLASS} <{ns.KG}KubernetesConcept> .",
                f"<{ns.KG}Impossible> {SUBCLASS} <{ns.KG}DocumentPart> .",
            ],
            True,
            [f"{ns.KG}Impossible"],
        ),
    ],
)
def test_hermit_on_the_real_ontology_detects_injected_faults(
    real_kg, case, extra, consistent, unsatisfiable
) -> None:
    data, _ = dl_ntriples(real_kg)
    result = run_hermit(data + "".join(f"{t}\n" for t in extra).encode())
    assert result.error is None, result.error
    assert (result.consistent, result.unsatisfiable) == (consistent, unsatisfiable), case


def test_shacl_on_fixture(fixture_ontology: Path, fixture_queries: Path, tmp_path: Path) -> None:
    kg = build_graph(fixture_ontology, fixture_queries, tmp_path / "a")
    ok = shacl(kg)
    assert ok.conforms and ok.violations == 0 and ok.shapes_files == ["fixture-shapes.ttl"]
    facts = fixture_ontology / "facts" / "volume-kinds.ttl"
    facts.write_text(facts.read_text(encoding="utf-8") + "\nkr:nfs a kg:VolumePlugin .\n", encoding="utf-8")
    bad = shacl(build_graph(fixture_ontology, fixture_queries, tmp_path / "b"))
    assert not bad.conforms and bad.violations == 1
    assert "https://kubekg.dev/id/nfs" in bad.text


def test_shacl_on_the_real_ontology(real_kg) -> None:
    result = shacl(real_kg)
    assert result.shapes_files, "ontology/shapes/ holds no SHACL shapes yet"
    assert result.conforms, result.text
    assert (result.violations, result.warnings) == (0, 0), result.text
    assert shacl(real_kg).cached


def test_hermit_and_shacl_together_match_each_alone(real_kg) -> None:
    h, s = hermit_and_shacl(real_kg)
    assert (h.consistent, h.unsatisfiable, s.conforms) == (
        hermit(real_kg).consistent,
        [],
        shacl(real_kg).conforms,
    )


@pytest.fixture(scope="module")
def asserted_graph(real_kg) -> rdflib.Graph:
    return asserted_rdflib_graph(real_kg)


SKOS_DEFINITION = rdflib.URIRef(ns.PREFIXES["skos"] + "definition")


@pytest.mark.parametrize(
    ("case", "remove", "add", "focus", "message"),
    [
        (
            "row-without-korean-definition",
            [(KR["row/volume-access-modes-2-11"], SKOS_DEFINITION, "@ko")],
            [],
            KR["row/volume-access-modes-2-11"],
            "needs exactly one rdfs:label and one skos:definition in English and in Korean",
        ),
        (
            "cell-without-english-label",
            [(KR["cell/nfs-RWX"], rdflib.RDFS.label, "@en")],
            [],
            KR["cell/nfs-RWX"],
            "needs exactly one rdfs:label and one skos:definition in English and in Korean",
        ),
        (
            "class-with-a-second-english-definition",
            [],
            [(KG.VolumePlugin, SKOS_DEFINITION, rdflib.Literal("Another definition.", lang="en"))],
            KG.VolumePlugin,
            "needs exactly one rdfs:label and one skos:definition in English and in Korean",
        ),
        (
            "concept-without-source",
            [(None, KG.represents, KR.raft)],
            [],
            KR.raft,
            "has no source: no kg:TableRow or kg:ListItem kg:represents it",
        ),
        (
            "section-representing-a-concept",
            [],
            [(rdflib.URIRef(ns.SECTION + "cni"), KG.represents, KR.cni)],
            rdflib.URIRef(ns.SECTION + "cni"),
            "only a kg:TableRow or kg:ListItem kg:represents an entity",
        ),
        (
            "cell-without-row",
            [(KR["cell/nfs-RWX"], KG.fromRow, None)],
            [],
            KR["cell/nfs-RWX"],
            "a vendor-table cell needs kg:fromRow",
        ),
        (
            "erratum-without-reason",
            [(KR["erratum/iscsi-usage-name"], KG.reason, None)],
            [],
            KR["erratum/iscsi-usage-name"],
            "an erratum says why the document is wrong (kg:reason)",
        ),
        (
            "erratum-without-section",
            [(KR["erratum/statefulset-copy"], KG.inSection, None)],
            [],
            KR["erratum/statefulset-copy"],
            "an erratum is in exactly one section",
        ),
    ],
)
def test_shapes_catch_each_broken_rule(real_kg, asserted_graph, case, remove, add, focus, message) -> None:
    broken = rdflib.Graph()
    broken += asserted_graph
    for s, p, o in remove:  # o: an object, None for any, or "@xx" for any literal in language xx
        lang = o[1:] if type(o) is str else None  # URIRefs are str too
        pattern = (s, p, None if lang else o)
        doomed = [
            t for t in broken.triples(pattern) if lang is None or getattr(t[2], "language", None) == lang
        ]
        assert doomed, f"{case}: nothing to remove"
        for t in doomed:
            broken.remove(t)
    for t in add:
        broken.add(t)
    result = shacl_report(broken, shapes_files(real_kg))
    assert not result.conforms and result.violations >= 1, case
    assert str(focus) in result.text and message in result.text, result.text[:2000]


def test_coverage_counts_rows_and_lists_missing_ones(fixture_kg) -> None:
    markdown = (
        "## Kubernetes 개요\n#### **Storage**\n- Volume 구분\n\n"
        "벤더|제품명|쿠버네티스 사용명|볼륨확장|RWO|ROX|RWX\n---|---|---|---|---|---|---\n"
        "아마존 AWS|AWS EBS(Elastic Block Store)|awsElasticBlockStore|O|O|X|X\n"
        "-|Azure File|azureFile|X|O|O|O\n"
        "-|NFS|nfs|X|O|O|O\n"
    )
    result = coverage(fixture_kg, parse_markdown(markdown))
    assert (result.represented, result.total) == (2, 3)
    (missing,) = result.missing
    assert missing.text == "-|NFS|nfs|X|O|O|O" and missing.row_index == 3
    assert missing.heading_path == "Kubernetes 개요 > Storage > Volume 구분"
    assert round(result.percent, 1) == 66.7 and not result.complete


@pytest.mark.skipif(seed_path() is None, reason="../shared/seed is absent")
def test_every_document_table_row_is_represented(real_kg) -> None:
    result = coverage(real_kg)
    assert result.total == 122
    missing = "\n".join(f"line {m.line} ({m.heading_path}): {m.text[:80]}" for m in result.missing[:15])
    assert result.complete, f"{result.represented}/{result.total} rows represented; missing:\n{missing}"
