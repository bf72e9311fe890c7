"""kubekg's error hierarchy; every class carries a stable ``code`` and the HTTP status it maps to.

The web layer turns any of these into ``{"error": {"code": ..., "message": ...}}`` in one place
(``kubekg.web.errors_to_response``); domain code raises them without importing Flask::

    KubeKGError (500 internal_error)
    ├── ConfigError (500 config_error)              a setting has a bad value; `kubekg serve` exits 2
    ├── BadRequest (400 bad_request)
    │   ├── InvalidParameter (400 invalid_parameter)   a query/body parameter has a bad value
    │   ├── MissingParameter (400 missing_parameter)   a required parameter is absent or empty
    │   ├── QuestionTooLong (400 question_too_long)    a question over MAX_QUESTION_CHARS
    │   ├── InvalidJSON (400 invalid_json)              a body that is not the JSON object expected
    │   └── QuerySyntaxError (400 query_syntax)         SPARQL that does not parse
    ├── Unauthorized (401 unauthorized)             a missing or wrong bearer token
    ├── Forbidden (403 forbidden)                   refused by policy (updates off, SERVICE not allow-listed)
    ├── NotFound (404 not_found)                    an unknown entity, triple, route or resource
    ├── Conflict (409 conflict)
    │   └── RunLimitReached (409 run_limit_reached) the store already keeps MAX_RECORDED_RUNS simulation runs
    ├── MethodNotAllowed (405 method_not_allowed)
    ├── NotAcceptable (406 not_acceptable)          no offered media type satisfies Accept
    ├── PayloadTooLarge (413 payload_too_large)     a body over MAX_BODY_BYTES
    ├── UnsupportedMediaType (415 unsupported_media_type)
    ├── QueryTimeout (503 query_timeout)            the query ran past its timeout and was stopped
    ├── SimulationTimeout (503 simulation_timeout)  a simulation ran past SIMULATION_TIMEOUT and was stopped
    └── StoreUnavailable (503 store_unavailable)    the remote SPARQL store does not answer
"""

from __future__ import annotations

from typing import Any


class KubeKGError(Exception):
    """Base of every kubekg error: a machine-readable ``code``, an HTTP ``status`` and a human message."""

    code = "internal_error"
    status = 500

    def __init__(
        self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        """The ``error`` object of the JSON error shape (details only when present)."""
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            out["details"] = self.details
        return out


class ConfigError(KubeKGError):
    """A configuration value is invalid; the message names the variable (or flag) and the bad value."""

    code = "config_error"

    def __init__(self, variable: str, value: Any, reason: str) -> None:
        self.variable, self.value, self.reason = variable, value, reason
        super().__init__(f"invalid configuration: {variable}={value!r}: {reason}")


class BadRequest(KubeKGError):
    """The client sent something kubekg cannot use."""

    code, status = "bad_request", 400


class InvalidParameter(BadRequest):
    """A parameter has a value outside its type or range."""

    code = "invalid_parameter"


class MissingParameter(BadRequest):
    """A required parameter is absent or empty."""

    code = "missing_parameter"


class QuestionTooLong(BadRequest):
    """A question longer than MAX_QUESTION_CHARS."""

    code = "question_too_long"


class InvalidJSON(BadRequest):
    """A request body that is not valid JSON of the expected shape."""

    code = "invalid_json"


class QuerySyntaxError(BadRequest):
    """A SPARQL query or update that does not parse."""

    code = "query_syntax"


class Unauthorized(KubeKGError):
    """Authentication is required and was missing or wrong."""

    code, status = "unauthorized", 401


class Forbidden(KubeKGError):
    """The request is understood and refused by policy."""

    code, status = "forbidden", 403


class NotFound(KubeKGError):
    """The thing asked for does not exist."""

    code, status = "not_found", 404


class Conflict(KubeKGError):
    """The request conflicts with the current state of the server's data."""

    code, status = "conflict", 409


class RunLimitReached(Conflict):
    """Recording one more simulation run would exceed MAX_RECORDED_RUNS run graphs in the store."""

    code = "run_limit_reached"


class MethodNotAllowed(KubeKGError):
    """The route exists but not for this HTTP method."""

    code, status = "method_not_allowed", 405


class NotAcceptable(KubeKGError):
    """No media type kubekg offers satisfies the client's Accept header."""

    code, status = "not_acceptable", 406


class PayloadTooLarge(KubeKGError):
    """The request body is larger than MAX_BODY_BYTES."""

    code, status = "payload_too_large", 413


class UnsupportedMediaType(KubeKGError):
    """The request body's Content-Type is not one this endpoint reads."""

    code, status = "unsupported_media_type", 415


class QueryTimeout(KubeKGError):
    """A query ran past its timeout and was stopped."""

    code, status = "query_timeout", 503


class SimulationTimeout(KubeKGError):
    """A simulation ran past SIMULATION_TIMEOUT and was stopped (503 like a query timeout, the worker stays up)."""

    code, status = "simulation_timeout", 503


class StoreUnavailable(KubeKGError):
    """The remote SPARQL store did not answer (down, slow or garbled)."""

    code, status = "store_unavailable", 503
