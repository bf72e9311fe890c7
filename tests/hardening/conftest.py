"""Fixtures of the hardening tests (issue 6) and the figures they print at the end of the pytest run.

Every test that measures something (requests sent, errors, timeouts, p99 latency, memory) calls ``figures.add``;
``pytest_terminal_summary`` prints them all in a "kubekg hardening figures" section, so the normal test log
carries the numbers the issue asks for.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kubekg.graph import KnowledgeGraph, load_graph
from kubekg.sparql.testing import LiveServer
from kubekg.web import create_app

_FIGURES: list[tuple[str, str]] = []


class Figures:
    """What the hardening tests measured, printed at the end of the run."""

    def add(self, topic: str, text: str) -> None:
        _FIGURES.append((topic, text))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _FIGURES:
        return
    terminalreporter.section("kubekg hardening figures")
    width = max(len(topic) for topic, _ in _FIGURES)
    for topic, text in _FIGURES:
        terminalreporter.write_line(f"{topic:<{width}}  {text}")


@pytest.fixture(scope="session")
def figures() -> Figures:
    """``figures.add(topic, text)``: a line for the end-of-run summary."""
    return Figures()


@pytest.fixture(scope="session")
def kg() -> KnowledgeGraph:
    """The reasoned knowledge graph (cached per process by graph-core)."""
    return load_graph()


@pytest.fixture(scope="session")
def make_app(kg: KnowledgeGraph) -> Callable[..., Flask]:
    """Apps on the embedded graph: ``make_app(MAX_ROWS=5, ...)``; TESTING on, so a bug raises instead of a 500."""

    def make(**overrides: Any) -> Flask:
        return create_app({"TESTING": True, "GRAPH": kg, **overrides})

    return make


@pytest.fixture(scope="session")
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def oxigraph_binary() -> str | None:
    """The ``oxigraph`` server CLI of the venv (PyPI package ``oxigraph``) or of PATH."""
    candidate = Path(sys.executable).parent / "oxigraph"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    return shutil.which("oxigraph")


def start_live(settings: dict[str, Any], log: Path) -> LiveServer:
    """A started ``kubekg serve``; fails the test (with the log tail) when it does not come up."""
    server = LiveServer(settings, log_path=log)
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    return server


@pytest.fixture(scope="session")
def start_server() -> Callable[[dict[str, Any], Path], LiveServer]:
    """``start_server(settings, log_path)``: a started live server (the caller stops it)."""
    return start_live


@pytest.fixture
def live_factory(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """``live_factory(**settings)``: live servers stopped at the end of the test."""
    started: list[LiveServer] = []

    def make(**settings: Any) -> LiveServer:
        server = start_live(settings, tmp_path / f"server-{len(started)}.log")
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()
