"""Measured quality (issue 4 section 3): the public set answers at 1.0 and kubekg's own paraphrases stay high.

The figures use the public file's scoring rule through :mod:`kubekg.qa.evaluate`, exactly as ``kubekg eval``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kubekg.qa.evaluate import evaluate, format_report, load_questions

PARAPHRASE_MIN_MACRO_F1 = 0.99  # a floor, not the target: the set scores 1.0 (345/345) since round 4


def test_public_set_scores_one(answerer, public_questions):
    report = evaluate(load_questions(str(public_questions)), answerer.answer, answerer.names_of)
    assert report.macro_f1 == 1.0, format_report(report, "public set")
    assert report.qald_f1 == 1.0
    assert report.exact_matches == len(report.scores)


def test_paraphrases_score_high(answerer, paraphrases):
    items = load_questions(str(paraphrases))
    assert len(items) >= 150
    assert {item["q"] for item in items}.isdisjoint(
        {"Which storage types support ReadWriteMany?", "Does AWS EBS support ReadWriteMany?"}
    ), "the paraphrase set must not repeat the public questions"
    report = evaluate(items, answerer.answer, answerer.names_of)
    assert report.macro_f1 >= PARAPHRASE_MIN_MACRO_F1, format_report(report, "paraphrases")
    assert report.qald_f1 >= PARAPHRASE_MIN_MACRO_F1


def test_paraphrases_cover_both_languages_and_every_answer_type(paraphrases):
    items = load_questions(str(paraphrases))
    korean = [i for i in items if any("\uac00" <= ch <= "\ud7a3" for ch in i["q"])]
    assert len(korean) >= 60 and len(items) - len(korean) >= 60
    assert sum(1 for i in items if i.get("unanswerable")) >= 8
    assert sum(1 for i in items if isinstance(i.get("value"), bool)) >= 10
    assert (
        sum(1 for i in items if isinstance(i.get("value"), int) and not isinstance(i.get("value"), bool)) >= 8
    )


def test_unanswerable_questions_are_declined_with_suggestions(answerer, paraphrases):
    for item in load_questions(str(paraphrases)):
        if not item.get("unanswerable"):
            continue
        result = answerer.answer(item["q"])
        assert result["understood"] is False, item["q"]
        assert result["answers"] == []
        assert result["suggestions"], "a declined question suggests questions kubekg can answer"


# Unseen batches (rounds 2 and 3): written before tuning; each bar is its score after the fixes that generalized,
# so a change that loses ground on questions nobody tuned for fails here. Before tuning: r2 a 0.925, b 0.834,
# c 0.725; r3 0.473 (comparisons were declined). Round 3 also lifted r2 b from 0.871 to 0.921 and c to 0.800.
# Round 4: r4 0.648 before tuning, 0.844 after; the same fixes lifted r2 a to 0.975, b to 0.963, c to 0.892
# and r3 to 0.943.
UNSEEN_BARS = {
    "unseen_r2_a.yaml": 0.97,
    "unseen_r2_b.yaml": 0.96,
    "unseen_r2_c.yaml": 0.88,
    "unseen_r3.yaml": 0.94,
    "unseen_r4.yaml": 0.84,
}


@pytest.mark.parametrize("name", sorted(UNSEEN_BARS))
def test_unseen_batches_hold_their_bar(answerer, name):
    items = load_questions(str(Path(__file__).with_name(name)))
    assert len(items) >= (25 if name == "unseen_r4.yaml" else 35)  # round 4 is a small batch by design
    report = evaluate(items, answerer.answer, answerer.names_of)
    assert report.macro_f1 >= UNSEEN_BARS[name], format_report(report, name)
