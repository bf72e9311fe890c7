"""Builders mirroring the fixtures of Kubernetes' replica_calculator_test.go and horizontal_test.go."""

from __future__ import annotations

from collections.abc import Sequence

from kubekg.simulation.hpa.replicas import ReadinessConfig, Sample
from kubekg.simulation.objects import Container, Pod
from kubekg.simulation.quantity import parse_quantity
from kubekg.simulation.timeutil import NS, ZERO_TIME, parse_time

NOW = parse_time("2024-05-01T12:00:00Z")
MINUTE = 60 * NS
#: the unit tests' controller settings: cpu initialization period 2 min, initial readiness delay 10 s
TEST_READINESS = ReadinessConfig(2 * MINUTE, 10 * NS)
HOT = NOW  # hotCPUCreationTime: inside the initialization period
COOL = NOW - 3 * MINUTE  # coolCPUCreationTime: past it


def pods(
    n: int,
    requests: Sequence[str] | str | None = "1.0",
    *,
    readiness: Sequence[str] | None = None,
    phases: Sequence[str] | None = None,
    deleting: Sequence[bool] | None = None,
    starts: Sequence[int] | None = None,
    resource: str = "cpu",
) -> list[Pod]:
    """n pods test-pod-i with two containers each requesting ``requests[i]`` (like buildFakePod)."""
    count = max(n, len(phases or ()))
    out = []
    for i in range(count):
        if requests is None:
            reqs = {}
        elif isinstance(requests, str):
            reqs = {resource: parse_quantity(requests)}
        else:
            reqs = {resource: parse_quantity(requests[i])} if i < len(requests) else {}
        out.append(
            Pod(
                f"test-pod-{i}",
                "test-namespace",
                phase=phases[i] if phases else "Running",
                deleting=bool(deleting and deleting[i]),
                start=starts[i] if starts else ZERO_TIME,
                ready=readiness[i] if readiness and i < len(readiness) else "True",
                ready_ltt=ZERO_TIME,
                containers=(Container("container1", reqs), Container("container2", reqs)),
            )
        )
    return out


def samples(
    levels: Sequence[int | Sequence[int]],
    *,
    container: str | None = None,
    names: Sequence[str] = (),
    timestamp: int = ZERO_TIME,
    window: int = MINUTE,
) -> dict[str, Sample]:
    """Per-pod samples; an int level is makePodMetricLevels (both containers report it, the pod sums them)."""
    out: dict[str, Sample] = {}
    for i, level in enumerate(levels):
        per_container = [level, level] if isinstance(level, int) else list(level)
        name = names[i] if i < len(names) else f"test-pod-{i}"
        if container is None:
            value = sum(per_container)
        else:
            index = int(container[-1]) - 1
            if index >= len(per_container):
                continue
            value = per_container[index]
        out[name] = (value, timestamp, window)
    return out
