"""``kubekg simulate hpa|pv|daemonset|job|cronjob|deployment|nodeport FILE.yaml`` and ``kubekg simulate bench``.

The file holds the same body the HTTP endpoint takes (JSON or YAML). ``hpa`` runs a reconcile when the body has a
``scale`` and a timeline otherwise; ``pv`` runs a scenario when it has ``steps``, a bind when it has a ``claim``
and a volume sync when it has a ``persistentVolume``. Results go to stdout as JSON (or YAML); bad input exits 2
with the ``{"error": ...}`` object on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from kubekg.simulation import api, cronjob, daemonset, deployment, job, nodeport
from kubekg.simulation.errors import InvalidBody, SimulationError
from kubekg.simulation.facts import DEFAULT_FACTS, Facts, facts_for
from kubekg.simulation.pv import scenario as pv_scenario

Runner = Callable[[Any, Facts], dict]


def _hpa(body: Any, facts: Facts) -> dict:
    if isinstance(body, dict) and "scale" in body:
        return api.run_hpa_reconcile(body, facts)
    return api.run_hpa_timeline(body, facts)


def _pv(body: Any, facts: Facts) -> dict:
    if isinstance(body, dict) and "steps" in body:
        return pv_scenario.run(body, facts)
    if isinstance(body, dict) and "persistentVolume" in body:
        return api.run_pv_sync_volume(body, facts)
    return api.run_pv_bind(body, facts)


COMMANDS: dict[str, tuple[Runner, str]] = {
    "hpa": (_hpa, "an HPA reconcile (body with 'scale') or a timeline (body with 'load')"),
    "pv": (_pv, "a PV scenario ('steps'), a bind ('claim') or a volume sync ('persistentVolume')"),
    "daemonset": (daemonset.run, "daemon pods per node as nodes join and leave"),
    "job": (job.run, "a Job's pods retried within backoffLimit until completions succeed"),
    "cronjob": (cronjob.run, "the Jobs a CronJob creates over a time window"),
    "deployment": (deployment.run, "a rolling update or rollback through ReplicaSet revisions"),
    "nodeport": (nodeport.run, "NodePort allocation in the graph's range"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``simulate`` with one sub-command per simulator, plus ``bench``."""
    parser = subparsers.add_parser(
        "simulate", help="what-if simulations of Kubernetes controllers (HPA, PV, ...)"
    )
    sub = parser.add_subparsers(dest="simulation", required=True, metavar="SIMULATION")
    for name, (_, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        p.add_argument("file", metavar="FILE", help="JSON or YAML request body ('-' for stdin)")
        p.add_argument("--format", choices=["json", "yaml"], default="json")
        p.add_argument(
            "--static-facts",
            action="store_true",
            help="use the document's values instead of loading the graph",
        )
        p.set_defaults(func=_run_command, simulation=name)
    p = sub.add_parser("bench", help="24 h HPA timeline and 10 000 x 10 000 PV binding benchmarks")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_bench)


def _facts(static: bool) -> Facts:
    if static:
        return DEFAULT_FACTS
    try:
        from kubekg.graph import load_graph

        return facts_for(load_graph())
    except Exception as exc:  # the simulators still run on the document's values
        print(f"warning: knowledge graph unavailable ({exc}); using static facts", file=sys.stderr)
        return DEFAULT_FACTS


def _read(path: str) -> Any:
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    try:
        return yaml.safe_load(text)  # JSON is YAML
    except yaml.YAMLError as exc:
        raise InvalidBody(f"{path}: not valid JSON or YAML: {exc}") from exc


def _run_command(args: argparse.Namespace) -> int:
    runner, _ = COMMANDS[args.simulation]
    try:
        result = runner(_read(args.file), _facts(args.static_facts))
    except OSError as exc:
        print(json.dumps({"error": {"code": "io_error", "message": str(exc)}}), file=sys.stderr)
        return 2
    except SimulationError as exc:
        print(json.dumps({"error": exc.to_dict()}, ensure_ascii=False), file=sys.stderr)
        return 2
    if args.format == "yaml":
        sys.stdout.write(yaml.safe_dump(result, sort_keys=False, allow_unicode=True))
    else:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from kubekg.simulation.bench import run_all

    results = run_all()
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for r in results:
        if r["name"] == "hpa_timeline":
            print(
                f"HPA timeline: {r['syncs']} syncs (24 h at 15 s, ~50 pods) in {r['seconds']:.3f} s wall / "
                f"{r['cpuSeconds']:.3f} s CPU ({r['perSyncMicroseconds']} us per sync); target < {r['targetSeconds']} s: "
                f"{'ok' if r['withinTarget'] else 'MISSED'}"
            )
        else:
            print(
                f"PV binding: {r['claims']} claims x {r['volumes']} volumes, {r['bound']} bound: index {r['indexSeconds']:.3f} s + "
                f"bind {r['bindSeconds']:.3f} s (parsing manifests {r['parseSeconds']:.3f} s, all {r['totalCpuSeconds']:.3f} s CPU); "
                f"target < {r['targetSeconds']} s: {'ok' if r['withinTarget'] else 'MISSED'}"
            )
    return 0
