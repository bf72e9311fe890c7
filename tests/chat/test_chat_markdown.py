"""An entity as a small cited Markdown document (issue 5 §3, /api/entities/{id}?format=markdown)."""

from __future__ import annotations

import re

import pytest

from kubekg import ns
from kubekg.chat import facts as F
from kubekg.chat.markdown import entity_markdown
from kubekg.errors import InvalidParameter, NotFound
from kubekg.graph import KnowledgeGraph, load_graph

CITATION = re.compile(r"\[(\d+)\]")


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return load_graph()


def _sources(text: str) -> dict[int, str]:
    part = text.split("\n## ")[-1]
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"^- \[(\d+)\] (.+)$", part, re.M)}


@pytest.mark.parametrize(
    ("entity", "lang"), [("nfs", "en"), ("etcd", "ko"), ("HorizontalPodAutoscaler", "en")]
)
def test_entity_document_cites_every_fact(kg: KnowledgeGraph, entity: str, lang: str) -> None:
    iri = ns.KR + entity
    text = entity_markdown(kg, iri, lang)
    labels = kg.labels(iri)
    assert text.startswith(f"# {labels[lang] or labels['en']} (`kr:{entity}`)")
    assert f"<{iri}>" in text
    sources = _sources(text)
    cited = {int(n) for line in text.splitlines() if line.startswith("- ") for n in CITATION.findall(line)}
    assert cited and cited <= set(sources)  # every [n] resolves to a listed section
    headings = set(kg.heading_paths().values())
    assert all(any(h in line for h in headings) for line in sources.values())
    about = F.facts_about(kg, iri, lang, inferred=True)
    bullets = [line for line in text.splitlines() if line.startswith("- ")]
    shown = sum(1 for f in about if any(f["text"].split(" [")[0][:40] in b for b in bullets))
    assert shown >= len(about) - 1  # all facts, except the definition shown under its own heading


def test_entity_document_is_stable_and_language_specific(kg: KnowledgeGraph) -> None:
    iri = ns.KR + "kube-proxy"
    en, ko = entity_markdown(kg, iri, "en"), entity_markdown(kg, iri, "ko")
    assert en == entity_markdown(kg, iri, "en")
    assert "## Facts" in en and "## Sources" in en
    assert "## 사실" in ko and "## 출처" in ko and en != ko


def test_entity_document_lists_errata_with_correction_and_reference(kg: KnowledgeGraph) -> None:
    iri = ns.KR + "etcd"
    errata = kg.errata(about=iri)
    assert errata, "the document's shifted Role column gives etcd an erratum"
    text = entity_markdown(kg, iri, "en")
    assert "## Errata" in text
    for e in errata:
        assert e["correction"]["en"].split(".")[0][:30] in text
        for url in e["references"]:
            assert f"<{url}>" in text


def test_unknown_entity_and_bad_language(kg: KnowledgeGraph) -> None:
    with pytest.raises(NotFound):
        entity_markdown(kg, ns.KR + "no-such-entity", "en")
    with pytest.raises(InvalidParameter):
        entity_markdown(kg, ns.KR + "nfs", "de")


def test_markdown_escapes_document_text(kg: KnowledgeGraph) -> None:
    """Table-row text with |, * or < must not turn into tables, emphasis or HTML in the chunk."""
    text = entity_markdown(kg, ns.KR + "nfs", "en")
    for line in text.splitlines():
        assert "<" not in line or re.search(r"<https?://[^>]+>", line), line
