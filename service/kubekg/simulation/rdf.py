"""Simulation runs as RDF: one named graph per run (``ns.RUN_GRAPH_PREFIX + run-id``) in the ontology's terms.

A run is a ``kg:SimulationRun`` with ordered ``kg:SimulationStep`` s; every simulated object (a PV, a claim, the
HPA target) is a node with ``kg:objectKind`` (kr:PersistentVolume ...), ``kg:objectName`` and its final
``kg:phase`` (kr:phase-Released ...); each step records the state it observed. ``queries/simulation/
released-volumes.rq`` then asks which volumes ended in a phase, across runs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from kubekg import ns
from kubekg.errors import RunLimitReached

KG, KR = ns.KG, ns.KR
XSD = ns.PREFIXES["xsd"]
RDF_TYPE = ox.NamedNode(ns.PREFIXES["rdf"] + "type")
PV_PHASES = ("Pending", "Available", "Bound", "Released", "Failed")


def _kg(local: str) -> ox.NamedNode:
    return ox.NamedNode(KG + local)


def _lit(value: Any) -> ox.Literal:
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode(XSD + "boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))
    return ox.Literal(str(value))


def run_id(kind: str, result: Mapping[str, Any]) -> str:
    """A stable id for a run: the kind plus a hash of its result."""
    digest = hashlib.sha256(json.dumps(result, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return f"{kind}-{digest}"


def run_graph(rid: str) -> ox.NamedNode:
    """The named graph of a run."""
    return ox.NamedNode(ns.RUN_GRAPH_PREFIX + rid)


def _phase_term(phase: str) -> ox.NamedNode | None:
    return ox.NamedNode(f"{KR}phase-{phase}") if phase in PV_PHASES else None


def pv_scenario_quads(rid: str, result: Mapping[str, Any]) -> list[ox.Quad]:
    """Quads of a PV scenario run: steps, each object's phase after each step and its final phase."""
    g = run_graph(rid)
    run = ox.NamedNode(f"{KR}run/{rid}")
    quads = [
        ox.Quad(run, RDF_TYPE, _kg("SimulationRun"), g),
        ox.Quad(run, _kg("runId"), _lit(rid), g),
        ox.Quad(run, _kg("simulates"), ox.NamedNode(KR + "PersistentVolume"), g),
        ox.Quad(run, _kg("simulates"), ox.NamedNode(KR + "PersistentVolumeClaim"), g),
    ]
    objects: dict[tuple[str, str], ox.NamedNode] = {}

    def obj(kind: str, name: str) -> ox.NamedNode:
        key = (kind, name)
        if key not in objects:
            node = ox.NamedNode(f"{KR}run/{rid}/{kind}/{name.replace('/', '.')}")
            objects[key] = node
            quads.extend(
                [
                    ox.Quad(run, _kg("simulatedObject"), node, g),
                    ox.Quad(node, _kg("objectKind"), ox.NamedNode(KR + kind), g),
                    ox.Quad(node, _kg("objectName"), _lit(name), g),
                ]
            )
        return objects[key]

    for step in result.get("steps", []):
        snode = ox.NamedNode(f"{KR}run/{rid}/step/{step['index']}")
        quads += [
            ox.Quad(run, _kg("hasStep"), snode, g),
            ox.Quad(snode, RDF_TYPE, _kg("SimulationStep"), g),
            ox.Quad(snode, _kg("order"), _lit(int(step["index"])), g),
            ox.Quad(snode, _kg("action"), _lit(step.get("action", "")), g),
            ox.Quad(snode, _kg("description"), _lit(step.get("description", "")), g),
        ]
        if step.get("time"):
            quads.append(
                ox.Quad(
                    snode, _kg("atTime"), ox.Literal(step["time"], datatype=ox.NamedNode(XSD + "dateTime")), g
                )
            )
        for kind, table in (
            ("PersistentVolume", step.get("volumes", {})),
            ("PersistentVolumeClaim", step.get("claims", {})),
        ):
            for name, state in table.items():
                state_node = ox.NamedNode(
                    f"{KR}run/{rid}/step/{step['index']}/{kind}/{name.replace('/', '.')}"
                )
                quads += [
                    ox.Quad(snode, _kg("observed"), state_node, g),
                    ox.Quad(state_node, _kg("ofObject"), obj(kind, name), g),
                    ox.Quad(state_node, _kg("statusPhase"), _lit(state.get("phase", "")), g),
                ]
                term = _phase_term(state.get("phase", "")) if kind == "PersistentVolume" else None
                if term is not None:
                    quads.append(ox.Quad(state_node, _kg("phase"), term, g))
    final = result.get("final", {})
    for kind, table in (
        ("PersistentVolume", final.get("volumes", {})),
        ("PersistentVolumeClaim", final.get("claims", {})),
    ):
        for name, state in table.items():
            node = obj(kind, name)
            quads.append(ox.Quad(node, _kg("statusPhase"), _lit(state.get("phase", "")), g))
            term = _phase_term(state.get("phase", "")) if kind == "PersistentVolume" else None
            if term is not None:
                quads.append(ox.Quad(node, _kg("phase"), term, g))
    for (kind, name), node in objects.items():
        table = final.get("volumes" if kind == "PersistentVolume" else "claims", {})
        if name not in table:
            quads += [
                ox.Quad(node, _kg("statusPhase"), _lit("Deleted"), g),
                ox.Quad(node, _kg("deleted"), _lit(True), g),
            ]
    return quads


def hpa_timeline_quads(rid: str, result: Mapping[str, Any], target_kind: str = "Deployment") -> list[ox.Quad]:
    """Quads of an HPA timeline run: one step per sync with replicas, utilization, proposal and reason."""
    g = run_graph(rid)
    run = ox.NamedNode(f"{KR}run/{rid}")
    quads = [
        ox.Quad(run, RDF_TYPE, _kg("SimulationRun"), g),
        ox.Quad(run, _kg("runId"), _lit(rid), g),
        ox.Quad(run, _kg("simulates"), ox.NamedNode(KR + "HorizontalPodAutoscaler"), g),
    ]
    target = ox.NamedNode(f"{KR}run/{rid}/{target_kind}")
    quads += [
        ox.Quad(run, _kg("simulatedObject"), target, g),
        ox.Quad(target, _kg("objectKind"), ox.NamedNode(KR + target_kind), g),
    ]
    for i, row in enumerate(result.get("rows", [])):
        snode = ox.NamedNode(f"{KR}run/{rid}/step/{i}")
        quads += [
            ox.Quad(run, _kg("hasStep"), snode, g),
            ox.Quad(snode, RDF_TYPE, _kg("SimulationStep"), g),
            ox.Quad(snode, _kg("order"), _lit(i), g),
            ox.Quad(
                snode, _kg("atTime"), ox.Literal(row["time"], datatype=ox.NamedNode(XSD + "dateTime")), g
            ),
            ox.Quad(snode, _kg("replicas"), _lit(int(row["replicas"])), g),
            ox.Quad(snode, _kg("desiredReplicas"), _lit(int(row["desiredReplicas"])), g),
            ox.Quad(snode, _kg("conditionReason"), _lit(row["reason"]), g),
        ]
        if row.get("utilization") is not None:
            quads.append(ox.Quad(snode, _kg("utilizationPercent"), _lit(int(row["utilization"])), g))
        if row.get("recommendation") is not None:
            quads.append(ox.Quad(snode, _kg("recommendation"), _lit(int(row["recommendation"])), g))
    return quads


def add_run(store: ox.Store, quads: list[ox.Quad]) -> list[str]:
    """Replace the named graphs of these quads in the store; returns their IRIs."""
    graphs = sorted({q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)})
    for iri in graphs:
        node = ox.NamedNode(iri)
        if store.contains_named_graph(node):
            store.remove_graph(node)
    store.extend(quads)
    return graphs


@dataclass
class RunChange:
    """What recording one run changes in a store: its graph, the quads removed and added, whether it is new."""

    graph: ox.NamedNode
    deleted: list[ox.Quad] = field(default_factory=list)
    inserted: list[ox.Quad] = field(default_factory=list)
    new: bool = False


def run_graphs(store: ox.Store) -> list[ox.NamedNode]:
    """The non-empty run graphs (``ns.RUN_GRAPH_PREFIX``) of a store."""
    out = []
    for g in store.named_graphs():
        if (
            isinstance(g, ox.NamedNode)
            and g.value.startswith(ns.RUN_GRAPH_PREFIX)
            and next(iter(store.quads_for_pattern(None, None, None, g)), None) is not None
        ):
            out.append(g)
    return out


def plan_run(store: ox.Store, quads: list[ox.Quad], max_runs: int) -> RunChange:
    """The change that makes the store hold exactly these run quads; RunLimitReached when a new run is one too many.

    A run already recorded (the same id, so the same result) costs nothing and is always allowed.
    """
    graphs = {q.graph_name for q in quads}
    if len(graphs) != 1 or not isinstance(next(iter(graphs)), ox.NamedNode):
        raise ValueError("a run's quads must all be in one named run graph")
    graph = next(iter(graphs))
    old = set(store.quads_for_pattern(None, None, None, graph))
    new = set(quads)
    if not old:
        kept = len(run_graphs(store))
        if kept >= max_runs:
            raise RunLimitReached(
                f"the store already keeps {kept} recorded simulation runs, the limit set by MAX_RECORDED_RUNS "
                f"({max_runs}); the run was computed but not recorded (send it without recordRun, or ask the "
                "operator to raise KUBEKG_MAX_RECORDED_RUNS)",
                details={"limit": max_runs, "runs": kept},
            )
    return RunChange(graph, sorted(old - new, key=str), sorted(new - old, key=str), new=not old)


RUN_ID = re.compile(r"^(?:pv|hpa)-[0-9a-f]{16}$")


def recorded_runs(store: ox.Store) -> list[dict[str, Any]]:
    """The run graphs a store keeps: id, graph IRI and triple count, ordered by id."""
    return [
        {
            "id": g.value.removeprefix(ns.RUN_GRAPH_PREFIX),
            "graph": g.value,
            "triples": sum(1 for _ in store.quads_for_pattern(None, None, None, g)),
        }
        for g in sorted(run_graphs(store), key=lambda g: g.value)
    ]


def plan_delete(store: ox.Store, rid: str) -> RunChange | None:
    """The change that removes one recorded run's graph, or None when no such run is kept."""
    if not RUN_ID.match(rid):
        return None
    graph = run_graph(rid)
    old = sorted(store.quads_for_pattern(None, None, None, graph), key=str)
    if not old:
        return None
    return RunChange(graph, deleted=old)


def apply_run(store: ox.Store, change: RunChange) -> None:
    """Apply a planned run change to the store."""
    for quad in change.deleted:
        store.remove(quad)
    store.extend(change.inserted)


def run_quads(kind: str, result: Mapping[str, Any], target_kind: str = "Deployment") -> list[ox.Quad]:
    """The quads of a PV scenario (``kind`` "pv") or an HPA timeline (``kind`` "hpa") result."""
    if kind == "pv":
        return pv_scenario_quads(run_id("pv", result), result)
    return hpa_timeline_quads(run_id("hpa", result), result, target_kind)


def record_pv_scenario(store: ox.Store, result: Mapping[str, Any]) -> str:
    """Add a PV scenario run to the store; returns its graph IRI."""
    rid = run_id("pv", result)
    add_run(store, pv_scenario_quads(rid, result))
    return run_graph(rid).value


def record_hpa_timeline(store: ox.Store, result: Mapping[str, Any], target_kind: str = "Deployment") -> str:
    """Add an HPA timeline run to the store; returns its graph IRI."""
    rid = run_id("hpa", result)
    add_run(store, hpa_timeline_quads(rid, result, target_kind))
    return run_graph(rid).value


def volumes_in_phase(kg: Any, phase: str = "Released") -> list[dict[str, str]]:
    """Which volumes ended a run in ``phase`` (queries/simulation/released-volumes.rq with ?phase bound)."""
    result = kg.query_file("simulation/released-volumes.rq", bindings={"phase": f"{KR}phase-{phase}"})
    out = []
    for row in result:
        out.append({"run": row["run"].value, "volume": row["volume"].value, "name": row["name"].value})
    return out
