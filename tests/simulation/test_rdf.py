"""Simulation runs as named graphs: SPARQL over them asks which volumes ended Released."""

from __future__ import annotations

import pyoxigraph as ox

from kubekg import ns, paths
from kubekg.simulation import examples, rdf
from kubekg.simulation.api import run_hpa_timeline
from kubekg.simulation.facts import DEFAULT_FACTS
from kubekg.simulation.pv import scenario


class StoreGraph:
    """The query_file part of the KnowledgeGraph API over a bare store (prefixes predeclared, bound variables)."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def query_file(self, relative: str, bindings: dict[str, str] | None = None):
        text = (paths.queries_dir() / relative).read_text(encoding="utf-8")
        subs = {ox.Variable(k): ox.NamedNode(v) for k, v in (bindings or {}).items()}
        return self.store.query(
            ns.sparql_prefixes() + text, substitutions=subs, use_default_graph_as_union=True
        )


def test_released_volumes_are_found_by_sparql():
    result = scenario.run(examples.pv_lifecycle_body(), DEFAULT_FACTS)
    store = ox.Store()
    graph = rdf.record_pv_scenario(store, result)
    assert graph.startswith(ns.RUN_GRAPH_PREFIX)
    kg = StoreGraph(store)
    released = rdf.volumes_in_phase(kg, "Released")
    assert [r["name"] for r in released] == ["pv-retain"]
    assert [r["name"] for r in rdf.volumes_in_phase(kg, "Available")] == ["pv-recycle"]
    deleted = list(
        store.query(
            ns.sparql_prefixes()
            + "SELECT ?name WHERE { GRAPH ?g { ?o kg:deleted true ; kg:objectName ?name ; kg:objectKind kr:PersistentVolume } }"
        )
    )
    assert [row["name"].value for row in deleted] == ["pv-delete"]


def test_recording_twice_replaces_the_run_graph():
    result = scenario.run(examples.pv_lifecycle_body(), DEFAULT_FACTS)
    store = ox.Store()
    first = rdf.record_pv_scenario(store, result)
    size = len(store)
    assert rdf.record_pv_scenario(store, result) == first and len(store) == size


def test_hpa_timeline_run_steps():
    result = run_hpa_timeline(examples.document_timeline_body(), DEFAULT_FACTS)
    store = ox.Store()
    rdf.record_hpa_timeline(store, result)
    rows = list(
        store.query(
            ns.sparql_prefixes()
            + "SELECT ?order ?desired ?reason WHERE { GRAPH ?g { ?run a kg:SimulationRun ; kg:hasStep ?s . "
            "?s kg:order ?order ; kg:desiredReplicas ?desired ; kg:conditionReason ?reason } } ORDER BY ?order LIMIT 2"
        )
    )
    assert [(int(r["desired"].value), r["reason"].value) for r in rows] == [
        (4, "ScaleUpLimit"),
        (6, "DesiredWithinRange"),
    ]
