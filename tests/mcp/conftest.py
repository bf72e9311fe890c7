"""Fixtures of the MCP tests: the graph, a tool context, the Flask app with /mcp mounted, a live loopback server.

The live server is the app under werkzeug's threaded WSGI server (``make_server``) in a daemon thread, so the SDK's
Streamable HTTP client talks real HTTP to the same code path gunicorn runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from kubekg.graph import KnowledgeGraph, load_graph
from kubekg.mcp.tools import ToolContext
from kubekg.web import create_app


def with_chat_blueprints(app: Flask) -> Flask:
    """Register /mcp, /api/tools and /api/facts unless create_app already did."""
    from kubekg.web import facts, mcp_http, tools

    for module in (mcp_http, tools, facts):
        if module.bp.name not in app.blueprints:
            app.register_blueprint(module.bp)
    return app


@pytest.fixture(scope="session")
def kg() -> KnowledgeGraph:
    return load_graph()


@pytest.fixture(scope="session")
def ctx(kg: KnowledgeGraph) -> ToolContext:
    """Tools with the service's default limits."""
    return ToolContext(kg)


@pytest.fixture(scope="session")
def app(kg: KnowledgeGraph) -> Iterator[Flask]:
    application = with_chat_blueprints(create_app({"TESTING": True, "GRAPH": kg}))
    yield application
    bridge = application.extensions.get("kubekg_mcp")
    if bridge is not None:
        bridge.close()


@pytest.fixture
def make_chat_app(kg: KnowledgeGraph) -> Iterator[Callable[..., Flask]]:
    """``make_chat_app(CORS_ORIGINS=...)``: an app with the chat blueprints and settings overridden (closed after)."""
    made: list[Flask] = []

    def make(**overrides: object) -> Flask:
        application = with_chat_blueprints(create_app({"TESTING": True, "GRAPH": kg, **overrides}))
        made.append(application)
        return application

    yield make
    for application in made:
        bridge = application.extensions.get("kubekg_mcp")
        if bridge is not None:
            bridge.close()


@pytest.fixture(scope="session")
def live_url(app: Flask) -> Iterator[str]:
    """The base URL of the app served over real HTTP on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="kubekg-test-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
