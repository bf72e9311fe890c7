"""Light lexical handling of SPARQL text: find top-level keywords and groups, skipping IRIs, strings and comments.

Used to rewrite rule CONSTRUCTs into incremental SELECTs and to place a VALUES block for bindings the store
cannot substitute. It never parses user values into the text: values come in as RDF terms, serialized by
pyoxigraph in N-Triples syntax.
"""

from __future__ import annotations

import pyoxigraph as ox


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
            i = _iri_end(text, i)
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


def _iri_end(text: str, i: int) -> int:
    """Index after an IRI ``<...>`` starting at i, or i + 1 when the ``<`` is an operator (IRIs hold no spaces)."""
    j = i + 1
    while j < len(text) and text[j] not in '<>"{}|^`\\ \t\r\n':
        j += 1
    return j + 1 if j < len(text) and text[j] == ">" else i + 1


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
            i = _iri_end(text, i)
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
        raise ValueError("not a CONSTRUCT query")
    prologue = text[:k]
    i = _skip(text, k + len("construct"))
    if i < len(text) and text[i] == "{":
        end = _matching_brace(text, i)
        if end < 0:
            raise ValueError("unbalanced braces in the CONSTRUCT template")
        return prologue, text[end + 1 :]
    return prologue, text[i:]  # CONSTRUCT WHERE { ... } short form: the rest is the WHERE clause itself


_FORMS = ("select", "ask", "construct", "describe")


def where_group_start(text: str) -> int:
    """Index of the ``{`` opening the query's WHERE group (after a CONSTRUCT template), or -1."""
    positions = [(p, f) for f in _FORMS if (p := _scan_to_keyword(text, f)) >= 0]
    if not positions:
        return -1
    pos, form = min(positions)
    i = pos + len(form)
    if form == "construct":
        j = _skip(text, i)
        if j < len(text) and text[j] == "{":
            end = _matching_brace(text, j)
            if end < 0:
                return -1
            i = end + 1
    return _next_brace(text, i)


def _next_brace(text: str, i: int) -> int:
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif ch == "<":
            i = _iri_end(text, i)
        elif ch in "\"'":
            i = _end_of_string(text, i)
        elif ch == "{":
            return i
        else:
            i += 1
    return -1


def inject_values(text: str, bindings: dict[ox.Variable, object]) -> str:
    """The query with ``VALUES (?a ?b) { (t1 t2) }`` opening its WHERE group, the terms in N-Triples syntax."""
    if not bindings:
        return text
    start = where_group_start(text)
    if start < 0:
        raise ValueError("cannot find the WHERE group of the query to bind variables in")
    names = " ".join(f"?{v.value}" for v in bindings)
    values = " ".join(str(t) for t in bindings.values())
    return f"{text[: start + 1]}\nVALUES ({names}) {{ ({values}) }}\n{text[start + 1 :]}"
