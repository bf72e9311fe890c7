"""SERVICE/LOAD guard: odd host spellings classified, default deny, allow-list matching, query screening."""

from __future__ import annotations

import ipaddress

import pytest

from kubekg import ns
from kubekg.sparql import guard

NO_DNS = lambda host: ["93.184.216.34"]  # noqa: E731 - a resolver that never touches the network


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0x7F.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("[::1]", "::1"),
        ("[0:0:0:0:0:0:0:1]", "::1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("LocalHost.", "localhost"),
    ],
)
def test_canonical_host(spelling: str, canonical: str) -> None:
    assert guard.canonical_host(spelling) == canonical


@pytest.mark.parametrize("spelling", ["1.2.3.256", "%31%32%37.0.0.1", "a b", "", "[::1"])
def test_unusable_hosts_are_errors(spelling: str) -> None:
    with pytest.raises(ValueError):
        guard.canonical_host(spelling)


@pytest.mark.parametrize(
    ("address", "klass"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::127.0.0.1", "loopback"),
        ("64:ff9b::7f00:1", "loopback"),
        ("2002:7f00:1::", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("100.64.0.1", "reserved"),
        ("93.184.216.34", None),
    ],
)
def test_ip_class(address: str, klass: str | None) -> None:
    assert guard.ip_class(ipaddress.ip_address(address)) == klass


LOOPBACK_SPELLINGS = [
    "http://127.0.0.1:9/",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://localhost/",
    "http://LOCALHOST./",
    "http://api.localhost/",
]


@pytest.mark.parametrize("iri", LOOPBACK_SPELLINGS)
def test_loopback_spellings_refused_as_loopback(iri: str) -> None:
    decision = guard.AllowList([], resolver=NO_DNS).check(iri)
    assert not decision.allowed
    assert decision.reason == "loopback"


@pytest.mark.parametrize(
    ("iri", "reason"),
    [
        ("file:///etc/passwd", "file_scheme"),
        ("FILE:///etc/passwd", "file_scheme"),
        ("gopher://example.org/", "scheme"),
        ("http://example.org@127.0.0.1/", "userinfo"),
        ("http://example.org\\@127.0.0.1/", "odd_spelling"),
        ("http://%31%32%37.0.0.1/", "odd_spelling"),
        ("http://10.0.0.1/", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://[fe80::1%25eth0]/", "link-local"),
        ("http://0/", "unspecified"),
        ("http://example.org/sparql", "not_allowlisted"),
    ],
)
def test_refusals_by_reason(iri: str, reason: str) -> None:
    decision = guard.AllowList([], resolver=NO_DNS).check(iri)
    assert (decision.allowed, decision.reason) == (False, reason)
    assert iri in decision.message


def test_allowlist_matches_canonical_hosts_and_ports() -> None:
    allow = guard.AllowList(["example.org", "127.0.0.1:8080"], resolver=NO_DNS)
    assert allow.check("http://EXAMPLE.org./sparql").allowed
    assert allow.check("https://example.org:443/q").allowed
    assert allow.check("http://2130706433:8080/").allowed  # the same host, another spelling
    assert not allow.check("http://127.0.0.1:8081/").allowed
    assert not allow.check("http://sub.example.org/").allowed
    assert not allow.check("file://example.org/etc/passwd").allowed


def test_allowlisted_name_resolving_inside_is_refused() -> None:
    allow = guard.AllowList(["rebind.example"], resolver=lambda host: ["127.0.0.1"])
    decision = allow.check("http://rebind.example/sparql")
    assert (decision.allowed, decision.reason) == (False, "resolves_inside")


def test_unresolvable_allowlisted_name_is_refused() -> None:
    def fail(host: str) -> list[str]:
        raise OSError("no such host")

    decision = guard.AllowList(["gone.example"], resolver=fail).check("http://gone.example/")
    assert (decision.allowed, decision.reason) == (False, "unresolvable")


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * { SERVICE SILENT <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "select * { service<http://127.1/>{ ?s ?p ?o } }",
        "SELECT * { ?s ?p ?o .SERVICE <http://2130706433/> { ?s ?p ?o } }",
        "SELECT * { SERVICE # a comment\n <http://[::1]/> { ?s ?p ?o } }",
        "PREFIX e: <http://0x7f000001/> SELECT * { SERVICE e:sparql { ?s ?p ?o } }",
        "SELECT * { SERVICE ?endpoint { ?s ?p ?o } }",
        r"SELECT * { \u0053ERVICE <http://127.0.0.1/> { ?s ?p ?o } }",
        "BASE <http://127.0.0.1/> SELECT * { SERVICE <sparql> { ?s ?p ?o } }",
        # a lexer would misread '<'>' as an IRI and then hide SERVICE inside a fake string; the regex does not
        "SELECT * { ?s ?p ?o FILTER(?o<'>') SERVICE <http://127.0.0.1:9/> { ?a ?b ?c } FILTER('x' = 'y') }",
    ],
)
@pytest.mark.parametrize("allowlist", [[], ["example.org"]], ids=["empty", "example.org"])
def test_service_queries_refused(query: str, allowlist: list[str]) -> None:
    with pytest.raises(guard.ServiceRefused) as info:
        guard.check_service(query, guard.AllowList(allowlist, resolver=NO_DNS), None, ns.PREFIXES)
    assert info.value.status == 403


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?service ?x WHERE { ?service ?p ?x }",
        'SELECT * { ?s rdfs:label "Service" }',
        "SELECT * { ?s a kg:ServiceType }",
        "SELECT * { ?s ?p <http://example.org/service> }",
    ],
)
def test_service_words_that_are_not_service_clauses_pass(query: str) -> None:
    guard.check_service(query, guard.AllowList([]), None, ns.PREFIXES)


def test_allowlisted_service_passes() -> None:
    allow = guard.AllowList(["example.org"], resolver=NO_DNS)
    guard.check_service(
        "SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", allow, None, ns.PREFIXES
    )


def test_service_text_the_parser_does_not_see_is_refused() -> None:
    allow = guard.AllowList(["example.org"], resolver=NO_DNS)
    query = 'SELECT * { ?s ?p "service <http://example.org/> {" }'
    with pytest.raises(guard.ServiceRefused, match="cannot be verified"):
        guard.check_service(query, allow, None, ns.PREFIXES)


@pytest.mark.parametrize(
    "iri", ["http://127.0.0.1/data.ttl", "file:///etc/passwd", "http://example.org/x.ttl"]
)
def test_load_refused_by_default(iri: str) -> None:
    with pytest.raises(guard.LoadRefused):
        guard.check_load(iri, guard.AllowList([]))


def test_concurrent_checks_share_the_parser_safely() -> None:
    """rdflib's parser is not thread-safe; concurrent SERVICE checks (gthread workers) must all stay correct."""
    import threading

    allow = guard.AllowList(["example.org"], resolver=NO_DNS)
    errors: list[BaseException] = []

    def check_many() -> None:
        for i in range(5):
            try:
                guard.check_service(
                    f"SELECT * {{ SERVICE <http://example.org/{i}> {{ ?s ?p ?o }} }}",
                    allow,
                    None,
                    ns.PREFIXES,
                )
                with pytest.raises(guard.ServiceRefused):
                    guard.check_service(
                        "SELECT * { SERVICE <http://127.1/> { ?s ?p ?o } }", allow, None, ns.PREFIXES
                    )
            except BaseException as exc:  # collected for the assertion in the main thread
                errors.append(exc)

    threads = [threading.Thread(target=check_many) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []


def test_parser_busy_past_the_timeout_is_a_query_timeout() -> None:
    from kubekg.errors import QueryTimeout

    with guard.rdflib_parser(), pytest.raises(QueryTimeout):
        guard.service_targets("SELECT * { ?s ?p ?o }", None, {}, wait=0.05)


# ------------------------------------------------------------------------------------------------ the pattern cap
def star(n: int) -> str:
    return "SELECT * WHERE { " + " . ".join(f"?s kg:p{i} ?o{i}" for i in range(n)) + " }"


@pytest.mark.parametrize(
    ("case", "text", "count"),
    [
        ("one pattern", "SELECT * WHERE { ?s ?p ?o }", 1),
        ("dots and a final dot", "SELECT * WHERE { ?s ?p ?o . ?o ?q ?r . }", 3),
        ("property and object lists", "SELECT * WHERE { ?s kg:a ?o ; kg:b ?x , ?y }", 3),
        ("path steps and branches", "SELECT * WHERE { ?s kg:a/kg:b|kg:c ?o }", 3),
        ("union branches", "SELECT * WHERE { { ?s ?p ?o } UNION { ?o ?p ?s } }", 3),
        ("filter operators", "SELECT * WHERE { ?s ?p ?o FILTER(?o = 1 || ?o = 2 && ?o != 3) }", 3),
        ("IN lists are not counted", "SELECT * WHERE { ?s ?p ?o FILTER(?o IN (1, 2, 3, 4, 5)) }", 1),
        ("VALUES rows are not counted", "SELECT * WHERE { VALUES (?a ?b) { (1 2) (3 4) (5 6) } }", 2),
        ("strings, IRIs and comments", 'SELECT * WHERE { <http://a.b/c.d> ?p "x.y;z,{|}" } # . . .', 1),
        ("decimals", "SELECT * WHERE { ?s ?p 1.5 }", 1),
        ("prefixed names ending a triple", "SELECT * WHERE { kr:etcd rdfs:label ?l. kr:x a kg:C. }", 3),
    ],
)
def test_pattern_count(case: str, text: str, count: int) -> None:
    assert guard.pattern_count(text) == count


def test_the_pattern_cap_refuses_past_the_limit_only() -> None:
    assert guard.pattern_count(star(guard.MAX_PATTERNS)) == guard.MAX_PATTERNS  # n - 1 dots and one group
    guard.check_patterns(star(guard.MAX_PATTERNS))
    with pytest.raises(guard.TooComplex) as info:
        guard.check_patterns(star(guard.MAX_PATTERNS + 1))
    assert info.value.status == 400
    assert "KUBEKG_MAX_PATTERNS" in info.value.message and str(guard.MAX_PATTERNS) in info.value.message
    assert info.value.details["limit"] == guard.MAX_PATTERNS
    guard.check_patterns(star(200), limit=500)  # the limit is a parameter (the KUBEKG_MAX_PATTERNS setting)


def test_long_iris_do_not_count_toward_the_cap() -> None:
    """Prefix declarations and full IRIs hold many '.' and '/' that are no tokens: a few patterns pass."""
    prologue = "".join(f"PREFIX p{i}: <https://example.org/a/b/c.d/e.f/{i}#>\n" for i in range(40))
    body = " . ".join(f"<https://kubekg.dev/id/x.y/{i}> ?p ?o{i}" for i in range(10))
    guard.check_patterns(prologue + "SELECT * WHERE { " + body + " }")


@pytest.mark.parametrize(
    ("case", "text"),
    [
        # a '<' comparison and a later '>' with nothing between that the IRI shortcut may drop
        (
            "patterns between two comparisons",
            "SELECT*WHERE{?a?b?c FILTER(?a<?b)" + "?s?p?o." * 80 + "FILTER(?c>?d)}",
        ),
        ("a && chain inside a comparison", "SELECT*WHERE{?a?b?c FILTER(?a<?b" + "&&?c" * 80 + ">?d)}"),
        ("a || chain inside a comparison", "SELECT*WHERE{?a?b?c FILTER(?a<1" + "||1" * 80 + ">?d)}"),
        ("groups inside a comparison", "SELECT*WHERE{?a?b?c FILTER(?a<1" + "||EXISTS{?a?b?c}" * 40 + ">2)}"),
    ],
)
def test_comparisons_cannot_hide_tokens_from_the_cap(case: str, text: str) -> None:
    with pytest.raises(guard.TooComplex):
        guard.check_patterns(text)


def test_every_shipped_query_is_under_the_pattern_cap() -> None:
    from kubekg import paths

    counts = {p.name: guard.pattern_count(p.read_text("utf-8")) for p in paths.queries_dir().rglob("*.rq")}
    assert len(counts) > 20
    assert max(counts.values()) <= guard.MAX_PATTERNS // 2, sorted(counts.items(), key=lambda kv: -kv[1])[:3]


def test_what_the_cap_admits_plans_quickly() -> None:
    """The worst shape measured (patterns sharing one subject) just under the cap: planned well within 2 s."""
    import time

    from kubekg.graph import load_graph

    store = load_graph().store
    text = star(guard.MAX_PATTERNS) + " LIMIT 1"
    guard.check_patterns(text)
    started = time.monotonic()
    list(store.query(text, prefixes=ns.PREFIXES, use_default_graph_as_union=True))
    assert time.monotonic() - started < 2.0
