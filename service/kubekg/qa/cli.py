"""``kubekg ask "..."`` (the answer, its evidence and the SPARQL) and ``kubekg eval FILE.yaml`` (score a question file)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kubekg.errors import KubeKGError


def register(subparsers: Any) -> None:
    """Add the ``ask`` and ``eval`` subcommands to the kubekg CLI."""
    p = subparsers.add_parser(
        "ask",
        help="answer a question in Korean or English",
        description="Answer a question from the knowledge graph; prints the answer, the evidence and the SPARQL.",
    )
    p.add_argument("question", help='the question, e.g. "Which storage supports RWX?" or "PVC가 뭐야?"')
    p.add_argument("--lang", choices=["ko", "en"], help="the answer language (default: the question's)")
    p.add_argument("--json", action="store_true", help="print the answer contract as JSON")
    p.set_defaults(func=cmd_ask)

    p = subparsers.add_parser(
        "eval",
        help="score a question file (competency_questions.yaml format)",
        description="Answer every question of a YAML file in the format of ../shared/eval/competency_questions.yaml "
        "and score it with that file's rule: prints each miss, the macro-F1, the QALD/GERBIL macro-F1 and the "
        "number of exact matches.",
    )
    p.add_argument("file", help="the YAML question file")
    p.add_argument("--json", action="store_true", help="print the figures as JSON after the misses")
    p.set_defaults(func=cmd_eval)


def _answerer():  # noqa: ANN202 - kubekg.qa.engine.Answerer
    from kubekg.qa.engine import get_answerer

    return get_answerer()


def format_answer(result: dict[str, Any]) -> str:
    """The human-readable answer: sentence, answers, evidence with rule chains, sources and SPARQL."""
    lines = [result["text"], ""]
    if not result["understood"]:
        if result.get("suggestions"):
            lines.append("Suggestions:")
            lines += [f"  - {s}" for s in result["suggestions"]]
        return "\n".join(lines)
    lines.append(f"Answers ({result.get('kind')}):")
    for a in result["answers"]:
        if "iri" in a:
            lines.append(f"  - {a['label']} / {a['labels'].get('ko')}  <{a['iri']}>")
        else:
            lines.append(f"  - {json.dumps(a['value'], ensure_ascii=False)}")
    if result["evidence"]:
        lines += ["", "Evidence:"]
        for ev in result["evidence"]:
            _evidence_lines(ev, lines, "  ")
    if result["sources"]:
        lines += ["", "Sources:"]
        lines += [f"  - {s.get('headingPath') or ''}  <{s['iri']}>" for s in result["sources"]]
    lines += ["", "SPARQL:", result["sparql"]]
    return "\n".join(lines)


def _term(t: dict[str, Any]) -> str:
    if "iri" in t:
        return (
            f"{t.get('id') or t['iri']} ({t['label']})"
            if t.get("label") and t.get("label") != t.get("id")
            else t["iri"]
        )
    if "bnode" in t:
        return t["label"]
    value = json.dumps(t.get("value"), ensure_ascii=False)
    return value + (f"@{t['lang']}" if t.get("lang") else "")


def _evidence_lines(ev: dict[str, Any], lines: list[str], indent: str) -> None:
    head = f"{indent}{_term(ev['s'])} {_term(ev['p'])} {_term(ev['o'])}  [{ev['status']}"
    if ev.get("rule"):
        head += f" by {ev['rule']}"
    head += "]"
    lines.append(head)
    if ev.get("ruleComment"):
        lines.append(f"{indent}    rule: {ev['ruleComment']}")
    for src in ev.get("sources", [])[:3] if ev["status"] == "asserted" else []:
        lines.append(f"{indent}    from: {src.get('headingPath') or src['iri']}")
    for premise in ev.get("premises", []):
        _evidence_lines(premise, lines, indent + "    ")


def cmd_ask(args: argparse.Namespace) -> int:
    try:
        result = _answerer().answer(args.question, args.lang)
    except KubeKGError as exc:
        print(f"kubekg ask: {exc.message}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(format_answer(result))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from kubekg.qa.evaluate import evaluate, format_report, load_questions

    try:
        items = load_questions(args.file)
    except (OSError, ValueError) as exc:
        print(f"kubekg eval: {exc}", file=sys.stderr)
        return 2
    answerer = _answerer()
    report = evaluate(items, answerer.answer, answerer.names_of)
    print(format_report(report, args.file))
    if args.json:
        print(json.dumps(report.summary()))
    return 0
