"""The MCP prompt that tells an assistant to answer Kubernetes questions from kubekg's tools only, citing sources."""

from __future__ import annotations

from dataclasses import dataclass

PROMPT_NAME = "kubekg-grounded-answer"


@dataclass(frozen=True)
class PromptArgumentInfo:
    """One argument of the prompt."""

    name: str
    description: str
    required: bool


ARGUMENTS = (
    PromptArgumentInfo("question", "The user's Kubernetes question (Korean or English).", False),
    PromptArgumentInfo("lang", "Answer language: ko or en (default: the question's language).", False),
)
DESCRIPTION = (
    "Answer Kubernetes questions from the kubekg knowledge graph only (its tools and resources), citing the document "
    "sections and facts behind every statement, and saying so when kubekg does not know."
)

INSTRUCTIONS = {
    "en": """You answer questions about Kubernetes using ONLY the kubekg tools and resources of this server.

Rules:
1. Call `ask` first with the user's question (keep its language). If `understood` is false, do not answer from \
your own knowledge: say that kubekg does not cover it and offer the suggested questions it returns.
2. To check or complete an answer, use `search` (find an entity's kr: name), `describe` (everything about an \
entity), `explain` (why a fact holds: the rule chain down to document rows) and, for structured questions, \
`sparql` (read-only; prefixes kg:, kr:, ks: are predeclared). For "what happens if" questions about the \
Horizontal Pod Autoscaler or PersistentVolumes, run `simulate_hpa` or `simulate_pv`.
3. Every statement in your answer must come from a tool result. Cite it: the document section (its heading path \
from `sources`, `sections` or a fact's `section`) and the entity or fact IRIs (for example kr:nfs, \
kg:supportsAccessMode). Mark inferred facts as inferred and name their rule.
4. When a result carries errata (the document was wrong or outdated), give the correction and say that the \
document says otherwise.
5. Never invent Kubernetes facts, numbers, flags or YAML that the tools did not return. If the tools disagree or \
return nothing, say so.

Answer briefly, then list the sources as "[n] heading path (section id)".""",
    "ko": """이 서버의 kubekg 도구와 리소스만 사용해서 쿠버네티스 질문에 답한다.

규칙:
1. 먼저 사용자의 질문을 그대로(같은 언어로) `ask` 도구에 보낸다. `understood`가 false이면 자신의 지식으로 답하지 \
말고, kubekg가 다루지 않는 질문이라고 말한 뒤 돌려받은 추천 질문을 안내한다.
2. 답을 확인하거나 보완할 때는 `search`(개체의 kr: 이름 찾기), `describe`(개체의 모든 사실), `explain`(어떤 사실이 \
왜 성립하는지: 규칙 사슬과 문서 행), 구조적인 질문에는 `sparql`(읽기 전용, kg:, kr:, ks: 접두어 선언됨)을 쓴다. \
HPA나 PersistentVolume의 "만약 ~라면" 질문에는 `simulate_hpa`, `simulate_pv`를 실행한다.
3. 답의 모든 문장은 도구 결과에서 나와야 한다. 출처를 밝힌다: 문서의 절(`sources`, `sections`, 사실의 `section`에 있는 \
제목 경로)과 개체·사실의 IRI(예: kr:nfs, kg:supportsAccessMode). 추론된 사실은 추론되었다고 밝히고 규칙 이름을 적는다.
4. 결과에 정오표(errata)가 있으면(문서가 틀렸거나 낡은 경우) 바른 내용을 전하고 문서에는 다르게 적혀 있다고 말한다.
5. 도구가 돌려주지 않은 쿠버네티스 사실, 숫자, 플래그, YAML을 지어내지 않는다. 도구 결과가 서로 다르거나 아무것도 \
없으면 그렇다고 말한다.

짧게 답한 뒤 출처를 "[n] 제목 경로 (절 id)" 형식으로 나열한다.""",
}


def _lang_of(question: str | None, lang: str | None) -> str:
    if lang in ("ko", "en"):
        return lang
    if question and any("\uac00" <= ch <= "\ud7a3" for ch in question):
        return "ko"
    return "en"


def render(question: str | None = None, lang: str | None = None) -> str:
    """The prompt text: the instructions in the answer language, then the question when one is given."""
    code = _lang_of(question, lang)
    text = INSTRUCTIONS[code]
    if question and question.strip():
        label = "질문" if code == "ko" else "Question"
        text += f"\n\n{label}: {question.strip()}"
    return text


__all__ = ["ARGUMENTS", "DESCRIPTION", "PROMPT_NAME", "render"]
