"""API fuzzing with schemathesis against the app's own ``/openapi.json`` (issue 6, section 1), in process (WSGI).

Every documented operation gets generated requests, schema-valid (positive) and schema-breaking (negative); each
response must not be a 5xx, must carry a documented status and content type and must match its documented
schema. Examples per operation and mode are bounded so the whole run stays well under a minute on two cores.
(schemathesis' own pytest plugin does not run on pytest 9 yet, so the operations are driven here directly.)
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis is not installed (pip install schemathesis)"
)

from schemathesis import GenerationMode, checks  # noqa: E402

MAX_EXAMPLES = 10
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def operations(make_app: Any) -> list[Any]:
    app: Flask = make_app(TESTING=False)  # a bug must answer 500 for the checks to see it, not raise
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    ops = [result.ok() for result in schema.get_all_operations()]
    assert len(ops) >= 10, [op.label for op in ops]
    return ops


def fuzz(operation: Any, mode: GenerationMode) -> tuple[int, list[str]]:
    """Run the generated cases of one operation; returns how many were sent and the failures seen."""
    sent = 0
    failures: list[str] = []

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        nonlocal sent
        sent += 1
        try:
            case.call_and_validate(checks=CHECKS)
        except AssertionError as exc:  # schemathesis' check failures (a FailureGroup is an AssertionError)
            failures.append(f"{operation.label} [{mode.value}] {case.as_curl_command()}\n    {exc}"[:1500])

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        # nothing in this operation can be made invalid (no parameters, no body): only positive cases exist
    return sent, failures


@pytest.mark.slow
def test_every_documented_operation_survives_fuzzing(operations: list[Any], figures: Any) -> None:
    total = 0
    failures: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            sent, found = fuzz(operation, mode)
            total += sent
            failures.extend(found)
    figures.add(
        "api fuzz (schemathesis)",
        f"{len(operations)} operations, {total} requests, {len(failures)} failures "
        "(5xx, undocumented status or content type, schema mismatch)",
    )
    assert not failures, "\n".join(failures[:10])
