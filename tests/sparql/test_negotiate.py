"""Content negotiation: Accept with q-values and wildcards, the format parameter, 406 when nothing fits."""

from __future__ import annotations

import pytest

from kubekg.errors import InvalidParameter, NotAcceptable
from kubekg.sparql import negotiate
from kubekg.sparql.negotiate import GRAPH, RESULTS


@pytest.mark.parametrize(
    ("case", "kind", "accept", "expected"),
    [
        ("no accept: json", RESULTS, None, "json"),
        ("no accept: turtle", GRAPH, None, "turtle"),
        ("any", RESULTS, "*/*", "json"),
        ("exact xml", RESULTS, "application/sparql-results+xml", "xml"),
        ("plain json", RESULTS, "application/json", "json"),
        ("csv", RESULTS, "text/csv", "csv"),
        ("tsv", RESULTS, "text/tab-separated-values", "tsv"),
        ("q decides", RESULTS, "application/sparql-results+json;q=0.5, text/csv;q=0.9", "csv"),
        ("type wildcard", RESULTS, "text/*", "csv"),
        ("specific beats wildcard", RESULTS, "text/csv;q=0.1, */*;q=0.9", "json"),
        (
            "sparqlwrapper json",
            RESULTS,
            "application/sparql-results+json,application/json,text/javascript",
            "json",
        ),
        ("turtle", GRAPH, "text/turtle", "turtle"),
        ("sparqlwrapper turtle", GRAPH, "application/turtle,text/turtle", "turtle"),
        ("ntriples", GRAPH, "application/n-triples", "ntriples"),
        ("rdfxml", GRAPH, "application/rdf+xml", "rdfxml"),
        ("jsonld", GRAPH, "application/ld+json", "jsonld"),
        ("json on a graph", GRAPH, "application/json", "jsonld"),
        ("browser", GRAPH, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "rdfxml"),
    ],
)
def test_accept(case: str, kind: str, accept: str | None, expected: str) -> None:
    assert negotiate.choose(kind, accept).name == expected


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [
        (RESULTS, ["json"], "json"),
        (RESULTS, ["xml"], "xml"),
        (RESULTS, ["csv"], "csv"),
        (RESULTS, ["tsv", "text/tab-separated-values"], "tsv"),  # as SPARQLWrapper sends it
        (RESULTS, ["text/csv"], "csv"),
        (GRAPH, ["turtle"], "turtle"),
        (GRAPH, ["ntriples"], "ntriples"),
        (GRAPH, ["rdfxml"], "rdfxml"),
        (GRAPH, ["xml"], "rdfxml"),
        (GRAPH, ["jsonld"], "jsonld"),
        (GRAPH, ["json-ld", "application/ld+json"], "jsonld"),
        (GRAPH, ["n3"], "turtle"),
    ],
)
def test_format_parameter_wins(kind: str, values: list[str], expected: str) -> None:
    assert negotiate.choose(kind, "application/sparql-results+xml", values).name == expected


def test_406_when_nothing_acceptable() -> None:
    with pytest.raises(NotAcceptable) as info:
        negotiate.choose(RESULTS, "image/png")
    assert info.value.status == 406


def test_406_when_all_offers_have_q_zero() -> None:
    with pytest.raises(NotAcceptable):
        negotiate.choose(RESULTS, "application/sparql-results+json;q=0, */*;q=0")


def test_format_for_the_other_kind_is_406() -> None:
    with pytest.raises(NotAcceptable):
        negotiate.choose(GRAPH, None, ["csv"])


def test_unknown_format_is_400() -> None:
    with pytest.raises(InvalidParameter):
        negotiate.choose(RESULTS, None, ["yaml"])


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
        ("*/*", False),
        (None, False),
        ("text/turtle", False),
        ("text/turtle, text/html;q=0.5", False),
    ],
)
def test_prefers_html(accept: str | None, html: bool) -> None:
    assert negotiate.prefers_html(accept) is html
