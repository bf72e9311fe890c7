"""How fast questions are answered in-process: median and p99 per question over a question file (not a test).

Run ``python -m kubekg.qa.bench [FILE.yaml ...] [--rounds N]``; the default file is the public competency set.
The first (cold) answer of each question is reported apart: it fills the explanation cache, which later answers
of the same facts reuse; the median is over the warm rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kubekg import paths


def measure(
    answer: Callable[[str], Any], questions: Sequence[str], rounds: int = 5
) -> dict[str, float | int]:
    """Per-question latency in milliseconds: cold (first answer) and warm (later rounds) median, p99 and max."""
    cold: list[float] = []
    warm: list[float] = []
    for q in questions:
        t0 = time.perf_counter()
        answer(q)
        cold.append((time.perf_counter() - t0) * 1000)
    for _ in range(rounds):
        for q in questions:
            t0 = time.perf_counter()
            answer(q)
            warm.append((time.perf_counter() - t0) * 1000)
    warm.sort()

    def pct(xs: list[float], p: float) -> float:
        return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))] if xs else 0.0

    return {
        "questions": len(questions),
        "rounds": rounds,
        "cold_median_ms": round(statistics.median(cold), 3) if cold else 0.0,
        "cold_max_ms": round(max(cold), 3) if cold else 0.0,
        "median_ms": round(statistics.median(warm), 3) if warm else 0.0,
        "p99_ms": round(pct(warm, 0.99), 3),
        "max_ms": round(max(warm), 3) if warm else 0.0,
    }


def public_questions() -> list[str]:
    """The questions of ../shared/eval/competency_questions.yaml (empty when the shared folder is absent)."""
    import yaml

    shared = paths.shared_dir()
    if shared is None:
        return []
    data = yaml.safe_load((shared / "eval" / "competency_questions.yaml").read_text(encoding="utf-8"))
    return [item["q"] for item in data]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="question files (default: the public competency set)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    import yaml

    from kubekg.qa.engine import get_answerer

    questions: list[str] = []
    for f in args.files:
        questions += [item["q"] for item in yaml.safe_load(Path(f).read_text(encoding="utf-8"))]
    if not args.files:
        questions = public_questions()
    t0 = time.perf_counter()
    answerer = get_answerer()
    build = time.perf_counter() - t0
    result = measure(answerer.answer, questions, args.rounds)
    result["build_seconds"] = round(build, 2)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
