"""The ko/en UI language of the web pages: ``?lang=`` (remembered in a cookie), then the cookie, then Accept-Language.

Messages live in a small catalogue (key -> {"ko": ..., "en": ...}); other blueprints add theirs with
``register_messages`` and templates translate with ``t("key")``. A missing key shows the key itself, so a gap is
visible on the page rather than an exception. Fixed English texts that come from data (a simulation's worked
examples, Kubernetes condition reasons) are translated gettext-style with ``tr(text)``: the English text is the
key, and an unknown text stays English.
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
    "nav.main": {"ko": "주 메뉴", "en": "Main"},
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
    "entity.status": {"ko": "출처와 근거", "en": "Origin and explanation"},
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
    "sparql.limits": {
        "ko": "최대 {rows}행, 시간 제한 {seconds}초",
        "en": "At most {rows} rows, time limit {seconds} s",
    },
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
    "docs.parameters": {"ko": "매개변수", "en": "Parameters"},
    "docs.request_body": {"ko": "요청 본문", "en": "Request body"},
    "docs.responses": {"ko": "응답", "en": "Responses"},
    "docs.try": {"ko": "직접 호출해 보기", "en": "Try it"},
    "docs.send": {"ko": "보내기", "en": "Send"},
    "docs.body_label": {"ko": "요청 본문 (JSON)", "en": "Request body (JSON)"},
    "docs.col_name": {"ko": "이름", "en": "name"},
    "docs.col_in": {"ko": "위치", "en": "in"},
    "docs.col_required": {"ko": "필수", "en": "required"},
    "docs.col_schema": {"ko": "스키마", "en": "schema"},
    "docs.col_description": {"ko": "설명", "en": "description"},
    "docs.yes": {"ko": "예", "en": "yes"},
    "docs.no": {"ko": "아니오", "en": "no"},
    "docs.summary_note": {
        "ko": "각 작업을 펼치면 매개변수, 스키마와 호출 양식이 보입니다. 설명은 OpenAPI 문서의 영어 원문입니다.",
        "en": "Open an operation to see its parameters, schemas and a form that calls it.",
    },
    "error.title": {"ko": "오류", "en": "Error"},
    "error.home": {"ko": "처음으로", "en": "Back to the start page"},
    "error.details": {"ko": "자세한 내용", "en": "Details"},
    "error.400": {"ko": "요청이 올바르지 않습니다", "en": "Bad request"},
    "error.404": {"ko": "찾을 수 없습니다", "en": "Not found"},
    "error.405": {"ko": "허용되지 않는 메서드입니다", "en": "Method not allowed"},
    "error.413": {"ko": "요청이 너무 큽니다", "en": "Request too large"},
    "error.422": {"ko": "처리할 수 없는 입력입니다", "en": "Unprocessable input"},
    "error.500": {"ko": "서버 내부 오류", "en": "Internal error"},
    "error.503": {"ko": "지금은 서비스를 쓸 수 없습니다", "en": "Service unavailable"},
    "error.hint": {
        "ko": "주소를 확인하거나 질문 페이지에서 다시 시작하세요.",
        "en": "Check the address, or start again from the question page.",
    },
    "common.yes": {"ko": "예", "en": "yes"},
    "common.no": {"ko": "아니오", "en": "no"},
    "entity.anonymous": {
        "ko": "익명 OWL 표현(빈 노드)에 관한 진술 {n}개는 생략했습니다. JSON에서 볼 수 있습니다.",
        "en": "Statements about anonymous OWL expressions (blank nodes) are not shown here ({n}); the JSON has them.",
    },
    "entity.relations_caption": {"ko": "{label}의 관계", "en": "Relations of {label}"},
}

# the simulation pages (/simulate/hpa, /simulate/pv)
MESSAGES.update(
    {
        "sim.hpa.title": {
            "ko": "Horizontal Pod Autoscaler: 컨트롤러가 실제로 하는 일",
            "en": "Horizontal Pod Autoscaler: what the controller really does",
        },
        "sim.hpa.intro": {
            "ko": "HPA 컨트롤러가 동기화할 때마다(주기는 지식 그래프에서 읽습니다) 레플리카 수, 사용률, 결정과 그 이유를 "
            "계산합니다. 레플리카 계산, 300초 안정화 구간, 스케일 업 제한은 kube-controller-manager를 따릅니다. "
            "YAML을 고쳐 자신의 HPA, 파드의 요청량과 부하(전체 CPU 수요의 계단, 경사, 급증)를 시험해 보세요.",
            "en": "At every sync of the HPA controller (its period comes from the knowledge graph) the page computes "
            "the replicas, the utilization, the decision and its reason. The replica calculator, the 300 s "
            "stabilization window and the scale-up limit follow kube-controller-manager; edit the YAML to try your "
            "own HPA, pod requests and load (steps, ramps and spikes of total CPU demand).",
        },
        "sim.worked.title": {"ko": "문서의 예제", "en": "The document's examples"},
        "sim.worked.intro": {
            "ko": "문서의 계산, 같은 숫자에 대한 레플리카 계산기의 결과, 새 HPA가 한 번 조정(reconcile)했을 때의 결정을 "
            "나란히 보여 줍니다.",
            "en": "The document's arithmetic, the replica calculator on the same numbers, and what one reconcile of "
            "a fresh HPA decides.",
        },
        "sim.worked.col_example": {"ko": "예제", "en": "Example"},
        "sim.worked.col_document": {"ko": "문서의 계산", "en": "The document"},
        "sim.worked.col_calculator": {"ko": "레플리카 계산기", "en": "Replica calculator"},
        "sim.worked.col_controller": {
            "ko": "컨트롤러 (새 HPA의 조정 한 번)",
            "en": "Controller (one reconcile of a fresh HPA)",
        },
        "sim.worked.utilization": {"ko": "사용률", "en": "utilization"},
        "sim.worked.ready_pods": {"ko": "개의 준비된 파드", "en": " ready pods"},
        "sim.scenario": {"ko": "시나리오", "en": "Scenario"},
        "sim.presets": {"ko": "미리 준비된 예", "en": "Presets"},
        "sim.preset.document-example": {"ko": "문서의 예제", "en": "The document's example"},
        "sim.preset.ramp-and-spike-with-behavior": {
            "ko": "완만한 증가와 급증 (behavior 설정)",
            "en": "Ramp and spike, with behavior",
        },
        "sim.preset.static-lifecycle-and-reclaim": {
            "ko": "정적 프로비저닝, 수명 주기와 반환",
            "en": "Static provisioning, lifecycle and reclaim",
        },
        "sim.preset.dynamic-provisioning-and-faults": {
            "ko": "동적 프로비저닝과 장애",
            "en": "Dynamic provisioning and faults",
        },
        "sim.body_label": {"ko": "요청 (YAML)", "en": "Request (YAML)"},
        "sim.body_help": {
            "ko": "이 API가 받는 것과 같은 본문입니다:",
            "en": "The same body as this API takes:",
        },
        "sim.submit": {"ko": "시뮬레이션 실행", "en": "Simulate"},
        "sim.error": {"ko": "입력 오류", "en": "Input error"},
        "sim.hpa.chart": {"ko": "레플리카, 사용률과 목표", "en": "Replicas, utilization and target"},
        "sim.hpa.sync_period": {"ko": "동기화 주기 {s}초", "en": "Sync period {s} s"},
        "sim.hpa.fact": {"ko": "지식 그래프의 사실", "en": "fact from the knowledge graph"},
        "sim.hpa.summary": {
            "ko": "레플리카는 {start}개에서 시작해 최대 {peak}개까지 늘었고 {end}개로 끝났습니다 (스케일 변경 {n}번).",
            "en": "Replicas started at {start}, reached at most {peak} and ended at {end}, after {n} rescales.",
        },
        "sim.hpa.axis_replicas": {"ko": "레플리카 수", "en": "replicas"},
        "sim.hpa.axis_util": {"ko": "CPU 사용률 (요청 대비 %)", "en": "CPU utilization (% of request)"},
        "sim.hpa.axis_time": {"ko": "시작 후 경과 시간", "en": "time since start"},
        "sim.hpa.legend_replicas": {"ko": "레플리카", "en": "replicas"},
        "sim.hpa.legend_util": {"ko": "사용률", "en": "utilization"},
        "sim.hpa.legend_target": {"ko": "목표 {v}%", "en": "target {v}%"},
        "sim.hpa.legend_rescale": {"ko": "스케일 변경", "en": "rescale"},
        "sim.hpa.rescales": {"ko": "스케일 변경", "en": "Rescales"},
        "sim.hpa.no_rescales": {"ko": "스케일 변경이 없었습니다.", "en": "No rescales."},
        "sim.hpa.every_sync": {"ko": "모든 동기화 ({n}행)", "en": "Every sync ({n} rows)"},
        "sim.hpa.reasons": {"ko": "이유 코드", "en": "Reasons"},
        "sim.col.t": {"ko": "시각", "en": "time"},
        "sim.col.from": {"ko": "이전", "en": "from"},
        "sim.col.to": {"ko": "이후", "en": "to"},
        "sim.col.reason": {"ko": "이유", "en": "reason"},
        "sim.col.meaning": {"ko": "뜻", "en": "meaning"},
        "sim.col.demand": {"ko": "수요 (전체 CPU)", "en": "demand (total CPU)"},
        "sim.col.replicas": {"ko": "레플리카", "en": "replicas"},
        "sim.col.ready": {"ko": "준비됨", "en": "ready"},
        "sim.col.utilization": {"ko": "사용률 %", "en": "utilization %"},
        "sim.col.target": {"ko": "목표 %", "en": "target %"},
        "sim.col.proposal": {"ko": "제안", "en": "proposal"},
        "sim.col.desired": {"ko": "결정", "en": "desired"},
        "sim.col.naive": {"ko": "문서의 공식", "en": "document formula"},
        "sim.pv.title": {
            "ko": "퍼시스턴트 볼륨과 클레임: 바인딩, 사용, 반환",
            "en": "PersistentVolumes and claims: binding, use and reclaim",
        },
        "sim.pv.intro": {
            "ko": "볼륨, 클레임, 스토리지 클래스, 파드에 대한 시간별 동작입니다. 동작마다 PV 컨트롤러, 스케줄러의 볼륨 "
            "바인딩, 보호 finalizer가 더 바뀌는 것이 없을 때까지 실행됩니다. 플러그인의 능력(접근 모드, 확장, Delete와 "
            "Recycle)은 지식 그래프에서 읽습니다.",
            "en": "Timed actions on volumes, claims, classes and pods; after each one the PV controller, the "
            "scheduler's volume binding and the protection finalizers run until nothing changes. Plugin abilities "
            "(access modes, expansion, Delete and Recycle) come from the knowledge graph.",
        },
        "sim.pv.timeline": {"ko": "상태 타임라인", "en": "State timeline"},
        "sim.pv.timeline_help": {
            "ko": "각 칸은 그 단계 뒤 객체의 상태(phase)입니다. 점선 테두리와 *는 삭제 대기 중(finalizer가 풀리기를 "
            "기다림), “삭제됨”은 객체가 없어졌다는 뜻입니다. 칸에 마우스를 올리면 자세한 내용이 보입니다.",
            "en": "Each cell is the object's phase after the step. A dashed border and * mean terminating (the "
            "deletion waits for a finalizer); “deleted” means the object is gone. Hover a cell for details.",
        },
        "sim.pv.chart_title": {
            "ko": "단계별 볼륨, 클레임, 파드의 상태",
            "en": "Phases of volumes, claims and pods after each step",
        },
        "sim.pv.gone": {"ko": "삭제됨", "en": "deleted"},
        "sim.pv.terminating": {"ko": "삭제 대기", "en": "terminating"},
        "sim.pv.legend": {"ko": "상태", "en": "Phases"},
        "sim.pv.steps": {"ko": "단계와 이벤트", "en": "Steps and events"},
        "sim.pv.rejected": {"ko": "거부됨", "en": "rejected"},
        "sim.col.step": {"ko": "단계", "en": "step"},
        "sim.col.action": {"ko": "동작", "en": "action"},
        "sim.col.events": {
            "ko": "이벤트 (유형 · 이유 · 객체 · 메시지)",
            "en": "events (type · reason · object · message)",
        },
    }
)


# English text -> Korean text, for fixed English strings that arrive as data (see ``tr``)
PHRASES: dict[str, str] = {
    # the simulation's worked examples (kubekg.simulation.examples)
    "scale out": "스케일 아웃",
    "scale in": "스케일 인",
    "scale in, again": "다시 스케일 인",
    "a fresh HPA: the scale-up limit max(2 × current, 4) caps one sync": (
        "새 HPA: 스케일 업 제한 max(2 × 현재 수, 4)가 한 번의 동기화에서 늘릴 수를 막음"
    ),
    "a fresh HPA: its current count is its first recommendation, so it cannot scale down for 300 s": (
        "새 HPA: 현재 수가 첫 권고값이 되므로 300초 동안 줄이지 못함"
    ),
    "within the limits": "제한 범위 안",
    # the HPA controller's ScalingLimited messages (pkg/controller/podautoscaler/horizontal.go)
    "the desired replica count is increasing faster than the maximum scale rate": (
        "원하는 레플리카 수가 최대 스케일 속도보다 빠르게 늘고 있음"
    ),
    "the desired replica count is decreasing faster than the maximum scale rate": (
        "원하는 레플리카 수가 최대 스케일 속도보다 빠르게 줄고 있음"
    ),
    "the desired replica count is more than the maximum replica count": "원하는 레플리카 수가 최대 레플리카 수보다 많음",
    "the desired replica count is less than the minimum replica count": "원하는 레플리카 수가 최소 레플리카 수보다 적음",
    "the desired count is within the acceptable range": "원하는 수가 허용 범위 안에 있음",
    # PV scenario actions (kubekg.simulation.pv.scenario.ACTIONS)
    "initial": "초기 상태",
    "create": "생성",
    "delete": "삭제",
    "expand": "확장",
    "injectFault": "장애 주입",
    "wait": "대기",
}


def register_messages(messages: Mapping[str, Mapping[str, str]]) -> None:
    """Add (or replace) catalogue entries; each value maps "ko" and "en" to the text."""
    for key, texts in messages.items():
        MESSAGES[key] = dict(texts)


def register_phrases(phrases: Mapping[str, str]) -> None:
    """Add Korean translations of fixed English texts that arrive as data (the English text is the key)."""
    PHRASES.update(phrases)


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


def t(key: str, lang: str | None = None, default: str | None = None) -> str:
    """The catalogue text for key in lang (default: the request's language); default, else the key, when missing."""
    texts = MESSAGES.get(key)
    if not texts:
        return key if default is None else default
    lang = lang or get_lang()
    return texts.get(lang) or texts.get(DEFAULT_LANG) or key


def tr(text: object, lang: str | None = None) -> str:
    """A data text in the UI language: its registered Korean translation on Korean pages, else the text itself."""
    value = "" if text is None else str(text)
    if (lang or get_lang()) == "ko":
        return PHRASES.get(value, value)
    return value


def lang_url(lang: str) -> str:
    """The current URL with ``lang`` replaced, for the language switch links."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    from urllib.parse import urlencode

    return request.path + "?" + urlencode(args, doseq=True)


def template_context() -> dict:
    """What templates use to translate: ``t``, ``tr``, ``lang``, ``langs`` and ``lang_url``."""
    return {"t": t, "tr": tr, "lang": get_lang(), "langs": LANGS, "lang_url": lang_url}


def init_app(app: Flask) -> None:
    """Expose ``template_context()`` to templates and remember an explicit ``?lang=`` in a cookie."""

    @app.context_processor
    def _inject() -> dict:
        return template_context()

    @app.after_request
    def _remember(response: Response) -> Response:
        lang = request.args.get("lang")
        if lang in LANGS and request.cookies.get(COOKIE) != lang:
            response.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        return response
