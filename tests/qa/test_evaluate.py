"""The scorer of question files (pure): label matching, P/R/F1 per question, macro and QALD figures."""

from __future__ import annotations

import pytest

from kubekg.qa.evaluate import Report, Score, format_report, load_questions, score_answer


def entity(label, ko=None, iri=None):
    return {
        "iri": iri or f"https://kubekg.dev/id/{label}",
        "label": label,
        "labels": {"en": label, "ko": ko or label},
    }


ALT = {"https://kubekg.dev/id/amb": ["Ambassador", "앰배서더"]}


@pytest.mark.parametrize(
    ("case", "gold", "answer", "f1"),
    [
        ("exact set", {"answers": ["NFS", "CephFS"]}, [entity("NFS"), entity("CephFS")], 1.0),
        (
            "normalized names",
            {"answers": ["Ceph FS", "kube_proxy"]},
            [entity("cephfs"), entity("kube-proxy")],
            1.0,
        ),
        ("korean label matches", {"answers": ["파드"]}, [entity("Pod", ko="파드")], 1.0),
        (
            "alt label via lookup",
            {"answers": ["Ambassador"]},
            [entity("Ambassador pattern", iri="https://kubekg.dev/id/amb")],
            1.0,
        ),
        ("half precision", {"answers": ["NFS"]}, [entity("NFS"), entity("FC")], 2 * 0.5 * 1 / 1.5),
        ("half recall", {"answers": ["NFS", "FC"]}, [entity("NFS")], 2 * 1 * 0.5 / 1.5),
        ("no answer", {"answers": ["NFS"]}, [], 0.0),
        ("value number", {"value": 15}, [{"value": 15}], 1.0),
        ("value number as float", {"value": 6}, [{"value": 6.0}], 1.0),
        ("value string", {"value": "30000-32767"}, [{"value": "30000-32767"}], 1.0),
        ("value wrong", {"value": 15}, [{"value": 20}], 0.0),
        ("boolean false", {"value": False}, [{"value": False}], 1.0),
        ("boolean is not zero", {"value": False}, [{"value": 0}], 0.0),
        ("boolean wrong", {"value": True}, [{"value": False}], 0.0),
    ],
)
def test_score_answer(case, gold, answer, f1):
    item = {"q": case, **gold}
    score = score_answer(item, {"understood": bool(answer), "answers": answer}, lambda iri: ALT.get(iri, []))
    assert score.f1 == pytest.approx(f1), case


@pytest.mark.parametrize(
    ("case", "answer", "ok"),
    [
        ("declined", {"understood": False, "answers": []}, True),
        ("answered anyway", {"understood": True, "answers": [{"value": "Paris"}]}, False),
        ("understood without answers", {"understood": True, "answers": []}, False),
    ],
)
def test_unanswerable(case, answer, ok):
    score = score_answer({"q": case, "unanswerable": True}, answer)
    assert score.exact is ok


def test_report_figures_macro_and_qald():
    report = Report(
        [
            Score("a", 1.0, 1.0, 1.0, None, None),
            Score("b", 0.5, 1.0, 2 / 3, None, None),
            Score("c", 0.0, 0.0, 0.0, None, None),
        ]
    )
    assert report.macro_f1 == pytest.approx((1 + 2 / 3) / 3)
    p, r = 0.5, 2 / 3
    assert report.qald_f1 == pytest.approx(2 * p * r / (p + r))
    assert report.exact_matches == 1
    text = format_report(report)
    assert "MISS" in text and "macro-F1" in text and "QALD" in text and "exact matches: 1/3" in text


def test_load_questions_rejects_entries_without_gold(tmp_path):
    bad = tmp_path / "q.yaml"
    bad.write_text("- q: What?\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no answers, value or unanswerable"):
        load_questions(str(bad))
    bad.write_text("{q: x}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="YAML list"):
        load_questions(str(bad))
