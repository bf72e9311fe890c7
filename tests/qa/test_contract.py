"""The answer contract (issue 4 section 1) that external tools rely on: fields, shapes, evidence and errors."""

from __future__ import annotations

import re

import pytest

from kubekg.errors import MissingParameter, QuestionTooLong


def test_entity_answers_with_labels_evidence_rule_chain_and_sources(answerer, kg):
    r = answerer.answer("Which storage types support ReadWriteMany?")
    assert r["understood"] is True and r["lang"] == "en" and r["kind"]
    for a in r["answers"]:
        assert set(a) == {"iri", "label", "labels"}
        assert a["label"] == a["labels"]["en"] and a["labels"]["ko"]
        assert kg.labels(a["iri"])["en"] == a["label"]
    assert "ReadWriteMany" in r["text"]
    inferred = [e for e in r["evidence"] if e["status"] == "inferred"]
    assert inferred, "the RWX facts are derived by a rule over the vendor table"
    for e in inferred:
        assert e["rule"] and e["premises"]
        assert {"s", "p", "o", "status", "sources"} <= set(e)
        assert any(p["status"] == "asserted" for p in e["premises"])
    assert r["sources"] and all(s["iri"].startswith("https://kubekg.dev/id/section/") for s in r["sources"])
    assert all(" > " in s["headingPath"] for s in r["sources"])
    assert re.search(r"VALUES \(\?capability\) \{ \(kr:ReadWriteMany\) \}", r["sparql"])


def test_yes_no_answers_are_booleans(answerer):
    r = answerer.answer("HPA를 DaemonSet에 적용할 수 있나요?")
    assert r["answers"] == [{"value": False}]
    assert r["lang"] == "ko" and r["text"].startswith("아니요")
    assert any("NegativePropertyAssertion" in str(e["o"]) for e in r["evidence"])


def test_literal_answers_are_values(answerer):
    assert answerer.answer("NodePort 서비스가 사용하는 포트 범위는?")["answers"] == [{"value": "30000-32767"}]
    assert answerer.answer("How many seconds between HPA metric checks?")["answers"] == [{"value": 15}]


def test_definitions_answer_in_the_question_language(answerer):
    ko = answerer.answer("PVC가 뭐야?")
    en = answerer.answer("What is a PVC?")
    assert ko["answers"][0]["label"] == en["answers"][0]["label"] == "PersistentVolumeClaim"
    assert any("\uac00" <= ch <= "\ud7a3" for ch in ko["text"])
    assert not any("\uac00" <= ch <= "\ud7a3" for ch in en["text"])


def test_the_sparql_runs_as_shown(answerer, kg):
    r = answerer.answer("What runs on the master node?")
    rows = kg.select(r["sparql"])
    shown = {row["value"].value for row in rows}
    assert shown == {a["iri"] for a in r["answers"]}


def test_not_understood_shape(answerer):
    r = answerer.answer("What is the capital of France?")
    assert r["understood"] is False and r["answers"] == [] and r["evidence"] == []
    assert 1 <= len(r["suggestions"]) <= 5


@pytest.mark.parametrize("bad", ["", "   ", None])
def test_empty_question_is_refused(answerer, bad):
    with pytest.raises(MissingParameter):
        answerer.answer(bad)


def test_oversized_question_is_refused(answerer):
    with pytest.raises(QuestionTooLong):
        answerer.answer("x" * 501)
    with pytest.raises(QuestionTooLong):
        answerer.answer("x" * 51, max_chars=50)


def test_lang_parameter_sets_the_answer_language(answerer):
    r = answerer.answer("Does NFS support RWX?", "ko")
    assert r["lang"] == "ko" and r["text"].startswith("네")
