"""One test per rule file in queries/rules/: its case file's expected triples are inferred, some by that rule."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kubekg import ns, paths
from kubekg.graph.reason import INFERRED, materialize
from kubekg.graph.rules import header, load_rules, rule_files

CASES = Path(__file__).parent / "rule_cases"
RULE_FILES = rule_files(paths.queries_dir())
CASE_GRAPH = ox.NamedNode(ns.SECTION + "rule-case")


@pytest.fixture(scope="module")
def all_rules(session_cache: Path):
    return load_rules(paths.queries_dir(), session_cache)


def test_there_are_rules() -> None:
    assert any(p.stem.startswith("owl-") for p in RULE_FILES)


@pytest.mark.parametrize("path", RULE_FILES, ids=[p.stem for p in RULE_FILES])
def test_rule_header(path: Path) -> None:
    declared, comment = header(path.read_text(encoding="utf-8"))
    assert declared == path.stem, f"{path.name}: the '# id:' line must equal the file name, got {declared!r}"
    assert comment.lower().startswith("if ") and " then " in comment, (
        f"{path.name}: needs a '# if ... then ...' line"
    )


@pytest.mark.parametrize("path", RULE_FILES, ids=[p.stem for p in RULE_FILES])
def test_rule(path: Path, all_rules: list) -> None:
    rule_id = path.stem
    case, expected = CASES / f"{rule_id}.ttl", CASES / f"{rule_id}.expected.ttl"
    if not case.is_file() or not expected.is_file():
        pytest.fail(
            f"rule {rule_id} has no test case: write {case.relative_to(CASES.parent.parent.parent)} and "
            f"{expected.name} beside it"
        )
    store = ox.Store()
    store.load(path=case, format=ox.RdfFormat.TURTLE, to_graph=CASE_GRAPH)
    result = materialize(store, all_rules)
    wanted = [q.triple for q in ox.parse(path=expected, format=ox.RdfFormat.TURTLE)]
    assert wanted, f"{expected.name} lists no triple"
    missing = [
        t for t in wanted if not list(store.quads_for_pattern(t.subject, t.predicate, t.object, INFERRED))
    ]
    assert not missing, f"{rule_id}: not inferred: {missing}"
    by_rule = [
        t for t in wanted if result.derivations[f"{t.subject} {t.predicate} {t.object}"].rule == rule_id
    ]
    assert by_rule, (
        f"{rule_id}: every expected triple was first derived by another rule: "
        f"{[result.derivations[f'{t.subject} {t.predicate} {t.object}'].rule for t in wanted]}"
    )
