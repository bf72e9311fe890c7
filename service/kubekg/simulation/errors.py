"""Errors the simulators raise for bad input; each has a stable ``code`` and the HTTP status the web layer uses.

A metric the HPA cannot compute is *not* an error here (the controller answers it with a Failed* condition);
these classes are for input a Kubernetes API server would refuse, or a request kubekg cannot read::

    SimulationError (422 simulation_error)
    ├── InvalidBody (400 invalid_body)                 the request body is not an object of the expected shape
    ├── UnsupportedMediaType (415 unsupported_media_type)
    ├── InvalidObject (422 invalid_object)             a manifest field has a bad value (min > max, negative ...)
    │   ├── InvalidQuantity (422 invalid_quantity)     "12x" is not a Kubernetes quantity
    │   ├── InvalidTime (422 invalid_time)             not RFC 3339 / not a duration
    │   ├── UnknownKind (422 unknown_kind)             a kind the simulators do not know
    │   └── UnknownMetricType (422 unknown_metric_type)
    ├── ScenarioTooLarge (422 scenario_too_large)     refused before it starts: over a size limit (details name it)
    ├── NotScalable (422 not_scalable)                 the graph says the HPA cannot scale that kind
    ├── UnsupportedAccessMode (422 unsupported_access_mode)   the graph says the plugin lacks the mode
    ├── ExpansionNotAllowed (422 expansion_not_allowed)
    └── PortAllocationError (422 port_taken | port_out_of_range | port_range_exhausted)
"""

from __future__ import annotations

from typing import Any

from kubekg.errors import KubeKGError


class SimulationError(KubeKGError):
    """Base of the simulation errors: input that a Kubernetes API server or controller would refuse."""

    code, status = "simulation_error", 422

    def __init__(
        self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message, code=code, details=details)


class InvalidBody(SimulationError):
    """The request body is not a mapping of the shape the endpoint documents."""

    code, status = "invalid_body", 400


class UnsupportedMediaType(SimulationError):
    """The body's Content-Type is neither JSON nor YAML."""

    code, status = "unsupported_media_type", 415


class InvalidObject(SimulationError):
    """A Kubernetes object field has a value the API server would reject; the message names the field path."""

    code = "invalid_object"

    def __init__(
        self, path: str, reason: str, *, code: str | None = None, details: dict[str, Any] | None = None
    ):
        self.path = path
        super().__init__(
            f"{path}: {reason}" if path else reason, code=code, details={"field": path, **(details or {})}
        )


class InvalidQuantity(InvalidObject):
    """A string that is not a Kubernetes resource quantity."""

    code = "invalid_quantity"


class InvalidTime(InvalidObject):
    """A timestamp that is not RFC 3339, or a duration that does not parse."""

    code = "invalid_time"


class UnknownKind(InvalidObject):
    """A ``kind`` the simulators do not model."""

    code = "unknown_kind"


class UnknownMetricType(InvalidObject):
    """An autoscaling/v2 metric ``type`` other than Resource, ContainerResource, Pods, Object or External."""

    code = "unknown_metric_type"


class ScenarioTooLarge(SimulationError):
    """A scenario over one of the size limits of :mod:`kubekg.simulation.budget`, refused before it runs."""

    code = "scenario_too_large"


class NotScalable(SimulationError):
    """The knowledge graph states that a HorizontalPodAutoscaler cannot scale the target kind."""

    code = "not_scalable"


class UnsupportedAccessMode(SimulationError):
    """The knowledge graph states that the volume plugin does not support a requested access mode."""

    code = "unsupported_access_mode"


class ExpansionNotAllowed(SimulationError):
    """A claim cannot grow: its class forbids expansion or the graph says the plugin cannot expand."""

    code = "expansion_not_allowed"


class PortAllocationError(SimulationError):
    """A NodePort request the allocator refuses: taken, outside the range, or the range is full."""

    code = "port_allocation_failed"
