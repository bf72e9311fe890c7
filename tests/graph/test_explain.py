"""Explanations: an inferred triple's rule chain down to asserted facts, their section and their table row."""

from __future__ import annotations

import json

import pytest

from kubekg import ns
from kubekg.graph import ExplainError


def test_chain_down_to_the_vendor_row(fixture_kg) -> None:
    exp = fixture_kg.explain("kr:azureFile", "kg:hasCapability", "kr:ReadWriteMany")
    assert exp.status == "inferred"
    assert exp.rule == "owl-prp-spo1"
    assert exp.rule_comment.startswith("if ")
    inner = next(p for p in exp.premises if p.triple[1] == "kg:supportsAccessMode")
    assert inner.status == "inferred" and inner.rule == "dom-fixture-supports"
    leaves = exp.asserted_leaves()
    cell = [leaf for leaf in leaves if leaf.triple == ("kr:cell/azureFile-RWX", "kg:support", "kg:Supported")]
    assert cell, [leaf.triple for leaf in leaves]
    (section,) = cell[0].sections
    assert section.iri == ns.SECTION + "volume-kinds"
    assert section.heading_path == "Kubernetes 개요 > Storage > Volume 구분"
    assert [r.text for r in cell[0].rows] == ["-|Azure File|azureFile|X|O|O|O"]
    tbox = [leaf for leaf in leaves if leaf.triple[1] == "rdfs:subPropertyOf"]
    assert tbox and tbox[0].graphs == [ns.ONTOLOGY_GRAPH]


def test_tree_renders_and_serializes(fixture_kg) -> None:
    exp = fixture_kg.explain("kr:azureFile", "kg:supportsAccessMode", "kr:ReadWriteMany")
    text = exp.render()
    assert "inferred by rule dom-fixture-supports" in text
    assert "Kubernetes 개요 > Storage > Volume 구분" in text
    assert "-|Azure File|azureFile|X|O|O|O" in text
    d = json.loads(json.dumps(exp.to_dict(), ensure_ascii=False))
    assert d["status"] == "inferred" and d["rule"]["id"] == "dom-fixture-supports"
    assert {p["status"] for p in d["premises"]} == {"asserted"}
    assert d["terms"]["subject"] == {"type": "uri", "value": ns.KR + "azureFile"}


@pytest.mark.parametrize(
    ("case", "s", "p", "o", "status"),
    [
        ("prefixed names", "kr:azureFile", "kg:supportsAccessMode", "kr:ReadWriteMany", "inferred"),
        (
            "full IRIs",
            f"<{ns.KR}azureFile>",
            f"{ns.KG}supportsAccessMode",
            f"{ns.KR}ReadWriteMany",
            "inferred",
        ),
        ("labels and abbreviations", "Azure File", "kg:supportsAccessMode", "RWX", "inferred"),
        ("asserted fact", "kr:azureFile", "a", "kg:VolumePlugin", "asserted"),
        ("plain literal object", "kr:azureFile", "skos:altLabel", "azureFile", "asserted"),
        ("language-tagged literal", "kr:azureFile", "rdfs:label", '"Azure 파일"@ko', "asserted"),
        (
            "a false statement",
            "kr:awsElasticBlockStore",
            "kg:supportsAccessMode",
            "kr:ReadWriteMany",
            "absent",
        ),
    ],
)
def test_status(fixture_kg, case: str, s: str, p: str, o: str, status: str) -> None:
    assert fixture_kg.explain(s, p, o).status == status, case


def test_asserted_leaf_lists_section_and_rows(fixture_kg) -> None:
    exp = fixture_kg.explain("kr:azureFile", "a", "kg:VolumePlugin")
    assert [s.iri for s in exp.sections] == [ns.SECTION + "volume-kinds"]
    assert [r.iri for r in exp.rows] == [ns.KR + "row/volume-kinds-2-3"]
    assert exp.premises == [] and exp.rule is None


def test_unknown_subject_is_a_clear_error(fixture_kg) -> None:
    with pytest.raises(ExplainError, match="neither an IRI"):
        fixture_kg.explain("no such thing", "kg:supportsAccessMode", "RWX")
    with pytest.raises(ExplainError, match="unknownprefix"):
        fixture_kg.explain("kr:azureFile", "unknownprefix:x y", "RWX")


def test_real_rwx_answers_explain_down_to_the_vendor_row(real_kg) -> None:
    rows = real_kg.select("SELECT ?p WHERE { ?p kg:supportsAccessMode kr:ReadWriteMany }")
    assert rows, "no plugin supports RWX in the real graph"
    for row in rows:
        exp = real_kg.explain(row["p"], "kg:supportsAccessMode", "kr:ReadWriteMany")
        assert exp.status == "inferred" and exp.rule.startswith("dom-"), exp.render()
        assert real_kg.explain(row["p"], "kg:supportsAccessMode", "kr:ReadWriteMany").rule_comment
        leaf_rows = {r.iri: r.text for leaf in exp.asserted_leaves() for r in leaf.rows}
        vendor_rows = [
            iri
            for iri, text in leaf_rows.items()
            if text
            and text.count("|") == 6
            and real_kg.ask("ASK { ?r kg:represents ?p }", {"r": iri, "p": row["p"]})
        ]
        assert vendor_rows, f"{row['p']}: no vendor-table row representing the plugin among {leaf_rows}"
        assert all(leaf.sections or leaf.graphs for leaf in exp.asserted_leaves())
