"""SPARQL 1.1 Protocol request rules (W3C REC 2013, sections 2.1 query operation and 2.2 update operation).

A query arrives by GET (``query=`` in the URL), by POST ``application/x-www-form-urlencoded`` (``query=`` in the
body; URL parameters are merged, as the W3C protocol tests send them) or by POST ``application/sparql-query``
(the body is the query). ``default-graph-uri``/``named-graph-uri`` give the dataset. An update arrives by POST
form (``update=``) or POST ``application/sparql-update`` with ``using-graph-uri``/``using-named-graph-uri``.
Everything must be UTF-8; a parameter that may appear once appearing twice is a 400. These functions see only
method, Content-Type, raw query string and body bytes, so they are testable without a web framework.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from kubekg.errors import BadRequest, InvalidParameter, MissingParameter, UnsupportedMediaType

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
TRUE = ("true", "1", "yes", "on")
FALSE = ("false", "0", "no", "off")


class InvalidUTF8(BadRequest):
    """A body or parameter that is not valid UTF-8 (or declares another charset)."""

    code = "invalid_utf8"


class UpdateOnQueryPath(BadRequest):
    """An update operation sent to the query endpoint."""

    code = "update_not_allowed_here"


class QueryOnUpdatePath(BadRequest):
    """A query operation sent to the update endpoint."""

    code = "query_not_allowed_here"


@dataclass
class QueryRequest:
    """A parsed query operation: the query text, the protocol dataset and kubekg's own options."""

    query: str
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    timeout: float | None = None
    asserted_only: bool = False
    formats: list[str] = field(default_factory=list)

    @property
    def has_dataset(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


@dataclass
class UpdateRequest:
    """A parsed update operation: the update text and the protocol's USING dataset."""

    update: str
    using_graphs: list[str] = field(default_factory=list)
    using_named_graphs: list[str] = field(default_factory=list)


def media_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """The lower-case media type and parameters of a Content-Type header."""
    if not content_type:
        return "", {}
    parts = content_type.split(";")
    params = {}
    for p in parts[1:]:
        key, _, value = p.partition("=")
        params[key.strip().lower()] = value.strip().strip('"')
    return parts[0].strip().lower(), params


def _check_charset(params: dict[str, str]) -> None:
    charset = params.get("charset")
    if charset is not None and charset.lower().replace("_", "-") not in ("utf-8", "utf8", "us-ascii"):
        raise InvalidUTF8(f"only UTF-8 is accepted, not charset={charset}")


def _decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidUTF8(f"{what} is not valid UTF-8 (byte {exc.start})") from None


def parse_params(raw: bytes, what: str) -> list[tuple[str, str]]:
    """URL-encoded pairs (a query string or a form body), percent-decoded strictly as UTF-8."""
    text = _decode(raw, what)
    try:
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise InvalidUTF8(f"{what} has percent-encoded bytes that are not UTF-8 (byte {exc.start})") from None
    except ValueError as exc:
        raise BadRequest(f"{what} is not URL-encoded: {exc}") from None


def _all(pairs: list[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in pairs if k == name]


def _one(pairs: list[tuple[str, str]], name: str) -> str | None:
    values = _all(pairs, name)
    if len(values) > 1:
        raise BadRequest(f"the {name} parameter appears {len(values)} times; send exactly one")
    return values[0] if values else None


def _iris(pairs: list[tuple[str, str]], name: str) -> list[str]:
    import pyoxigraph as ox

    out = []
    for value in _all(pairs, name):
        try:
            ox.NamedNode(value)
        except ValueError as exc:
            raise InvalidParameter(f"{name}={value!r} is not an absolute IRI ({exc})") from None
        out.append(value)
    return out


def parse_bool(name: str, value: str | None) -> bool | None:
    """A boolean parameter (true/false, 1/0, yes/no, on/off) or None when absent."""
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered in TRUE or lowered == "":
        return True
    if lowered in FALSE:
        return False
    raise InvalidParameter(f"{name}={value!r} is not a boolean; use true or false")


def parse_timeout(value: str | None) -> float | None:
    """The per-request timeout in seconds (a finite number > 0) or None when absent."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        raise InvalidParameter(f"timeout={value!r} is not a number of seconds") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise InvalidParameter(f"timeout={value!r} must be a number of seconds greater than 0")
    return seconds


def _options(req: QueryRequest, pairs: list[tuple[str, str]]) -> QueryRequest:
    req.timeout = parse_timeout(_one(pairs, "timeout"))
    asserted = parse_bool("asserted-only", _one(pairs, "asserted-only"))
    inferred = parse_bool("inferred", _one(pairs, "inferred"))
    if asserted is not None and inferred is not None and asserted == inferred:
        raise InvalidParameter("asserted-only and inferred contradict each other; send one of them")
    req.asserted_only = bool(asserted) if asserted is not None else inferred is False
    req.formats = _all(pairs, "format")
    req.default_graphs = _iris(pairs, "default-graph-uri")
    req.named_graphs = _iris(pairs, "named-graph-uri")
    return req


def parse_query_request(
    method: str, content_type: str | None, query_string: bytes, body: bytes
) -> QueryRequest | None:
    """The query operation of a request to the query endpoint, or None for a plain GET (service description)."""
    url_pairs = parse_params(query_string, "the URL query string")
    if method == "GET":
        if _all(url_pairs, "update"):
            raise UpdateOnQueryPath("updates cannot be sent by GET")
        query = _one(url_pairs, "query")
        if query is None:
            return None
        if not query.strip():
            raise MissingParameter("the query parameter is empty")
        return _options(QueryRequest(query), url_pairs)
    if method != "POST":
        raise BadRequest(f"the query operation uses GET or POST, not {method}")
    mtype, params = media_type(content_type)
    if mtype == FORM:
        _check_charset(params)
        pairs = url_pairs + parse_params(body, "the form body")
        if _all(pairs, "update") or _all(pairs, "using-graph-uri") or _all(pairs, "using-named-graph-uri"):
            raise UpdateOnQueryPath("this is the query endpoint; updates are not accepted here")
        query = _one(pairs, "query")
        if query is None or not query.strip():
            raise MissingParameter("the form body has no query parameter")
        return _options(QueryRequest(query), pairs)
    if mtype == SPARQL_QUERY:
        _check_charset(params)
        if _all(url_pairs, "query"):
            raise BadRequest("a direct POST carries the query in the body; do not send a query parameter too")
        query = _decode(body, "the request body")
        if not query.strip():
            raise MissingParameter("the request body is empty; it must be the SPARQL query")
        return _options(QueryRequest(query), url_pairs)
    if mtype == SPARQL_UPDATE:
        raise UpdateOnQueryPath("this is the query endpoint; updates are not accepted here")
    if not mtype:
        raise UnsupportedMediaType(
            f"a POST to the query endpoint needs Content-Type {FORM} or {SPARQL_QUERY}; none was sent"
        )
    raise UnsupportedMediaType(f"Content-Type {mtype} is not accepted; use {FORM} or {SPARQL_QUERY}")


def parse_update_request(
    method: str, content_type: str | None, query_string: bytes, body: bytes
) -> UpdateRequest:
    """The update operation of a POST to the update endpoint."""
    if method != "POST":
        raise BadRequest(f"the update operation uses POST, not {method}")
    url_pairs = parse_params(query_string, "the URL query string")
    mtype, params = media_type(content_type)
    if mtype == FORM:
        _check_charset(params)
        pairs = url_pairs + parse_params(body, "the form body")
        if _all(pairs, "query"):
            raise QueryOnUpdatePath("this is the update endpoint; send queries to the query endpoint")
        update = _one(pairs, "update")
        if update is None or not update.strip():
            raise MissingParameter("the form body has no update parameter")
    elif mtype == SPARQL_UPDATE:
        _check_charset(params)
        if _all(url_pairs, "update"):
            raise BadRequest(
                "a direct POST carries the update in the body; do not send an update parameter too"
            )
        pairs = url_pairs
        update = _decode(body, "the request body")
        if not update.strip():
            raise MissingParameter("the request body is empty; it must be the SPARQL update")
    elif not mtype:
        raise UnsupportedMediaType(
            f"a POST to the update endpoint needs Content-Type {FORM} or {SPARQL_UPDATE}; none was sent"
        )
    else:
        raise UnsupportedMediaType(f"Content-Type {mtype} is not accepted; use {FORM} or {SPARQL_UPDATE}")
    return UpdateRequest(update, _iris(pairs, "using-graph-uri"), _iris(pairs, "using-named-graph-uri"))
