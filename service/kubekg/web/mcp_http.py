"""MCP over Streamable HTTP at ``/mcp`` in the running service: the SDK's ASGI transport driven from a Flask view.

kubekg is WSGI (Flask under gunicorn, several worker processes) and the SDK's Streamable HTTP transport is ASGI.
The transport runs in **stateless JSON-response mode**: every POST carries one JSON-RPC message and gets one JSON
reply, no session id and no server-initiated stream, so any worker can answer any request (gunicorn does not route
a session to the worker that created it). Per worker process a small bridge runs one asyncio event loop in a
daemon thread with the SDK's ``StreamableHTTPSessionManager`` (started lazily after fork); the view hands it the
request as an ASGI scope, waits for the complete response and returns it through Flask, so the app's request id,
security headers, metrics, access log and body limit apply to ``/mcp`` too. GET and DELETE answer 405 (there is
no SSE stream or session to end in stateless mode, as the MCP specification allows).

Register the blueprint ``bp`` (``create_app``'s BLUEPRINTS list); nothing else is needed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request

from kubekg.errors import Forbidden, KubeKGError
from kubekg.mcp.tools import ToolContext

log = logging.getLogger("kubekg.web.mcp")

bp = Blueprint("mcp", __name__)

PATH = "/mcp"
EXTENSION = "kubekg_mcp"
GRACE_SECONDS = 30.0  # on top of MAX_TIMEOUT: how long a request may wait for the MCP server
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
}


class McpUnavailable(KubeKGError):
    """The MCP server did not answer in time (or its event loop is gone)."""

    code, status = "mcp_unavailable", 503


@dataclass
class HttpReply:
    """A complete HTTP response from the ASGI side."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


class McpBridge:
    """One MCP server and its Streamable HTTP manager, run on a private event loop thread (one per process)."""

    def __init__(self, context: ToolContext, timeout: float) -> None:
        self.context = context
        self.timeout = timeout
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._manager: Any = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self.runaways = 0

    def note_runaway(self) -> None:
        """Called by the sparql tool when a query outlived its deadline inside the engine."""
        with self._lock:
            self.runaways += 1

    def _start(self) -> None:
        from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
        from mcp.server.transport_security import TransportSecuritySettings

        from kubekg.mcp.server import build_server

        ready = threading.Event()
        failure: list[BaseException] = []
        manager = StreamableHTTPSessionManager(
            app=build_server(self.context),
            json_response=True,
            stateless=True,
            # Origin is checked by the view against CORS_ORIGINS; Host is whatever the deployment's proxy sends
            security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            stop = asyncio.Event()

            async def main() -> None:
                async with manager.run():
                    self._loop, self._stop = loop, stop
                    ready.set()
                    await stop.wait()

            try:
                loop.run_until_complete(main())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
            finally:
                loop.close()

        thread = threading.Thread(target=run, name="kubekg-mcp-http", daemon=True)
        thread.start()
        if not ready.wait(30) or failure:
            raise McpUnavailable(f"the MCP server could not start: {failure[0] if failure else 'timed out'}")
        self._manager, self._thread, self._pid = manager, thread, os.getpid()

    def _ensure(self) -> None:
        if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._pid != os.getpid() or self._thread is None or not self._thread.is_alive():
                self._pid = self._loop = self._manager = self._thread = None
                self._start()

    def handle(self, scope: dict[str, Any], body: bytes) -> HttpReply:
        """Run one request through the SDK's ASGI app and return its complete response."""
        self._ensure()
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(self._call(scope, body), self._loop)
        try:
            return future.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise McpUnavailable(f"the MCP server did not answer within {self.timeout:g} s") from None

    async def _call(self, scope: dict[str, Any], body: bytes) -> HttpReply:
        status = 500
        headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []
        delivered = False
        done = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    done.set()

        try:
            await self._manager.handle_request(scope, receive, send)
        finally:
            done.set()
        return HttpReply(status, headers, b"".join(chunks))

    def close(self) -> None:
        """Stop the event loop thread (tests and app teardown; the process exit stops it anyway)."""
        with self._lock:
            loop, stop, thread = self._loop, self._stop, self._thread
            self._pid = self._loop = self._manager = self._thread = self._stop = None
        if loop is not None and stop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(stop.set)
            thread.join(10)


def bridge_for(app: Flask) -> McpBridge:
    """The app's MCP bridge, created on first use from its graph and settings."""
    bridge = app.extensions.get(EXTENSION)
    if bridge is None:
        with _CREATE_LOCK:
            bridge = app.extensions.get(EXTENSION)
            if bridge is None:
                holder: list[McpBridge] = []
                context = ToolContext.from_config(
                    app.extensions["kubekg"], app.config, on_runaway=lambda: holder[0].note_runaway()
                )
                bridge = McpBridge(context, float(app.config.get("MAX_TIMEOUT", 60.0)) + GRACE_SECONDS)
                holder.append(bridge)
                app.extensions[EXTENSION] = bridge
    return bridge


_CREATE_LOCK = threading.Lock()


def _asgi_headers(items: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in items]


def _check_origin(app: Flask) -> None:
    origin = request.headers.get("Origin")
    allowed = tuple(app.config.get("CORS_ORIGINS") or ())
    if origin and allowed != ("*",) and origin.lower() not in {a.lower() for a in allowed}:
        raise Forbidden(f"Origin {origin} may not use /mcp (it is not in CORS_ORIGINS)")


@bp.post(PATH)
def mcp_endpoint() -> Response:
    """One MCP JSON-RPC message (Streamable HTTP, stateless, JSON responses)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    _check_origin(app)
    body = request.get_data(cache=False)
    server_name = request.environ.get("SERVER_NAME", "127.0.0.1")
    server_port = int(request.environ.get("SERVER_PORT") or 80)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1").rpartition("/")[2] or "1.1",
        "method": "POST",
        "scheme": request.scheme,
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": request.query_string,
        "root_path": "",
        "headers": _asgi_headers(request.headers.items()),
        "server": (server_name, server_port),
        "client": (request.remote_addr or "", 0),
    }
    bridge = bridge_for(app)
    before = bridge.runaways
    reply = bridge.handle(scope, body)
    headers = [
        (k, v) for k, v in reply.headers if k.lower() not in _HOP_BY_HOP and k.lower() != "content-length"
    ]
    response = Response(reply.body, status=reply.status, headers=headers)
    if bridge.runaways != before:
        from kubekg.web.sparql import recycle

        recycle(response, "query_timeout")
    return response


__all__ = ["PATH", "McpBridge", "bp", "bridge_for"]
