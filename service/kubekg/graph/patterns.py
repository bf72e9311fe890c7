"""Read a rule's CONSTRUCT template and the positive triple patterns of its body, without a full SPARQL parser.

The reasoner needs two things from a rule besides running it: the template (to instantiate conclusions) and the
plain triple patterns of the WHERE clause (to instantiate premises). A small tokenizer and a triples parser
(SPARQL 1.1 grammar, sections 19.5-19.8: TriplesSameSubject, PropertyListNotEmpty, ObjectList, blank node
property lists) give both in milliseconds; rdflib's pyparsing grammar takes most of a second for the rule set.
Constructs that are not positive plain triples are skipped: FILTER (with EXISTS/NOT EXISTS), MINUS, BIND,
VALUES, and triples whose predicate is a property path. OPTIONAL and UNION branches are kept; the reasoner only
records a premise whose instantiation exists in the store. Blank nodes and ``[...]`` in the body become
wildcards (matched against the store when instantiated); the template may hold none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox

from kubekg import ns

VAR = "?"
WILDCARD = "*"
Pattern = tuple[str, str, str]

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|\#[^\n]*)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<var>[?$]\w+)
  | (?P<bnode>_:[\w.-]*\w)
  | (?P<pname>(?:[A-Za-z][\w-]*(?:\.[\w-]+)*)?:(?:[\w:%-]|\\[^\s])*(?:\.(?:[\w:%-]|\\[^\s])+)*)
  | (?P<number>\d*\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+)
  | (?P<name>[A-Za-z_][\w-]*)
  | (?P<op>\^\^|&&|\|\||!=|<=|>=|[{}()\[\].;,/|^*+?!=<>-])
    """,
    re.X,
)
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_XSD = ns.PREFIXES["xsd"]
RDF_TYPE = "<" + ns.PREFIXES["rdf"] + "type>"
_LOCAL_ESCAPE = re.compile(r"\\(.)")  # PN_LOCAL_ESC: kr:table\/x means kr:table/x


def _first_group(m: re.Match[str]) -> str:
    return m.group(1)


class PatternError(ValueError):
    """The rule text cannot be read by the triples parser."""


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int

    def is_(self, *texts: str) -> bool:
        return self.kind in ("op", "name") and self.text.upper() in texts


def tokenize(text: str) -> list[Token]:
    """SPARQL tokens (whitespace and comments dropped)."""
    out: list[Token] = []
    i = 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if m is None:
            raise PatternError(f"unexpected character {text[i]!r} at offset {i}")
        if m.lastgroup != "ws":
            out.append(Token(m.lastgroup or "", m.group(), i))
        i = m.end()
    return out


def _unescape(body: str) -> str:
    def repl(m: re.Match[str]) -> str:
        s = m.group(0)
        if s[1] in "uU":
            return chr(int(s[2:], 16))
        return _ESCAPES.get(s[1], s[1])

    return re.sub(r"\\(?:u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", repl, body)


class _Parser:
    def __init__(self, tokens: list[Token], prefixes: dict[str, str]) -> None:
        self.t = tokens
        self.i = 0
        self.prefixes = prefixes

    # ---------------------------------------------------------------- token helpers

    def peek(self) -> Token | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def next(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise PatternError("unexpected end of the query")
        self.i += 1
        return tok

    def at(self, *texts: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.is_(*texts)

    def skip_balanced(self, open_: str, close: str) -> None:
        if not self.at(open_):
            raise PatternError(f"expected {open_!r} at offset {self.peek().pos if self.peek() else 'end'}")
        depth = 0
        while True:
            tok = self.next()
            if tok.is_(open_):
                depth += 1
            elif tok.is_(close):
                depth -= 1
                if depth == 0:
                    return

    # ---------------------------------------------------------------- terms

    def iri(self, tok: Token) -> str:
        if tok.kind == "iri":
            return tok.text
        prefix, _, local = tok.text.partition(":")
        if prefix not in self.prefixes:
            raise PatternError(f"unknown prefix {prefix!r}: in {tok.text}")
        return f"<{self.prefixes[prefix]}{_LOCAL_ESCAPE.sub(_first_group, local)}>"

    def term(self, out: list[Pattern]) -> str | None:
        """One RDF term or variable; ``[...]`` emits its nested patterns; a collection gives None."""
        tok = self.next()
        if tok.kind == "var":
            return VAR + tok.text[1:]
        if tok.kind in ("iri", "pname"):
            return self.iri(tok)
        if tok.kind == "bnode":
            return WILDCARD
        if tok.kind == "string":
            return self.literal(tok)
        if tok.kind == "number":
            kind = "integer" if tok.text.isdigit() else "double" if "e" in tok.text.lower() else "decimal"
            return str(ox.Literal(tok.text, datatype=ox.NamedNode(_XSD + kind)))
        if tok.is_("TRUE", "FALSE"):
            return str(ox.Literal(tok.text.lower(), datatype=ox.NamedNode(_XSD + "boolean")))
        if tok.is_("["):
            if not self.at("]"):
                self.property_list(WILDCARD, out)
            if not self.next().is_("]"):
                raise PatternError("unclosed '['")
            return WILDCARD
        if tok.is_("("):
            self.i -= 1
            self.skip_balanced("(", ")")
            return None
        raise PatternError(f"unexpected {tok.text!r} at offset {tok.pos}")

    def literal(self, tok: Token) -> str:
        raw = tok.text
        quote = 3 if raw[:3] in ('"""', "'''") else 1
        value = _unescape(raw[quote:-quote])
        nxt = self.peek()
        if nxt is not None and nxt.kind == "lang":
            self.i += 1
            return str(ox.Literal(value, language=nxt.text[1:]))
        if self.at("^^"):
            self.i += 1
            return str(ox.Literal(value, datatype=ox.NamedNode(self.iri(self.next())[1:-1])))
        return str(ox.Literal(value))

    # ---------------------------------------------------------------- triples

    def verb(self) -> str | None:
        """A predicate: IRI, prefixed name, ``a`` or variable; a property path gives None (consumed)."""
        tok = self.peek()
        if tok is None:
            raise PatternError("expected a predicate")
        simple: str | None = None
        if tok.kind == "var":
            self.i += 1
            return VAR + tok.text[1:]
        if tok.kind == "name" and tok.text == "a":
            self.i += 1
            simple = RDF_TYPE
        elif tok.kind in ("iri", "pname"):
            self.i += 1
            simple = self.iri(tok)
        if simple is not None and not self.at("/", "|", "*", "+", "?"):
            return simple
        self.i -= 1 if simple is not None else 0
        self.path()
        return None

    def path(self) -> None:
        """Consume a property path (sequence, alternative, inverse, negation, groups, modifiers)."""
        while True:
            while self.at("^", "!"):
                self.i += 1
            if self.at("("):
                self.skip_balanced("(", ")")
            else:
                tok = self.next()
                if not (tok.kind in ("iri", "pname") or (tok.kind == "name" and tok.text == "a")):
                    raise PatternError(f"unexpected {tok.text!r} in a property path at offset {tok.pos}")
            while self.at("*", "+", "?"):
                self.i += 1
            if self.at("/", "|"):
                self.i += 1
                continue
            return

    def property_list(self, subject: str | None, out: list[Pattern]) -> None:
        while True:
            predicate = self.verb()
            while True:
                obj = self.term(out)
                if subject is not None and predicate is not None and obj is not None:
                    out.append((subject, predicate, obj))
                if not self.at(","):
                    break
                self.i += 1
            if not self.at(";"):
                return
            while self.at(";"):
                self.i += 1
            tok = self.peek()
            if tok is None or tok.is_(".", "}", "]") or (tok.kind == "name" and tok.text != "a"):
                return

    def triples(self, out: list[Pattern]) -> None:
        """TriplesSameSubject: a subject and its property list (or a bare ``[...]``)."""
        subject = self.term(out)
        tok = self.peek()
        if tok is None or tok.is_(".", "}"):
            return
        self.property_list(subject, out)

    # ---------------------------------------------------------------- the WHERE group

    def group(self, out: list[Pattern]) -> None:
        """Walk a ``{...}`` group, collecting positive triple patterns, until its closing brace."""
        if not self.next().is_("{"):
            raise PatternError("expected '{'")
        depth = 1
        while depth:
            tok = self.peek()
            if tok is None:
                raise PatternError("unclosed '{'")
            if tok.is_("{"):
                depth += 1
                self.i += 1
            elif tok.is_("}"):
                depth -= 1
                self.i += 1
            elif tok.is_(".", "OPTIONAL", "UNION"):
                self.i += 1
            elif tok.is_("GRAPH"):
                self.i += 1
                self.term(out)
            elif tok.is_("SERVICE"):
                self.i += 1
                if self.at("SILENT"):
                    self.i += 1
                self.term(out)
            elif tok.is_("MINUS"):
                self.i += 1
                self.skip_balanced("{", "}")
            elif tok.is_("FILTER"):
                self.i += 1
                self.constraint()
            elif tok.is_("BIND"):
                self.i += 1
                self.skip_balanced("(", ")")
            elif tok.is_("VALUES"):
                self.i += 1
                if self.at("("):
                    self.skip_balanced("(", ")")
                else:
                    self.next()
                self.skip_balanced("{", "}")
            elif tok.is_("SELECT"):
                while not self.at("{"):
                    self.next()
            elif tok.is_("GROUP", "ORDER", "HAVING", "LIMIT", "OFFSET"):
                while not self.at("}"):  # a subquery's solution modifiers
                    if self.at("("):
                        self.skip_balanced("(", ")")
                    else:
                        self.next()
            else:
                self.triples(out)

    def constraint(self) -> None:
        if self.at("NOT"):
            self.i += 1
        if self.at("EXISTS"):
            self.i += 1
            self.skip_balanced("{", "}")
        elif self.at("("):
            self.skip_balanced("(", ")")
        else:
            self.next()  # a function call: name or IRI, then its arguments
            self.skip_balanced("(", ")")


def extract(text: str) -> tuple[list[Pattern], list[Pattern]]:
    """(template, body patterns) of a CONSTRUCT rule; raises PatternError when the text cannot be read."""
    tokens = tokenize(text)
    prefixes = {p: iri for p, iri in ns.PREFIXES.items()}
    parser = _Parser(tokens, prefixes)
    while parser.at("PREFIX", "BASE"):
        if parser.next().is_("PREFIX"):
            name = parser.next()
            iri = parser.next()
            if name.kind != "pname" or not name.text.endswith(":") or iri.kind != "iri":
                raise PatternError(f"malformed PREFIX declaration at offset {name.pos}")
            prefixes[name.text[:-1]] = iri.text[1:-1]
        else:
            parser.next()
    if not parser.at("CONSTRUCT"):
        raise PatternError("a rule must be a CONSTRUCT query")
    parser.i += 1
    template: list[Pattern] = []
    body: list[Pattern] = []
    if parser.at("{"):
        parser.i += 1
        while not parser.at("}"):
            if parser.at("."):
                parser.i += 1
                continue
            parser.triples(template)
        parser.i += 1
        while parser.at("FROM", "NAMED") or (
            parser.peek() is not None and parser.peek().kind in ("iri", "pname")
        ):
            parser.i += 1
        if parser.at("WHERE"):
            parser.i += 1
        parser.group(body)
    else:
        if parser.at("WHERE"):
            parser.i += 1
        parser.group(body)
        template = list(body)
    return template, list(dict.fromkeys(body))
