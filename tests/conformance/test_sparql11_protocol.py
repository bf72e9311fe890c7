"""The W3C SPARQL 1.1 Protocol and Service Description suites, replayed as raw HTTP against a live kubekg.

The manifests (../shared/conformance) are read with rdflib. Each protocol test's requests are sent in order,
with the manifest's ``/sparql/`` prefix replaced by kubekg's query path (``/sparql``) or, for the update
operations of update tests, by the update path (``/sparql/update``, with the bearer token on the update-enabled
server). Checked: the status class, the result format (boolean, tabular, RDF) and ASK booleans. Query and
negative tests run on the default configuration, update tests on the update-enabled one (negative tests run
there too). Categories: ``query_*`` (13), ``bad_*`` (14, negative), ``update_*`` (7).
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.collection import Collection

from kubekg.paths import shared_dir
from kubekg.sparql.testing import LiveServer

MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
SRX = "{http://www.w3.org/2005/sparql-results#}"
QUERY_PATH, UPDATE_PATH = "/sparql", "/sparql/update"
RESULT_TYPES = {
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
}
RDF_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}


@dataclass
class Request:
    """One ht:Request of a protocol test and the response it expects."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[int]
    format: str | None
    boolean: bool | None


@dataclass
class ProtocolTest:
    """One mf:ProtocolTest: its local name, title and requests."""

    name: str
    title: str
    requests: list[Request] = field(default_factory=list)

    @property
    def category(self) -> str:
        if self.name.startswith("bad_"):
            return "negative"
        return "update" if self.name.startswith("update_") else "query"


def _protocol_dir() -> Path | None:
    shared = shared_dir()
    directory = shared / "conformance" / "sparql11-protocol" if shared else None
    return directory if directory and (directory / "manifest.ttl").is_file() else None


def load_protocol_tests(directory: Path) -> list[ProtocolTest]:
    """The protocol tests in manifest order."""
    g = rdflib.Graph().parse(directory / "manifest.ttl", format="turtle")
    manifest = next(g.subjects(rdflib.RDF.type, MF.Manifest))
    tests = []
    for entry in Collection(g, g.value(manifest, MF.entries)):
        test = ProtocolTest(str(entry).rsplit("#", 1)[-1], str(g.value(entry, MF.name)))
        action = g.value(entry, MF.action)
        for req in Collection(g, g.value(action, HT.requests)):
            headers = {}
            header_list = g.value(req, HT.headers)
            if header_list is not None:
                for h in Collection(g, header_list):
                    headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
            body = None
            body_node = g.value(req, HT.body)
            if body_node is not None:
                encoding = str(g.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(g.value(body_node, CNT.chars)).encode(encoding)
            resp = g.value(req, HT.resp)
            statuses = {int(str(s)[len(HTS)]) for s in g.objects(resp, MF.expectedStatus)}
            fmt = g.value(resp, MF.expectedFormat)
            boolean = g.value(resp, MF.expectedBoolean)
            test.requests.append(
                Request(
                    str(g.value(req, HT.methodName)),
                    str(g.value(req, HT.absolutePath)),
                    headers,
                    body,
                    statuses,
                    str(fmt) if fmt is not None else None,
                    boolean.toPython() if boolean is not None else None,
                )
            )
        tests.append(test)
    return tests


def _params() -> list:
    directory = _protocol_dir()
    if directory is None:
        return [
            pytest.param(
                None, marks=pytest.mark.skip(reason="../shared/conformance is not beside this checkout")
            )
        ]
    return [
        pytest.param(t, id=t.name, marks=pytest.mark.conformance(t.category))
        for t in load_protocol_tests(directory)
    ]


PROTOCOL_TESTS = _params()


def is_update_operation(test: ProtocolTest, req: Request) -> bool:
    """Whether a request of this test is an update operation (it goes to the update path)."""
    if not test.name.startswith(("update_", "bad_update")):
        return False
    ctype = {k.lower(): v for k, v in req.headers.items()}.get("content-type", "").lower()
    if ctype.startswith("application/sparql-query"):
        return False
    params = parse_qsl(urlsplit(req.path).query)
    if ctype.startswith("application/x-www-form-urlencoded") and req.body:
        params += parse_qsl(req.body.decode("utf-8"))
    return not any(k == "query" for k, _ in params)


def send(server: LiveServer, test: ProtocolTest, req: Request, token: str | None) -> tuple[int, str, bytes]:
    update = is_update_operation(test, req)
    assert req.path.startswith("/sparql/")
    rest = req.path[len("/sparql/") :]
    path = (UPDATE_PATH if update else QUERY_PATH) + (
        rest if rest.startswith("?") or not rest else "/" + rest
    )
    headers = dict(req.headers)
    if update and token:
        headers["Authorization"] = f"Bearer {token}"
    reply = server.request(req.method, path, body=req.body, headers=headers)
    return reply.status, reply.content_type, reply.body


def check_format(expected: str, content_type: str, body: bytes) -> bool | None:
    """Assert the body has the expected shape; returns the boolean of a boolean result."""
    if expected == "RDF":
        assert content_type in RDF_TYPES, content_type
        list(ox.parse(body, format=RDF_TYPES[content_type]))
        return None
    assert content_type in RESULT_TYPES, content_type
    if content_type == "application/sparql-results+json":
        doc = json.loads(body)
        if expected == "boolean":
            assert isinstance(doc.get("boolean"), bool)
            return doc["boolean"]
        assert isinstance(doc["head"]["vars"], list) and isinstance(doc["results"]["bindings"], list)
        return None
    if content_type == "application/sparql-results+xml":
        root = ET.fromstring(body)
        node = root.find(f"{SRX}boolean")
        if expected == "boolean":
            assert node is not None
            return node.text == "true"
        assert root.find(f"{SRX}results") is not None
        return None
    assert expected == "tabular", "booleans come as JSON or XML by default"
    rows = list(csv.reader(io.StringIO(body.decode()), delimiter="," if content_type == "text/csv" else "\t"))
    assert rows and rows[0]
    return None


def run_test(server: LiveServer, test: ProtocolTest, token: str | None) -> None:
    for i, req in enumerate(test.requests):
        status, content_type, body = send(server, test, req, token)
        where = f"{test.name} request {i + 1} ({req.method} {req.path[:80]})"
        assert status // 100 in req.statuses, (
            f"{where}: status {status}, expected {sorted(req.statuses)}xx: {body[:300]!r}"
        )
        if req.format is not None:
            value = check_format(req.format, content_type, body)
            if req.boolean is not None:
                assert value is req.boolean, f"{where}: ASK gave {value}, expected {req.boolean}"


@pytest.mark.parametrize(
    "test", [p for p in PROTOCOL_TESTS if p.values[0] is None or p.values[0].category != "update"]
)
def test_default_configuration(test: ProtocolTest, conformance_server: LiveServer) -> None:
    run_test(conformance_server, test, token=None)


@pytest.mark.parametrize(
    "test", [p for p in PROTOCOL_TESTS if p.values[0] is None or p.values[0].category != "query"]
)
def test_update_configuration(
    test: ProtocolTest, update_server: LiveServer, request: pytest.FixtureRequest
) -> None:
    if test.category == "negative":
        request.node.user_properties[:] = [("conformance", "negative (updates on)")]
    run_test(update_server, test, token=update_server.settings["UPDATE_TOKEN"])


def test_the_suite_has_the_expected_shape() -> None:
    directory = _protocol_dir()
    if directory is None:
        pytest.skip("../shared/conformance is not beside this checkout")
    tests = load_protocol_tests(directory)
    counts = {c: sum(t.category == c for t in tests) for c in ("query", "negative", "update")}
    assert (len(tests), counts) == (34, {"query": 13, "negative": 14, "update": 7})


# ------------------------------------------------------------------------------------------------ service description
SD_ACCEPT = "text/turtle, application/rdf+xml;q=0.9, application/n-triples;q=0.8, application/ld+json;q=0.7"
SD_TESTS = ["returns-rdf", "has-endpoint-triple", "conforms-to-schema"]
SD_LANGUAGES = {SD.SPARQL10Query, SD.SPARQL11Query, SD.SPARQL11Update}


def _sd_params() -> list:
    shared = shared_dir()
    manifest = shared / "conformance" / "sparql11-service-description" / "manifest.ttl" if shared else None
    if manifest is None or not manifest.is_file():
        return [
            pytest.param(
                None, marks=pytest.mark.skip(reason="../shared/conformance is not beside this checkout")
            )
        ]
    g = rdflib.Graph().parse(manifest, format="turtle")
    names = [str(s).rsplit("#", 1)[-1] for s in g.subjects(rdflib.RDF.type, MF.ServiceDescriptionTest)]
    assert sorted(names) == sorted(SD_TESTS), names
    return [pytest.param(n, id=n, marks=pytest.mark.conformance("service-description")) for n in SD_TESTS]


def fetch_description(server: LiveServer) -> tuple[int, str, rdflib.Graph]:
    reply = server.request("GET", QUERY_PATH, headers={"Accept": SD_ACCEPT})
    graph = rdflib.Graph()
    if reply.status == 200:
        fmt = {
            "text/turtle": "turtle",
            "application/rdf+xml": "xml",
            "application/n-triples": "nt",
            "application/ld+json": "json-ld",
        }
        graph.parse(data=reply.body, format=fmt[reply.content_type])
    return reply.status, reply.content_type, graph


@pytest.mark.parametrize("name", _sd_params())
def test_service_description(name: str, conformance_server: LiveServer) -> None:
    status, content_type, g = fetch_description(conformance_server)
    endpoint = rdflib.URIRef(conformance_server.base + QUERY_PATH)
    if name == "returns-rdf":
        assert status == 200 and content_type in RDF_TYPES and len(g) > 0
    elif name == "has-endpoint-triple":
        assert (None, SD.endpoint, endpoint) in g
    else:
        services = set(g.subjects(rdflib.RDF.type, SD.Service))
        assert services
        for service in services:
            assert all(isinstance(e, rdflib.URIRef) for e in g.objects(service, SD.endpoint))
            languages = set(g.objects(service, SD.supportedLanguage))
            assert languages and languages <= SD_LANGUAGES
            for prop in (SD.resultFormat, SD.feature, SD.inputFormat, SD.extensionFunction):
                assert all(isinstance(o, rdflib.URIRef) for o in g.objects(service, prop))
            for dataset in g.objects(service, SD.defaultDataset):
                assert (dataset, rdflib.RDF.type, SD.Dataset) in g
                for default in g.objects(dataset, SD.defaultGraph):
                    assert (default, rdflib.RDF.type, SD.Graph) in g
                for named in g.objects(dataset, SD.namedGraph):
                    assert (named, rdflib.RDF.type, SD.NamedGraph) in g
                    names = list(g.objects(named, SD.name))
                    assert len(names) == 1 and isinstance(names[0], rdflib.URIRef)
