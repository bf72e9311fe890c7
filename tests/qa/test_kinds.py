"""Question kinds are data: every kind is valid, runs an existing competency query and answers its own examples."""

from __future__ import annotations

import pytest

from kubekg import paths
from kubekg.qa.kinds import KindError, load_kinds

KINDS, SHARED = load_kinds()


def test_kinds_file_is_valid():
    assert len(KINDS) >= 10
    assert {"wh_words", "property_cues", "negation_words"} <= set(SHARED)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.id)
def test_kind_query_files_exist(kind):
    for rel in [kind.query, *kind.queries.values()]:
        assert (paths.queries_dir() / rel).is_file(), rel


EXAMPLES = [(k.id, lang, q) for k in KINDS for lang in ("en", "ko") for q in k.examples[lang]]


@pytest.mark.parametrize(
    ("kind_id", "lang", "question"),
    EXAMPLES,
    ids=[f"{k}-{lang}-{i}" for i, (k, lang, _) in enumerate(EXAMPLES)],
)
def test_every_example_is_understood(answerer, kind_id, lang, question):
    result = answerer.answer(question)
    assert result["understood"], f"{kind_id} example not understood: {question}"
    assert result["answers"]
    assert result["lang"] == lang


def test_a_malformed_kinds_file_is_refused(tmp_path):
    bad = tmp_path / "kinds.yaml"
    bad.write_text("kinds:\n  - id: x\n    strategy: nope\n    query: competency/x.rq\n", encoding="utf-8")
    with pytest.raises(KindError, match="unknown strategy"):
        load_kinds(bad)
    bad.write_text(
        "kinds:\n  - id: x\n    strategy: relation\n    query: competency/relation.rq\n    text: {en: a, ko: b}\n"
        "    examples: {en: [a]}\n",
        encoding="utf-8",
    )
    with pytest.raises(KindError, match="example question per language"):
        load_kinds(bad)
