"""A small SPARQL 1.1 tokenizer (SPARQL 1.1 Query, section 19.8 terminals) that knows strings, IRIs and comments.

It never decides what a query means for security: the guard re-checks with rdflib's parser. It finds the
prologue, the query form, top-level dataset clauses and the WHERE group so that the protocol layer can honour
FROM/FROM NAMED, place a VALUES block for remote bindings and splice USING clauses into updates, all at
positions that are provably outside strings, IRIs and comments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

_PN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
_PN_MORE = _PN + r"0-9_\-\u00b7\u0300-\u036f\u203f-\u2040"

_TOKEN = re.compile(
    rf"""
     (?P<ws>\s+)
    |(?P<comment>\#[^\n\r]*)
    |(?P<iri><[^<>"{{}}|^`\\\x00-\x20]*>)
    |(?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\n\r]|\\.)*"
              |'(?:[^'\\\n\r]|\\.)*')
    |(?P<var>[?$][{_PN_MORE}]+)
    |(?P<bnode>_:[{_PN_MORE}.]*)
    |(?P<pname>(?:[{_PN}][{_PN_MORE}.]*)?:(?:[{_PN_MORE}.:%]|\\.)*)
    |(?P<word>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
    |(?P<punct>\^\^|&&|\|\||!=|<=|>=|.)
    """,
    re.X | re.S,
)

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")


@dataclass(frozen=True)
class Token:
    """One significant token: its kind (iri, string, var, bnode, pname, word, number, punct), text and span."""

    kind: str
    text: str
    start: int
    end: int
    depth: int  # brace depth before the token ('{' opens at depth d and the tokens inside are at d + 1)

    @property
    def upper(self) -> str:
        return self.text.upper()

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


def iter_tokens(text: str) -> Iterator[Token]:
    """The significant tokens of a query or update (whitespace and comments dropped), with brace depth, lazily."""
    depth = 0
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "punct"
        if kind in ("ws", "comment"):
            continue
        start, end, value = m.start(), m.end(), m.group()
        if kind == "pname" and value.endswith(".") and not value.endswith("\\."):
            stripped = value.rstrip(".")
            yield Token(kind, stripped, start, start + len(stripped), depth)
            for i in range(start + len(stripped), end):
                yield Token("punct", ".", i, i + 1, depth)
            continue
        if value == "}":
            depth = max(0, depth - 1)
        yield Token(kind, value, start, end, depth)
        if value == "{":
            depth += 1


def tokenize(text: str) -> list[Token]:
    """All significant tokens of a query or update."""
    return list(iter_tokens(text))


_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def unescape_codepoints(text: str) -> str:
    r"""Apply SPARQL's codepoint escapes (\uXXXX, \UXXXXXXXX) everywhere, as section 19.2 allows parsers to."""

    def repl(m: re.Match[str]) -> str:
        code = int(m.group(1) or m.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else m.group()

    return _ESCAPE.sub(repl, text)


@dataclass
class Prologue:
    """BASE and PREFIX declarations found at the top level (an update may repeat them between operations)."""

    base: str | None
    prefixes: dict[str, str]

    def resolve(self, token: Token) -> str | None:
        """The absolute IRI an iri or pname token denotes, or None when it cannot be resolved."""
        if token.kind == "iri":
            iri = token.text[1:-1]
            return urljoin(self.base, iri) if self.base and not _is_absolute(iri) else iri
        if token.kind == "pname":
            prefix, _, local = token.text.partition(":")
            ns = self.prefixes.get(prefix)
            if ns is None:
                return None
            return ns + re.sub(r"\\(.)", r"\1", local)
        return None


def _is_absolute(iri: str) -> bool:
    return re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", iri) is not None


def prologue(
    tokens: list[Token], base: str | None = None, prefixes: dict[str, str] | None = None
) -> Prologue:
    """Collect BASE/PREFIX declarations (later ones win), starting from a predeclared base and prefixes."""
    result = Prologue(base, dict(prefixes or {}))
    for i, tok in enumerate(tokens):
        if tok.depth or tok.kind != "word":
            continue
        if tok.upper == "BASE" and i + 1 < len(tokens) and tokens[i + 1].kind == "iri":
            result.base = result.resolve(tokens[i + 1])
        elif (
            tok.upper == "PREFIX"
            and i + 2 < len(tokens)
            and tokens[i + 1].kind == "pname"
            and tokens[i + 1].text.endswith(":")
            and tokens[i + 2].kind == "iri"
        ):
            iri = result.resolve(tokens[i + 2])
            if iri is not None:
                result.prefixes[tokens[i + 1].text[:-1]] = iri
    return result


def first_keyword(tokens: Iterable[Token]) -> str | None:
    """The query form (SELECT, ASK, CONSTRUCT, DESCRIBE) or the first update keyword, after the prologue."""
    skip = 0
    for tok in tokens:
        if skip:
            skip -= 1
            continue
        if tok.is_word("BASE"):
            skip = 1
            continue
        if tok.is_word("PREFIX"):
            skip = 2
            continue
        if tok.kind == "word" and tok.upper in QUERY_FORMS + UPDATE_KEYWORDS:
            return tok.upper
        return None
    return None


# the prologue in its plain spelling (ASCII prefix names, IRIs, comments), for query_form's fast path
_FAST_PROLOGUE = re.compile(
    r"""(?:\s+|\#[^\n\r]*|BASE\s*<[^<>"{}|^`\\\x00-\x20]*>"""
    r"""|PREFIX\s*(?:[A-Za-z][A-Za-z0-9_-]*)?:\s*<[^<>"{}|^`\\\x00-\x20]*>)*""",
    re.I,
)
_FAST_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def query_form(text: str) -> str | None:
    """``first_keyword(iter_tokens(text))``, without tokenizing a plain prologue (a regular expression skips it).

    Anything the fast path is not sure about (a prefix name beyond ASCII, a comment inside a declaration, a word
    glued to ':' or '.') goes to the tokenizer, so both always agree.
    """
    end = _FAST_PROLOGUE.match(text).end()
    word = _FAST_WORD.match(text, end)
    if word is not None:
        upper = word.group().upper()
        after = text[word.end() : word.end() + 1]
        if upper not in ("BASE", "PREFIX") and after not in (":", "."):
            return upper if upper in QUERY_FORMS + UPDATE_KEYWORDS else None
    return first_keyword(iter_tokens(text))


def dataset_clauses(tokens: list[Token], pro: Prologue) -> tuple[list[str], list[str]] | None:
    """The FROM and FROM NAMED IRIs of a query, ([], []) when it has none, None when one cannot be resolved."""
    default: list[str] = []
    named: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.depth or not tok.is_word("FROM"):
            continue
        j = i + 1
        target = named if j < len(tokens) and tokens[j].is_word("NAMED") else default
        if target is named:
            j += 1
        iri = pro.resolve(tokens[j]) if j < len(tokens) else None
        if iri is None:
            return None
        target.append(iri)
    return default, named


def where_group(tokens: list[Token]) -> int | None:
    """Index of the '{' that opens the query's WHERE group (after a CONSTRUCT template), or None."""
    form_at = next((i for i, t in enumerate(tokens) if t.depth == 0 and t.is_word(*QUERY_FORMS)), None)
    if form_at is None:
        return None
    i = form_at + 1
    if tokens[form_at].upper == "CONSTRUCT" and i < len(tokens) and tokens[i].text == "{":
        depth = tokens[i].depth
        i += 1
        while i < len(tokens) and not (tokens[i].text == "}" and tokens[i].depth == depth):
            i += 1
        i += 1
    while i < len(tokens):
        if tokens[i].text == "{" and tokens[i].depth == 0:
            return i
        i += 1
    return None
