"""Every page in headless Chromium (Playwright): one site in both languages, working under the strict CSP.

Each page is visited in English and switched to Korean with the language links: ``<html lang>`` follows, the
navigation is there, the page's own strings change, nothing logs a console error, a script error or a
Content-Security-Policy violation, and the accessibility basics hold (labelled fields, headings in order, text
contrast, keyboard-usable ``<details>``). The SPARQL editor runs queries, the API docs render /openapi.json and
its "try it" form works, entity links can be followed, and the simulation forms post and draw their charts.
"""

from __future__ import annotations

import pytest

from kubekg.web.i18n import t

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000
NAV_PATHS = ["/", "/sparql", "/simulate/hpa", "/simulate/pv", "/api/docs"]

# Collects CSP violations from the first moment of every document (an init script is not subject to the CSP).
CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""

# Accessibility basics, measured in the page: unlabelled fields, skipped heading levels, low-contrast text.
A11Y_PROBE = """
() => {
  function visible(el) {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none";
  }
  const unlabelled = [];
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden" || !visible(el)) continue;
    const named = (el.labels && el.labels.length) || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!named) unlabelled.push(el.outerHTML.slice(0, 80));
  }
  const levels = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")].filter(visible).map(h => +h.tagName[1]);
  const skipped = [];
  levels.forEach((level, i) => { if (i > 0 && level > levels[i - 1] + 1) skipped.push(levels[i - 1] + "->" + level); });

  function rgba(text) {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(",").map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function luminance(c) {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  }
  function background(el) {
    for (let n = el; n; n = n.parentElement) {
      const s = getComputedStyle(n);
      if (s.backgroundImage && s.backgroundImage !== "none") return null;
      const c = rgba(s.backgroundColor);
      if (c && c[3] > 0.5) return c;
    }
    return [255, 255, 255, 1];
  }
  const lowContrast = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || seen.has(el) || !node.textContent.trim() || el.closest("svg, option, script")) continue;
    seen.add(el);
    if (!visible(el)) continue;
    const s = getComputedStyle(el);
    const fg = rgba(s.color), bg = background(el);
    if (!fg || !bg) continue;
    const a = luminance(fg), b = luminance(bg);
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight, 10) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) lowContrast.push(ratio.toFixed(2) + " " + el.tagName + ": " + node.textContent.trim().slice(0, 40));
  }
  const nav = [...document.querySelectorAll("nav.nav .nav-links a")];
  const current = document.querySelector(".lang-switch a[aria-current=true]");
  return {
    unlabelled, skipped, h1: levels.filter(l => l === 1).length, lowContrast,
    lang: document.documentElement.lang,
    heading: (document.querySelector("h1") || {}).innerText || "",
    navPaths: nav.map(a => a.getAttribute("href")),
    navTexts: nav.map(a => a.innerText.trim()),
    currentLang: current ? current.getAttribute("hreflang") : null,
    csp: window.__cspViolations || [],
  };
}
"""


@pytest.fixture
def page(browser):
    """A fresh page that records script errors, console errors (with their URL) and CSP messages."""
    context = browser.new_context(locale="en-US")
    context.add_init_script(CSP_PROBE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.problems = []  # type: ignore[attr-defined]
    page.console_errors = []  # type: ignore[attr-defined]
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.problems.append(f"script error: {exc}"))

    def on_console(msg):
        if "Content Security Policy" in msg.text:
            page.problems.append(msg.text)
        if msg.type == "error":
            page.console_errors.append((msg.location.get("url", ""), msg.text))

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("console", on_console)
    page.on("dialog", on_dialog)
    yield page
    context.close()


def assert_clean(page, *, expected_status_url: str | None = None) -> None:
    """No script error, no CSP violation and no console error (except the document's own expected 4xx status)."""
    violations = page.evaluate("window.__cspViolations || []")
    errors = [
        text
        for url, text in page.console_errors
        if not (
            expected_status_url
            and url.split("?")[0] == expected_status_url.split("?")[0]
            and "Failed to load resource" in text
        )
    ]
    assert page.problems == [] and violations == [] and errors == [], (page.problems, violations, errors)


# ------------------------------------------------------------------------------------------- every page, both languages
# (path, heading key or None for the entity label, expected HTTP status)
PAGES = [
    ("/?q=Which+storage+types+support+ReadWriteMany%3F", "ask.title", 200),
    (
        "/?q=RWX%EB%A5%BC+%EC%A7%80%EC%9B%90%ED%95%98%EB%8A%94+%EC%8A%A4%ED%86%A0%EB%A6%AC%EC%A7%80%EB%8A%94%3F",
        "ask.title",
        200,
    ),
    ("/entity/nfs", None, 200),
    ("/sparql", "sparql.title", 200),
    ("/simulate/hpa", "sim.hpa.title", 200),
    ("/simulate/pv", "sim.pv.title", 200),
    ("/api/docs", "docs.title", 200),
    ("/no-such-page", "error.404", 404),
]


def check_page(page, lang: str, heading: str, status_url: str | None) -> dict:
    """The checks every page passes in one language (one round trip to the page); returns the probe."""
    probe = page.evaluate(A11Y_PROBE)
    assert probe["lang"] == lang and probe["currentLang"] == lang, probe
    assert heading in probe["heading"], probe["heading"]
    assert probe["navPaths"] == NAV_PATHS, probe["navPaths"]
    assert probe["unlabelled"] == [], probe["unlabelled"]
    assert probe["skipped"] == [] and probe["h1"] == 1, probe
    assert probe["lowContrast"] == [], probe["lowContrast"]
    assert_clean(page, expected_status_url=status_url)
    return probe


@pytest.mark.parametrize(("path", "key", "status"), PAGES, ids=[p[0].split("?")[0] for p in PAGES])
def test_page_in_both_languages_through_the_switch(page, live_url, kg, path, key, status):
    separator = "&" if "?" in path else "?"
    response = page.goto(f"{live_url}{path}{separator}lang=en")
    assert response.status == status
    if key is None:
        labels = kg.labels("https://kubekg.dev/id/nfs")
        headings = {"en": labels["en"], "ko": labels["ko"]}
    else:
        headings = {lang: t(key, lang) for lang in ("en", "ko")}
    status_url = response.url if status >= 400 else None
    english = check_page(page, "en", headings["en"], status_url)
    assert english["navTexts"][0] == t("nav.ask", "en")

    with page.expect_navigation():
        page.click('.lang-switch a[hreflang="ko"]')
    status_url = page.url if status >= 400 else None
    korean = check_page(page, "ko", headings["ko"], status_url)
    assert korean["navTexts"] != english["navTexts"] and korean["navTexts"][0] == t("nav.ask", "ko")
    if key is not None:
        assert korean["heading"] != english["heading"]  # the page's own heading changed language


def test_the_accessibility_probe_finds_what_it_looks_for(page):
    """The probe is not vacuous: an unlabelled field, a skipped heading level and grey-on-white text are caught."""
    page.set_content(
        "<html lang=en><body><h1>a</h1><h3>b</h3><input id=x><label for=y>y</label><input id=y>"
        "<p class=low>low contrast</p><p>fine</p></body></html>"
    )
    page.add_style_tag(content=".low { color: #aaa; background: #fff; }")
    probe = page.evaluate(A11Y_PROBE)
    assert len(probe["unlabelled"]) == 1 and 'id="x"' in probe["unlabelled"][0]
    assert probe["skipped"] == ["1->3"]
    assert [c.split(" ", 1)[1] for c in probe["lowContrast"]] == ["P: low contrast"]


# ---------------------------------------------------------------------------------------------------- simulation forms
def test_hpa_page_chart_and_form_post(page, live_url):
    page.goto(f"{live_url}/simulate/hpa?lang=en")
    chart = page.locator("svg#hpa-chart")
    legend = chart.locator(".legend").text_content() if chart.locator(".legend").count() else ""
    texts = page.locator("svg#hpa-chart text").all_text_contents()
    for word in (
        "replicas",
        "utilization",
        "target 50%",
        "time since start",
        "CPU utilization (% of request)",
    ):
        assert any(word in text for text in texts), (word, texts, legend)
    assert chart.locator("polyline.line-replicas").count() == 1
    assert chart.locator("polyline.line-util").count() >= 1 and chart.locator("line.line-target").count() >= 1
    assert (
        chart.locator("circle.marker").count() == 4 + 1
    )  # the document example's 4 rescales, plus the legend's
    assert "ScaleUpLimit" in page.inner_text("table.worked-examples")  # the document's examples are preloaded

    body = page.input_value("#body")
    assert "maxReplicas: 10" in body
    page.fill("#body", body.replace("maxReplicas: 10", "maxReplicas: 4"))
    with page.expect_navigation():
        page.click("#simulate")
    assert page.locator("svg#hpa-chart").count() == 1
    assert "reached at most 4" in page.inner_text("#hpa-summary")
    assert page.locator(".presets a[aria-current]").count() == 0  # an edited body is no longer the preset

    page.fill("#body", "hpa: [broken")
    with page.expect_navigation():
        page.click("#simulate")
    assert page.locator(".sim-error[role=alert]").count() == 1 and page.locator("svg#hpa-chart").count() == 0
    assert_clean(page, expected_status_url=page.url)


def test_pv_page_timeline_and_hostile_names_are_text(page, live_url):
    page.goto(f"{live_url}/simulate/pv?lang=ko")
    timeline = page.locator("svg#pv-timeline")
    assert timeline.locator("g.cell").count() > 10
    assert t("sim.pv.gone", "ko") in timeline.text_content()
    assert page.locator(".phase-legend li").count() >= 3
    body = page.input_value("#body")
    hostile = "<img src=x onerror=alert(1)>"
    page.fill("#body", body.replace("name: pv-retain", f"name: '{hostile}'", 1))
    with page.expect_navigation():
        page.click("#simulate")
    page.wait_for_timeout(200)
    assert page.dialogs == [] and page.locator("img").count() == 0
    assert hostile in page.locator("svg#pv-timeline").text_content()  # shown as text (in the row tooltip)
    assert page.get_attribute("html", "lang") == "ko"
    assert_clean(page, expected_status_url=page.url)


def test_details_open_and_close_from_the_keyboard(page, live_url):
    page.goto(f"{live_url}/simulate/hpa")
    details = page.locator("details.every-sync")
    summary = details.locator("summary")
    summary.focus()
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Enter")
    assert details.get_attribute("open") is not None
    assert page.locator("table.syncs tbody tr").count() > 100
    page.keyboard.press("Space")
    assert details.get_attribute("open") is None
    page.keyboard.press("Shift+Tab")  # focus moves on: the page is navigable by keyboard, not trapped
    assert page.evaluate("document.activeElement.tagName") != "SUMMARY"
    assert_clean(page)


# ------------------------------------------------------------------------------------------------ the service's pages
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
    page.goto(f"{live_url}/api/docs?lang=ko")
    page.wait_for_selector("details.op", timeout=10_000)
    paths = page.locator("details.op .path").all_inner_texts()
    assert "/api/search" in paths and "/api/entities/{id}" in paths
    search = page.locator("details.op", has=page.locator(".path", has_text="/api/search")).first
    search.locator("summary").first.click()
    assert (
        t("docs.parameters", "ko") in search.inner_text()
    )  # the page's chrome is translated, the spec is not
    search.locator('input[id$="-q"]').fill("etcd")
    search.locator("form.try button").click()
    output = search.locator(".try-output")
    output.filter(has_text="200").wait_for(timeout=10_000)
    assert '"kr:etcd"' in output.inner_text()
    assert page.evaluate(A11Y_PROBE)["unlabelled"] == []
    assert_clean(page)


def test_entity_page_links_can_be_followed_in_both_languages(page, live_url):
    page.goto(f"{live_url}/entity/etcd?lang=ko")
    assert page.inner_text("html >> css=h1") and page.get_attribute("html", "lang") == "ko"
    page.locator('a[href="/entity/kube-apiserver"]').first.click()
    page.wait_for_url("**/entity/kube-apiserver")
    assert page.get_attribute("html", "lang") == "ko"  # the cookie remembers the language
    page.locator('.lang-switch a[hreflang="en"]').click()
    page.wait_for_url("**lang=en")
    assert page.get_attribute("html", "lang") == "en"
    assert_clean(page)
