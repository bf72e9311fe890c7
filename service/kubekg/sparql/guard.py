"""Where a query may reach: SERVICE and LOAD targets checked against an allow-list, hosts classified robustly.

Default deny: a remote IRI is allowed only when its scheme is http(s), its host (after the WHATWG URL standard's
IPv4 and IPv6 normalisation, so ``127.1``, ``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``[::1]`` and
``[::ffff:127.0.0.1]`` are all 127.0.0.1) is on ``SERVICE_ALLOWLIST``, and, for an allow-listed *name*, every
address it resolves to is public or itself allow-listed (no DNS pointing back inside). ``file:``, user info,
backslashes, percent-encoded hosts and other parser-confusion spellings are refused outright. Queries are screened
with a regular expression that over-approximates SPARQL's ``SERVICE`` syntax; when it fires, rdflib's SPARQL parser
gives the real targets, and a mismatch between the two (SERVICE text the parser did not see) is refused.
FROM/FROM NAMED IRIs are never dereferenced (they name graphs in the store), so they need no check.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from kubekg.errors import Forbidden, QuerySyntaxError, QueryTimeout
from kubekg.sparql import lexer

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], list[str]]

RESOLVE_TIMEOUT = 2.0  # seconds to resolve an allow-listed host name before refusing
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "loopback"}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_COMPAT = ipaddress.ip_network("::/96")

# SPARQL's gap between tokens: whitespace and comments (section 19.8, WS and COMMENT)
_GAP = r"(?:\s|\#[^\n\r]*)*"
_TARGET = r"(?:<[^>]*>|[^\s{#<]+)"
# over-approximations of ServiceGraphPattern and Load: the keyword not glued to a name, a target, and for SERVICE '{'
SERVICE_RE = re.compile(rf"(?<![\w?$:\\-])service{_GAP}(?:silent{_GAP})?{_TARGET}{_GAP}\{{", re.I)
# what SERVICE_RE needs at least, under the same case-insensitive rules (for non-ASCII text: 'ſ' matches 's')
_SERVICE_WORD = re.compile("service", re.I)
LOAD_RE = re.compile(rf"(?<![\w?$:\\-])load{_GAP}(?:silent{_GAP})?{_TARGET}", re.I)


class ServiceRefused(Forbidden):
    """A SERVICE clause whose target is not allow-listed (or cannot be verified)."""

    code = "service_not_allowed"


class LoadRefused(Forbidden):
    """A LOAD whose source is not allow-listed."""

    code = "load_not_allowed"


@dataclass(frozen=True)
class Decision:
    """The verdict on one remote IRI: allowed or not, a reason code and a message naming the IRI."""

    allowed: bool
    reason: str
    message: str


# ------------------------------------------------------------------------------------------------ host parsing
def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The WHATWG URL standard's IPv4 parser: 1-4 dot parts, each decimal, 0x-hex or 0-octal; None if not IPv4."""
    parts = host.split(".")
    if parts and parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if not 1 <= len(parts) <= 4:
        return None
    numbers = []
    for part in parts:
        if re.fullmatch(r"0[xX][0-9A-Fa-f]*", part):
            value = int(part[2:] or "0", 16)
        elif re.fullmatch(r"0[0-7]+", part):
            value = int(part, 8)
        elif re.fullmatch(r"[0-9]+", part):
            value = int(part, 10)
        else:
            return None
        numbers.append(value)
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        return None
    value = numbers[-1]
    for i, n in enumerate(numbers[:-1]):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def _ends_in_number(host: str) -> bool:
    last = host.rstrip(".").rsplit(".", 1)[-1]
    return bool(re.fullmatch(r"[0-9]+|0[xX][0-9A-Fa-f]*", last))


def canonical_host(host: str) -> str:
    """Lower-case, IDNA, trailing dot removed, IP literals in canonical form; raises ValueError when unusable."""
    if not host:
        raise ValueError("empty host")
    if host.startswith("["):
        if not host.endswith("]"):
            raise ValueError("unbalanced IPv6 brackets")
        inner = host[1:-1].split("%", 1)[0]
        return str(ipaddress.IPv6Address(inner))
    if any(c in host for c in "%\\@ \t\r\n") or any(ord(c) < 0x20 for c in host):
        raise ValueError("percent-encoded or control characters in the host")
    ipv4 = parse_ipv4(host)
    if ipv4 is not None:
        return str(ipv4)
    if _ends_in_number(host):
        raise ValueError("a host ending in a number must be a valid IPv4 address")
    try:
        name = host.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise ValueError(f"not a valid host name ({exc})") from None
    if not name or any(
        not re.fullmatch(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?", label) for label in name.split(".")
    ):
        raise ValueError("not a valid host name")
    return name


def ip_class(ip: IPAddress) -> str | None:
    """Why an address is not public (loopback, private, link-local, ...), or None for a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and (ip in _NAT64 or (ip in _COMPAT and int(ip) > 1)):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = ip_class(embedded)
            if inner:
                return inner
    if ip.is_loopback:
        return "loopback"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if ip.is_reserved or not ip.is_global:
        return "reserved"
    return None


def host_class(host: str) -> str | None:
    """The class of a canonical host: an IP class, 'loopback' for localhost names, None for public names/IPs."""
    try:
        return ip_class(ipaddress.ip_address(host))
    except ValueError:
        pass
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return "loopback"
    return None


def _default_resolver(host: str) -> list[str]:
    """Addresses of a host name via getaddrinfo, bounded by RESOLVE_TIMEOUT (a daemon thread does the lookup)."""
    result: list[str] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.extend({info[4][0] for info in socket.getaddrinfo(host, None)})
        except OSError as exc:
            failure.append(exc)

    thread = threading.Thread(target=run, name="kubekg-resolve", daemon=True)
    thread.start()
    thread.join(RESOLVE_TIMEOUT)
    if thread.is_alive():
        raise OSError(f"resolving {host} took longer than {RESOLVE_TIMEOUT} s")
    if failure:
        raise failure[0]
    return result


# ------------------------------------------------------------------------------------------------ allow-list
class AllowList:
    """SERVICE_ALLOWLIST entries (``host`` or ``host:port``), matched on canonical hosts."""

    def __init__(self, entries: Iterable[str] = (), resolver: Resolver | None = None) -> None:
        self.entries: set[tuple[str, int | None]] = set()
        for entry in entries:
            text = entry.strip().lower()
            port: int | None = None
            if text.startswith("["):
                host = text
            elif text.count(":") == 1:
                host, _, p = text.partition(":")
                port = int(p)
            else:
                host = text
            self.entries.add((canonical_host(host), port))
        self.resolver = resolver or _default_resolver

    def __bool__(self) -> bool:
        return bool(self.entries)

    def _listed(self, host: str, port: int) -> bool:
        return (host, None) in self.entries or (host, port) in self.entries

    def check(self, iri: str) -> Decision:
        """Whether a SERVICE/LOAD target may be contacted, and why not."""

        def no(reason: str, why: str) -> Decision:
            return Decision(False, reason, f"<{iri}> is not allowed: {why}")

        if any(c in iri for c in "\\ \t\r\n") or any(ord(c) < 0x20 for c in iri):
            return no("odd_spelling", "it contains a backslash, space or control character")
        try:
            parts = urlsplit(iri)
            port = parts.port
        except ValueError as exc:
            return no("invalid_iri", f"it cannot be parsed ({exc})")
        scheme = parts.scheme.lower()
        if scheme == "file":
            return no("file_scheme", "file: IRIs are never read")
        if scheme not in ("http", "https"):
            return no(
                "scheme", f"only http and https targets can be allow-listed, not {scheme or 'no scheme'}:"
            )
        if "@" in parts.netloc:
            return no("userinfo", "user information in the authority is refused")
        netloc = parts.netloc
        if netloc.startswith("["):
            raw_host = netloc[: netloc.index("]") + 1] if "]" in netloc else netloc
        else:
            raw_host = netloc.rpartition(":")[0] if ":" in netloc else netloc
        try:
            host = canonical_host(raw_host)
        except ValueError as exc:
            return no("odd_spelling", str(exc))
        port = port or (443 if scheme == "https" else 80)
        klass = host_class(host)
        if not self._listed(host, port):
            if klass:
                return no(
                    klass,
                    f"its host {host} is a non-public ({klass}) address and is not on SERVICE_ALLOWLIST",
                )
            return no("not_allowlisted", f"its host {host} is not on SERVICE_ALLOWLIST")
        if klass is None and not _is_ip(host):
            try:
                addresses = self.resolver(host)
            except OSError as exc:
                return no("unresolvable", f"its host {host} cannot be resolved ({exc})")
            for address in addresses:
                inner = ip_class(ipaddress.ip_address(address.split("%", 1)[0]))
                if inner and not self._listed(str(ipaddress.ip_address(address.split("%", 1)[0])), port):
                    return no("resolves_inside", f"its host {host} resolves to the {inner} address {address}")
        return Decision(True, "allowlisted", f"<{iri}> is allow-listed")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


# ------------------------------------------------------------------------------------------------ query screening
def _rdflib_services(node: object, found: list[object]) -> None:
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            found.append(node["term"] if "term" in node else None)  # noqa: SIM401 - CompValue.get differs
        for value in node.values():
            _rdflib_services(value, found)
    elif isinstance(node, list | tuple):
        for value in node:
            _rdflib_services(value, found)
    elif isinstance(node, dict):
        for value in node.values():
            _rdflib_services(value, found)


_rdflib_lock = threading.Lock()


def _reset_lock() -> None:
    global _rdflib_lock
    _rdflib_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_lock)


@contextmanager
def rdflib_parser(wait: float | None = None) -> Iterator[None]:
    """rdflib's SPARQL parser, one thread at a time: pyparsing's parse actions are not thread-safe.

    (Concurrent first calls of a parse action break its arity detection for good, e.g. "Param.postParse2()
    missing 1 required positional argument".) Waits at most ``wait`` seconds, then it is a query timeout.
    """
    if not _rdflib_lock.acquire(timeout=-1 if wait is None else max(0.0, wait)):
        raise QueryTimeout("the SPARQL analyser stayed busy with other requests past this query's timeout")
    try:
        yield
    finally:
        _rdflib_lock.release()


def warm_rdflib() -> None:
    """Import and exercise rdflib's SPARQL parser once (at start-up, before gunicorn forks the workers)."""
    from rdflib.plugins.sparql.algebra import translateQuery, translateUpdate
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    with rdflib_parser():
        translateQuery(parseQuery("SELECT * WHERE { SERVICE SILENT <http://example.org/> { ?s ?p ?o } }"))
        translateUpdate(
            parseUpdate(
                "PREFIX e: <http://example.org/> INSERT DATA { GRAPH e:g { e:a e:b 1 } } ; "
                "WITH e:g DELETE { ?s ?p ?o } INSERT { ?s ?p 2 } USING e:u WHERE { ?s ?p ?o } ; CLEAR ALL"
            )
        )


def service_targets(
    text: str, base_iri: str | None, prefixes: dict[str, str], wait: float | None = None
) -> list[object]:
    """The SERVICE targets (rdflib URIRef or Variable) rdflib's parser sees in a query or update."""
    from rdflib.plugins.sparql.algebra import translateQuery, translateUpdate
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    found: list[object] = []
    with rdflib_parser(wait):
        try:
            parsed = parseQuery(text)
            algebra = translateQuery(parsed, base=base_iri, initNs=prefixes)
            _rdflib_services(algebra.algebra, found)
        except Exception as query_exc:  # rdflib raises pyparsing and assorted errors; try the update grammar
            try:
                parsed = parseUpdate(text)
                update = translateUpdate(parsed, base=base_iri, initNs=prefixes)
                _rdflib_services(update.algebra, found)
            except Exception:
                raise query_exc from None
    return found


def check_service(
    text: str, allowlist: AllowList, base_iri: str | None, prefixes: dict[str, str], wait: float | None = None
) -> None:
    """Refuse a query or update whose SERVICE clauses reach anything not allow-listed (403 service_not_allowed)."""
    if "\\" not in text and not ("service" in text.lower() if text.isascii() else _SERVICE_WORD.search(text)):
        return  # no SERVICE keyword (the regular expressions below could not fire): nothing to check
    from kubekg.sparql.lexer import unescape_codepoints

    unescaped = unescape_codepoints(text)
    expected = max(len(SERVICE_RE.findall(text)), len(SERVICE_RE.findall(unescaped)))
    if expected == 0:
        return
    if not allowlist:
        raise ServiceRefused(
            "federated SERVICE queries are disabled on this endpoint (SERVICE_ALLOWLIST is empty)"
        )
    try:
        targets = service_targets(text, base_iri, prefixes, wait)
    except QueryTimeout:
        raise
    except Exception as exc:
        raise ServiceRefused(
            f"the query uses SERVICE and its targets cannot be verified: {str(exc).splitlines()[0][:300]}"
        ) from None
    if len(targets) < expected:
        raise ServiceRefused("the query contains SERVICE text whose target cannot be verified")
    from rdflib.term import URIRef

    for target in targets:
        if not isinstance(target, URIRef):
            raise ServiceRefused(f"SERVICE with a variable target ({target.n3()}) is not allowed")
        decision = allowlist.check(str(target))
        if not decision.allowed:
            raise ServiceRefused(f"SERVICE {decision.message}", details={"reason": decision.reason})


MAX_NESTING = 256  # brackets deeper than this are refused before any parser recurses into them
MAX_NEGATIONS = 256  # a run of '!' longer than this likewise
_BRACKETS = re.compile(r"[{}()\[\]]")
_NEGATIONS = re.compile(rf"(?:!\s*){{{MAX_NEGATIONS + 1}}}")
# pyoxigraph parses and plans with the GIL held for stretches growing with the square of the distinct variables
# (projection, BIND, VALUES header, DESCRIBE, blank nodes, free triple patterns): 20,000 projected variables or
# 333 free triple patterns stall every thread of the worker for seconds; 500 keep the stalls to milliseconds
MAX_VARIABLES = 500
_VARIABLE = re.compile(r"[?$]([0-9A-Za-z_\u00b7\u00c0-\ufffd]+)")
_BLANK_LABEL = re.compile(r"_:([0-9A-Za-z_\u00b7\u00c0-\ufffd.-]+)")  # blank nodes in patterns are variables


class TooComplex(QuerySyntaxError):
    """A query nested so deeply that a recursive parser could exhaust its stack, or with too many variables."""

    code = "query_too_complex"


def check_shape(text: str, *, variables: bool = True) -> None:
    """Refuse nesting deeper than MAX_NESTING and (with ``variables``) more than MAX_VARIABLES distinct variables,
    counted on the raw text, strings included: conservative. Updates skip the variable cap: they come with the
    token, and a bulk INSERT DATA may carry thousands of blank nodes."""
    # fewer opening brackets (or '!') than a limit cannot exceed it: the scans run only when they could fire
    if text.count("{") + text.count("(") + text.count("[") > MAX_NESTING:
        depth = deepest = 0
        for m in _BRACKETS.finditer(text):
            if m.group() in "{([":
                depth += 1
                if depth > deepest:
                    deepest = depth
                    if deepest > MAX_NESTING:
                        raise TooComplex(f"the request nests brackets more than {MAX_NESTING} levels deep")
            elif depth:
                depth -= 1
    if text.count("!") > MAX_NEGATIONS and _NEGATIONS.search(text):
        raise TooComplex(f"the request chains more than {MAX_NEGATIONS} '!' operators")
    if variables and text.count("?") + text.count("$") + text.count("_:") > MAX_VARIABLES:
        names = len(set(_VARIABLE.findall(text))) + len(set(_BLANK_LABEL.findall(text)))
        if names > MAX_VARIABLES:
            raise TooComplex(
                f"the request uses {names} distinct variables and blank node labels; the limit is {MAX_VARIABLES}"
            )


# pyoxigraph plans (orders joins) in time growing steeply with the triple patterns and groups it must combine,
# uninterruptibly inside Store.query, before the first row and without the GIL. Measured on this 2-core machine
# (load ~2): 64 patterns sharing a subject plan in 0.26 s, 80 in 0.8 s, 100 in 2.6 s, 300 in 163 s; 100
# OPTIONALs 0.96 s, 300 6.3 s; 1,000 UNION branches 1.0 s, 3,000 10.8 s; a 1,000-operand || chain 1.0 s, 3,000
# 11 s. The longest time the worker's other threads waited for the GIL meanwhile was 32 ms: the harm is CPU
# burnt past the deadline until the worker recycles, so queries with more of them are refused up front.
# (IN lists and VALUES rows plan in milliseconds even at 3,000 entries: they are not counted.)
MAX_PATTERNS = 64
_JOINS = frozenset({".", ";", "/", "|", "{", "||", "&&"})
_JOIN_CHARS = ".;,/|{&"


# What the lexer reads as an IRI reference, narrowed (no '&', '(', ')', '?', '$', quotes, ',' or ';') so that a
# '<' comparison operator can never start a match that swallows a counted token: a comparison sits inside
# parentheses it cannot leave, and '||', '&&', '|' and '{' cannot occur in a match.
_IRI_LIKE = re.compile(r"<[^<>\"'{}|^`\\\x00-\x20&()?$,;]*>")


def _quick_bound(text: str) -> int:
    return sum(text.count(c) for c in _JOIN_CHARS)


def pattern_count(text: str, limit: int | None = None) -> int:
    """Triple patterns, groups and join operators of a query, counted on its tokens (strings, IRIs, comments
    excluded): each '.', ';' and top-level ',' (one more triple pattern), '/' and '|' (a path step or branch),
    '{' (a group: UNION branch, OPTIONAL, MINUS, EXISTS, subquery) and '||'/'&&'. An upper bound of what the
    planner combines; counting stops past ``limit``."""
    count = 0
    parens = 0
    for token in lexer.iter_tokens(text):
        if token.kind == "iri" and not _IRI_LIKE.fullmatch(token.text):
            # '<' may be a comparison the lexer read as the start of an IRI ("?a<?b) ?s ?p ?o . ... (?c>?d"):
            # count every join character inside, an upper bound of whatever it swallowed
            count += _quick_bound(token.text)
            continue
        if token.kind != "punct":
            continue
        value = token.text
        if value == "(":
            parens += 1
        elif value == ")":
            parens = max(0, parens - 1)
        elif value in _JOINS or (value == "," and not parens):
            count += 1
            if limit is not None and count > limit:
                break
    return count


def check_patterns(text: str, limit: int = MAX_PATTERNS) -> None:
    """Refuse (400 query_too_complex) a query with more than ``limit`` triple patterns, groups and operators."""
    # Every counted token holds one of _JOIN_CHARS, so their number bounds the count from above; IRIs (prefix
    # declarations, full IRIs of bound terms) hold many '.' and '/' that are no tokens, so they are dropped first.
    if _quick_bound(text) <= limit or _quick_bound(_IRI_LIKE.sub("", text)) <= limit:
        return
    if pattern_count(text, limit) > limit:
        raise TooComplex(
            f"the query has more than {limit} triple patterns, groups and join operators ('.', ';', ',', '/', "
            f"'|', '{{', '||', '&&'); the limit is {limit} (KUBEKG_MAX_PATTERNS): split it into smaller queries",
            details={"limit": limit, "setting": "KUBEKG_MAX_PATTERNS"},
        )


def check_load(iri: str, allowlist: AllowList) -> None:
    """Refuse a LOAD from anything not allow-listed (403 load_not_allowed)."""
    if not allowlist:
        raise LoadRefused(f"LOAD <{iri}> is not allowed: LOAD is disabled (SERVICE_ALLOWLIST is empty)")
    decision = allowlist.check(iri)
    if not decision.allowed:
        raise LoadRefused(f"LOAD {decision.message}", details={"reason": decision.reason})


def syntax_error(exc: BaseException) -> QuerySyntaxError:
    """A 400 error carrying the parser's own message."""
    message = getattr(exc, "msg", None) or str(exc)
    return QuerySyntaxError(f"invalid SPARQL: {message}")
