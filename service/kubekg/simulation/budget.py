"""Wall-clock budgets and size limits of one simulation run, so a what-if never runs unbounded.

The simulators stay pure calculations with ``now`` passed in: they never read a clock. The caller (the HTTP
endpoint) hands them a :class:`Budget`, and the loops call ``budget.check()`` once per sync, step or tick; only the
budget reads the clock it was given (``time.monotonic`` by default), the way a Kubernetes controller's work queue
is bounded by its context deadline rather than by the reconcile function itself. Size limits refuse scenarios that
are obviously too large before they start (:func:`refuse_if_larger`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kubekg.errors import SimulationTimeout
from kubekg.simulation.errors import ScenarioTooLarge

#: an HPA timeline may run at most this many pod-syncs (syncs x the largest pod count it can reach)
MAX_POD_SYNCS = 10_000_000
#: a PV scenario may snapshot at most this many object-steps ((steps + 1) x volumes, claims and pods)
MAX_OBJECT_STEPS = 100_000
#: a Deployment simulation may have at most this many replicas (its pods are simulated one by one)
MAX_REPLICAS = 100_000


class Budget:
    """A wall-clock allowance for one run: ``check()`` raises SimulationTimeout once ``seconds`` have passed."""

    def __init__(self, seconds: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._at = None if seconds is None else clock() + seconds

    def expired(self) -> bool:
        """True once the allowance is spent (never for an unlimited budget)."""
        return self._at is not None and self._clock() >= self._at

    def check(self) -> None:
        """Raise SimulationTimeout when the allowance is spent; a no-op otherwise."""
        if self.expired():
            raise SimulationTimeout(timeout_message(self.seconds or 0.0))


def timeout_message(seconds: float) -> str:
    """The message of an exceeded simulation budget, naming the limit and the setting."""
    return (
        f"the simulation did not finish within its time budget of {seconds:g} s and was stopped; "
        "shorten the scenario (fewer steps, a shorter duration, fewer objects) or ask the operator to raise "
        "KUBEKG_SIMULATION_TIMEOUT"
    )


def refuse_if_larger(value: int, limit: int, what: str, field: str) -> None:
    """Refuse a scenario whose size ``value`` (described by ``what``) is over ``limit`` before it starts (422)."""
    if value > limit:
        raise ScenarioTooLarge(
            f"{field}: the scenario is too large to simulate: {what} is {value:,}, more than the limit of {limit:,}",
            details={"field": field, "limit": limit, "value": value},
        )


UNLIMITED = Budget(None)
