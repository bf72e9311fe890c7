"""In-process timings: each public question through the answerer, each catalogue query through ``kg.query``,
load and reasoning time in fresh processes, and the simulation benchmarks.

Every figure is a median and a 99th percentile over repeated calls (nearest rank), in milliseconds, measured with
``time.perf_counter`` around the whole call including pulling every result row. Nothing here is cached by the
benchmark: the answerer and ``kg.query`` run their full pipelines on every call.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import pyoxigraph as ox

from kubekg.bench.load import percentile
from kubekg.bench.workload import CatalogueQuery


def consume(result: Any) -> int:
    """Pull every row (or triple) of a pyoxigraph result; the number of rows (1 for ASK)."""
    if isinstance(result, ox.QueryBoolean | bool):
        return 1
    return sum(1 for _ in result)


def summarize(samples: list[float]) -> dict[str, float]:
    """Median, p99 and mean of samples in seconds, as milliseconds."""
    ordered = sorted(samples)
    return {
        "medianMs": round(statistics.median(ordered) * 1000, 4) if ordered else 0.0,
        "p99Ms": round(percentile(ordered, 99) * 1000, 4),
        "meanMs": round(statistics.fmean(ordered) * 1000, 4) if ordered else 0.0,
        "samples": len(ordered),
    }


def time_calls(items: Iterable[tuple[str, Callable[[], Any]]], repeats: int) -> dict[str, Any]:
    """Each call once to warm up, then ``repeats`` timed rounds over all items (interleaved, so drift is shared)."""
    items = list(items)
    samples: dict[str, list[float]] = {name: [] for name, _ in items}
    for _, call in items:
        call()
    for _ in range(repeats):
        for name, call in items:
            started = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - started)
    every = [s for values in samples.values() for s in values]
    return {
        "overall": summarize(every),
        "items": {name: summarize(values) for name, values in samples.items()},
    }


def time_catalogue(kg: Any, queries: list[CatalogueQuery], repeats: int) -> dict[str, Any]:
    """Each catalogue query with its bindings through the graph API (substitution), every row pulled."""
    out = time_calls(
        ((q.name, lambda q=q: consume(kg.query(q.text, dict(q.bindings)))) for q in queries), repeats
    )
    out["rows"] = {q.name: consume(kg.query(q.text, dict(q.bindings))) for q in queries}
    return out


def time_store_catalogue(store: ox.Store, queries: list[CatalogueQuery], repeats: int) -> dict[str, Any]:
    """The catalogue on a bare store, as ``kg.query`` runs it (predeclared prefixes, union default graph)."""
    from kubekg import ns

    def call(q: CatalogueQuery) -> int:
        return consume(
            store.query(
                q.text, prefixes=ns.PREFIXES, use_default_graph_as_union=True, substitutions=q.substitutions()
            )
        )

    return time_calls(((q.name, lambda q=q: call(q)) for q in queries), repeats)


def time_questions(answerer: Any, questions: list[str], repeats: int) -> dict[str, Any]:
    """Each public question through the full answering pipeline (analysis, linking, queries, evidence)."""
    out = time_calls(((q, lambda q=q: answerer.answer(q)) for q in questions), repeats)
    out["understood"] = sum(1 for q in questions if answerer.answer(q).get("understood"))
    return out


_LOAD_SCRIPT = """
import json, sys, tempfile, time
started = time.perf_counter()
from kubekg.graph.kg import build_graph
cold = sys.argv[1] == "cold"
if cold:
    with tempfile.TemporaryDirectory() as tmp:
        kg = build_graph(None, None, tmp, use_cache=False)
else:
    kg = build_graph(None, None, None)
total = time.perf_counter() - started
s = kg.stats
print(json.dumps({"seconds": total, "load": s.get("load_seconds"), "reasoning": s.get("reasoning_seconds"),
                  "cacheHit": s.get("cache_hit"), "triples": s.get("total"), "inferred": s.get("inferred"),
                  "rounds": s.get("rounds"), "rules": s.get("rules")}))
"""


def load_and_reasoning(timeout: float = 600.0) -> dict[str, Any]:
    """Graph start-up in fresh processes: from the reasoner cache (as every restart) and from scratch (no cache)."""
    out: dict[str, Any] = {}
    for mode in ("cached", "cold"):
        done = subprocess.run(
            [sys.executable, "-c", _LOAD_SCRIPT, mode], capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            out[mode] = {"error": done.stderr.strip()[-500:]}
            continue
        data = json.loads(done.stdout.strip().splitlines()[-1])
        out[mode] = {
            "seconds": round(data["seconds"], 3),
            "loadSeconds": round(data["load"] or 0.0, 3),
            "reasoningSeconds": round(data["reasoning"] or 0.0, 3),
            "cacheHit": data["cacheHit"],
            "triples": data["triples"],
            "inferred": data["inferred"],
            "rounds": data["rounds"],
            "rules": data["rules"],
        }
    return out


def simulation(short: bool) -> dict[str, Any]:
    """The simulation issue's benchmarks (a 24 h HPA timeline with 50 pods; 10,000 claims x 10,000 volumes)."""
    from kubekg.simulation import bench

    if short:
        return {
            "hpaTimeline": bench.bench_hpa_timeline(hours=2),
            "pvBinding": bench.bench_pv_binding(1000, 1000),
        }
    return {"hpaTimeline": bench.bench_hpa_timeline(), "pvBinding": bench.bench_pv_binding()}
