"""Round-4 answer behaviours: a word naming the kind asked for, nouns that look like asking verbs, and more.

Table-driven, named by case; each asserts the answer entities and that every answer is backed by cited evidence
from the document's sections, never only the text.
"""

from __future__ import annotations

import pytest

KR = "https://kubekg.dev/id/"


def _answer_iris(result: dict) -> list[str]:
    return [a.get("iri", a.get("value")) for a in result["answers"]]


@pytest.mark.parametrize(
    ("case", "question", "expected", "section"),
    [
        # "방식" names the winner's class (프로비저닝 방식): the description need only stand out among its kind
        ("ko_kind_word_static", "PV를 미리 만들어 두는 방식은?", [KR + "static-provisioning"], "pv-provisioning"),
        ("ko_kind_word_static_order", "미리 PV를 만들어 두는 방식은?", [KR + "static-provisioning"],
         "pv-provisioning"),
        # the document's "Pod 내 컨테이너들" names the multi-container pod; "share"/"공유" words its characteristics
        ("en_pod_containers_share", "What do containers in a pod share?",
         [KR + "shared-disk-volumes", KR + "shared-ip-and-port"], "multi-container"),
        ("ko_pod_containers_share", "파드 안의 컨테이너들은 무엇을 공유하나요?",
         [KR + "shared-disk-volumes", KR + "shared-ip-and-port"], "multi-container"),
        # the cue "예" reads as a noun (alone Kiwi takes it for the interjection "yes")
        ("ko_example_cue", "스테이트리스 애플리케이션의 예는?", [KR + "apache", KR + "nginx"], "stateless-stateful"),
        # "a name" is a noun here, not the asking verb "name ..."
        ("en_name_noun", "Which service type forwards to a name outside the cluster?", [KR + "ExternalName"],
         "service-network"),
    ],
)  # fmt: skip
def test_entity_answers(answerer, case, question, expected, section):
    result = answerer.answer(question)
    assert result["understood"] is True, case
    assert _answer_iris(result) == expected, case
    assert result["evidence"], case
    assert any(
        s.endswith("/" + section)
        for s in (x.get("iri", x) if isinstance(x, dict) else x for x in result["sources"])
    ), (case, result["sources"])


@pytest.mark.parametrize(
    ("case", "question", "fact"),
    [
        # the rest of the question ("an IP address") describes one value of the relation the wording names
        ("en_share_ip", "Do containers in the same pod share an IP address?", (KR + "multi-container-pod",
         "https://kubekg.dev/ontology#hasCharacteristic", KR + "shared-ip-and-port")),
        ("ko_share_ip", "같은 파드의 컨테이너들은 IP를 공유하나요?", (KR + "multi-container-pod",
         "https://kubekg.dev/ontology#hasCharacteristic", KR + "shared-ip-and-port")),
        ("en_share_disk", "Do containers in a pod share disk volumes?", (KR + "multi-container-pod",
         "https://kubekg.dev/ontology#hasCharacteristic", KR + "shared-disk-volumes")),
    ],
)  # fmt: skip
def test_yes_by_a_described_value(answerer, case, question, fact):
    result = answerer.answer(question)
    assert result["answers"] == [{"value": True}], case
    cited = {(e["s"].get("iri"), e["p"].get("iri"), e["o"].get("iri")) for e in result["evidence"]}
    assert fact in cited, (case, cited)


def test_a_class_word_with_a_property_and_its_sub_property_reads_the_narrower(answerer, kg):
    """ "디플로이먼트의 장점": both kg:hasFeature and its sub-property kg:addsFeature reach ControllerFeatures."""
    result = answerer.answer("디플로이먼트의 장점은 무엇인가요?")
    added = {
        r["o"].value
        for r in kg.select("SELECT ?o WHERE { kr:Deployment kg:addsFeature ?o }", asserted_only=True)
    }
    assert len(added) >= 2
    assert set(_answer_iris(result)) == added


def test_bare_korean_cue_nouns_keep_their_lemma():
    from kubekg.qa.context import phrase_seq

    assert phrase_seq("예") == ("예",)
    assert phrase_seq("예시") == ("예시",)


@pytest.mark.parametrize(
    ("case", "question", "left_out", "kept"),
    [
        ("en_besides_list", "Which metrics can Prometheus collect besides CPU and memory?",
         {KR + "metric-cpu", KR + "metric-memory"}, {KR + "metric-packet-count", KR + "metric-request-volume"}),
        ("ko_oe_list", "Prometheus는 CPU와 메모리 외에 어떤 메트릭을 수집하나요?",
         {KR + "metric-cpu", KR + "metric-memory"}, {KR + "metric-packet-count", KR + "metric-request-volume"}),
        # a thing set aside is not a restriction of the answers ("besides etcd" does not ask for etcd's peers)
        ("en_besides_not_restriction", "Which components besides etcd run on the master node?", {KR + "etcd"},
         {KR + "kube-apiserver", KR + "kube-scheduler", KR + "kube-controller-manager"}),
        ("ko_malgo", "etcd 말고 마스터 노드에서 실행되는 컴포넌트는?", {KR + "etcd"},
         {KR + "kube-apiserver", KR + "kube-scheduler", KR + "kube-controller-manager"}),
        # the list set aside ends at a word that is not a list joiner ("..., like request volume")
        ("en_other_than_then_like", "What tool collects metrics other than CPU and memory, like request volume?",
         set(), {KR + "prometheus"}),
    ],
)  # fmt: skip
def test_things_set_aside_are_left_out(answerer, case, question, left_out, kept):
    result = answerer.answer(question)
    got = set(_answer_iris(result))
    assert got == kept, case
    cited = {x for e in result["evidence"] for x in (e["s"].get("iri"), e["o"].get("iri"))}
    assert not (cited & left_out), case


@pytest.mark.parametrize(
    ("case", "question", "entity", "value"),
    [
        ("en_feature_by_words", "How does a DaemonSet treat the pods of a removed node?", "DaemonSet",
         "feature-no-rescheduling-on-node-removal"),
        ("ko_feature_by_words", "데몬셋은 특정 노드를 어떻게 선택하나요?", "DaemonSet", "feature-node-selector"),
        ("ko_when_wh_word", "잡은 언제 완료되나요?", "Job", "feature-completion"),
        # "node" is not the kind asked for here; "what happens" asks for the described thing
        ("en_what_happens", "What happens to DaemonSet pods when a node is removed?", "DaemonSet",
         "feature-no-rescheduling-on-node-removal"),
        ("ko_what_happens", "노드가 빠지면 데몬셋의 파드는 어떻게 되나요?", "DaemonSet",
         "feature-no-rescheduling-on-node-removal"),
    ],
)  # fmt: skip
def test_described_value_of_a_named_entity(answerer, case, question, entity, value):
    result = answerer.answer(question)
    assert result["kind"] == "described_value", case
    assert _answer_iris(result) == [KR + value], case
    cited = {(e["s"].get("iri"), e["o"].get("iri")) for e in result["evidence"]}
    assert (KR + entity, KR + value) in cited, (case, cited)


@pytest.mark.parametrize(
    "question",
    [
        "How should I deploy an Nginx web server?",
        "Where should I deploy PostgreSQL-like databases, Deployment or StatefulSet?",
    ],
)
def test_a_task_named_asks_for_what_serves_it_not_for_the_task(answerer, question):
    result = answerer.answer(question)
    assert result["kind"] != "described_value"
    assert _answer_iris(result) and all("usecase-" not in str(a) for a in _answer_iris(result))


@pytest.mark.parametrize(
    "question",
    ["Which container is added to every pod for its network?", "어떤 컨테이너가 모든 파드에 추가되나요?"],
)
def test_a_head_noun_asks_for_the_one_class_it_heads(answerer, question):
    """ "container" names no class, but heads one class's name ("infrastructure container")."""
    result = answerer.answer(question)
    assert _answer_iris(result) == [KR + "pause-container"]
    assert result["kind"] == "describe"


@pytest.mark.parametrize(
    ("case", "question", "expected", "link"),
    [
        ("en_first_of_chain", "What is the first step of external-to-internal traffic?", "external-traffic-step-1",
         ("external-traffic-step-1", "external-traffic-step-2")),
        ("en_last_of_chain", "What is the last step of external-to-internal traffic?", "external-traffic-step-5",
         ("external-traffic-step-4", "external-traffic-step-5")),
    ],
)  # fmt: skip
def test_an_ordinal_picks_from_the_chain_the_values_form(answerer, case, question, expected, link):
    result = answerer.answer(question)
    assert _answer_iris(result) == [KR + expected], case
    cited = {(e["s"].get("iri"), e["o"].get("iri")) for e in result["evidence"]}
    assert (KR + link[0], KR + link[1]) in cited, (case, cited)


@pytest.mark.parametrize(
    ("case", "question"),
    [
        ("en_vpa_scale_out", "Can a Vertical Pod Autoscaler scale out?"),
        ("ko_vpa_scale_out", "VPA는 스케일 아웃을 하나요?"),
    ],
)
def test_the_one_relation_the_classes_allow_is_checked(answerer, case, question):
    """No word names kg:scalingMethod, but it is the only relation an autoscaler and a scaling direction fit."""
    result = answerer.answer(question)
    assert result["answers"] == [{"value": False}], case
    cited = {(e["s"].get("iri"), e["p"].get("iri"), e["o"].get("iri")) for e in result["evidence"]}
    assert (
        KR + "VerticalPodAutoscaler",
        "https://kubekg.dev/ontology#scalingMethod",
        KR + "scale-up",
    ) in cited


def test_what_the_document_says_and_an_erratum_corrects_is_answered_with_the_correction(answerer):
    """No service type proxies traffic, but the document calls ExternalName a proxy and an erratum corrects it."""
    result = answerer.answer("Which service type acts as a proxy to outside the cluster?")
    assert _answer_iris(result) == [KR + "ExternalName"]
    assert "erratum" in result["text"]
    cited = {
        (e["s"].get("iri"), e["p"].get("iri"), e["o"].get("iri", e["o"].get("value")))
        for e in result["evidence"]
    }
    assert (
        KR + "erratum/externalname-proxies-nothing",
        "https://kubekg.dev/ontology#about",
        KR + "ExternalName",
    ) in cited
    assert (KR + "ExternalName", "https://kubekg.dev/ontology#proxiesTraffic", False) in cited


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("VPA는 어떤 애플리케이션에 쓰나요?", "stateful-application"),
        ("HPA는 어떤 애플리케이션에 사용하나요?", "stateless-application"),
    ],
)
def test_the_word_asked_about_names_the_relation_over_the_verb(answerer, question, expected):
    result = answerer.answer(question)
    assert _answer_iris(result) == [KR + expected]
    props = {e["p"].get("iri") for e in result["evidence"]}
    assert "https://kubekg.dev/ontology#targetsApplicationKind" in props
