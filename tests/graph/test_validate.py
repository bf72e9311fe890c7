"""Validity: HermiT consistency through owlready2, SHACL with pyshacl, and the document's table coverage."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubekg.graph import build_graph
from kubekg.graph.document import parse_markdown, seed_path
from kubekg.graph.validate import coverage, hermit, shacl


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
    assert shacl(real_kg).cached


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
