"""An entity as a small cited Markdown document, ready for chunking: title, labels, definition, facts, errata, sources.

Each fact is one bullet sentence from :mod:`kubekg.chat.facts` followed by ``[n]`` citations of the document
sections it comes from; the Sources list at the end maps each ``[n]`` to the section's heading path. Inferred facts
are listed apart with the rule that derived them. The same entity always gives the same text (stable order).
"""

from __future__ import annotations

import re
from typing import Any

import pyoxigraph as ox

from kubekg.chat import facts as chat_facts
from kubekg.chat.facts import RDF_TYPE, SKOS, check_lang, require_entity

DEFINITION = SKOS + "definition"
ALT_LABEL = SKOS + "altLabel"

HEADINGS = {
    "en": {
        "iri": "IRI",
        "en": "English",
        "ko": "Korean",
        "alt": "Also known as",
        "types": "Types",
        "definition": "Definition",
        "facts": "Facts",
        "inferred": "Inferred facts",
        "rule": "rule",
        "errata": "Errata",
        "says": "The document says",
        "correction": "Correction",
        "reason": "Reason",
        "reference": "Reference",
        "sources": "Sources",
    },
    "ko": {
        "iri": "IRI",
        "en": "영어",
        "ko": "한국어",
        "alt": "다른 이름",
        "types": "유형",
        "definition": "정의",
        "facts": "사실",
        "inferred": "추론된 사실",
        "rule": "규칙",
        "errata": "정오표",
        "says": "문서 내용",
        "correction": "바른 내용",
        "reason": "이유",
        "reference": "참고",
        "sources": "출처",
    },
}

NAMES_Q = """SELECT ?p ?v WHERE { VALUES ?p { skos:altLabel skos:definition } ?e ?p ?v FILTER (isLiteral(?v)) }
ORDER BY ?p ?v"""


def _md(text: Any) -> str:
    """Text safe inside one Markdown line: whitespace collapsed, emphasis/link/HTML characters escaped."""
    return re.sub(r"([\\`*_\[\]<|])", r"\\\1", " ".join(str(text).split()))


class _Citations:
    """Numbers the sections in order of first citation."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}
        self.sections: dict[str, dict] = {}

    def cite(self, sections: list[dict]) -> str:
        marks = []
        for s in sections:
            if s["iri"] not in self.numbers:
                self.numbers[s["iri"]] = len(self.numbers) + 1
                self.sections[s["iri"]] = s
            marks.append(f"[{self.numbers[s['iri']]}]")
        return (" " + "".join(dict.fromkeys(marks))) if marks else ""


def entity_markdown(kg: Any, iri: str, lang: str = "en") -> str:
    """The entity as cited Markdown in ``lang`` (``en`` or ``ko``); ``NotFound`` when the IRI is not in the graph."""
    lang = check_lang(lang)
    require_entity(kg, iri)
    h = HEADINGS[lang]
    node = ox.NamedNode(iri)
    about = chat_facts.facts_about(kg, iri, lang, inferred=True)
    head = chat_facts.entity_head(kg, iri, lang)
    labels = head["labels"]
    alt: list[str] = []
    definitions: dict[str, str] = {}
    for row in kg.select(NAMES_Q, {"e": node}):
        value = row["v"]
        if row["p"].value == ALT_LABEL:
            if value.value not in alt:
                alt.append(value.value)
        else:
            code = (value.language or "en")[:2]
            definitions.setdefault(code, value.value)
    cites = _Citations()

    lines = [f"# {_md(head['label'])} (`{head['id']}`)", ""]
    lines.append(f"- {h['iri']}: <{iri}>")
    for code in ("en", "ko"):
        if labels.get(code):
            lines.append(f"- {h[code]}: {_md(labels[code])}")
    if alt:
        lines.append(f"- {h['alt']}: " + ", ".join(_md(a) for a in sorted(alt)))
    types = [f for f in about if f["subject"]["iri"] == iri and f["predicate"]["iri"] == RDF_TYPE]
    type_names = list(dict.fromkeys(_md(f["object"]["label"]) for f in types if not f["inferred"]))
    if type_names:
        lines.append(f"- {h['types']}: " + ", ".join(type_names))

    own_definitions = {
        f["object"].get("lang") or "": f
        for f in about
        if f["subject"]["iri"] == iri and f["predicate"]["iri"] == DEFINITION and not f["inferred"]
    }
    definition_lang = lang if lang in definitions else next(iter(sorted(definitions)), None)
    if definition_lang:
        cited = own_definitions.get(definition_lang)
        lines += ["", f"## {h['definition']}", ""]
        lines.append(_md(definitions[definition_lang]) + (cites.cite(cited["sections"]) if cited else ""))

    shown = own_definitions.get(definition_lang or "")
    asserted = [f for f in about if not f["inferred"] and f is not shown]
    if asserted:
        lines += ["", f"## {h['facts']}", ""]
        lines += [f"- {_md(f['text'])}{cites.cite(f['sections'])}" for f in asserted]
    inferred = [f for f in about if f["inferred"]]
    if inferred:
        lines += ["", f"## {h['inferred']}", ""]
        for f in inferred:
            rule = f["rule"]["id"] if f["rule"] and f["rule"]["id"] else "?"
            lines.append(f"- {_md(f['text'])} ({h['rule']} `{rule}`){cites.cite(f['sections'])}")

    errata = kg.errata(about=iri) if hasattr(kg, "errata") else []
    if errata:
        lines += ["", f"## {h['errata']}", ""]
        section_refs = {s["iri"]: s for s in chat_facts.sections(kg)}
        for e in errata:
            correction = e["correction"].get(lang) or e["correction"].get("en") or e["correction"].get("ko")
            where = [section_refs[e["section"]]] if e.get("section") in section_refs else []
            lines.append(
                f"- {h['says']}: {_md(e.get('documentSays') or '-')} — {h['correction']}: {_md(correction or '-')}"
                + cites.cite(where)
            )
            if e.get("reason"):
                lines.append(f"  {h['reason']}: {_md(e['reason'])}")
            for url in e.get("references", []):
                lines.append(f"  {h['reference']}: <{url}>")

    if cites.numbers:
        lines += ["", f"## {h['sources']}", ""]
        for section_iri, n in cites.numbers.items():
            s = cites.sections[section_iri]
            lines.append(f"- [{n}] {_md(s['headingPath'] or s['id'])} (`{s['id']}`)")
    return "\n".join(lines) + "\n"


__all__ = ["entity_markdown"]
