"""Synthetic cluster state in the ontology's terms, to grow the graph from thousands to a million triples.

A cluster is nodes (``a kg:WorkerNode``), workloads (StatefulSets and Deployments), their pods scheduled on the
nodes, one claim per pod bound to its PersistentVolume on a volume plugin of the document (``kr:nfs``,
``kr:awsElasticBlockStore``, ...) with an access mode and reclaim policy of the document, and Services (ClusterIP
or NodePort in 30000-32767) selecting the workloads. Instances follow the simulation's run-graph convention
(``kg:objectKind`` kr:Pod | kr:PersistentVolume | ..., ``kg:objectName``, ``kg:phase`` kr:phase-Bound): the
ontology models kinds as individuals (kr:Pod is a kg:ApiObjectKind), so cluster objects point at them rather
than being typed by them. Everything lands in the named graph ``ns.GRAPH + "synthetic"``.

The point is realistic bulk next to the document's facts: the catalogue queries ask about the document's
entities, so with correct indexes their cost should barely grow with this data. Generation writes N-Quads text
directly (about 22 triples per pod, deterministic for a seed) and ``Store.bulk_load`` reads it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from kubekg import ns

GRAPH = ns.GRAPH + "synthetic"
PLUGINS = (
    "nfs",
    "awsElasticBlockStore",
    "gcePersistentDisk",
    "azureDisk",
    "cephfs",
    "rbd",
    "csi",
    "glusterfs",
)
ACCESS_MODES = ("ReadWriteOnce", "ReadWriteOnce", "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany")
RECLAIM = ("Retain", "Delete", "Delete")
PODS_PER_WORKLOAD = 10
PODS_PER_NODE = 20
TRIPLES_PER_POD = (
    21.93  # measured average of this generator (pod, claim, volume, shares of node/workload/service)
)

_XSD_INT = "<http://www.w3.org/2001/XMLSchema#integer>"
_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


@dataclass(frozen=True)
class Synthetic:
    """What was generated: the N-Quads bytes and how many quads and pods they hold."""

    data: bytes
    quads: int
    pods: int


def pods_for(triples: int) -> int:
    """How many pods give about ``triples`` synthetic triples."""
    return max(0, round(triples / TRIPLES_PER_POD))


def _lines(pods: int, seed: int, cluster: str) -> Iterator[str]:
    rng = random.Random(seed)
    g = f"<{GRAPH}>"
    kg, kr = ns.KG, ns.KR
    base = f"{kr}synthetic/{cluster}/"

    def p(local: str) -> str:
        return f"<{kg}{local}>"

    def k(local: str) -> str:
        return f"<{kr}{local}>"

    def lit(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def num(value: int) -> str:
        return f'"{value}"^^{_XSD_INT}'

    kind, name, phase = p("objectKind"), p("objectName"), p("phase")
    cluster_iri = f"<{base}cluster>"
    yield f"{cluster_iri} {_RDF_TYPE} {p('Cluster')} {g} .\n"
    yield f"{cluster_iri} {name} {lit(cluster)} {g} .\n"
    nodes = max(1, -(-pods // PODS_PER_NODE))
    for n in range(nodes):
        node = f"<{base}node/node-{n:05d}>"
        yield f"{cluster_iri} {p('hasNode')} {node} {g} .\n"
        yield f"{node} {_RDF_TYPE} {p('WorkerNode')} {g} .\n"
        yield f"{node} {kind} {k('Node')} {g} .\n"
        yield f"{node} {name} {lit(f'node-{n:05d}')} {g} .\n"
    workloads = max(1, -(-pods // PODS_PER_WORKLOAD))
    for w in range(workloads):
        stateful = rng.random() < 0.5
        wl = f"<{base}workload/app-{w:05d}>"
        yield f"{wl} {kind} {k('StatefulSet' if stateful else 'Deployment')} {g} .\n"
        yield f"{wl} {name} {lit(f'app-{w:05d}')} {g} .\n"
        yield f"{wl} {p('replicas')} {num(PODS_PER_WORKLOAD)} {g} .\n"
        svc = f"<{base}service/app-{w:05d}>"
        node_port = rng.random() < 0.3
        yield f"{svc} {kind} {k('Service')} {g} .\n"
        yield f"{svc} {name} {lit(f'app-{w:05d}')} {g} .\n"
        yield f"{svc} {p('serviceType')} {k('NodePort' if node_port else 'ClusterIP')} {g} .\n"
        yield f"{svc} {p('selects')} {wl} {g} .\n"
        if node_port:
            yield f"{svc} {p('nodePort')} {num(30000 + w % 2768)} {g} .\n"
    for i in range(pods):
        w = i // PODS_PER_WORKLOAD
        pod = f"<{base}pod/app-{w:05d}-{i % PODS_PER_WORKLOAD}>"
        pvc = f"<{base}claim/data-app-{w:05d}-{i % PODS_PER_WORKLOAD}>"
        pv = f"<{base}volume/pv-{i:06d}>"
        node = f"<{base}node/node-{rng.randrange(nodes):05d}>"
        mode = rng.choice(ACCESS_MODES)
        plugin = rng.choice(PLUGINS)
        size = rng.choice((1, 5, 10, 20, 50, 100)) << 30
        yield f"{pod} {kind} {k('Pod')} {g} .\n"
        yield f"{pod} {name} {lit(f'app-{w:05d}-{i % PODS_PER_WORKLOAD}')} {g} .\n"
        yield f"{pod} {p('ownedBy')} <{base}workload/app-{w:05d}> {g} .\n"
        yield f"{pod} {p('scheduledOn')} {node} {g} .\n"
        yield f"{pod} {p('mountsClaim')} {pvc} {g} .\n"
        yield f"{pod} {p('statusPhase')} {lit('Running')} {g} .\n"
        yield f"{pod} {p('requestMillicores')} {num(rng.choice((100, 200, 250, 500)))} {g} .\n"
        yield f"{pvc} {kind} {k('PersistentVolumeClaim')} {g} .\n"
        yield f"{pvc} {name} {lit(f'data-app-{w:05d}-{i % PODS_PER_WORKLOAD}')} {g} .\n"
        yield f"{pvc} {p('accessMode')} {k(mode)} {g} .\n"
        yield f"{pvc} {p('storageRequestBytes')} {num(size)} {g} .\n"
        yield f"{pvc} {p('boundTo')} {pv} {g} .\n"
        yield f"{pvc} {phase} {k('phase-Bound')} {g} .\n"
        yield f"{pv} {kind} {k('PersistentVolume')} {g} .\n"
        yield f"{pv} {name} {lit(f'pv-{i:06d}')} {g} .\n"
        yield f"{pv} {p('volumePlugin')} {k(plugin)} {g} .\n"
        yield f"{pv} {p('accessMode')} {k(mode)} {g} .\n"
        yield f"{pv} {p('capacityBytes')} {num(size)} {g} .\n"
        yield f"{pv} {p('reclaimPolicy')} {k(rng.choice(RECLAIM))} {g} .\n"
        yield f"{pv} {p('claimRef')} {pvc} {g} .\n"
        yield f"{pv} {phase} {k('phase-Bound')} {g} .\n"


def generate(triples: int, seed: int = 7, cluster: str = "bench") -> Synthetic:
    """About ``triples`` quads of synthetic cluster state as N-Quads (deterministic for a seed)."""
    pods = pods_for(triples)
    if pods == 0:
        return Synthetic(b"", 0, 0)
    lines = list(_lines(pods, seed, cluster))
    return Synthetic("".join(lines).encode("utf-8"), len(lines), pods)
