"""``kubekg ask`` and ``kubekg eval`` (issue 4 section 3), through the kubekg console entry point."""

from __future__ import annotations

import json

import pytest

from kubekg.cli import main


def test_ask_prints_answer_evidence_and_sparql(answerer, capsys):
    assert main(["ask", "Which storage types support ReadWriteMany?"]) == 0
    out = capsys.readouterr().out
    assert "Azure File" in out and "NFS" in out
    assert "Evidence:" in out and "dom-storage" in out and "asserted" in out
    assert "SPARQL:" in out and "VALUES (?capability)" in out
    assert "Kubernetes 개요 > Storage" in out


def test_ask_json_is_the_contract(answerer, capsys):
    assert main(["ask", "--json", "PVC가 뭐야?"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["understood"] and result["answers"][0]["label"] == "PersistentVolumeClaim"


def test_ask_declines_with_suggestions(answerer, capsys):
    assert main(["ask", "What is the capital of France?"]) == 0
    out = capsys.readouterr().out
    assert "Suggestions:" in out


def test_ask_empty_question_is_a_usage_error(answerer, capsys):
    assert main(["ask", "  "]) == 2
    assert "empty" in capsys.readouterr().err


def test_eval_prints_misses_and_the_three_figures(answerer, tmp_path, capsys):
    f = tmp_path / "q.yaml"
    f.write_text(
        "- q: Does NFS support RWX?\n  value: true\n"
        "- q: Which storage types support ReadWriteMany?\n  answers: [NFS]\n"
        "- q: What is the capital of France?\n  unanswerable: true\n",
        encoding="utf-8",
    )
    assert main(["eval", str(f), "--json"]) == 0
    out = capsys.readouterr().out
    assert "MISS" in out and "Which storage types support ReadWriteMany?" in out
    assert "macro-F1 (mean of per-question F1)" in out and "QALD/GERBIL macro-F1" in out
    assert "exact matches: 2/3" in out
    figures = json.loads(out.strip().splitlines()[-1])
    p, r = (1 + 0.2 + 1) / 3, 1.0
    assert figures["macro_precision"] == pytest.approx(round(p, 4))
    assert figures["macro_recall"] == pytest.approx(r)
    assert figures["qald_macro_f1"] == pytest.approx(round(2 * p * r / (p + r), 4))


def test_eval_public_set(answerer, public_questions, capsys):
    assert main(["eval", str(public_questions)]) == 0
    out = capsys.readouterr().out
    assert "macro-F1 (mean of per-question F1): 1.0000" in out
    assert "QALD/GERBIL macro-F1: 1.0000" in out


def test_eval_bad_file(tmp_path, capsys):
    assert main(["eval", str(tmp_path / "missing.yaml")]) == 2
    assert "kubekg eval" in capsys.readouterr().err
