"""The fixed-point reasoner: termination, the round bound, acyclic first derivations, asserted/inferred split."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from kubekg import ns
from kubekg.graph import MAX_ROUNDS, ReasoningError
from kubekg.graph.load import load_into
from kubekg.graph.reason import INFERRED, materialize
from kubekg.graph.rules import load_rules

RWX = "SELECT ?p WHERE { ?p kg:supportsAccessMode kr:ReadWriteMany }"


def test_fixed_point_is_reached_and_stable(fixture_ontology: Path, fixture_queries: Path) -> None:
    store = ox.Store()
    load_into(store, fixture_ontology)
    rules = load_rules(fixture_queries)
    first = materialize(store, rules)
    assert 1 < first.rounds < MAX_ROUNDS
    assert first.derivations
    again = materialize(store, rules)
    assert again.rounds == 1 and not again.derivations, "a second run over the closure adds nothing"


def test_domain_rule_runs_with_owl_rules(fixture_kg) -> None:
    plugins = {r["p"].value for r in fixture_kg.select(RWX)}
    assert plugins == {ns.KR + "azureFile"}, "only the cell marked Supported yields the fact"
    assert fixture_kg.select(RWX, asserted_only=True) == []


def test_round_bound_stops_a_runaway_rule(
    fixture_ontology: Path, fixture_queries: Path, tmp_path: Path
) -> None:
    queries = tmp_path / "queries"
    shutil.copytree(fixture_queries, queries)
    (queries / "rules" / "dom-runaway.rq").write_text(
        "# id: dom-runaway\n# if x is a link, then the IRI x+'n' is a link (never ends)\n"
        "CONSTRUCT { ?y a kg:Link } WHERE { ?x a kg:Link . BIND (IRI(CONCAT(STR(?x), 'n')) AS ?y) }\n",
        encoding="utf-8",
    )
    (fixture_ontology / "facts" / "links.ttl").write_text(
        "<https://kubekg.dev/id/l> a <https://kubekg.dev/ontology#Link> .\n", encoding="utf-8"
    )
    store = ox.Store()
    load_into(store, fixture_ontology)
    with pytest.raises(ReasoningError, match="MAX_ROUNDS=5"):
        materialize(store, load_rules(queries), max_rounds=5)


@pytest.fixture(params=["fixture_kg", "real_kg"])
def any_kg(request: pytest.FixtureRequest):
    return request.getfixturevalue(request.param)


def test_asserted_triples_are_never_inferred(any_kg) -> None:
    fixture_kg = any_kg
    inferred = {q.triple for q in fixture_kg.store.quads_for_pattern(None, None, None, INFERRED)}
    assert inferred
    asserted = {q.triple for q in fixture_kg.store if q.graph_name != INFERRED}
    assert not inferred & asserted
    assert len(fixture_kg.derivations) == len(inferred), (
        "every inferred triple has exactly one derivation record"
    )


def test_derivations_are_acyclic_and_ground_in_asserted_facts(any_kg) -> None:
    fixture_kg = any_kg
    records = fixture_kg.derivations
    asserted = {f"{q.subject} {q.predicate} {q.object}" for q in fixture_kg.store if q.graph_name != INFERRED}
    state: dict[str, str] = {}

    def visit(key: str) -> None:
        if key in asserted or state.get(key) == "done":
            return
        assert state.get(key) != "open", f"derivation cycle through {key}"
        assert key in records, f"premise {key} is neither asserted nor derived"
        state[key] = "open"
        for premise in records[key]["premises"]:
            pkey = " ".join(premise)
            assert records.get(pkey, {"round": 0})["round"] <= records[key]["round"]
            visit(pkey)
        state[key] = "done"

    for key in records:
        visit(key)
    assert all(r["premises"] for r in records.values()), "every derivation names its premises"


def test_asserted_only_hides_the_inferred_graph(fixture_kg) -> None:
    q = "ASK { kr:azureFile a kg:KubernetesConcept }"
    assert fixture_kg.ask(q)
    assert not fixture_kg.ask(q, asserted_only=True)
