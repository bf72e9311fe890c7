"""Rule files: one SPARQL CONSTRUCT per file in queries/rules/, with an ``# id:`` and an ``# if ... then ...`` line.

A rule is compiled once into (a) a SELECT over its WHERE clause that only returns bindings producing at least one
triple not yet in the store (``FILTER NOT EXISTS`` on the template, so every round of the fixed point only sees new
work) and (b) the template and the positive triple patterns of its body (read by kubekg.graph.patterns), which the
reasoner instantiates with each binding to record the premises of a derivation.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kubekg import ns
from kubekg.graph.patterns import WILDCARD, Pattern, extract
from kubekg.graph.sparqltext import split_construct

_ID_LINE = re.compile(r"^#\s*id:\s*(\S+)\s*$", re.M)
_IF_LINE = re.compile(r"^#\s*(if\b.*\bthen\b.*)$", re.M | re.I)


class RuleError(Exception):
    """A rule file cannot be compiled; the message names the file."""


@dataclass(frozen=True)
class Rule:
    """A compiled rule: its id, its "if ... then ..." comment, its incremental SELECT, template and premises."""

    id: str
    path: str
    comment: str
    text: str
    select: str
    template: tuple[Pattern, ...]
    premises: tuple[Pattern, ...]
    declared_id: str | None = None

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "path": self.path,
            "comment": self.comment,
            "text": self.text,
            "select": self.select,
            "template": [list(t) for t in self.template],
            "premises": [list(t) for t in self.premises],
            "declared_id": self.declared_id,
        }

    @classmethod
    def from_json(cls, d: dict) -> Rule:
        return cls(
            id=d["id"],
            path=d["path"],
            comment=d["comment"],
            text=d["text"],
            select=d["select"],
            template=tuple(tuple(t) for t in d["template"]),
            premises=tuple(tuple(t) for t in d["premises"]),
            declared_id=d.get("declared_id"),
        )


def rule_files(queries_dir: Path) -> list[Path]:
    """Every rule file, in name order (owl-* before dom-* is not assumed: the fixed point makes order irrelevant)."""
    return sorted((Path(queries_dir) / "rules").glob("*.rq"))


def header(text: str) -> tuple[str | None, str]:
    """The declared ``# id:`` and the ``# if ... then ...`` comment of a rule text (None / "" when missing)."""
    m = _ID_LINE.search(text)
    c = _IF_LINE.search(text)
    return (m.group(1) if m else None), (c.group(1).strip() if c else "")


def compile_rule(path: Path) -> Rule:
    """Compile one rule file: template and body patterns (kubekg.graph.patterns) and the incremental SELECT."""
    text = Path(path).read_text(encoding="utf-8")
    declared, comment = header(text)
    try:
        template, premises = extract(text)
        prologue, rest = split_construct(text)
    except ValueError as exc:
        raise RuleError(f"{path}: cannot read the rule: {exc}") from exc
    for t in template:
        if WILDCARD in t:
            raise RuleError(
                f"{path}: the template may hold only variables, IRIs and literals (no blank nodes)"
            )
    if not template:
        raise RuleError(f"{path}: empty CONSTRUCT template")
    checks = " || ".join(f"NOT EXISTS {{ {' '.join(t)} }}" for t in template)
    select = f"{prologue}\nSELECT * WHERE {{\n{{ SELECT * {rest}\n}}\nFILTER ({checks})\n}}\n"
    try:  # the store's own parser is the judge of the rule's syntax
        ox.Store().query(text, prefixes=ns.PREFIXES)
        ox.Store().query(select, prefixes=ns.PREFIXES)
    except SyntaxError as exc:
        raise RuleError(f"{path}: {exc}") from exc
    return Rule(
        id=Path(path).stem,
        path=str(path),
        comment=comment,
        text=text,
        select=select,
        template=tuple(template),
        premises=tuple(premises),
        declared_id=declared,
    )


_COMPILER = hashlib.sha256(
    b"".join(
        (Path(__file__).parent / name).read_bytes() for name in ("rules.py", "sparqltext.py", "patterns.py")
    )
).hexdigest()[:16]  # compiled rules are reused only by the same compiler


def rule_digest(path: Path) -> str:
    """A sha256 over one rule file's name and content and the compiler's source."""
    return hashlib.sha256(f"{_COMPILER}\0{path.name}\0".encode() + path.read_bytes()).hexdigest()


def load_rules(queries_dir: Path, cache_dir: Path | None = None) -> list[Rule]:
    """Compile every rule file, reusing compiled rules cached per file (so editing one rule recompiles one)."""
    rules = []
    for path in rule_files(queries_dir):
        cached = Path(cache_dir) / "rules" / f"{rule_digest(path)}.json" if cache_dir is not None else None
        rule = _read_cached(cached, path) if cached is not None else None
        if rule is None:
            rule = compile_rule(path)
            if cached is not None:
                from kubekg.graph.cache import atomic_write

                with contextlib.suppress(OSError):
                    atomic_write(cached, json.dumps(rule.to_json(), ensure_ascii=False).encode())
        rules.append(rule)
    return rules


def _read_cached(cached: Path, path: Path) -> Rule | None:
    try:
        rule = Rule.from_json(json.loads(cached.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return _relocate(rule, path) if rule.id == path.stem else None


def _relocate(rule: Rule, path: Path) -> Rule:
    if rule.path == str(path):
        return rule
    d = rule.to_json()
    d["path"] = str(path)
    return Rule.from_json(d)
