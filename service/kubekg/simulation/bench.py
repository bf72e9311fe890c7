"""Benchmarks (run by hand or ``kubekg simulate bench``, not timed tests): a 24-hour HPA timeline, 10 000 bindings.

Targets on the project machine (2 cores): the 24 h timeline at 15 s syncs with 50 pods under 0.5 s, binding
10 000 claims against 10 000 volumes under 2 s with the access-mode index (no quadratic scan).
"""

from __future__ import annotations

import random
import time
from typing import Any

from kubekg.simulation.hpa.reconcile import ControllerConfig
from kubekg.simulation.hpa.timeline import TimelineSpec, parse_load, run_timeline
from kubekg.simulation.objects import Container, parse_hpa, parse_pv, parse_pvc
from kubekg.simulation.pv.binder import VolumeIndex
from kubekg.simulation.quantity import parse_quantity
from kubekg.simulation.timeutil import NS, parse_time

HPA_TARGET_SECONDS = 0.5
BIND_TARGET_SECONDS = 2.0


def bench_hpa_timeline(hours: int = 24, pods: int = 50) -> dict[str, Any]:
    """A day of 15 s syncs for ~50 pods (request 200m, target 50 %) under a daily load curve with a spike."""
    hpa = parse_hpa(
        {
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web"},
            "spec": {
                "scaleTargetRef": {"kind": "Deployment", "name": "web"},
                "minReplicas": 10,
                "maxReplicas": 80,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 50},
                        },
                    }
                ],
            },
        }
    )
    per_pod = 100  # milli-cores at target
    base = pods * per_pod
    load = parse_load(
        [
            {"type": "step", "at": "0s", "value": f"{base}m"},
            {"type": "ramp", "from": "6h", "to": "9h", "start": f"{base}m", "end": f"{int(base * 1.3)}m"},
            {
                "type": "ramp",
                "from": "12h",
                "to": "15h",
                "start": f"{int(base * 1.3)}m",
                "end": f"{int(base * 0.8)}m",
            },
            {"type": "spike", "at": "18h", "duration": "10m", "value": f"{base // 2}m"},
            {"type": "step", "at": "20h", "value": f"{base}m"},
        ]
    )
    spec = TimelineSpec(
        hpa=hpa,
        containers=(Container("web", {"cpu": parse_quantity("200m")}),),
        initial_replicas=pods,
        start=parse_time("2024-01-01T00:00:00Z"),
        duration=hours * 3600 * NS,
        sync_period=15 * NS,
        startup_delay=30 * NS,
        metric_window=30 * NS,
        load=tuple(load),
        config=ControllerConfig(),
    )
    started, cpu_started = time.perf_counter(), time.process_time()
    result = run_timeline(spec)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    rows = result["rows"]
    return {
        "name": "hpa_timeline",
        "syncs": len(rows),
        "seconds": round(elapsed, 4),
        "cpuSeconds": round(cpu, 4),
        "perSyncMicroseconds": round(elapsed / len(rows) * 1e6, 1),
        "replicas": {"min": result["summary"]["minReplicas"], "max": result["summary"]["maxReplicas"]},
        "rescales": result["summary"]["rescales"],
        "targetSeconds": HPA_TARGET_SECONDS,
        "withinTarget": min(elapsed, cpu) < HPA_TARGET_SECONDS,
    }


def _volume_doc(i: int, rng: random.Random) -> dict:
    modes = rng.choice(
        [
            ["ReadWriteOnce"],
            ["ReadWriteOnce", "ReadOnlyMany"],
            ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany"],
        ]
    )
    return {
        "kind": "PersistentVolume",
        "metadata": {"name": f"pv-{i:05d}", "labels": {"zone": rng.choice(["a", "b", "c"])}},
        "spec": {
            "capacity": {"storage": f"{rng.randint(1, 200)}Gi"},
            "accessModes": modes,
            "storageClassName": rng.choice(["", "gold", "silver"]),
            "nfs": {"server": "nfs", "path": f"/{i}"},
        },
        "status": {"phase": "Available"},
    }


def _claim_doc(i: int, rng: random.Random) -> dict:
    spec: dict[str, Any] = {
        "accessModes": rng.choice(
            [["ReadWriteOnce"], ["ReadOnlyMany"], ["ReadWriteMany"], ["ReadWriteOnce", "ReadOnlyMany"]]
        ),
        "resources": {"requests": {"storage": f"{rng.randint(1, 150)}Gi"}},
        "storageClassName": rng.choice(["", "gold", "silver"]),
    }
    if rng.random() < 0.2:
        spec["selector"] = {"matchLabels": {"zone": rng.choice(["a", "b"])}}
    return {
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": f"claim-{i:05d}", "namespace": "default"},
        "spec": spec,
    }


def bench_pv_binding(claims: int = 10_000, volumes: int = 10_000, seed: int = 1) -> dict[str, Any]:
    """Bind claims one after another as the PV controller does; a bound volume leaves the candidate buckets."""
    rng = random.Random(seed)
    volume_docs = [_volume_doc(i, rng) for i in range(volumes)]
    claim_docs = [_claim_doc(i, rng) for i in range(claims)]
    started, cpu_started = time.perf_counter(), time.process_time()
    views = [parse_pv(d) for d in volume_docs]
    claim_views = [parse_pvc(d) for d in claim_docs]
    parsed = time.perf_counter()
    index = VolumeIndex(views)
    indexed = time.perf_counter()
    bound = 0
    for claim in claim_views:
        match = index.find_best_match(claim, False)
        if match.volume is not None:
            index.remove(match.volume.name)
            bound += 1
    done, cpu_done = time.perf_counter(), time.process_time()
    bind_seconds = done - parsed
    return {
        "name": "pv_binding",
        "claims": claims,
        "volumes": volumes,
        "bound": bound,
        "parseSeconds": round(parsed - started, 4),
        "indexSeconds": round(indexed - parsed, 4),
        "bindSeconds": round(done - indexed, 4),
        "seconds": round(bind_seconds, 4),
        "totalSeconds": round(done - started, 4),
        "totalCpuSeconds": round(cpu_done - cpu_started, 4),
        "targetSeconds": BIND_TARGET_SECONDS,
        "withinTarget": bind_seconds < BIND_TARGET_SECONDS,
    }


def run_all() -> list[dict[str, Any]]:
    """Both benchmarks."""
    return [bench_hpa_timeline(), bench_pv_binding()]


if __name__ == "__main__":  # pragma: no cover
    for result in run_all():
        print(result)
