"""Fixtures of the web tests, chained the Flask tutorial way: ``kg`` -> ``app`` -> ``client``.

``api_client`` is parametrized over the store backend: ``embedded`` (the in-process reasoned store) and
``oxigraph`` (a real ``oxigraph serve-read-only`` on loopback, loaded once per session with the graph's
N-Quads export). Other helpers can reuse ``oxigraph_endpoint``, ``make_app``, ``make_graph`` and ``free_port``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient

from kubekg import ns, paths
from kubekg.graph import KnowledgeGraph, load_graph
from kubekg.web import create_app

OXIGRAPH_START_SECONDS = 20.0


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def oxigraph_binary() -> str | None:
    """The ``oxigraph`` server CLI of the venv (PyPI package ``oxigraph``) or of PATH."""
    candidate = Path(sys.executable).parent / "oxigraph"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    return shutil.which("oxigraph")


def wait_http(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    """Poll url until it answers (any HTTP status), the process dies or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                resp.read()
                return
        except urllib.error.HTTPError:
            return
        except OSError as exc:
            last = exc
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout} s: {last}")


def tiny_graph(turtle: str, *, graph: str = ns.SECTION + "test", reasoned: bool = True) -> KnowledgeGraph:
    """A KnowledgeGraph over a few Turtle triples (prefixes of ns.PREFIXES predeclared) in one named graph.

    ``reasoned=False`` leaves the stats empty, as a graph that was loaded but not reasoned yet.
    """
    store = ox.Store()
    prologue = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in ns.PREFIXES.items())
    triples = [q.triple for q in ox.parse(prologue + turtle, format=ox.RdfFormat.TURTLE)]
    store.extend([ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph)) for t in triples])
    stats = {"total": len(triples), "inferred": 0, "asserted": len(triples)} if reasoned else {}
    return KnowledgeGraph(
        store,
        derivations={},
        rules={},
        stats=stats,
        ontology_dir=paths.ontology_dir(),
        queries_dir=paths.queries_dir(),
        cache=None,
        digest="tiny",
    )


@pytest.fixture(name="free_port")
def free_port_fixture() -> int:
    """A TCP port free on loopback (for a server the test starts)."""
    return free_port()


@pytest.fixture(name="wait_http")
def wait_http_fixture() -> Callable[..., None]:
    """``wait_http(url, timeout, process=None)``: poll until the URL answers."""
    return wait_http


@pytest.fixture(scope="session")
def make_graph() -> Callable[..., KnowledgeGraph]:
    """The ``tiny_graph`` factory, for tests that need a graph with hand-written (e.g. hostile) data."""
    return tiny_graph


@pytest.fixture(scope="session")
def kg() -> KnowledgeGraph:
    """The reasoned knowledge graph (built once per process by graph-core's cache)."""
    return load_graph()


@pytest.fixture(scope="session")
def oxigraph_endpoint(kg: KnowledgeGraph, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The query URL of a real Oxigraph server holding kubekg's export (all named graphs, union default graph)."""
    binary = oxigraph_binary()
    if binary is None:
        pytest.skip("the oxigraph server CLI is not installed (pip install oxigraph)")
    root = tmp_path_factory.mktemp("oxigraph")
    dump = root / "kubekg.nq"
    dump.write_bytes(kg.export("nquads"))
    location = root / "db"
    subprocess.run(
        [binary, "load", "--location", str(location), "--file", str(dump)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "serve-read-only",
            "--location",
            str(location),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", OXIGRAPH_START_SECONDS, process)
        yield f"http://127.0.0.1:{port}/query"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()


@pytest.fixture
def make_app(kg: KnowledgeGraph) -> Callable[..., Flask]:
    """A factory of test apps on the embedded graph: ``make_app(CORS_ORIGINS="...", TESTING=False, ...)``."""

    def make(**overrides: Any) -> Flask:
        config = {"TESTING": True, "GRAPH": kg, **overrides}
        return create_app(config)

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """The app on the embedded store with default settings (TESTING on, so a bug raises instead of a 500)."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture(scope="session", params=["embedded", "oxigraph"])
def store_backend(request: pytest.FixtureRequest) -> str:
    """The store behind the API under test: the embedded store or a real Oxigraph server."""
    return request.param


@pytest.fixture(scope="session")
def api_app(store_backend: str, kg: KnowledgeGraph, request: pytest.FixtureRequest) -> Flask:
    """The app backed by ``store_backend``, one per session (the oxigraph one reads through ``kubekg.graph.remote``)."""
    if store_backend == "embedded":
        return create_app({"TESTING": True, "GRAPH": kg})
    if importlib.util.find_spec("kubekg.graph.remote") is None:
        pytest.skip("kubekg.graph.remote (the remote SPARQL store backend) is not written yet")
    endpoint = request.getfixturevalue("oxigraph_endpoint")
    return create_app({"TESTING": True, "STORE": endpoint})


@pytest.fixture
def api_client(api_app: Flask) -> FlaskClient:
    """A test client of ``api_app``."""
    return api_app.test_client()
