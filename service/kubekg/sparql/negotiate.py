"""Content negotiation for SPARQL results (RFC 9110 section 12.5.1 Accept with q-values, plus a ``format`` parameter).

SELECT/ASK results are offered as SPARQL JSON, XML, CSV and TSV; CONSTRUCT/DESCRIBE graphs (and the service
description) as Turtle, N-Triples, RDF/XML and JSON-LD. The ``format`` parameter (a short name such as ``json`` or
a media type; repeated values as SPARQLWrapper sends them are fine) wins over Accept. Nothing acceptable -> 406.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kubekg.errors import InvalidParameter, NotAcceptable

RESULTS = "results"  # SELECT and ASK
GRAPH = "graph"  # CONSTRUCT, DESCRIBE and the service description


@dataclass(frozen=True)
class Format:
    """One output format: short name, the Content-Type sent, the media types that select it, and its kind."""

    name: str
    content_type: str
    media_types: tuple[str, ...]
    kind: str


FORMATS: tuple[Format, ...] = (
    # results, in server preference order (the first is the default)
    Format(
        "json",
        "application/sparql-results+json",
        ("application/sparql-results+json", "application/json"),
        RESULTS,
    ),
    Format(
        "xml",
        "application/sparql-results+xml",
        ("application/sparql-results+xml", "application/xml", "text/xml"),
        RESULTS,
    ),
    Format("csv", "text/csv; charset=utf-8", ("text/csv",), RESULTS),
    Format("tsv", "text/tab-separated-values; charset=utf-8", ("text/tab-separated-values",), RESULTS),
    # graphs, in server preference order
    Format(
        "turtle",
        "text/turtle; charset=utf-8",
        ("text/turtle", "application/x-turtle", "application/turtle"),
        GRAPH,
    ),
    Format("ntriples", "application/n-triples", ("application/n-triples", "text/plain"), GRAPH),
    Format("rdfxml", "application/rdf+xml", ("application/rdf+xml", "application/xml", "text/xml"), GRAPH),
    Format("jsonld", "application/ld+json", ("application/ld+json", "application/json"), GRAPH),
)
BY_NAME = {(f.kind, f.name): f for f in FORMATS}

# short names accepted by the format parameter -> the format name for each kind
ALIASES: dict[str, dict[str, str]] = {
    "json": {RESULTS: "json", GRAPH: "jsonld"},
    "srj": {RESULTS: "json"},
    "xml": {RESULTS: "xml", GRAPH: "rdfxml"},
    "srx": {RESULTS: "xml"},
    "csv": {RESULTS: "csv"},
    "tsv": {RESULTS: "tsv"},
    "turtle": {GRAPH: "turtle"},
    "ttl": {GRAPH: "turtle"},
    "n3": {GRAPH: "turtle"},
    "ntriples": {GRAPH: "ntriples"},
    "n-triples": {GRAPH: "ntriples"},
    "nt": {GRAPH: "ntriples"},
    "rdfxml": {GRAPH: "rdfxml"},
    "rdf+xml": {GRAPH: "rdfxml"},
    "rdf": {GRAPH: "rdfxml"},
    "jsonld": {GRAPH: "jsonld"},
    "json-ld": {GRAPH: "jsonld"},
}


@dataclass(frozen=True)
class Range:
    """One Accept media range with its quality."""

    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int:
        """-1 if the range does not match media_type, else 0 (*/*), 1 (type/*) or 2 (exact)."""
        t, _, s = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 0
        if self.type == t and self.subtype == "*":
            return 1
        if self.type == t and self.subtype == s:
            return 2
        return -1


def parse_accept(header: str | None) -> list[Range]:
    """The media ranges of an Accept header (malformed entries skipped, q clamped to [0, 1])."""
    ranges = []
    for item in (header or "").split(","):
        parts = [p.strip() for p in item.split(";")]
        media = parts[0].lower()
        if "/" not in media:
            continue
        t, _, s = media.partition("/")
        q = 1.0
        for param in parts[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(1.0, max(0.0, float(value.strip())))
                except ValueError:
                    q = 0.0
        if t and s and (t != "*" or s == "*"):
            ranges.append(Range(t, s, q))
    return ranges


def quality(ranges: Sequence[Range], media_type: str) -> tuple[float, int]:
    """(q, specificity) the client gives a media type: the most specific matching range decides."""
    best: tuple[int, float] = (-1, 0.0)
    for r in ranges:
        spec = r.specificity(media_type)
        if spec > best[0] or (spec == best[0] and r.q > best[1]):
            best = (spec, r.q)
    return (best[1], best[0]) if best[0] >= 0 else (0.0, -1)


def _format_quality(ranges: Sequence[Range], f: Format) -> tuple[float, int]:
    """A format's (q, specificity): exact matches on any of its media types, wildcards only on the one it sends."""
    primary = f.content_type.split(";")[0]
    best = quality(ranges, primary)
    for media in f.media_types:
        q, spec = quality(ranges, media)
        if spec == 2 and (q, spec) > best:
            best = (q, spec)
    return best


def _offers(kind: str) -> list[Format]:
    return [f for f in FORMATS if f.kind == kind]


def from_parameter(values: Iterable[str], kind: str) -> Format | None:
    """The format a ``format`` parameter asks for (first recognised value), None when the parameter is absent."""
    values = [v.strip() for v in values if v and v.strip()]
    if not values:
        return None
    known_elsewhere = False
    for value in values:
        lowered = value.lower().split(";")[0].strip()
        alias = ALIASES.get(lowered)
        if alias is not None:
            if kind in alias:
                return BY_NAME[(kind, alias[kind])]
            known_elsewhere = True
            continue
        for f in _offers(kind):
            if lowered in f.media_types:
                return f
        if any(lowered in f.media_types for f in FORMATS):
            known_elsewhere = True
    names = sorted({n for n, kinds in ALIASES.items() if kind in kinds})
    if known_elsewhere:
        raise NotAcceptable(
            f"format={values[0]!r} is not available for this kind of result; use one of: {', '.join(names)}"
        )
    raise InvalidParameter(f"unknown format {values[0]!r}; use one of: {', '.join(names)} (or a media type)")


def choose(kind: str, accept: str | None, format_values: Iterable[str] = ()) -> Format:
    """The output format for a result kind: the format parameter, else the best Accept match, else 406."""
    chosen = from_parameter(format_values, kind)
    if chosen is not None:
        return chosen
    offers = _offers(kind)
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    best: Format | None = None
    best_key = (0.0, -1)
    for f in offers:
        key = _format_quality(ranges, f)
        if key[0] > 0 and (key[0] > best_key[0] or (key[0] == best_key[0] and key[1] > best_key[1])):
            best, best_key = f, key
    if best is None:
        available = ", ".join(f.media_types[0] for f in offers)
        raise NotAcceptable(
            f"none of the media types in Accept: {accept} can be served here; available: {available}"
        )
    return best


def prefers_html(accept: str | None, kinds: tuple[str, ...] = (GRAPH,)) -> bool:
    """True when Accept names text/html explicitly and ranks it at least as high as every offered format."""
    ranges = parse_accept(accept)
    q_html, spec = quality(ranges, "text/html")
    if q_html <= 0 or spec < 2:
        return False
    return all(_format_quality(ranges, f)[0] <= q_html for kind in kinds for f in _offers(kind))
