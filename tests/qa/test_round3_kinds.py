"""Round-3 answer behaviours: comparisons, provisioning by description, CNI responsibilities, unknown words.

Table-driven, named by case; each asserts the answer, the cited facts and their sections, never only the text.
"""

from __future__ import annotations

import pytest

KG = "https://kubekg.dev/ontology#"
KR = "https://kubekg.dev/id/"
SKOS_DEFINITION = "http://www.w3.org/2004/02/skos/core#definition"
SECTION = KR + "section/"


def _facts(result: dict) -> set[tuple[str | None, str | None, object]]:
    return {
        (e["s"].get("iri"), e["p"].get("iri"), e["o"].get("iri", e["o"].get("value")))
        for e in result["evidence"]
    }


@pytest.mark.parametrize(
    ("case", "question", "a", "b", "differing", "section"),
    [
        ("en_difference", "What is the difference between emptyDir and hostPath?", "emptyDir", "hostPath",
         KG + "deletedWithPod", "volume-features"),
        ("ko_difference", "emptyDir와 hostPath의 차이는?", "emptyDir", "hostPath", KG + "deletedWithPod",
         "volume-features"),
        ("en_vs", "Deployment vs StatefulSet", "Deployment", "StatefulSet", KG + "managesPodsFor", None),
        ("ko_service_types", "ClusterIP와 NodePort 차이", "ClusterIP", "NodePort", KG + "externallyAccessible", None),
        ("en_compare_abbreviations", "compare RWO and RWX", "ReadWriteOnce", "ReadWriteMany", KG + "mountScope",
         "volume-access-modes"),
        ("ko_autoscalers", "HPA와 VPA의 차이점은 무엇인가요?", "HorizontalPodAutoscaler", "VerticalPodAutoscaler",
         KG + "scalingMethod", "autoscaler"),
    ],
)  # fmt: skip
def test_comparison_answers_both_with_definitions_and_differences(
    answerer, case, question, a, b, differing, section
):
    result = answerer.answer(question)
    assert result["understood"] and result["kind"] == "comparison", case
    assert [x["iri"] for x in result["answers"]] == [KR + a, KR + b], case
    facts = _facts(result)
    assert {(KR + a, SKOS_DEFINITION), (KR + b, SKOS_DEFINITION)} <= {(s, p) for s, p, _ in facts}, case
    values = {side: {o for s, p, o in facts if s == KR + side and p == differing} for side in (a, b)}
    assert values[a] != values[b] and (values[a] or values[b]), (case, values)
    assert all(e["sources"] for e in result["evidence"]), case  # every fact is cited
    if section:
        assert SECTION + section in {s["iri"] for s in result["sources"]}, case
    korean = any("\uac00" <= ch <= "\ud7a3" for ch in question)
    assert any("\uac00" <= ch <= "\ud7a3" for ch in result["text"]) == korean, case
    assert "?a" in result["sparql"] and "?b" in result["sparql"]


def test_comparison_of_three_things_of_one_kind(answerer):
    result = answerer.answer("Compare ClusterIP, NodePort and LoadBalancer")
    assert [x["iri"] for x in result["answers"]] == [KR + "ClusterIP", KR + "NodePort", KR + "LoadBalancer"]
    flags = {s: o for s, p, o in _facts(result) if p == KG + "isDefaultServiceType"}
    assert flags == {KR + "ClusterIP": True, KR + "NodePort": False, KR + "LoadBalancer": False}


def test_comparison_needs_a_comparison_word(answerer):
    result = answerer.answer("emptyDir와 hostPath 중 파드와 함께 삭제되는 볼륨은?")
    assert result["kind"] != "comparison"
    assert [x["iri"] for x in result["answers"]] == [KR + "emptyDir"]


def test_comparison_needs_two_things_of_one_kind(answerer):
    assert answerer.answer("Which pods run on a different node?")["kind"] != "comparison"


@pytest.mark.parametrize(
    ("case", "question", "expected"),
    [
        (
            "en_each_request",
            "Which provisioning method creates a PV on each request?",
            "dynamic-provisioning",
        ),
        ("ko_each_request", "요청할 때마다 PV를 만드는 프로비저닝 방식은?", "dynamic-provisioning"),
        ("en_in_advance", "Which provisioning method creates PVs in advance?", "static-provisioning"),
    ],
)
def test_provisioning_method_by_description(answerer, case, question, expected):
    result = answerer.answer(question)
    assert [x["iri"] for x in result["answers"]] == [KR + expected], case
    assert SECTION + "pv-provisioning" in {s["iri"] for s in result["sources"]}, case


CNI_PLUGIN_RESPONSIBILITIES = {
    KR + "responsibility-container-network-connectivity",
    KR + "responsibility-ipam",
    KR + "responsibility-routing",
    KR + "responsibility-pod-to-pod-communication",
}


@pytest.mark.parametrize(
    "question", ["What are the CNI plugin's responsibilities?", "CNI 플러그인의 책임은 무엇인가요?"]
)
def test_cni_plugin_responsibilities_are_all_listed(answerer, question):
    result = answerer.answer(question)
    assert {x["iri"] for x in result["answers"]} == CNI_PLUGIN_RESPONSIBILITIES
    assert {s["iri"] for s in result["sources"]} == {SECTION + "cni"}


def test_what_does_a_cni_plugin_do_lists_every_responsibility_with_its_fact(answerer):
    result = answerer.answer("What does a CNI plugin do?")
    assert [x["iri"] for x in result["answers"]] == [KR + "cni-plugin"]
    cited = {o for s, p, o in _facts(result) if s == KR + "cni-plugin" and p == KG + "hasResponsibility"}
    assert cited == CNI_PLUGIN_RESPONSIBILITIES
    for label in ("IP address management (IPAM)", "routing setup", "pod-to-pod communication"):
        assert label in result["text"]


def test_cni_responsibilities_add_its_plugins_in_text_and_evidence(answerer):
    result = answerer.answer("What is CNI responsible for?")
    assert {x["iri"] for x in result["answers"]} == {
        KR + "responsibility-container-network-connectivity",
        KR + "responsibility-network-resource-release",
    }
    facts = _facts(result)
    assert (KR + "cni-plugin", KG + "implementsSpecification", KR + "cni") in facts
    assert (KR + "cni-plugin", KG + "hasResponsibility", KR + "responsibility-ipam") in facts
    assert "CNI plugin" in result["text"] and "IPAM" in result["text"]


@pytest.mark.parametrize(
    ("case", "question", "expected"),
    [
        ("direct_access_cites_the_direct_fact", "etcd에 직접 접근할 수 있는 컴포넌트는?",
         (KR + "kube-apiserver", KG + "accessesDirectly", KR + "etcd")),
        ("head_noun_wins", "What is the default NodePort range?", (KR + "NodePort", KG + "portRange", "30000-32767")),
        ("neither_nor", "Which storage supports neither RWX nor ROX?",
         (KR + "vsphereVolume", KG + "lacksAccessMode", KR + "ReadWriteMany")),
    ],
)  # fmt: skip
def test_the_answer_cites_the_fact_the_question_asks_about(answerer, case, question, expected):
    result = answerer.answer(question)
    assert result["understood"], case
    assert expected in _facts(result), (case, _facts(result))


def test_a_word_unknown_to_the_graph_is_not_guessed_around(answerer):
    result = answerer.answer("쿠버네티스에서 GPU 스케줄링은 어떻게 하나요?")
    assert result["understood"] is False and result["answers"] == []
    assert answerer.answer("스케줄링은 누가 담당하나요?")["answers"][0]["iri"] == KR + "kube-scheduler"


@pytest.mark.parametrize(
    ("case", "question", "predicate"),
    [
        ("en_purpose_of_a_thing", "What is the purpose of the pause container?", KG + "hasResponsibility"),
        ("ko_purpose_of_a_thing", "pause 컨테이너의 목적은?", KG + "hasResponsibility"),
        ("en_purpose_literal", "What is the purpose of ClusterIP?", KG + "purpose"),
    ],
)
def test_the_purpose_of_a_thing_is_its_relation_not_a_list_of_use_cases(answerer, case, question, predicate):
    result = answerer.answer(question)
    assert result["kind"] == "relation", case
    subjects = {e["s"].get("iri") for e in result["evidence"] if e["p"].get("iri") == predicate}
    assert subjects and subjects <= {KR + "pause-container", KR + "ClusterIP"}, case


@pytest.mark.parametrize(
    "question",
    [
        "What should I use for a LoadBalancer service in a private environment?",
        "프라이빗 환경에서 LoadBalancer 서비스에는 무엇을 사용하나요?",
    ],
)
def test_a_named_rival_of_the_answers_kind_turns_the_relation_around(answerer, question):
    result = answerer.answer(question)
    assert [x["iri"] for x in result["answers"]] == [KR + "MetalLB"]
    assert (KR + "MetalLB", KG + "usedInEnvironment", KR + "private-environment") in _facts(result)
