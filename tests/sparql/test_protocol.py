"""SPARQL 1.1 Protocol request parsing (section 2.1 query, 2.2 update), one case per rule."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from kubekg.errors import BadRequest, InvalidParameter, MissingParameter, UnsupportedMediaType
from kubekg.sparql import protocol

FORM = "application/x-www-form-urlencoded"


def q(**params: str | list[str]) -> bytes:
    return urlencode(params, doseq=True).encode()


def test_get_query_with_dataset() -> None:
    req = protocol.parse_query_request(
        "GET",
        None,
        q(
            **{
                "query": "ASK {}",
                "default-graph-uri": ["http://a", "http://b"],
                "named-graph-uri": "http://c",
            }
        ),
        b"",
    )
    assert req is not None
    assert (req.query, req.default_graphs, req.named_graphs) == (
        "ASK {}",
        ["http://a", "http://b"],
        ["http://c"],
    )


def test_get_without_query_is_the_service_description() -> None:
    assert protocol.parse_query_request("GET", None, b"", b"") is None


def test_post_form_merges_url_parameters() -> None:
    req = protocol.parse_query_request(
        "POST", FORM, q(**{"default-graph-uri": "http://g"}), q(query="ASK {}")
    )
    assert req is not None and (req.query, req.default_graphs) == ("ASK {}", ["http://g"])


def test_post_direct_reads_the_body() -> None:
    req = protocol.parse_query_request(
        "POST",
        "application/sparql-query; charset=utf-8",
        q(**{"named-graph-uri": "http://g"}),
        'ASK { ?s ?p "é" }'.encode(),
    )
    assert req is not None and req.query == 'ASK { ?s ?p "é" }' and req.named_graphs == ["http://g"]


@pytest.mark.parametrize(
    ("case", "method", "ctype", "qs", "body", "error"),
    [
        ("two queries by GET", "GET", None, q(query=["ASK {}", "SELECT * {}"]), b"", BadRequest),
        ("two queries by form", "POST", FORM, b"", q(query=["ASK {}", "ASK {}"]), BadRequest),
        ("query in URL and form", "POST", FORM, q(query="ASK {}"), q(query="ASK {}"), BadRequest),
        ("empty query", "GET", None, q(query=""), b"", MissingParameter),
        ("form without query", "POST", FORM, b"", q(other="x"), MissingParameter),
        ("direct without body", "POST", "application/sparql-query", b"", b"  ", MissingParameter),
        ("no content type", "POST", None, b"", b"query=ASK%20%7B%7D", UnsupportedMediaType),
        ("wrong content type", "POST", "text/plain", b"", b"ASK {}", UnsupportedMediaType),
        (
            "utf-16 direct",
            "POST",
            "application/sparql-query; charset=UTF-16",
            b"",
            "ASK {}".encode("utf-16"),
            protocol.InvalidUTF8,
        ),
        (
            "invalid utf-8 body",
            "POST",
            "application/sparql-query",
            b"",
            b"ASK { \xff }",
            protocol.InvalidUTF8,
        ),
        ("invalid utf-8 in URL", "GET", None, b"query=ASK%20%7B%FF%7D", b"", protocol.InvalidUTF8),
        (
            "relative dataset IRI",
            "GET",
            None,
            q(query="ASK {}", **{"default-graph-uri": "not an iri"}),
            b"",
            InvalidParameter,
        ),
        ("bad timeout", "GET", None, q(query="ASK {}", timeout="soon"), b"", InvalidParameter),
        ("zero timeout", "GET", None, q(query="ASK {}", timeout="0"), b"", InvalidParameter),
        ("infinite timeout", "GET", None, q(query="ASK {}", timeout="inf"), b"", InvalidParameter),
        ("bad boolean", "GET", None, q(query="ASK {}", **{"asserted-only": "maybe"}), b"", InvalidParameter),
        (
            "contradiction",
            "GET",
            None,
            q(query="ASK {}", **{"asserted-only": "true", "inferred": "true"}),
            b"",
            InvalidParameter,
        ),
        ("update by GET", "GET", None, q(update="CLEAR ALL"), b"", protocol.UpdateOnQueryPath),
        ("update by form", "POST", FORM, b"", q(update="CLEAR ALL"), protocol.UpdateOnQueryPath),
        ("update direct", "POST", "application/sparql-update", b"", b"CLEAR ALL", protocol.UpdateOnQueryPath),
        ("PUT", "PUT", FORM, q(query="ASK {}"), b"", BadRequest),
    ],
)
def test_bad_query_requests(
    case: str, method: str, ctype: str | None, qs: bytes, body: bytes, error: type
) -> None:
    with pytest.raises(error) as info:
        protocol.parse_query_request(method, ctype, qs, body)
    assert 400 <= info.value.status < 500


@pytest.mark.parametrize(
    ("params", "asserted"),
    [
        ({}, False),
        ({"asserted-only": "true"}, True),
        ({"asserted-only": "false"}, False),
        ({"inferred": "false"}, True),
    ],
)
def test_asserted_only_parameters(params: dict[str, str], asserted: bool) -> None:
    req = protocol.parse_query_request("GET", None, q(query="ASK {}", **params), b"")
    assert req is not None and req.asserted_only is asserted


def test_timeout_and_formats() -> None:
    req = protocol.parse_query_request(
        "GET", None, q(query="ASK {}", timeout="0.5", format=["tsv", "text/tab-separated-values"]), b""
    )
    assert req is not None and req.timeout == 0.5 and req.formats == ["tsv", "text/tab-separated-values"]


def test_update_form_and_direct() -> None:
    form = protocol.parse_update_request(
        "POST", FORM, q(**{"using-graph-uri": "http://u"}), q(update="CLEAR ALL")
    )
    assert (form.update, form.using_graphs) == ("CLEAR ALL", ["http://u"])
    direct = protocol.parse_update_request(
        "POST", "application/sparql-update", q(**{"using-named-graph-uri": "http://n"}), b"CLEAR ALL"
    )
    assert (direct.update, direct.using_named_graphs) == ("CLEAR ALL", ["http://n"])


@pytest.mark.parametrize(
    ("case", "method", "ctype", "qs", "body", "error"),
    [
        ("GET", "GET", None, q(update="CLEAR ALL"), b"", BadRequest),
        ("two updates", "POST", FORM, b"", q(update=["CLEAR NAMED", "CLEAR DEFAULT"]), BadRequest),
        ("wrong type", "POST", "text/plain", b"", b"CLEAR NAMED", UnsupportedMediaType),
        ("no type", "POST", None, b"", b"update=CLEAR%20NAMED", UnsupportedMediaType),
        (
            "utf-16",
            "POST",
            "application/sparql-update; charset=UTF-16",
            b"",
            "CLEAR NAMED".encode("utf-16"),
            protocol.InvalidUTF8,
        ),
        ("query on update path", "POST", FORM, b"", q(query="ASK {}"), protocol.QueryOnUpdatePath),
    ],
)
def test_bad_update_requests(
    case: str, method: str, ctype: str | None, qs: bytes, body: bytes, error: type
) -> None:
    with pytest.raises(error):
        protocol.parse_update_request(method, ctype, qs, body)
