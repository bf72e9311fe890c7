"""DaemonSets on nodes joining and leaving: one pod per node that matches, never moved, as the daemon controller does.

Follows ``pkg/controller/daemon`` (``nodeShouldRunDaemonPod``): a node runs the daemon pod when the pod's
``nodeSelector`` and required node affinity match its labels and every NoSchedule/NoExecute taint is tolerated
(DaemonSet pods tolerate the node-condition taints and ``node.kubernetes.io/unschedulable`` automatically).
A pod on a removed or no longer matching node is deleted, not moved; a new matching node gets a new pod.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubekg.simulation.budget import UNLIMITED, Budget
from kubekg.simulation.errors import InvalidObject
from kubekg.simulation.facts import Facts
from kubekg.simulation.objects import (
    LabelSelector,
    Node,
    mapping,
    parse_meta,
    parse_node,
    sequence,
    string,
    string_map,
)
from kubekg.simulation.timeutil import format_time, parse_duration, parse_time

#: tolerations the DaemonSet controller adds to every daemon pod (util.AddOrUpdateDaemonPodTolerations)
DAEMON_TOLERATIONS = (
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
)
ACTIONS = ("addNode", "removeNode", "labelNode", "taintNode", "untaintNode")


def _tolerations(raw: object, path: str) -> list[tuple[str, str, str, str]]:
    out = []
    for i, t in enumerate(sequence(raw, path)):
        t = mapping(t, f"{path}[{i}]")
        op = string(t.get("operator"), f"{path}[{i}].operator") or "Equal"
        if op not in ("Equal", "Exists"):
            raise InvalidObject(f"{path}[{i}].operator", f"unsupported value {op!r}: must be Equal or Exists")
        out.append((str(t.get("key") or ""), op, str(t.get("value") or ""), str(t.get("effect") or "")))
    return out


def tolerates(tolerations: list[tuple[str, str, str, str]], taint: tuple[str, str, str]) -> bool:
    """ToleratesTaint: key (empty key with Exists matches all), operator, value and effect (empty = all)."""
    key, value, effect = taint
    if (key, effect) in DAEMON_TOLERATIONS:
        return True
    for tkey, op, tvalue, teffect in tolerations:
        if teffect and teffect != effect:
            continue
        if op == "Exists" and (not tkey or tkey == key):
            return True
        if op == "Equal" and tkey == key and tvalue == value:
            return True
    return False


class DaemonSetSpec:
    """The parts of a DaemonSet that decide placement."""

    def __init__(self, raw: object, path: str = "daemonSet") -> None:
        doc = mapping(raw, path)
        if doc.get("kind") not in (None, "DaemonSet"):
            raise InvalidObject(f"{path}.kind", f"expected a DaemonSet, got {doc.get('kind')!r}")
        self.meta = parse_meta(doc.get("metadata"), f"{path}.metadata")
        spec = mapping(doc.get("spec"), f"{path}.spec")
        tspec = mapping(
            mapping(spec.get("template"), f"{path}.spec.template").get("spec"), f"{path}.spec.template.spec"
        )
        self.node_selector = string_map(tspec.get("nodeSelector"), f"{path}.spec.template.spec.nodeSelector")
        self.tolerations = _tolerations(tspec.get("tolerations"), f"{path}.spec.template.spec.tolerations")
        self.affinity: list[LabelSelector] = []
        affinity = mapping(
            mapping(tspec.get("affinity"), "affinity", required=False).get("nodeAffinity"),
            "nodeAffinity",
            required=False,
        )
        required = mapping(
            affinity.get("requiredDuringSchedulingIgnoredDuringExecution"), "required", required=False
        )
        from kubekg.simulation.objects import parse_selector

        for i, term in enumerate(sequence(required.get("nodeSelectorTerms"), "nodeSelectorTerms")):
            term = mapping(term, f"nodeSelectorTerms[{i}]")
            sel = parse_selector(
                {"matchExpressions": term.get("matchExpressions") or []}, f"nodeSelectorTerms[{i}]"
            )
            if sel is not None:
                self.affinity.append(sel)

    def should_run_on(self, node: Node) -> tuple[bool, str]:
        """(runs, why) for a new daemon pod on one node."""
        run, _, why = self.node_should_run(node)
        return run, why

    def node_should_run(self, node: Node) -> tuple[bool, bool, str]:
        """NodeShouldRunDaemonPod: (should run, should continue running, why).

        A NoSchedule taint keeps new pods off the node but lets a running one stay; only an untolerated
        NoExecute taint (or a selector/affinity mismatch) removes it.
        """
        for key, value in self.node_selector.items():
            if node.labels.get(key) != value:
                return False, False, f"nodeSelector {key}={value} does not match"
        if self.affinity and not any(sel.matches(node.labels) for sel in self.affinity):
            return False, False, "required node affinity does not match"
        untolerated = [
            t
            for t in node.taints
            if t[2] in ("NoSchedule", "NoExecute") and not tolerates(self.tolerations, t)
        ]
        if untolerated:
            no_execute = any(t[2] == "NoExecute" for t in untolerated)
            t = untolerated[0]
            return False, not no_execute, f"taint {t[0]}={t[1]}:{t[2]} is not tolerated"
        return True, True, "matches"


def run(body: object, facts: Facts, budget: Budget = UNLIMITED) -> dict[str, Any]:
    """POST /api/simulate/daemonset: daemon pods per node after each node event."""
    from kubekg.simulation.api import DEFAULT_START, body_mapping

    body = body_mapping(body)
    ds = DaemonSetSpec(body.get("daemonSet"), "daemonSet")
    start = parse_time(body.get("start", DEFAULT_START), "start")
    nodes: dict[str, Node] = {}
    for i, n in enumerate(sequence(body.get("nodes"), "nodes")):
        node = parse_node(n, f"nodes[{i}]")
        nodes[node.name] = node
    pods: dict[str, dict[str, Any]] = {}  # node -> pod
    counter = 0
    steps: list[dict[str, Any]] = []

    def reconcile(t: int) -> list[dict[str, Any]]:
        nonlocal counter
        events = []
        for name in sorted(pods):
            if name not in nodes:
                pod = pods.pop(name)
                events.append(
                    {
                        "type": "Normal",
                        "reason": "PodDeleted",
                        "message": f"pod {pod['name']} is gone with node {name} (not moved)",
                    }
                )
                continue
            _, keep, why = ds.node_should_run(nodes[name])
            if not keep:
                pod = pods.pop(name)
                events.append(
                    {
                        "type": "Normal",
                        "reason": "SuccessfulDelete",
                        "message": f"Deleted pod: {pod['name']} ({why})",
                    }
                )
        for name in sorted(nodes):
            ok, _ = ds.should_run_on(nodes[name])
            if ok and name not in pods:
                counter += 1
                pod_name = f"{ds.meta.name}-{name}-{counter}"
                pods[name] = {"name": pod_name, "node": name, "created": format_time(t)}
                events.append(
                    {"type": "Normal", "reason": "SuccessfulCreate", "message": f"Created pod: {pod_name}"}
                )
        return events

    def snapshot() -> dict[str, Any]:
        placement = {}
        for name in sorted(nodes):
            ok, why = ds.should_run_on(nodes[name])
            placement[name] = {"eligible": ok, "why": why, "pod": pods.get(name, {}).get("name")}
        return {
            "nodes": placement,
            "status": {
                "desiredNumberScheduled": sum(1 for n in nodes.values() if ds.should_run_on(n)[0]),
                "currentNumberScheduled": len(pods),
                "numberMisscheduled": 0,
            },
        }

    steps.append({"index": 0, "at": 0, "action": "initial", "events": reconcile(start), **snapshot()})
    for i, step in enumerate(sequence(body.get("steps"), "steps"), start=1):
        budget.check()
        path = f"steps[{i - 1}]"
        step = mapping(step, path)
        offset = parse_duration(step.get("at", 0), f"{path}.at")
        action = step.get("action")
        if action not in ACTIONS:
            raise InvalidObject(
                f"{path}.action", f"unknown action {action!r}: use one of {', '.join(ACTIONS)}"
            )
        if action == "addNode":
            node = parse_node(step.get("node"), f"{path}.node")
            nodes[node.name] = node
            desc = f"node {node.name} joined"
        else:
            raw_node = step.get("node")
            raw_name = step.get("name") or (
                raw_node.get("name") if isinstance(raw_node, Mapping) else raw_node
            )
            name = string(raw_name, f"{path}.name", required=True) or ""
            if name not in nodes:
                raise InvalidObject(f"{path}.name", f"no node {name!r}")
            node = nodes[name]
            if action == "removeNode":
                del nodes[name]
                desc = f"node {name} left"
            elif action == "labelNode":
                labels = dict(node.labels)
                for k, v in mapping(step.get("labels"), f"{path}.labels").items():
                    if v is None:
                        labels.pop(k, None)
                    else:
                        labels[k] = str(v)
                nodes[name] = Node(name, labels, node.taints, node.unschedulable)
                desc = f"node {name} relabelled"
            elif action == "taintNode":
                t = mapping(step.get("taint"), f"{path}.taint")
                taint = (
                    str(t.get("key") or ""),
                    str(t.get("value") or ""),
                    str(t.get("effect") or "NoSchedule"),
                )
                nodes[name] = Node(name, node.labels, (*node.taints, taint), node.unschedulable)
                desc = f"node {name} tainted {taint[0]}:{taint[2]}"
            else:
                key = string(step.get("key"), f"{path}.key", required=True)
                nodes[name] = Node(
                    name, node.labels, tuple(t for t in node.taints if t[0] != key), node.unschedulable
                )
                desc = f"node {name} untainted {key}"
        t = start + offset
        events = reconcile(t)
        steps.append(
            {
                "index": i,
                "at": offset // 1_000_000_000,
                "action": action,
                "description": desc,
                "events": events,
                **snapshot(),
            }
        )
    return {
        "daemonSet": ds.meta.name,
        "steps": steps,
        "final": steps[-1]["nodes"],
        "factsSource": facts.source,
    }
