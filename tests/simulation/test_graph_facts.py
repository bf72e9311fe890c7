"""GraphFacts against the knowledge graph: the facts the simulators rely on, each with its section."""

from __future__ import annotations

import pytest

from kubekg import ns
from kubekg.simulation.api import run_hpa_reconcile, run_pv_bind
from kubekg.simulation.errors import NotScalable, UnsupportedAccessMode
from kubekg.simulation.facts import GraphFacts, facts_for


@pytest.fixture(scope="module")
def facts() -> GraphFacts:
    try:
        from kubekg.graph import load_graph

        kg = load_graph()
    except Exception as exc:  # pragma: no cover - the graph helpers' own tests cover loading
        pytest.skip(f"the knowledge graph does not load here: {exc}")
    return facts_for(kg)


def test_sync_period(facts):
    seconds, fact = facts.hpa_sync_period_seconds()
    assert seconds == 15
    assert fact.section == ns.SECTION + "hpa-operation" and "HPA" in fact.heading


def test_scale_targets(facts):
    assert set(facts.hpa_scalable_kinds()) >= {
        "Deployment",
        "ReplicaSet",
        "ReplicationController",
        "StatefulSet",
    }
    negative = facts.hpa_unscalable_kinds()["DaemonSet"]
    assert negative.negative and negative.section == ns.SECTION + "autoscaler"
    assert negative.to_dict()["statement"] == "NOT kr:HorizontalPodAutoscaler kg:canScale kr:DaemonSet"


@pytest.mark.parametrize(
    ("plugin", "mode", "level"),
    [
        ("awsElasticBlockStore", "ReadWriteOnce", "supported"),
        ("awsElasticBlockStore", "ReadWriteMany", "lacks"),
        ("nfs", "ReadWriteMany", "supported"),
        ("csi", "ReadWriteMany", "depends"),
        ("gcePersistentDisk", "ReadOnlyMany", "supported"),
    ],
)
def test_access_modes(facts, plugin, mode, level):
    caps = facts.plugin_capabilities(plugin)
    got, fact = caps.access_modes[mode]
    assert got == level and fact.section == ns.SECTION + "volume-access-modes"


def test_expansion_and_reclaim(facts):
    assert facts.plugin_capabilities("awsElasticBlockStore").expansion is True
    assert facts.plugin_capabilities("vsphereVolume").expansion is False
    assert set(facts.plugin_capabilities("nfs").reclaim) == {"Recycle"}
    assert set(facts.plugin_capabilities("hostPath").reclaim) == {"Recycle"}
    assert set(facts.plugin_capabilities("gcePersistentDisk").reclaim) == {"Delete"}
    assert facts.plugin_capabilities("no-such-plugin") is None


def test_nodeport_range(facts):
    start, end, fact = facts.nodeport_range()
    assert (start, end) == (30000, 32767) and fact.section.startswith(ns.SECTION)
    assert facts.missing == [] and facts.source == "graph"


def test_refusals_cite_graph_sections(facts):
    hpa = {
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "h"},
        "spec": {"scaleTargetRef": {"kind": "DaemonSet", "name": "d"}, "maxReplicas": 3},
    }
    with pytest.raises(NotScalable) as info:
        run_hpa_reconcile(
            {"hpa": hpa, "scale": {"spec": {"replicas": 1}}, "now": "2024-01-01T00:00:00Z"}, facts
        )
    assert info.value.details["fact"]["heading"] == facts.hpa_unscalable_kinds()["DaemonSet"].heading
    pv = {
        "kind": "PersistentVolume",
        "metadata": {"name": "ebs"},
        "spec": {
            "capacity": {"storage": "1Gi"},
            "accessModes": ["ReadWriteMany"],
            "awsElasticBlockStore": {"volumeID": "v"},
        },
    }
    claim = {
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "c"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    with pytest.raises(UnsupportedAccessMode) as info:
        run_pv_bind({"persistentVolumes": [pv], "claim": claim}, facts)
    fact = info.value.details["fact"]
    assert (
        fact["section"] == ns.SECTION + "volume-access-modes" and "awsElasticBlockStore" in fact["evidence"]
    )
