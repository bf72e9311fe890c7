"""The soak test, short form (issue 6, section 2): 2,000 mixed requests over 16 keep-alive connections against a
live ``kubekg serve`` (2 workers): zero errors and timeouts, no worker lost, workers' memory growth under 10%
between the first and the last quarter. The full form is ``kubekg soak --requests 20000 --concurrency 64``.
"""

from __future__ import annotations

from typing import Any

import pytest

from kubekg.hardening.soak import MAX_MEMORY_GROWTH, run_soak

REQUESTS = 2000
CONCURRENCY = 16

pytestmark = pytest.mark.slow


def test_soak_short_form(tmp_path: Any, start_server: Any, figures: Any) -> None:
    server = start_server({"WORKERS": 2, "THREADS": 4}, tmp_path / "server.log")
    try:
        report = run_soak(server.base, REQUESTS, CONCURRENCY, master_pid=server.process.pid)
    finally:
        server.stop()
    figures.add("soak (short form)", report.summary())
    assert report.requests == REQUESTS
    assert report.errors == 0, report.error_samples
    assert report.timeouts == 0
    assert len(report.workers_before) == 2 and report.workers_after == report.workers_before
    assert set(report.by_kind) == {"sparql", "ask", "simulate", "api", "page"}
    growth = report.memory_growth
    assert growth is not None, report.memory_quarters
    assert growth < MAX_MEMORY_GROWTH, report.memory_quarters


def test_soak_command_is_registered() -> None:
    from kubekg.cli import build_parser

    args = build_parser().parse_args(["soak", "--requests", "10", "--concurrency", "2"])
    assert (args.requests, args.concurrency) == (10, 2) and callable(args.func)
