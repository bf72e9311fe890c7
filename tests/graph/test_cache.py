"""The materialization cache: hits, invalidation on any input change, corrupt entries rebuilt."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from kubekg.graph import build_graph


def _quads(kg) -> Counter:
    """The quads with blank node labels blanked (independent builds label them differently)."""
    return Counter(re.sub(r"_:\w+", "_:b", str(q)) for q in kg.store)


def test_cache_hit_gives_the_same_graph(
    fixture_ontology: Path, fixture_queries: Path, tmp_path: Path
) -> None:
    cold = build_graph(fixture_ontology, fixture_queries, tmp_path)
    warm = build_graph(fixture_ontology, fixture_queries, tmp_path)
    assert not cold.stats["cache_hit"] and warm.stats["cache_hit"]
    assert warm.stats["reasoning_seconds"] == 0.0
    assert {str(q) for q in cold.store} == {str(q) for q in warm.store}, "a cache hit keeps blank node labels"
    assert cold.derivations == warm.derivations
    assert warm.rules == cold.rules
    assert warm.stats["load_seconds"] < 1.0


def test_changed_ontology_file_invalidates(
    fixture_ontology: Path, fixture_queries: Path, tmp_path: Path
) -> None:
    build_graph(fixture_ontology, fixture_queries, tmp_path)
    facts = fixture_ontology / "facts" / "volume-kinds.ttl"
    facts.write_text(
        facts.read_text(encoding="utf-8")
        + "\n<https://kubekg.dev/id/cell/azureFile-ROX> kg:plugin kr:azureFile ; kg:support kg:Supported ;"
        " kg:capability kr:ReadWriteMany .\n",
        encoding="utf-8",
    )
    kg = build_graph(fixture_ontology, fixture_queries, tmp_path)
    assert not kg.stats["cache_hit"]
    assert kg.ask("ASK { <https://kubekg.dev/id/cell/azureFile-ROX> a kg:CapabilityCell }")


def test_changed_rule_file_invalidates(fixture_ontology: Path, fixture_queries: Path, tmp_path: Path) -> None:
    import shutil

    queries = tmp_path / "queries"
    shutil.copytree(fixture_queries, queries)
    build_graph(fixture_ontology, queries, tmp_path / "cache")
    (queries / "rules" / "owl-prp-dom.rq").unlink()
    kg = build_graph(fixture_ontology, queries, tmp_path / "cache")
    assert not kg.stats["cache_hit"]
    assert "owl-prp-dom" not in kg.rules


def test_corrupt_cache_is_ignored_and_rebuilt(
    fixture_ontology: Path, fixture_queries: Path, tmp_path: Path
) -> None:
    cold = build_graph(fixture_ontology, fixture_queries, tmp_path)
    entry = tmp_path / "graph" / cold.digest
    (entry / "graph.nq").write_bytes(b"<not n-quads")
    rebuilt = build_graph(fixture_ontology, fixture_queries, tmp_path)
    assert not rebuilt.stats["cache_hit"]
    assert _quads(rebuilt) == _quads(cold)
    (entry / "derivations.json").write_text("{ truncated", encoding="utf-8")
    assert not build_graph(fixture_ontology, fixture_queries, tmp_path).stats["cache_hit"]
    assert build_graph(fixture_ontology, fixture_queries, tmp_path).stats["cache_hit"]


def test_no_temporary_files_are_left(fixture_ontology: Path, fixture_queries: Path, tmp_path: Path) -> None:
    build_graph(fixture_ontology, fixture_queries, tmp_path)
    leftovers = [p for p in tmp_path.rglob(".*") if p.is_file()]
    assert leftovers == []


def test_blank_nodes_in_derivations_survive_the_cache(
    fixture_ontology: Path, fixture_queries: Path, tmp_path: Path
) -> None:
    build_graph(fixture_ontology, fixture_queries, tmp_path)
    warm = build_graph(fixture_ontology, fixture_queries, tmp_path)
    assert warm.stats["cache_hit"]
    premises = [p for d in warm.derivations.values() for p in d["premises"]]
    with_bnodes = [p for p in premises if any(t.startswith("_:") for t in p)]
    assert with_bnodes, "the fixture's restriction should yield a premise with a blank node"
    for p in premises:
        assert warm.graphs_of(*warm.premise_terms(p)), f"premise {p} is not in the cached store"
