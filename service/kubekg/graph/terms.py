"""RDF term helpers: parse user-typed terms (IRIs, prefixed names, literals) and print them compactly."""

from __future__ import annotations

import re

import pyoxigraph as ox

from kubekg import ns

Term = ox.NamedNode | ox.BlankNode | ox.Literal

_PREFIXED = re.compile(r"^([A-Za-z][\w-]*)?:([^\s<>\"{}|^`\\]*)$")
_NT_LITERAL = re.compile(r'^".*"(@[A-Za-z0-9-]+|\^\^<[^>]+>)?$', re.S)


class TermError(ValueError):
    """A term the user typed cannot be read as an IRI, prefixed name or literal."""


def expand(name: str) -> str | None:
    """The full IRI of a prefixed name such as ``kr:nfs``, or None when the prefix is unknown."""
    m = _PREFIXED.match(name)
    if not m or (m.group(1) or "") not in ns.PREFIXES:
        return None
    return ns.PREFIXES[m.group(1) or ""] + m.group(2)


def parse_term(text: str, *, literal_ok: bool = True) -> Term:
    """Read ``<iri>``, ``http(s)://...``, ``prefix:local``, ``a``, an N-Triples literal or, failing all, a plain literal."""
    text = text.strip()
    if not text:
        raise TermError("empty term")
    if text == "a":
        return ox.NamedNode(ns.PREFIXES["rdf"] + "type")
    if text.startswith("<") and text.endswith(">"):
        return _named(text[1:-1])
    if text.startswith(("http://", "https://", "urn:")):
        return _named(text)
    if text.startswith("_:"):
        return ox.BlankNode(text[2:])
    iri = expand(text)
    if iri is not None:
        return _named(iri)
    if text.startswith('"') and _NT_LITERAL.match(text):
        try:
            return next(iter(ox.parse(f"<urn:x:s> <urn:x:p> {text} .", format=ox.RdfFormat.N_TRIPLES))).object
        except (SyntaxError, StopIteration):
            pass
    if not literal_ok:
        raise TermError(
            f"not an IRI or known prefixed name: {text!r} (known prefixes: {', '.join(ns.PREFIXES)})"
        )
    return ox.Literal(text)


def _named(iri: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except ValueError as exc:
        raise TermError(f"invalid IRI {iri!r}: {exc}") from exc


def to_term(value: object) -> Term:
    """A pyoxigraph term from a term or a string (http(s) strings become IRIs, other strings literals)."""
    if isinstance(value, ox.NamedNode | ox.BlankNode | ox.Literal):
        return value
    if isinstance(value, str):
        return ox.NamedNode(value) if value.startswith(("http://", "https://")) else ox.Literal(value)
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode(ns.PREFIXES["xsd"] + "boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(ns.PREFIXES["xsd"] + "integer"))
    if isinstance(value, float):
        return ox.Literal(repr(value), datatype=ox.NamedNode(ns.PREFIXES["xsd"] + "double"))
    raise TypeError(f"cannot use {value!r} as an RDF term")


_BY_LENGTH = sorted(ns.PREFIXES.items(), key=lambda kv: -len(kv[1]))
_LOCAL_OK = re.compile(r"^[\w][\w./-]*$|^$")  # a display form: "/" stays readable (kr:cell/nfs-RWX)


def compact(term: Term | str) -> str:
    """The shortest readable form: ``kr:nfs`` for IRIs under a known prefix, N-Triples otherwise."""
    if isinstance(term, str):
        term = ox.NamedNode(term)
    if isinstance(term, ox.NamedNode):
        for prefix, base in _BY_LENGTH:
            if term.value.startswith(base):
                local = term.value[len(base) :]
                if _LOCAL_OK.match(local) and not local.endswith("."):
                    return f"{prefix}:{local}"
        return str(term)
    if isinstance(term, ox.Literal):
        if term.language:
            return str(term)
        dt = term.datatype.value
        if dt == ns.PREFIXES["xsd"] + "string":
            return str(term)
        if dt in (ns.PREFIXES["xsd"] + "integer", ns.PREFIXES["xsd"] + "boolean"):
            return term.value
        return f'"{term.value}"^^{compact(term.datatype)}'
    return str(term)


def nt(term: Term) -> str:
    """The N-Triples form of a term (the key format of derivation records)."""
    return str(term)


def from_nt(text: str) -> Term:
    """Parse one N-Triples term back (IRI, blank node or literal)."""
    if text.startswith("<") and text.endswith(">"):
        return ox.NamedNode(text[1:-1])
    if text.startswith("_:"):
        return ox.BlankNode(text[2:])
    return next(iter(ox.parse(f"<urn:x:s> <urn:x:p> {text} .", format=ox.RdfFormat.N_TRIPLES))).object


def triple_key(s: Term, p: Term, o: Term) -> str:
    """The N-Triples line (without the dot) identifying a triple."""
    return f"{s} {p} {o}"


def display(term: Term) -> str:
    """A plain-text value for tables: compact IRIs, literal lexical forms with their language."""
    if isinstance(term, ox.Literal):
        return f"{term.value}@{term.language}" if term.language else term.value
    return compact(term)


_GRAPH_NAMES = {
    ns.ONTOLOGY_GRAPH: "the ontology graph (TBox)",
    ns.DOCUMENT_GRAPH: "the document graph",
    ns.INFERRED_GRAPH: "the inferred graph",
}


def graph_name(iri: str) -> str:
    """A readable name for a named graph: sections compact (``ks:pv-pvc``), the fixed graphs by role."""
    return _GRAPH_NAMES.get(iri) or compact(iri)
