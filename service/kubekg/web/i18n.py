"""The ko/en UI language of the web pages: ``?lang=`` (remembered in a cookie), then the cookie, then Accept-Language.

Messages live in a small catalogue (key -> {"ko": ..., "en": ...}); other blueprints add theirs with
``register_messages`` and templates translate with ``t("key")``. A missing key shows the key itself, so a gap is
visible on the page rather than an exception.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, Response, g, request

LANGS = ("ko", "en")
DEFAULT_LANG = "en"
COOKIE = "lang"

MESSAGES: dict[str, dict[str, str]] = {
    "site.title": {"ko": "kubekg 쿠버네티스 지식 그래프", "en": "kubekg Kubernetes knowledge graph"},
    "site.name": {"ko": "kubekg", "en": "kubekg"},
    "nav.ask": {"ko": "질문", "en": "Ask"},
    "nav.sparql": {"ko": "SPARQL", "en": "SPARQL"},
    "nav.simulate_hpa": {"ko": "HPA 시뮬레이션", "en": "Simulate HPA"},
    "nav.simulate_pv": {"ko": "PV 시뮬레이션", "en": "Simulate PV"},
    "nav.api_docs": {"ko": "API 문서", "en": "API docs"},
    "nav.language": {"ko": "언어", "en": "Language"},
    "nav.skip": {"ko": "본문으로 건너뛰기", "en": "Skip to content"},
    "footer.source": {
        "ko": "출처: 한국어 쿠버네티스 개요 문서와 그 정오표",
        "en": "Source: a Korean Kubernetes overview document and its errata",
    },
    "entity.labels": {"ko": "이름", "en": "Labels"},
    "entity.alt_labels": {"ko": "다른 이름", "en": "Also known as"},
    "entity.definition": {"ko": "정의", "en": "Definition"},
    "entity.types": {"ko": "유형", "en": "Types"},
    "entity.outgoing": {"ko": "이 개체의 관계", "en": "Relations from this entity"},
    "entity.incoming": {"ko": "이 개체를 가리키는 관계", "en": "Relations to this entity"},
    "entity.property": {"ko": "속성", "en": "Property"},
    "entity.value": {"ko": "값", "en": "Value"},
    "entity.subject": {"ko": "주어", "en": "Subject"},
    "entity.inferred": {"ko": "추론됨", "en": "inferred"},
    "entity.asserted": {"ko": "문서에 명시", "en": "asserted"},
    "entity.why": {"ko": "근거", "en": "why?"},
    "entity.sections": {"ko": "문서의 절", "en": "Document sections"},
    "entity.errata": {"ko": "정오표", "en": "Errata"},
    "entity.none": {"ko": "없음", "en": "none"},
    "entity.json": {"ko": "JSON으로 보기", "en": "View as JSON"},
    "errata.document_says": {"ko": "문서 내용", "en": "The document says"},
    "errata.correction": {"ko": "바른 내용", "en": "Correction"},
    "errata.reason": {"ko": "이유", "en": "Reason"},
    "errata.reference": {"ko": "참고", "en": "Reference"},
    "sparql.title": {"ko": "SPARQL 질의", "en": "SPARQL query"},
    "sparql.examples": {"ko": "예제 질의", "en": "Example queries"},
    "sparql.choose": {"ko": "예제를 고르세요", "en": "Choose an example"},
    "sparql.query": {"ko": "질의", "en": "Query"},
    "sparql.run": {"ko": "실행", "en": "Run"},
    "sparql.running": {"ko": "실행 중…", "en": "Running…"},
    "sparql.asserted_only": {
        "ko": "추론 결과 제외(명시된 사실만)",
        "en": "Asserted facts only (hide inferred)",
    },
    "sparql.download": {"ko": "내려받기", "en": "Download"},
    "sparql.results": {"ko": "결과", "en": "Results"},
    "sparql.rows": {"ko": "행", "en": "rows"},
    "sparql.truncated": {"ko": "결과가 잘렸습니다", "en": "results were truncated"},
    "sparql.no_results": {"ko": "결과 없음", "en": "No results"},
    "sparql.error": {"ko": "오류", "en": "Error"},
    "sparql.true": {"ko": "예 (true)", "en": "yes (true)"},
    "sparql.false": {"ko": "아니오 (false)", "en": "no (false)"},
    "docs.title": {"ko": "REST API 문서", "en": "REST API documentation"},
    "docs.loading": {"ko": "OpenAPI 문서를 읽는 중…", "en": "Loading the OpenAPI document…"},
    "docs.raw": {"ko": "OpenAPI JSON 원문", "en": "Raw OpenAPI JSON"},
    "error.title": {"ko": "오류", "en": "Error"},
    "error.home": {"ko": "처음으로", "en": "Back to the start page"},
    "error.404": {"ko": "찾을 수 없습니다.", "en": "Not found."},
}


def register_messages(messages: Mapping[str, Mapping[str, str]]) -> None:
    """Add (or replace) catalogue entries; each value maps "ko" and "en" to the text."""
    for key, texts in messages.items():
        MESSAGES[key] = dict(texts)


def negotiate() -> str:
    """The language of the current request: valid ``?lang=``, else the cookie, else Accept-Language, else en."""
    lang = request.args.get("lang")
    if lang in LANGS:
        return lang
    lang = request.cookies.get(COOKIE)
    if lang in LANGS:
        return lang
    return request.accept_languages.best_match(LANGS) or DEFAULT_LANG


def get_lang() -> str:
    """The UI language of the current request (computed once per request)."""
    if "ui_lang" not in g:
        g.ui_lang = negotiate()
    return g.ui_lang


def t(key: str, lang: str | None = None) -> str:
    """The catalogue text for key in lang (default: the request's language); the key itself when missing."""
    texts = MESSAGES.get(key)
    if not texts:
        return key
    lang = lang or get_lang()
    return texts.get(lang) or texts.get(DEFAULT_LANG) or key


def lang_url(lang: str) -> str:
    """The current URL with ``lang`` replaced, for the language switch links."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    from urllib.parse import urlencode

    return request.path + "?" + urlencode(args, doseq=True)


def init_app(app: Flask) -> None:
    """Expose ``t``, ``lang`` and ``lang_url`` to templates and remember an explicit ``?lang=`` in a cookie."""

    @app.context_processor
    def _inject() -> dict:
        return {"t": t, "lang": get_lang(), "langs": LANGS, "lang_url": lang_url}

    @app.after_request
    def _remember(response: Response) -> Response:
        lang = request.args.get("lang")
        if lang in LANGS and request.cookies.get(COOKIE) != lang:
            response.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        return response
