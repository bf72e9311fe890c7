"""NodePort allocation within the range the graph states (30000-32767), as the API server's allocator does.

Follows ``pkg/registry/core/service/portallocator``: a requested port must be inside the range and free
("provided port is already allocated", "provided port is not in the valid range"); otherwise a port is taken
from the dynamic (upper) band first and the static band (the lowest min(max(16, size/32), 128) ports) after it
(ServiceNodePortStaticSubrange); a full range is an error. NodePort and LoadBalancer services get one node port
per service port; ClusterIP and ExternalName get none. Picks are deterministic for a given ``seed``.
"""

from __future__ import annotations

import random
from typing import Any

from kubekg.simulation.budget import UNLIMITED, Budget
from kubekg.simulation.errors import InvalidObject, PortAllocationError
from kubekg.simulation.facts import Facts
from kubekg.simulation.objects import boolean, integer, kind_of, mapping, parse_meta, sequence, string

MAX_PORT = 65535
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")


class PortAllocator:
    """A bitmap allocator over [start, end]."""

    def __init__(self, start: int, end: int, seed: int = 0) -> None:
        if start > end:
            raise InvalidObject("range", f"start {start} is after end {end}")
        self.start, self.end = start, end
        self.used: set[int] = set()
        size = end - start + 1
        self.static_band = min(max(16, size // 32), 128)
        self.rng = random.Random(seed)

    @property
    def range_text(self) -> str:
        """The range as the error messages print it."""
        return f"{self.start}-{self.end}"

    def allocate(self, port: int, service: str) -> int:
        """Reserve a requested port."""
        if not self.start <= port <= self.end:
            raise PortAllocationError(
                f"Service {service!r}: spec.ports[].nodePort: Invalid value: {port}: provided port is not in the valid "
                f"range. The range of valid ports is {self.range_text}",
                code="port_out_of_range",
                details={"service": service, "port": port, "range": self.range_text},
            )
        if port in self.used:
            raise PortAllocationError(
                f"Service {service!r}: spec.ports[].nodePort: Invalid value: {port}: provided port is already allocated",
                code="port_taken",
                details={"service": service, "port": port},
            )
        self.used.add(port)
        return port

    def allocate_next(self, service: str) -> int:
        """A free port: the dynamic band first, then the static band; an error when the range is full."""
        dynamic = [p for p in range(self.start + self.static_band, self.end + 1) if p not in self.used]
        pool = dynamic or [
            p
            for p in range(self.start, min(self.start + self.static_band, self.end + 1))
            if p not in self.used
        ]
        if not pool:
            raise PortAllocationError(
                f"Service {service!r}: failed to allocate a nodePort: range is full ({self.range_text}, "
                f"{len(self.used)} ports allocated)",
                code="port_range_exhausted",
                details={"service": service, "range": self.range_text, "allocated": len(self.used)},
            )
        port = self.rng.choice(pool)
        self.used.add(port)
        return port

    def release(self, port: int) -> None:
        """Free a port."""
        self.used.discard(port)


def run(body: object, facts: Facts, budget: Budget = UNLIMITED) -> dict[str, Any]:
    """POST /api/simulate/nodeport: allocate node ports for services in order (and release deleted ones)."""
    from kubekg.simulation.api import body_mapping

    body = body_mapping(body)
    start, end, fact = facts.nodeport_range()
    if body.get("range") is not None:  # --service-node-port-range
        text = string(body["range"], "range") or ""
        try:
            lo, hi = (int(x) for x in text.split("-", 1))
        except ValueError as exc:
            raise InvalidObject("range", f"{text!r} is not a port range like 30000-32767") from exc
        if not 1 <= lo <= hi <= MAX_PORT:
            raise InvalidObject("range", f"{text!r} is not a port range within 1-{MAX_PORT} (low-high)")
        start, end, fact = lo, hi, None
    seed = integer(body.get("seed", 0), "seed") or 0
    alloc = PortAllocator(start, end, seed)
    for i, p in enumerate(sequence(body.get("allocated"), "allocated")):
        alloc.allocate(integer(p, f"allocated[{i}]") or 0, "(already allocated)")
    operations = [{"action": "create", "service": s} for s in sequence(body.get("services"), "services")]
    operations += sequence(body.get("operations"), "operations")
    services: dict[str, list[int]] = {}
    results = []
    for i, op in enumerate(operations):
        budget.check()
        path = f"operations[{i}]"
        op = mapping(op, path)
        action = op.get("action", "create")
        if action == "delete":
            name = string(op.get("name"), f"{path}.name", required=True) or ""
            for port in services.pop(name, []):
                alloc.release(port)
            results.append({"action": "delete", "service": name})
            continue
        if action != "create":
            raise InvalidObject(f"{path}.action", f"unknown action {action!r}: use create or delete")
        raw = mapping(op.get("service"), f"{path}.service")
        if raw.get("kind") is not None and kind_of(raw, f"{path}.service") != "Service":
            raise InvalidObject(f"{path}.service.kind", "expected a Service")
        meta = parse_meta(raw.get("metadata"), f"{path}.service.metadata")
        spec = mapping(raw.get("spec"), f"{path}.service.spec")
        stype = string(spec.get("type"), f"{path}.service.spec.type") or "ClusterIP"
        if stype not in SERVICE_TYPES:
            raise InvalidObject(
                f"{path}.service.spec.type",
                f"unsupported value {stype!r}: must be one of {', '.join(SERVICE_TYPES)}",
            )
        wants_ports = stype == "NodePort" or (
            stype == "LoadBalancer"
            and boolean(
                spec.get("allocateLoadBalancerNodePorts"),
                f"{path}.service.spec.allocateLoadBalancerNodePorts",
                True,
            )
        )
        allocated: list[dict[str, Any]] = []
        for j, port in enumerate(sequence(spec.get("ports"), f"{path}.service.spec.ports")):
            ppath = f"{path}.service.spec.ports[{j}]"
            port = mapping(port, ppath)
            node_port = integer(port.get("nodePort"), f"{ppath}.nodePort")
            if not wants_ports:
                if node_port:
                    raise InvalidObject(f"{ppath}.nodePort", f"may not be used when `type` is '{stype}'")
                continue
            if node_port:
                got = alloc.allocate(node_port, meta.name)
                how = "requested"
            else:
                got = alloc.allocate_next(meta.name)
                how = "allocated"
            services.setdefault(meta.name, []).append(got)
            allocated.append({"port": port.get("port"), "nodePort": got, "how": how})
        results.append({"action": "create", "service": meta.name, "type": stype, "ports": allocated})
    return {
        "range": {"start": start, "end": end, "fact": fact.to_dict() if fact else None},
        "staticBand": {"start": start, "end": start + alloc.static_band - 1},
        "results": results,
        "allocated": {name: ports for name, ports in services.items()},
        "free": end - start + 1 - len(alloc.used),
        "factsSource": facts.source,
    }
