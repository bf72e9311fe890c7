"""Fixtures shared by the browser tests of every package: one headless Chromium and a live app server.

``browser`` launches Debian's Chromium through Playwright for one test module (skipping with the reason when it
is not installed; module scope, not session: Playwright's sync API keeps an asyncio loop running in the main
thread while it lives, which would break later tests that call ``asyncio.run``); ``live_url`` serves ``create_app`` on the requesting package's ``kg`` fixture on a free
loopback port, with the question answerer built before the first page load.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("KUBEKG_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, shared by the browser tests of one module."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium; .ci/run does this)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def live_url(kg: Any) -> Iterator[str]:
    """The app on the embedded graph, served by werkzeug on a free loopback port for the module."""
    from kubekg.qa.engine import get_answerer
    from kubekg.web import create_app

    get_answerer(kg)  # built before the first page load, not during it
    app = create_app({"GRAPH": kg})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
