"""Answer shapes found by the unseen-question rounds: function questions, repeated rows, compounds, definitions."""

from __future__ import annotations

import pytest

KG = "https://kubekg.dev/ontology#"
KR = "https://kubekg.dev/id/"


@pytest.mark.parametrize(
    ("case", "question", "predicate"),
    [
        ("retain_effect", "What does the Retain reclaim policy do?", KG + "effect"),
        ("delete_effect", "What does the Delete policy do?", KG + "effect"),
        ("korean_retain_effect", "Retain 정책은 어떻게 동작하나요?", KG + "effect"),
    ],
)
def test_what_does_a_policy_do_answers_its_effect(answerer, case, question, predicate):
    result = answerer.answer(question)
    assert result["understood"], case
    assert all("value" in a for a in result["answers"]), case
    assert any(e["p"]["iri"] == predicate for e in result["evidence"]), case


def test_answers_are_listed_once(answerer):
    result = answerer.answer("kube-scheduler는 무슨 일을 하나요?")
    keys = [a.get("iri") or a.get("value") for a in result["answers"]]
    assert keys and len(keys) == len(set(keys))


def test_what_is_ingress_gives_its_definition(answerer):
    result = answerer.answer("What is Ingress?")
    assert [a["iri"] for a in result["answers"]] == [KR + "Ingress"]
    assert "layer-7" in result["text"]


@pytest.mark.parametrize(
    ("case", "question"),
    [
        ("english_compound", "Which Ingress controllers are mentioned?"),
        ("products", "What products implement Ingress?"),
    ],
)
def test_ingress_controllers_are_its_implementations(answerer, case, question):
    result = answerer.answer(question)
    got = {a["iri"] for a in result["answers"]}
    assert got == {KR + x for x in ("Nginx", "Contour", "ELB", "GoogleCloudLoadBalancer", "Kong")}, case


@pytest.mark.parametrize(
    ("case", "question", "expected"),
    [
        ("service_types", "How many service types are there?", 4),
        ("access_modes_ko", "접근 모드는 몇 개야?", 4),
        ("reclaim_policies_ko", "반환 정책은 몇 가지인가요?", 3),
    ],
)
def test_how_many_members_counts_the_class(answerer, case, question, expected):
    result = answerer.answer(question)
    assert result["answers"] == [{"value": expected}], case


def test_a_count_not_of_the_class_itself_is_declined(answerer):
    assert answerer.answer("What is the maximum number of nodes in a cluster?")["understood"] is False
