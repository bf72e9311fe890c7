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


# ------------------------------------------------------------------ splitting the text around the template


def _skip(text: str, i: int) -> int:
    """Index after whitespace and comments from i."""
    n = len(text)
    while i < n:
        if text[i].isspace():
            i += 1
        elif text[i] == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        else:
            break
    return i


def _scan_to_keyword(text: str, keyword: str) -> int:
    """Position of ``keyword`` at the top level (outside IRIs, strings and comments), or -1."""
    i, n, kw = 0, len(text), keyword.lower()
    while i < n:
        ch = text[i]
        if ch == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif ch == "<":
            j = text.find(">", i)
            i = n if j < 0 else j + 1
        elif ch in "\"'":
            i = _end_of_string(text, i)
        elif (
            text[i : i + len(kw)].lower() == kw
            and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_:?$"))
            and (i + len(kw) >= n or not (text[i + len(kw)].isalnum() or text[i + len(kw)] in "_:"))
        ):
            return i
        else:
            i += 1
    return -1


def _end_of_string(text: str, i: int) -> int:
    q = text[i]
    if text[i : i + 3] == q * 3:
        j = text.find(q * 3, i + 3)
        return len(text) if j < 0 else j + 3
    j = i + 1
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text[j] == q:
            return j + 1
        j += 1
    return j


def _matching_brace(text: str, i: int) -> int:
    """Index of the ``}`` closing the ``{`` at i (IRIs, strings and comments skipped)."""
    depth, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if ch == "<":
            j = text.find(">", i)
            i = n if j < 0 else j + 1
            continue
        if ch in "\"'":
            i = _end_of_string(text, i)
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def split_construct(text: str) -> tuple[str, str]:
    """(prologue, rest): the PREFIX/BASE text before CONSTRUCT and the ``WHERE {...}`` text after the template."""
    k = _scan_to_keyword(text, "construct")
    if k < 0:
        raise RuleError("not a CONSTRUCT query")
    prologue = text[:k]
    i = _skip(text, k + len("construct"))
    if i < len(text) and text[i] == "{":
        end = _matching_brace(text, i)
        if end < 0:
            raise RuleError("unbalanced braces in the CONSTRUCT template")
        return prologue, text[end + 1 :]
    return prologue, text[i:]  # CONSTRUCT WHERE { ... } short form: the rest is the WHERE clause itself


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
    prologue, rest = split_construct(text)
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


def rules_digest(paths: list[Path]) -> str:
    """A sha256 over the rule files' names and contents."""
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def load_rules(queries_dir: Path, cache_dir: Path | None = None) -> list[Rule]:
    """Compile every rule file, reusing a JSON cache of compiled rules keyed by the files' digest."""
    paths = rule_files(queries_dir)
    cached: Path | None = None
    if cache_dir is not None:
        cached = Path(cache_dir) / "rules" / f"{rules_digest(paths)}.json"
        try:
            data = json.loads(cached.read_text(encoding="utf-8"))
            rules = [Rule.from_json(d) for d in data]
            if [r.id for r in rules] == [p.stem for p in paths]:
                return [_relocate(r, p) for r, p in zip(rules, paths, strict=True)]
        except (OSError, ValueError, KeyError, TypeError):
            pass
    rules = [compile_rule(p) for p in paths]
    if cached is not None:
        from kubekg.graph.cache import atomic_write

        with contextlib.suppress(OSError):
            atomic_write(cached, json.dumps([r.to_json() for r in rules], ensure_ascii=False).encode())
    return rules


def _relocate(rule: Rule, path: Path) -> Rule:
    if rule.path == str(path):
        return rule
    d = rule.to_json()
    d["path"] = str(path)
    return Rule.from_json(d)
