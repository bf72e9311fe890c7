"""Rule files: one SPARQL CONSTRUCT per file in queries/rules/, with an ``# id:`` and an ``# if ... then ...`` line.

A rule is compiled once into (a) a SELECT over its WHERE clause that only returns bindings producing at least one
triple not yet in the store (``FILTER NOT EXISTS`` on the template, so every round of the fixed point only sees new
work) and (b) the template and the positive triple patterns of its body (from rdflib's SPARQL algebra), which the
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
from kubekg.graph.sparqltext import split_construct

VAR = "?"  # patterns hold "?name" for variables, "*" for blank-node wildcards, N-Triples for constants
WILDCARD = "*"

_ID_LINE = re.compile(r"^#\s*id:\s*(\S+)\s*$", re.M)
_IF_LINE = re.compile(r"^#\s*(if\b.*\bthen\b.*)$", re.M | re.I)


class RuleError(Exception):
    """A rule file cannot be compiled; the message names the file."""


Pattern = tuple[str, str, str]


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


# ------------------------------------------------------------------ templates and premises from rdflib's algebra


def _pattern_term(term) -> str | None:  # noqa: ANN001 - rdflib term
    from rdflib.term import BNode, Literal, URIRef, Variable

    if isinstance(term, Variable):
        return VAR + str(term)
    if isinstance(term, BNode):
        return WILDCARD
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        return str(_rdflib_literal(term))
    return None  # a property path


def _rdflib_literal(lit) -> ox.Literal:  # noqa: ANN001 - rdflib Literal
    if lit.language:
        return ox.Literal(str(lit), language=lit.language)
    if lit.datatype:
        return ox.Literal(str(lit), datatype=ox.NamedNode(str(lit.datatype)))
    return ox.Literal(str(lit))


def _positive_patterns(node, out: list[Pattern]) -> None:  # noqa: ANN001 - rdflib CompValue
    from rdflib.plugins.sparql.parserutils import CompValue

    if not isinstance(node, CompValue):
        return
    if node.name == "BGP":
        for triple in node.triples:
            terms = [_pattern_term(t) for t in triple]
            if None not in terms:
                out.append(tuple(terms))
        return
    keys = ("p1",) if node.name == "Minus" else ("p", "p1", "p2")
    for key in keys:
        child = node.get(key)
        if child is not None:
            _positive_patterns(child, out)


def compile_rule(path: Path) -> Rule:
    """Compile one rule file (rdflib is imported only here; compiled rules are cached as JSON)."""
    from rdflib.plugins.sparql import prepareQuery

    text = Path(path).read_text(encoding="utf-8")
    declared, comment = header(text)
    try:
        algebra = prepareQuery(text, initNs=ns.PREFIXES).algebra
    except Exception as exc:  # pyparsing and rdflib raise many types; all mean the same here
        raise RuleError(f"{path}: cannot parse the rule: {exc}") from exc
    if algebra.name != "ConstructQuery":
        raise RuleError(f"{path}: a rule must be a CONSTRUCT query, not {algebra.name}")
    template: list[Pattern] = []
    for triple in algebra.template or []:
        terms = [_pattern_term(t) for t in triple]
        if None in terms or WILDCARD in terms:
            raise RuleError(
                f"{path}: the template may hold only variables, IRIs and literals (no blank nodes)"
            )
        template.append(tuple(terms))
    if not template:
        raise RuleError(f"{path}: empty CONSTRUCT template")
    premises: list[Pattern] = []
    _positive_patterns(algebra.p, premises)
    try:
        prologue, rest = split_construct(text)
    except ValueError as exc:
        raise RuleError(f"{path}: {exc}") from exc
    checks = " || ".join(f"NOT EXISTS {{ {' '.join(t)} }}" for t in template)
    select = f"{prologue}\nSELECT * WHERE {{\n{{ SELECT * {rest}\n}}\nFILTER ({checks})\n}}\n"
    try:  # pyoxigraph must accept the rewritten query too
        ox.Store().query(select, prefixes=ns.PREFIXES)
    except SyntaxError as exc:
        raise RuleError(f"{path}: the rule does not compile for the store: {exc}") from exc
    return Rule(
        id=Path(path).stem,
        path=str(path),
        comment=comment,
        text=text,
        select=select,
        template=tuple(template),
        premises=tuple(dict.fromkeys(premises)),
        declared_id=declared,
    )


_COMPILER = hashlib.sha256(
    b"".join((Path(__file__).parent / name).read_bytes() for name in ("rules.py", "sparqltext.py"))
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
