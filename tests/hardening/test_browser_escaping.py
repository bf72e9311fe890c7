"""Every user-supplied string is escaped, checked in a real browser (issue 6, section 1).

Headless Chromium (Debian's, through Playwright) loads each page that echoes user input, with hostile payloads
in every place a user can put text: the question, the SPARQL editor's query, the entity id, the simulation form,
presets, language switches, unknown paths. The check does not rely on the CSP: the browser context bypasses it,
so an unescaped payload would run. A payload must show as text, create no element and run no script. Every
HTML response must carry the CSP without inline script, ``X-Content-Type-Options: nosniff`` and
``frame-ancestors 'none'``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAYLOADS = [
    "<script>window.__pwned='script'</script>",
    '"><img src=x onerror="window.__pwned=\'img\'">',
    "'><svg onload=window.__pwned='svg'>",
    "</textarea><script>window.__pwned='textarea'</script>",
    "javascript:window.__pwned='href'",
    "<a href=x onmouseover=window.__pwned='a'>x</a>{{7*7}}",
]
# what a payload's elements would look like if they reached the DOM as markup
INJECTED = "script:not([src]):not([type='application/json']), img[src='x'], svg[onload], a[onmouseover], [onerror], [onload]"


def pages(payload: str) -> list[tuple[str, str, dict[str, str] | None]]:
    """(label, path, form to POST or None) for every page that takes user text."""
    q = quote(payload, safe="")
    return [
        ("ask page", "/?" + urlencode({"q": payload}), None),
        ("ask page, answer language", "/?" + urlencode({"q": "What is etcd?", "answer_lang": payload}), None),
        ("ask page, UI language", "/?" + urlencode({"q": payload, "lang": payload}), None),
        ("ask form", "/", {"q": payload}),
        ("sparql editor", "/sparql?" + urlencode({"query": payload}), None),
        ("entity page", f"/entity/{q}", None),
        ("entity page, language", "/entity/etcd?" + urlencode({"lang": payload}), None),
        ("unknown path", f"/no/such/{q}", None),
        ("simulation form", "/simulate/hpa", {"body": f"hpa: {{metadata: {{name: {payload!r}}}}}"}),
        ("simulation yaml error", "/simulate/pv", {"body": payload}),
        ("simulation preset", "/simulate/pv?" + urlencode({"preset": payload}), None),
        ("api docs", "/api/docs?" + urlencode({"x": payload}), None),
    ]


def check_headers(label: str, headers: dict[str, str]) -> list[str]:
    problems = []
    csp = headers.get("content-security-policy", "")
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    if "script-src" not in directives or "'unsafe-inline'" in csp or "'unsafe-eval'" in csp:
        problems.append(f"{label}: CSP allows inline script or has no script-src: {csp!r}")
    if directives.get("frame-ancestors") != "frame-ancestors 'none'":
        problems.append(f"{label}: frame-ancestors is not 'none': {csp!r}")
    if headers.get("x-content-type-options") != "nosniff":
        problems.append(f"{label}: no X-Content-Type-Options: nosniff")
    return problems


def test_hostile_input_is_text_on_every_page(browser: Any, live_url: str, figures: Any) -> None:
    context = browser.new_context(bypass_csp=True, java_script_enabled=True)  # escaping must hold without CSP
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    problems: list[str] = []
    checked = 0
    try:
        for payload in PAYLOADS:
            for label, path, form in pages(payload):
                if form is None:
                    response = page.goto(live_url + path, wait_until="load")
                else:
                    response = page.request.post(live_url + path, form=form, headers={"Accept": "text/html"})
                    page.set_content(response.text(), wait_until="load")  # render what the server answered
                assert response is not None
                status = response.status
                if status >= 500:
                    problems.append(f"{label}: HTTP {status} for {payload!r}")
                    continue
                problems += check_headers(label, {k.lower(): v for k, v in response.headers.items()})
                found = page.evaluate(
                    "sel => ({pwned: window.__pwned || null, injected: document.querySelectorAll(sel).length,"
                    " text: document.body ? document.body.innerText : '', html: document.documentElement.outerHTML})",
                    INJECTED,
                )
                if found["pwned"]:
                    problems.append(f"{label}: the payload ran ({found['pwned']}) for {payload!r}")
                if found["injected"]:
                    problems.append(f"{label}: {found['injected']} element(s) injected by {payload!r}")
                if "49" in found["text"] and "{{7*7}}" in payload and "{{7*7}}" not in found["html"]:
                    problems.append(f"{label}: a template expression was evaluated")
                checked += 1
        # the question is shown back as the text the user typed
        page.goto(live_url + "/?" + urlencode({"q": PAYLOADS[0]}), wait_until="load")
        shown = page.evaluate(
            "() => [...document.querySelectorAll('textarea, input')].map(e => e.value).join(' ') + ' '"
            " + document.body.innerText"
        )
        assert PAYLOADS[0] in shown
    finally:
        context.close()
    figures.add(
        "browser escaping", f"{checked} page loads with {len(PAYLOADS)} payloads, {len(problems)} problems"
    )
    assert not dialogs, dialogs
    assert not problems, problems[:10]


def test_pages_cannot_be_framed(browser: Any, live_url: str) -> None:
    """A page of another origin that frames kubekg gets nothing: frame-ancestors 'none' is enforced."""
    context = browser.new_context()
    page = context.new_page()
    try:
        page.set_content(f'<iframe id="f" src="{live_url}/entity/etcd"></iframe>', wait_until="load")
        page.wait_for_timeout(500)
        child = page.frames[1]
        # a refused frame shows the browser's own error page instead of kubekg's content
        assert child.url.startswith("chrome-error://") or "etcd" not in child.content(), child.url
    finally:
        context.close()
