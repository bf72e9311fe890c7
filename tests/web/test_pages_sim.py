"""The simulation pages as part of the site (base layout, both languages) and the geometry of their charts."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from kubekg.simulation import examples
from kubekg.web import i18n
from kubekg.web.sim_charts import duration_label, hpa_chart, nice_step, phase_class, pv_timeline
from kubekg.web.simulate import bp

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PAGES = ("/", "/entity/nfs", "/sparql", "/simulate/hpa", "/simulate/pv", "/api/docs", "/no-such-page")
# a catalogue key that leaked onto a page because it is missing (t() shows the key itself)
LEAKED_KEY = re.compile(
    r"\b(?:site|nav|footer|entity|errata|sparql|docs|error|common|sim|ask)\.[a-z_]+(?:\.[a-z_-]+)*\b"
)


def visible_text(html: str) -> str:
    """The page's text and attribute values a person sees or hears (no tags, no URLs)."""
    html = re.sub(r"<textarea[^>]*>.*?</textarea>", "", html, flags=re.S)
    attrs = " ".join(re.findall(r'(?:aria-label|title|placeholder)="([^"]*)"', html))
    return re.sub(r"<[^>]+>", " ", html) + " " + attrs


# ------------------------------------------------------------------------------------------------------- the pages
@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_in_the_layout_and_its_language(client, path, lang):
    response = client.get(f"{path}?lang={lang}", headers=BROWSER)
    assert response.status_code == (404 if path == "/no-such-page" else 200)
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    nav = re.search(r'<ul class="nav-links">(.*?)</ul>', html, re.S).group(1)
    assert re.findall(r'href="([^"]+)"', nav) == [
        "/",
        "/sparql",
        "/simulate/hpa",
        "/simulate/pv",
        "/api/docs",
    ]
    assert i18n.t("nav.simulate_hpa", lang) in nav
    assert 'href="/static/kubekg.css"' in html
    assert "<style" not in html and " style=" not in html and "<script>" not in html
    assert LEAKED_KEY.findall(visible_text(html)) == []


@pytest.mark.parametrize(
    ("path", "key"), [("/simulate/hpa", "sim.hpa.title"), ("/simulate/pv", "sim.pv.title")]
)
def test_simulation_pages_are_translated(client, path, key):
    pages = {
        lang: client.get(f"{path}?lang={lang}", headers=BROWSER).get_data(as_text=True)
        for lang in ("ko", "en")
    }
    for lang, html in pages.items():
        assert f"<h1>{i18n.t(key, lang)}</h1>" in html
        assert i18n.t("sim.submit", lang) in html and i18n.t("sim.scenario", lang) in html
        assert 'href="/static/sim.css"' in html and 'aria-current="page"' in html
    korean_only = set(re.findall(r"[가-힣]+", visible_text(pages["ko"])))
    english_only = set(re.findall(r"[가-힣]+", visible_text(pages["en"])))
    assert len(korean_only - english_only) > 20  # the Korean page says its own things in Korean


def test_hpa_page_draws_the_chart_with_axes_legend_and_the_documents_examples(client):
    html = client.get("/simulate/hpa?lang=en", headers=BROWSER).get_data(as_text=True)
    chart = re.search(r'<svg[^>]*id="hpa-chart".*?</svg>', html, re.S).group(0)
    for word in (
        "replicas",
        "utilization",
        "target 50%",
        "time since start",
        "CPU utilization (% of request)",
    ):
        assert f">{word}<" in chart, word
    assert chart.count('class="line-replicas"') == 2  # the line and its legend sample
    assert 'class="line-target"' in chart and 'class="line-util"' in chart
    assert re.search(r'<title id="hpa-chart-title">', chart) and "aria-labelledby" in chart
    for worked in examples.worked_examples():
        assert f'<strong class="num">{worked["document"]["replicas"]}</strong>' in html
    assert "ScaleUpLimit" in html and "DesiredWithinRange" in html


def test_pv_page_draws_the_state_timeline(client):
    html = client.get("/simulate/pv?lang=ko", headers=BROWSER).get_data(as_text=True)
    timeline = re.search(r'<svg[^>]*id="pv-timeline".*?</svg>', html, re.S).group(0)
    assert "phase-bound" in timeline and "phase-released" in timeline and "phase-gone" in timeline
    assert i18n.t("sim.pv.gone", "ko") in timeline and ">PVC<" in timeline
    assert 'class="phase-legend"' in html


def test_a_form_post_keeps_the_language_and_marks_no_preset(client):
    body = examples.preset_yaml("hpa", "document-example").replace("maxReplicas: 10", "maxReplicas: 3")
    client.get("/simulate/hpa?lang=ko", headers=BROWSER)  # the cookie remembers ko
    response = client.post("/simulate/hpa", data={"body": body}, headers=BROWSER)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="ko">' in html
    assert i18n.t("sim.hpa.summary", "ko").format(start=2, peak=3, end=2, n=2) in html
    assert 'aria-current="true"' not in html.split('class="presets"')[1].split("</p>")[0]


def test_pages_render_in_an_app_with_only_the_simulation_blueprint():
    app = Flask("only-simulation")
    app.config["TESTING"] = True
    app.extensions["kubekg"] = object()  # no graph: the static facts
    app.register_blueprint(bp)
    client = app.test_client()
    for path in ("/simulate/hpa?lang=ko", "/simulate/pv?lang=en"):
        html = client.get(path, headers=BROWSER).get_data(as_text=True)
        assert 'href="/simulate/static/kubekg.css"' in html and 'href="/simulate/static/sim.css"' in html
        assert re.findall(r'<ul class="nav-links">(.*?)</ul>', html, re.S)
    with client.get("/simulate/static/kubekg.css") as css:
        assert css.status_code == 200


# --------------------------------------------------------------------------------------------------- chart geometry
@pytest.mark.parametrize(
    ("span", "ticks", "integer", "step"),
    [
        pytest.param(6.6, 6, True, 2, id="replicas up to 6.6"),
        pytest.param(2.2, 6, True, 1, id="few replicas: never below one"),
        pytest.param(55, 6, True, 10, id="replicas up to 55"),
        pytest.param(157.5, 6, False, 50, id="percent up to 157.5"),
        pytest.param(105, 6, False, 20, id="percent up to 105"),
        pytest.param(0.1, 5, False, 0.02, id="a tiny span"),
        pytest.param(0, 5, False, 1, id="an empty span"),
    ],
)
def test_nice_step(span, ticks, integer, step):
    assert nice_step(span, ticks, integer) == pytest.approx(step)


@pytest.mark.parametrize(
    ("seconds", "lang", "label"),
    [
        (0, "en", "0"),
        (45, "en", "45s"),
        (300, "en", "5m"),
        (5400, "en", "1h30m"),
        (5400, "ko", "1시간 30분"),
        (15, "ko", "15초"),
    ],
)
def test_duration_label(seconds, lang, label):
    assert duration_label(seconds, lang) == label


def rows(*points):
    """HPA timeline rows from (t, replicas before, desired, utilization) tuples."""
    return [
        {
            "t": t,
            "replicas": r,
            "desiredReplicas": d,
            "utilization": u,
            "target": 50,
            "rescale": r != d,
            "reason": "X",
        }
        for t, r, d, u in points
    ]


def test_hpa_chart_ticks_cover_the_data_on_whole_numbers():
    chart = hpa_chart(rows((0, 2, 4, 150), (15, 4, 6, 150), (30, 6, 6, None), (1800, 6, 2, 25)))
    labels = [tk.label for tk in chart.replica_ticks]
    assert labels == ["0", "2", "4", "6", "8"]
    assert [tk.label for tk in chart.utilization_ticks][-1] == "200%"
    assert [tk.label for tk in chart.x_ticks] == ["0", "5m", "10m", "15m", "20m", "25m", "30m"]
    assert len(chart.utilization) == 2  # the missing utilization breaks the line
    assert [(m.before, m.after) for m in chart.markers] == [(2, 4), (4, 6), (6, 2)]
    assert chart.replicas.startswith(
        f"{float(chart.left)},"
    )  # the line starts at the count before the first sync
    assert chart.target_y is not None and chart.top < chart.target_y < chart.bottom
    assert hpa_chart([]) is None


def test_pv_timeline_tells_absent_from_deleted_and_marks_terminating():
    result = {
        "steps": [
            {
                "index": 0,
                "at": 0,
                "action": "initial",
                "volumes": {"pv": {"phase": "Available"}},
                "claims": {},
            },
            {
                "index": 1,
                "at": 10,
                "action": "create",
                "volumes": {"pv": {"phase": "Bound"}},
                "claims": {"ns/c": {"phase": "Bound", "terminating": True}},
            },
            {"index": 2, "at": 70, "action": "delete", "volumes": {"pv": {"phase": "Weird"}}, "claims": {}},
        ]
    }
    grid = pv_timeline(result, "en")
    (pv, claim) = grid.rows
    assert [c.state for c in pv.cells] == ["Available", "Bound", "Weird"]
    assert [c.css for c in pv.cells] == ["phase-available", "phase-bound", "phase-other"]
    assert [c.state for c in claim.cells] == ["absent", "Bound", "gone"]
    assert claim.cells[1].terminating and (pv.kind, claim.kind) == ("PV", "PVC")
    assert [col.at for col in grid.columns] == ["+0", "+10s", "+1m10s"]
    assert grid.phases == [
        ("Available", "phase-available"),
        ("Bound", "phase-bound"),
        ("Weird", "phase-other"),
    ]
    assert pv_timeline({"steps": []}) is None and phase_class("gone") == "phase-gone"
