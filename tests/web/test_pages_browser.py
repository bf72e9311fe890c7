"""The service's pages in headless Chromium (Playwright): the SPARQL editor runs queries under the strict CSP,
the API docs page renders /openapi.json and its "try it" form works, entity links can be followed, and no page
logs a Content-Security-Policy violation or a script error.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("KUBEKG_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def live_url(kg) -> Iterator[str]:
    """The app on the embedded graph, served by werkzeug on a free loopback port for the module."""
    from kubekg.web import create_app

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


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.problems = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.problems.append(f"script error: {exc}"))
    page.on(
        "console",
        lambda msg: page.problems.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    yield page
    context.close()


def test_sparql_editor_runs_select_and_ask_and_shows_errors(page, live_url, app):
    if "/sparql" not in {r.rule for r in app.url_map.iter_rules()}:
        pytest.skip("the /sparql blueprint (kubekg.web.sparql) is not installed")
    page.goto(f"{live_url}/sparql")
    page.fill("#query", "SELECT ?c WHERE { ?c a kg:Component } ORDER BY ?c LIMIT 3")
    page.click("#run")
    page.wait_for_selector("table.result-table", timeout=10_000)
    assert page.locator("table.result-table tbody tr").count() == 3
    first = page.locator("table.result-table tbody tr a").first
    assert first.get_attribute("href").startswith("/entity/")
    assert "query=SELECT" in page.get_attribute('#downloads a[data-format="csv"]', "href")

    page.fill("#query", "ASK { kr:kube-apiserver kg:accessesDirectly kr:etcd }")
    page.click("#run")
    page.wait_for_selector(".boolean-result", timeout=10_000)
    assert "true" in page.inner_text(".boolean-result")

    page.fill("#query", "SELECT nonsense {")
    page.click("#run")
    page.wait_for_selector("#status.error", timeout=10_000)
    assert "400" in page.inner_text("#status")
    assert page.problems == []


def test_sparql_editor_shows_hostile_results_as_text(page, live_url, app):
    if "/sparql" not in {r.rule for r in app.url_map.iter_rules()}:
        pytest.skip("the /sparql blueprint (kubekg.web.sparql) is not installed")
    page.goto(f"{live_url}/sparql")
    page.fill(
        "#query", 'SELECT ?x WHERE { BIND("<img src=x onerror=alert(1)><script>alert(2)</script>" AS ?x) }'
    )
    page.click("#run")
    page.wait_for_selector("table.result-table", timeout=10_000)
    assert "<script>alert(2)</script>" in page.inner_text("table.result-table")
    assert page.locator("table.result-table img, table.result-table script").count() == 0
    assert page.problems == []


def test_api_docs_render_the_document_and_try_it(page, live_url):
    page.goto(f"{live_url}/api/docs")
    page.wait_for_selector("details.op", timeout=10_000)
    paths = page.locator("details.op .path").all_inner_texts()
    assert "/api/search" in paths and "/api/entities/{id}" in paths
    search = page.locator("details.op", has=page.locator(".path", has_text="/api/search")).first
    search.locator("summary").first.click()
    search.locator('input[id$="-q"]').fill("etcd")
    search.locator("form.try button").click()
    output = search.locator(".try-output")
    output.filter(has_text="200").wait_for(timeout=10_000)
    assert '"kr:etcd"' in output.inner_text()
    assert page.problems == []


def test_entity_page_links_can_be_followed_in_both_languages(page, live_url):
    page.goto(f"{live_url}/entity/etcd?lang=ko")
    assert page.inner_text("html >> css=h1") and page.get_attribute("html", "lang") == "ko"
    page.locator('a[href="/entity/kube-apiserver"]').first.click()
    page.wait_for_url("**/entity/kube-apiserver")
    assert page.get_attribute("html", "lang") == "ko"  # the cookie remembers the language
    page.locator('.lang-switch a[hreflang="en"]').click()
    page.wait_for_url("**lang=en")
    assert page.get_attribute("html", "lang") == "en"
    assert page.problems == []
