"""Score answers against a question file in the format of ``../shared/eval/competency_questions.yaml`` (pure).

The rule is the file header's: an entity answer matches a gold name when any of its labels (en, ko or
alternative) equals the name after lower-casing and removing spaces, hyphens, underscores and dots; ``answers``
are scored by precision, recall and F1, ``value`` by exact match, and ``unanswerable`` questions must come back
``understood: false`` with no answers. Reported: the macro-F1 (mean of per-question F1), the QALD/GERBIL macro F1
(harmonic mean of macro precision and macro recall, as in the QALD challenges' GERBIL evaluation) and the number
of exact matches (F1 = 1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from kubekg.qa.text import normalize_eval

LabelsOf = Callable[[str], Iterable[str]]


@dataclass
class Score:
    """One question's score."""

    question: str
    precision: float
    recall: float
    f1: float
    expected: Any
    got: Any
    kind: str | None = None
    note: str = ""

    @property
    def exact(self) -> bool:
        return self.f1 == 1.0


@dataclass
class Report:
    """Scores of a whole question file with the three summary figures."""

    scores: list[Score] = field(default_factory=list)

    @property
    def macro_precision(self) -> float:
        return _mean([s.precision for s in self.scores])

    @property
    def macro_recall(self) -> float:
        return _mean([s.recall for s in self.scores])

    @property
    def macro_f1(self) -> float:
        """Mean of the per-question F1."""
        return _mean([s.f1 for s in self.scores])

    @property
    def qald_f1(self) -> float:
        """QALD/GERBIL macro F1: harmonic mean of macro precision and macro recall."""
        p, r = self.macro_precision, self.macro_recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def exact_matches(self) -> int:
        return sum(1 for s in self.scores if s.exact)

    @property
    def misses(self) -> list[Score]:
        return [s for s in self.scores if not s.exact]

    def summary(self) -> dict[str, float | int]:
        return {
            "questions": len(self.scores),
            "macro_f1": round(self.macro_f1, 4),
            "qald_macro_f1": round(self.qald_f1, 4),
            "macro_precision": round(self.macro_precision, 4),
            "macro_recall": round(self.macro_recall, 4),
            "exact_matches": self.exact_matches,
        }


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def load_questions(path: str) -> list[dict]:
    """The entries of a question file; raises ValueError when an entry has no ``q`` or no gold field."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or []
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a YAML list of questions")
    for i, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("q"), str):
            raise ValueError(f"{path}: entry {i + 1} has no 'q' string")
        if not ({"answers", "value", "unanswerable"} & set(item)):
            raise ValueError(f"{path}: entry {i + 1} ({item['q']!r}) has no answers, value or unanswerable")
    return data


def _same_value(gold: Any, got: Any) -> bool:
    if isinstance(gold, bool) or isinstance(got, bool):
        return isinstance(gold, bool) and isinstance(got, bool) and gold == got
    if isinstance(gold, int | float) and isinstance(got, int | float):
        return float(gold) == float(got)
    if isinstance(gold, int | float) and isinstance(got, str):
        return str(got).strip() == str(gold)
    return normalize_eval(str(gold)) == normalize_eval(str(got)) if isinstance(gold, str) else gold == got


def _prf(correct_sys: int, n_sys: int, correct_gold: int, n_gold: int) -> tuple[float, float, float]:
    p = correct_sys / n_sys if n_sys else 0.0
    r = correct_gold / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def score_answer(
    item: Mapping[str, Any], answer: Mapping[str, Any], labels_of: LabelsOf | None = None
) -> Score:
    """Score one answer (the /api/ask contract) against one gold entry."""
    q = item["q"]
    kind = answer.get("kind")
    answers = list(answer.get("answers") or [])
    understood = bool(answer.get("understood"))
    if item.get("unanswerable"):
        ok = not understood and not answers
        v = 1.0 if ok else 0.0
        return Score(q, v, v, v, "unanswerable", _brief(answers) if answers else understood, kind)
    if "value" in item:
        gold = item["value"]
        values = [a["value"] for a in answers if isinstance(a, Mapping) and "value" in a]
        hits = sum(1 for v in values if _same_value(gold, v))
        p, r, f = _prf(hits, len(answers), 1 if hits else 0, 1)
        return Score(q, p, r, f, gold, values if values else _brief(answers), kind)
    gold_names = [str(g) for g in item.get("answers") or []]
    gold_keys = {normalize_eval(g): g for g in gold_names}
    matched_gold: set[str] = set()
    correct_sys = 0
    for a in answers:
        keys = {normalize_eval(n) for n in _names(a, labels_of)}
        hit = keys & set(gold_keys)
        if hit:
            correct_sys += 1
            matched_gold |= hit
    p, r, f = _prf(correct_sys, len(answers), len(matched_gold), len(gold_keys))
    if not gold_keys:
        p = r = f = 1.0 if not answers else 0.0
    return Score(q, p, r, f, gold_names, _brief(answers), kind)


def _names(a: Any, labels_of: LabelsOf | None) -> list[str]:
    if not isinstance(a, Mapping):
        return [str(a)]
    names: list[str] = []
    if a.get("label"):
        names.append(str(a["label"]))
    names += [str(v) for v in (a.get("labels") or {}).values() if v]
    if "value" in a:
        names.append(str(a["value"]))
    if a.get("iri") and labels_of is not None:
        names += [str(n) for n in labels_of(a["iri"])]
    return names


def _brief(answers: list) -> list:
    out = []
    for a in answers:
        if isinstance(a, Mapping):
            out.append(a.get("label") or a.get("value") or a.get("iri"))
        else:
            out.append(a)
    return out


def evaluate(
    items: Iterable[Mapping[str, Any]],
    answer: Callable[[str], Mapping[str, Any]],
    labels_of: LabelsOf | None = None,
) -> Report:
    """Answer every question with ``answer`` and score it."""
    report = Report()
    for item in items:
        report.scores.append(score_answer(item, answer(item["q"]), labels_of))
    return report


def format_report(report: Report, title: str = "") -> str:
    """The text ``kubekg eval`` prints: each miss, then the three figures."""
    lines = []
    for s in report.misses:
        lines.append(
            f"MISS  F1={s.f1:.2f} P={s.precision:.2f} R={s.recall:.2f}  [{s.kind or '-'}] {s.question}"
        )
        lines.append(f"      expected: {s.expected}")
        lines.append(f"      got:      {s.got}")
    n = len(report.scores)
    head = f"{title}: " if title else ""
    lines.append(f"{head}{n} questions")
    lines.append(f"macro-F1 (mean of per-question F1): {report.macro_f1:.4f}")
    lines.append(
        f"QALD/GERBIL macro-F1: {report.qald_f1:.4f} "
        f"(macro precision {report.macro_precision:.4f}, macro recall {report.macro_recall:.4f})"
    )
    lines.append(f"exact matches: {report.exact_matches}/{n}")
    return "\n".join(lines)
