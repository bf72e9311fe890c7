"""Questions over HTTP: the ask page at ``/`` (server-rendered, works without script) and ``/api/ask`` (issue 4).

``/api/ask`` takes ``POST`` JSON ``{"question": ..., "lang": "ko"|"en"}`` or ``GET ?q=...&lang=...`` and answers with
the contract of :mod:`kubekg.qa.engine`; an empty or oversized question, a body that is not JSON (415) or not valid
JSON (400) gets the usual error shape. The page renders the same answer: the sentence, a table of answers linking
to entity pages, the evidence with its rule chain in a ``<details>``, and the SPARQL with a link to the editor.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from kubekg.errors import InvalidJSON, InvalidParameter, MissingParameter, UnsupportedMediaType
from kubekg.web import get_graph
from kubekg.web.i18n import get_lang, register_messages

bp = Blueprint("ask", __name__)

MESSAGES = {
    "ask.title": {"ko": "쿠버네티스에 대해 질문하세요", "en": "Ask about Kubernetes"},
    "ask.intro": {
        "ko": "한국어나 영어로 질문하면 지식 그래프에서 답과 근거(사실, 추론 규칙, 문서의 절)를 찾아 보여 줍니다.",
        "en": "Ask in Korean or English; the answer comes from the knowledge graph, with the facts, rules and "
        "document sections behind it.",
    },
    "ask.label": {"ko": "질문", "en": "Question"},
    "ask.placeholder": {"ko": "예: RWX를 지원하는 스토리지는?", "en": "e.g. Which storage supports RWX?"},
    "ask.submit": {"ko": "질문하기", "en": "Ask"},
    "ask.examples": {"ko": "예시 질문", "en": "Example questions"},
    "ask.answer": {"ko": "답", "en": "Answer"},
    "ask.answers": {"ko": "답 목록", "en": "Answers"},
    "ask.col_answer": {"ko": "답", "en": "Answer"},
    "ask.col_ko": {"ko": "한국어", "en": "Korean"},
    "ask.col_en": {"ko": "영어", "en": "English"},
    "ask.evidence": {"ko": "근거와 추론 규칙", "en": "Evidence and rule chain"},
    "ask.asserted": {"ko": "문서에 명시", "en": "asserted"},
    "ask.inferred": {"ko": "추론됨", "en": "inferred"},
    "ask.rule": {"ko": "규칙", "en": "rule"},
    "ask.sources": {"ko": "문서의 절", "en": "Document sections"},
    "ask.sparql": {"ko": "실행한 SPARQL", "en": "The SPARQL that ran"},
    "ask.open_sparql": {"ko": "SPARQL 편집기에서 열기", "en": "Open in the SPARQL editor"},
    "ask.not_understood": {"ko": "이해하지 못했습니다", "en": "Not understood"},
    "ask.suggestions": {"ko": "이런 질문은 답할 수 있습니다", "en": "Questions kubekg can answer"},
    "ask.kind": {"ko": "질문 유형", "en": "Question kind"},
    "ask.json": {"ko": "JSON으로 보기", "en": "View as JSON"},
    "ask.yes": {"ko": "예", "en": "yes"},
    "ask.no": {"ko": "아니오", "en": "no"},
}
register_messages(MESSAGES)

JSON_TYPES = ("application/json",)
log = logging.getLogger("kubekg.web.ask")


def warm_up(app: Any) -> None:
    """Build the answerer (Kiwi, label and description indexes: seconds) before the workers fork.

    ``kubekg.web.serve.warm_up`` calls this in the gunicorn master, synchronously, so every worker shares the built
    answerer and the first question does not wait. Never in a background thread: a fork while that thread held
    the answerer's lock left the lock taken in every worker, and each /api/ask there blocked forever.
    """
    from kubekg.qa.engine import get_answerer

    get_answerer(app.extensions.get("kubekg"), app.config.get("MAX_QUESTION_CHARS", 500))


def _answerer() -> Any:
    from kubekg.qa.engine import get_answerer

    return get_answerer(get_graph(), current_app.config.get("MAX_QUESTION_CHARS", 500))


def _lang_arg(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if value not in ("ko", "en"):
        raise InvalidParameter(f"lang must be 'ko' or 'en', not {value!r}")
    return str(value)


def ask_question(question: Any, lang: Any = None) -> dict[str, Any]:
    """Validate and answer one question (the shared path of the page and the API)."""
    if question is None or (isinstance(question, str) and not question.strip()):
        raise MissingParameter("the question is empty; ask something like 'Which storage supports RWX?'")
    if not isinstance(question, str):
        raise InvalidParameter("the question must be a string")
    try:
        question.encode("utf-8")
    except UnicodeEncodeError:  # a JSON "\\ud800" escape gives a lone surrogate, which no response can carry
        raise InvalidParameter(
            "the question is not valid Unicode text (it has an unpaired surrogate)"
        ) from None
    return _answerer().answer(question, _lang_arg(lang))


@bp.route("/api/ask", methods=["GET", "POST"])
def api_ask() -> Response:
    """The answer contract as JSON."""
    if request.method == "POST":
        mimetype = (request.mimetype or "").lower()
        if mimetype not in JSON_TYPES and not mimetype.endswith("+json"):
            raise UnsupportedMediaType(
                f"POST /api/ask takes application/json, not {request.mimetype or 'an untyped body'}; "
                'send {"question": "...", "lang": "ko"|"en"} or use GET /api/ask?q=...'
            )
        raw = request.get_data(cache=False)
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidJSON(f"the body is not valid JSON: {exc}") from None
        except RecursionError:
            raise InvalidJSON("the body is nested too deeply to be the JSON object expected") from None
        if not isinstance(body, dict):
            raise InvalidJSON('the body must be a JSON object like {"question": "...", "lang": "en"}')
        result = ask_question(body.get("question"), body.get("lang"))
    else:
        question = request.args.get("q", request.args.get("question"))
        result = ask_question(question, request.args.get("lang"))
    return jsonify(result)


@bp.route("/", methods=["GET", "POST"])
def ask_page() -> str:
    """The question form; with ``q`` (query string or form field) it also shows the answer."""
    question = request.values.get("q", "")
    answer_lang = request.values.get("answer_lang") or None
    result = None
    error = None
    if question.strip():
        try:
            result = ask_question(question, answer_lang if answer_lang in ("ko", "en") else None)
        except (MissingParameter, InvalidParameter) as exc:
            error = exc.message
        except Exception as exc:  # noqa: BLE001 - shown on the page as an error, never a 500 page
            from kubekg.errors import KubeKGError

            if not isinstance(exc, KubeKGError):
                raise
            error = exc.message
    ui = get_lang()
    return render_template(
        "ask.html",
        question=question,
        result=result,
        error=error,
        examples=_examples(ui),
        entity_href=_entity_href,
        sparql_href=_sparql_href,
        max_chars=current_app.config.get("MAX_QUESTION_CHARS", 500),
        nav_active="nav.ask",
    )


def _examples(ui: str) -> list[dict[str, str]]:
    """A few example questions per language (the first example of each question kind), UI language first."""
    answerer = _answerer()
    out: list[dict[str, str]] = []
    for lang in (ui, "en" if ui == "ko" else "ko"):
        seen = 0
        for kind in answerer.kinds:
            for ex in kind.examples.get(lang, [])[:1]:
                out.append({"lang": lang, "text": ex, "href": "/?" + urlencode({"q": ex})})
                seen += 1
            if seen >= 7:
                break
    return out


def _entity_href(iri: str) -> str:
    from kubekg.web.entities import entity_key

    return "/entity/" + entity_key(iri)


def _sparql_href(query: str) -> str:
    return "/sparql?" + urlencode({"query": query})
