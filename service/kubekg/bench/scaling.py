"""Query cost against graph size: the catalogue on the real graph, then grown with synthetic cluster state.

Each size is a fresh in-memory store: ``kubekg export`` plus :mod:`kubekg.bench.synthetic` quads up to the size,
bulk-loaded; the catalogue queries run there exactly as ``kg.query`` runs them (predeclared prefixes, union
default graph, bindings as substitutions). The figure of merit is the median at the largest size over the
median on the real graph alone (issue 7: under 10x at a million triples).
"""

from __future__ import annotations

import time
from typing import Any

from kubekg.bench import inprocess, synthetic
from kubekg.bench.workload import CatalogueQuery

SIZES = (10_000, 100_000, 1_000_000)
SHORT_SIZES = (10_000, 100_000)
TARGET_RATIO = 10.0


def run(base: bytes, queries: list[CatalogueQuery], sizes: tuple[int, ...], repeats: int) -> dict[str, Any]:
    """Per size: triples, generation and load seconds, the catalogue's median/p99 and the ratio to the smallest."""
    rows = []
    for size in sizes:
        started = time.perf_counter()
        generated = synthetic.generate(max(0, size - _count(base)))
        generated_at = time.perf_counter()
        store = _store(base, generated.data)
        loaded_at = time.perf_counter()
        timing = inprocess.time_store_catalogue(store, queries, repeats)
        rows.append(
            {
                "size": size,
                "triples": len(store),
                "synthetic": generated.quads,
                "pods": generated.pods,
                "generateSeconds": round(generated_at - started, 3),
                "loadSeconds": round(loaded_at - generated_at, 3),
                "medianMs": timing["overall"]["medianMs"],
                "p99Ms": timing["overall"]["p99Ms"],
                "perQueryMedianMs": {name: v["medianMs"] for name, v in timing["items"].items()},
            }
        )
        del store
    small = rows[0]["medianMs"] if rows else 0.0
    for row in rows:
        row["ratioToSmallest"] = round(row["medianMs"] / small, 2) if small else None
    largest = rows[-1] if rows else None
    return {
        "sizes": rows,
        "largestRatio": largest["ratioToSmallest"] if largest else None,
        "largestTriples": largest["triples"] if largest else 0,
        "targetRatio": TARGET_RATIO,
    }


def _count(base: bytes) -> int:
    return sum(1 for line in base.splitlines() if line.strip() and not line.startswith(b"#"))


def _store(base: bytes, extra: bytes) -> Any:
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(base, format=ox.RdfFormat.N_QUADS)
    if extra:
        store.bulk_load(extra, format=ox.RdfFormat.N_QUADS)
    return store
