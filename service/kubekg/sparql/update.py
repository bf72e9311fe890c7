"""Durable, guarded SPARQL 1.1 Update (W3C REC 2013) on the embedded store.

Guard: every update is parsed with rdflib (``parseUpdate`` + ``translateUpdate``) and refused (403) when an
operation could write a protected graph: the ontology, document and inferred graphs, every section graph and
anything under ``https://kubekg.dev/`` except ``ns.USER_GRAPH_PREFIX``, plus every graph the document loaded at
start-up. Writes into a variable graph (``GRAPH ?g`` in a template) are refused because they cannot be proven
safe statically. An update made only of ``INSERT DATA``/``DELETE DATA`` operations (the bulk form) skips rdflib,
whose translation is quadratic in the triples (2,000 triples took ~60 s): each operation's block is parsed by
pyoxigraph into a scratch in-memory store, every quad's graph is checked, and kubekg adds or removes exactly those
quads itself, so the request text never runs on the real store. ``CLEAR``/``DROP`` ``ALL``/``NAMED`` are scoped to the writable graphs (the default graph and
the named graphs outside the document), which is how the W3C protocol tests can clear "everything" while the
document stays intact. LOAD and SERVICE go through the allow-list (``kubekg.sparql.guard``).

Durability: the effect of each update (the quads it deleted and inserted, as N-Quads, plus named graphs created
or dropped) is appended to ``DATA_DIR/updates.log`` as a framed record ``MAGIC | length | crc32 | payload`` and
fsync'ed before the 2xx. Logging effects rather than update text makes replay deterministic (NOW(), RAND(),
UUID() and fresh blank nodes give the same quads everywhere). Writers hold an exclusive ``fcntl.flock`` on the
log; every worker applies records appended by others before it answers a request (one ``os.stat`` per request),
so all gunicorn workers see every acknowledged update. At start-up the log is replayed; a torn record at the
end (a writer killed mid-append) is ignored and truncated; a corrupt record followed by more data stops the
start-up with an error rather than silently dropping acknowledged updates.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kubekg import ns
from kubekg.errors import BadRequest, Forbidden, KubeKGError
from kubekg.sparql import guard, lexer
from kubekg.sparql.execute import Deadline, Runaway, run_with_deadline, timeout_message

log = logging.getLogger(__name__)

MAGIC = b"KKGU"
HEADER = struct.Struct(">4sII")  # magic, payload length, crc32 of the payload
MAX_RECORD = 1 << 30
LOG_NAME = "updates.log"
KUBEKG_BASE = "https://kubekg.dev/"
NOOP = "INSERT DATA {}"

# rdflib operation name -> the keyword that starts it in the text
OP_KEYWORDS = {
    "InsertData": {"INSERT"},
    "DeleteData": {"DELETE"},
    "DeleteWhere": {"DELETE"},
    "Modify": {"WITH", "DELETE", "INSERT"},
    "Clear": {"CLEAR"},
    "Drop": {"DROP"},
    "Create": {"CREATE"},
    "Load": {"LOAD"},
    "Add": {"ADD"},
    "Move": {"MOVE"},
    "Copy": {"COPY"},
}


class ProtectedGraph(Forbidden):
    """An update that could change one of the document's graphs."""

    code = "protected_graph"


class UpdatesDisabled(Forbidden):
    """SPARQL Update is switched off."""

    code = "updates_disabled"


class DatasetConflict(BadRequest):
    """using-graph-uri/using-named-graph-uri together with USING/WITH in the update (SPARQL Protocol 2.2.3)."""

    code = "dataset_conflict"


class UpdateSyntaxError(BadRequest):
    """An update that does not parse."""

    code = "query_syntax"


class LogCorrupt(KubeKGError):
    """The update log has a damaged record before its end; refusing to start rather than drop updates."""

    code = "update_log_corrupt"


class DurabilityError(KubeKGError):
    """The update could not be made durable (disk full, I/O error); it was rolled back."""

    code, status = "update_not_durable", 503


# ------------------------------------------------------------------------------------------------ the guard
@dataclass
class Protection:
    """Which graphs updates may not touch: by IRI prefix and the explicit set loaded at start-up."""

    graphs: frozenset[str] = frozenset()

    def protects(self, iri: str) -> bool:
        if iri in self.graphs:
            return True
        return iri.startswith(KUBEKG_BASE) and not iri.startswith(ns.USER_GRAPH_PREFIX)

    def replayable(self, graph: Any) -> bool:
        """Whether a logged change to ``graph`` may be replayed: writable graphs and recorded simulation runs."""
        if not isinstance(graph, ox.NamedNode):
            return True
        return not self.protects(graph.value) or graph.value.startswith(ns.RUN_GRAPH_PREFIX)

    def writable(self, graphs: Iterable[ox.NamedNode | ox.BlankNode]) -> list[ox.NamedNode | ox.BlankNode]:
        return [g for g in graphs if not (isinstance(g, ox.NamedNode) and self.protects(g.value))]

    @classmethod
    def from_store(cls, store: ox.Store, writable_extra: Iterable[str] = ()) -> Protection:
        """Protect every named graph present now except the given ones (the EXTRA_DATA graphs)."""
        extra = set(writable_extra)
        names = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
        return cls(frozenset(names - extra))


@dataclass
class Operation:
    """One operation of an update request, as rdflib sees it, with its place in the text."""

    name: str
    value: Any  # rdflib CompValue
    keyword_at: int  # character offset of the operation's first keyword
    end: int  # character offset where the operation ends (its ';' or the end of the text)
    where_at: int | None  # character offset of a top-level WHERE keyword in the operation, if any


@dataclass
class Plan:
    """A checked update: its operations, ready to be rewritten against the store's current graphs."""

    text: str
    operations: list[Operation]
    using: list[str]
    using_named: list[str]


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:500]


def parse_update(text: str, base_iri: str | None, wait: float | None = None) -> list[Any]:
    """rdflib's translated operations of an update, or a 400 with the parser's message."""
    from rdflib.plugins.sparql.algebra import translateUpdate
    from rdflib.plugins.sparql.parser import parseUpdate

    with guard.rdflib_parser(wait):
        try:
            return list(translateUpdate(parseUpdate(text), base=base_iri, initNs=ns.PREFIXES).algebra)
        except Exception as exc:  # pyparsing and rdflib raise assorted exception types
            raise UpdateSyntaxError(f"invalid SPARQL Update: {_first_line(exc)}") from None


def _operation_bounds(tokens: list[Any]) -> list[tuple[int, int]]:
    """Token index ranges of an update's operations: the text split at its top-level ';' separators."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for i, tok in enumerate(tokens):
        if tok.text == ";" and tok.depth == 0:
            bounds.append((start, i))
            start = i + 1
    bounds.append((start, len(tokens)))
    return bounds


def _locate(text: str, ops: list[Any]) -> list[Operation]:
    tokens = lexer.tokenize(text)
    segments = _operation_bounds(tokens)
    located: list[Operation] = []
    for a, b in segments:
        i = a
        while i < b and (tokens[i].is_word("BASE", "PREFIX")):
            i += 2 if tokens[i].is_word("BASE") else 3
        if i >= b:
            continue  # a prologue with no operation (e.g. after a trailing ';')
        end = tokens[b].start if b < len(tokens) else len(text)
        where = next(
            (tokens[k].start for k in range(i, b) if tokens[k].depth == 0 and tokens[k].is_word("WHERE")),
            None,
        )
        located.append(Operation("", None, tokens[i].start, end, where))
    if len(located) != len(ops):
        raise UpdateSyntaxError(
            "cannot match the update's operations to its text; split it into simpler requests"
        )
    for slot, op in zip(located, ops, strict=True):
        keyword = text[slot.keyword_at :].split(None, 1)[0].upper()
        keyword = "".join(c for c in keyword if c.isalpha())
        if keyword not in OP_KEYWORDS.get(op.name, set()):
            raise UpdateSyntaxError(
                "cannot match the update's operations to its text; split it into simpler requests"
            )
        slot.name, slot.value = op.name, op
    return located


def _field(value: Any, name: str) -> Any:
    """A field of an rdflib CompValue or None (CompValue.get returns the key itself when the field is missing)."""
    return value[name] if name in value else None  # noqa: SIM401 - CompValue.get(name, None) is not dict.get


def _graph_name(term: Any) -> str | None:
    """The IRI of an rdflib graph term, None for DEFAULT; raises for a variable."""
    from rdflib.term import URIRef, Variable

    if isinstance(term, Variable):
        raise ProtectedGraph(
            f"writing into a variable graph (GRAPH ?{term}) is not allowed: it could reach the document's graphs"
        )
    if isinstance(term, URIRef):
        return str(term)
    return None


def check(
    text: str,
    *,
    base_iri: str | None,
    using: list[str],
    using_named: list[str],
    protection: Protection,
    allowlist: guard.AllowList,
    wait: float | None = None,
) -> Plan:
    """Parse and statically check an update (403 protected_graph / load_not_allowed / service_not_allowed)."""
    ops = parse_update(text, base_iri, wait)
    guard.check_service(text, allowlist, base_iri, ns.PREFIXES, wait)
    if max(
        len(guard.LOAD_RE.findall(text)), len(guard.LOAD_RE.findall(lexer.unescape_codepoints(text)))
    ) > sum(1 for op in ops if op.name == "Load"):
        raise guard.LoadRefused("the update contains LOAD text whose source cannot be verified")
    operations = _locate(text, ops)

    def target(term: Any, what: str) -> None:
        name = _graph_name(term)
        if name is not None and protection.protects(name):
            raise ProtectedGraph(
                f"{what} <{name}> is not allowed: it is one of the document's graphs (read-only)"
            )

    for op in operations:
        v = op.value
        if op.name in ("InsertData", "DeleteData", "DeleteWhere"):
            for graph in _field(v, "quads") or {}:
                target(graph, f"{op.name} into")
        elif op.name == "Modify":
            if (using or using_named) and (_field(v, "using") or _field(v, "withClause") is not None):
                raise DatasetConflict(
                    "using-graph-uri/using-named-graph-uri cannot be combined with USING or WITH in the update"
                )
            if _field(v, "withClause") is not None:
                target(v["withClause"], "WITH")
            for clause in (_field(v, "delete"), _field(v, "insert")):
                if clause is not None:
                    for graph in _field(clause, "quads") or {}:
                        target(graph, "writing into")
        elif op.name in ("Clear", "Drop", "Create"):
            graph = _field(v, "graphiri")
            if graph not in ("ALL", "NAMED", "DEFAULT", None):
                target(graph, f"{op.name.upper()} GRAPH")
        elif op.name in ("Add", "Copy", "Move"):
            source, destination = v["graph"]
            if destination != "DEFAULT":
                target(destination, f"{op.name.upper()} into")
            if op.name == "Move" and source != "DEFAULT":
                target(source, "MOVE from")
        elif op.name == "Load":
            guard.check_load(str(v["iri"]), allowlist)
            if _field(v, "graphiri") is not None:
                target(v["graphiri"], "LOAD INTO GRAPH")
        if (using or using_named) and op.name == "DeleteWhere":
            raise DatasetConflict("using-graph-uri/using-named-graph-uri cannot apply to DELETE WHERE")
    return Plan(text, operations, using, using_named)


def rewrite(plan: Plan, writable: list[ox.NamedNode | ox.BlankNode]) -> str:
    """The update text to run: ALL/NAMED scoped to writable graphs and the protocol's USING clauses spliced in."""
    pieces: list[str] = []
    cursor = 0
    text = plan.text
    for op in plan.operations:
        graph = _field(op.value, "graphiri") if op.name in ("Clear", "Drop") else None
        if graph in ("ALL", "NAMED"):
            keyword = "CLEAR" if op.name == "Clear" else "DROP"
            generated = [f"{keyword} SILENT GRAPH {g}" for g in writable if isinstance(g, ox.NamedNode)]
            if graph == "ALL":
                generated.append(f"{keyword} SILENT DEFAULT")
            pieces.append(text[cursor : op.keyword_at])
            pieces.append(" ; ".join(generated) if generated else NOOP)
            cursor = op.end
        elif op.name == "Modify" and (plan.using or plan.using_named) and op.where_at is not None:
            clauses = [f"USING {ox.NamedNode(g)}" for g in plan.using]
            clauses += [f"USING NAMED {ox.NamedNode(g)}" for g in plan.using_named]
            pieces.append(text[cursor : op.where_at])
            pieces.append(" ".join(clauses) + " ")
            cursor = op.where_at
    pieces.append(text[cursor:])
    return "".join(pieces)


# ------------------------------------------------------------------------------------------------ the DATA forms
@dataclass
class DataOperation:
    """One ``INSERT DATA`` or ``DELETE DATA`` operation: its keyword and a text that parses as that block alone."""

    keyword: str  # INSERT or DELETE
    text: str  # the prologue in force, then ``INSERT DATA`` and the operation's block (for the scratch store)


def data_operations(text: str) -> list[DataOperation] | None:
    """The operations of an update made only of INSERT DATA / DELETE DATA, or None for any other update.

    Split with kubekg's lexer at top-level ';'; each operation must be exactly ``INSERT|DELETE DATA { ... }`` after
    its BASE/PREFIX declarations (which stay in force for the later operations, SPARQL 1.1 Update section 3).
    Text with codepoint escapes (``\\u``) goes to the general path, whose checks see through them.
    """
    if "\\u" in text or "\\U" in text:
        return None
    tokens = lexer.tokenize(text)
    bounds = _operation_bounds(tokens)
    prologue: list[str] = []
    operations: list[DataOperation] = []
    for a, b in bounds:
        i = a
        while i < b and tokens[i].is_word("BASE", "PREFIX"):
            width = 2 if tokens[i].is_word("BASE") else 3
            if i + width > b or tokens[i + width - 1].kind != "iri":
                return None
            if width == 3 and (tokens[i + 1].kind != "pname" or not tokens[i + 1].text.endswith(":")):
                return None
            prologue.append(text[tokens[i].start : tokens[i + width - 1].end])
            i += width
        if i >= b:
            if b < len(tokens):
                return None  # ';' with no operation before it: a syntax error the general path reports
            continue
        if not (
            b - i >= 4
            and tokens[i].is_word("INSERT", "DELETE")
            and tokens[i + 1].is_word("DATA")
            and tokens[i + 2].text == "{"
            and tokens[b - 1].text == "}"
            and tokens[b - 1].depth == 0
            and all(tokens[k].depth > 0 for k in range(i + 3, b - 1))
        ):
            return None
        block = text[tokens[i + 2].start : tokens[b - 1].end]
        operations.append(DataOperation(tokens[i].upper, "\n".join([*prologue, "INSERT DATA " + block])))
    return operations or None


def data_quads(
    text: str, operations: list[DataOperation], *, base_iri: str | None, protection: Protection
) -> list[tuple[str, list[ox.Quad]]]:
    """Each DATA operation's quads, parsed by pyoxigraph into scratch stores; 403 for a protected graph.

    The whole request is parsed first (into an empty scratch store) so its syntax verdict, e.g. blank nodes in
    DELETE DATA, is pyoxigraph's own, exactly as when the update ran on the store.
    """
    try:
        ox.Store().update(text, base_iri=base_iri, prefixes=ns.PREFIXES)
    except SyntaxError as exc:
        raise guard.syntax_error(exc) from None
    except (OSError, RuntimeError, ValueError) as exc:
        raise BadRequest(f"the update failed: {exc}") from None
    result: list[tuple[str, list[ox.Quad]]] = []
    for op in operations:
        scratch = ox.Store()
        try:
            scratch.update(op.text, base_iri=base_iri, prefixes=ns.PREFIXES)
        except SyntaxError as exc:  # the lexer split differently from the parser: let the general path decide
            raise _NotPlainData from exc
        quads = list(scratch)
        for graph in {q.graph_name for q in quads}:
            if isinstance(graph, ox.NamedNode) and protection.protects(graph.value):
                raise ProtectedGraph(
                    f"{op.keyword} DATA into <{graph.value}> is not allowed: it is one of the document's graphs "
                    "(read-only)"
                )
        result.append((op.keyword, quads))
    return result


def apply_data(store: ox.Store, operations: list[tuple[str, list[ox.Quad]]]) -> None:
    """Apply checked DATA operations in order: add the quads of INSERT DATA, remove those of DELETE DATA."""
    for keyword, quads in operations:
        if keyword == "INSERT":
            store.extend(quads)
        else:
            for quad in quads:
                store.remove(quad)


class _NotPlainData(Exception):
    """The DATA fast path cannot vouch for this text; the general (rdflib) path handles it."""


# ------------------------------------------------------------------------------------------------ effects
@dataclass
class Effect:
    """What an update changed: quads deleted and inserted, writable named graphs created and dropped."""

    deleted: list[ox.Quad] = field(default_factory=list)
    inserted: list[ox.Quad] = field(default_factory=list)
    created: list[ox.NamedNode | ox.BlankNode] = field(default_factory=list)
    dropped: list[ox.NamedNode | ox.BlankNode] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.deleted or self.inserted or self.created or self.dropped)

    def to_payload(self) -> bytes:
        def nq(quads: list[ox.Quad]) -> str:
            return ox.serialize(quads, format=ox.RdfFormat.N_QUADS).decode("utf-8") if quads else ""

        def names(graphs: list[ox.NamedNode | ox.BlankNode]) -> list[str]:
            return [str(g) for g in graphs]

        doc = {
            "v": 1,
            "time": time.time(),
            "deleted": nq(self.deleted),
            "inserted": nq(self.inserted),
            "created": names(self.created),
            "dropped": names(self.dropped),
        }
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_payload(cls, payload: bytes) -> Effect:
        doc = json.loads(payload.decode("utf-8"))

        def quads(text: str) -> list[ox.Quad]:
            return list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS)) if text else []

        def graphs(items: list[str]) -> list[ox.NamedNode | ox.BlankNode]:
            return [ox.BlankNode(s[2:]) if s.startswith("_:") else ox.NamedNode(s[1:-1]) for s in items]

        return cls(
            quads(doc["deleted"]), quads(doc["inserted"]), graphs(doc["created"]), graphs(doc["dropped"])
        )

    def apply(self, store: ox.Store, protection: Protection) -> None:
        """Replay onto a store, skipping anything that now falls in a protected graph (run graphs are replayed:
        ``recordRun`` writes them through this log, never SPARQL Update)."""

        def allowed(graph: Any) -> bool:
            ok = protection.replayable(graph)
            if not ok:
                log.warning("update log: skipping a change to protected graph %s", graph)
            return ok

        for quad in self.deleted:
            if allowed(quad.graph_name):
                store.remove(quad)
        for graph in self.dropped:
            if allowed(graph) and store.contains_named_graph(graph):
                store.remove_graph(graph)
        for graph in self.created:
            if allowed(graph):
                store.add_graph(graph)
        store.extend([q for q in self.inserted if allowed(q.graph_name)])

    def undo(self, store: ox.Store) -> None:
        """Reverse this effect on the store it was taken from (rollback when it cannot be made durable)."""
        for quad in self.inserted:
            store.remove(quad)
        for graph in self.created:
            if store.contains_named_graph(graph):
                store.remove_graph(graph)
        for graph in self.dropped:
            store.add_graph(graph)
        store.extend(self.deleted)


def snapshot(
    store: ox.Store, protection: Protection
) -> tuple[set[ox.Quad], set[ox.NamedNode | ox.BlankNode]]:
    """The quads of the writable graphs (default graph included) and the writable named graphs."""
    graphs = set(protection.writable(store.named_graphs()))
    quads = set(store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    for graph in graphs:
        quads.update(store.quads_for_pattern(None, None, None, graph))
    return quads, graphs


# ------------------------------------------------------------------------------------------------ the log
def frame(payload: bytes) -> bytes:
    return HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload


def read_records(data: bytes, offset: int = 0) -> tuple[list[tuple[int, bytes]], int, str | None]:
    """Complete records from offset: [(end offset, payload)], the end of the last good record, and why it stopped.

    The reason is None at a clean end, "torn" when the bytes after the last good record are an incomplete or
    damaged final record, and "corrupt" when a damaged record is followed by more data.
    """
    records = []
    pos = offset
    while pos < len(data):
        if len(data) - pos < HEADER.size:
            return records, pos, "torn"
        magic, length, crc = HEADER.unpack_from(data, pos)
        end = pos + HEADER.size + length
        if magic != MAGIC or length > MAX_RECORD:
            return records, pos, "torn" if not data[pos:].strip(b"\0") else "corrupt"
        if end > len(data):
            return records, pos, "torn"
        payload = data[pos + HEADER.size : end]
        if zlib.crc32(payload) != crc:
            return records, pos, "torn" if end == len(data) else "corrupt"
        records.append((end, payload))
        pos = end
    return records, pos, None


class UpdateLog:
    """The append-only update log of one DATA_DIR, with this process's replay position."""

    def __init__(self, directory: Path | str, store: ox.Store, protection: Protection) -> None:
        self.path = Path(directory) / LOG_NAME
        self.store = store
        self.protection = protection
        self.offset = 0
        self.inode: int | None = None
        self._lock = threading.RLock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        self._lock = threading.RLock()

    def _open(self) -> int:
        return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)

    def _read_from(self, fd: int, offset: int) -> bytes:
        size = os.fstat(fd).st_size
        chunks = []
        pos = offset
        while pos < size:
            chunk = os.pread(fd, min(1 << 20, size - pos), pos)
            if not chunk:
                break
            chunks.append(chunk)
            pos += len(chunk)
        return b"".join(chunks)

    def _apply_new(self, fd: int, *, truncate_torn: bool, at_start: bool = False) -> int:
        """Apply the complete records after self.offset; returns how many were applied."""
        st = os.fstat(fd)
        if self.inode is not None and st.st_ino != self.inode:
            raise LogCorrupt(
                f"{self.path} was replaced while the server ran; restart it to replay the new log"
            )
        self.inode = st.st_ino
        data = self._read_from(fd, self.offset)
        records, good_end, reason = read_records(data)
        for _, payload in records:
            Effect.from_payload(payload).apply(self.store, self.protection)
        self.offset += good_end
        if reason == "corrupt" and (at_start or truncate_torn):
            raise LogCorrupt(
                f"{self.path} has a damaged record at byte {self.offset} followed by more data; "
                "refusing to start (move the file aside to start without those updates)"
            )
        if reason is not None and truncate_torn:
            log.warning(
                "update log %s: ignoring a torn record at byte %d and truncating it", self.path, self.offset
            )
            os.ftruncate(fd, self.offset)
            os.fsync(fd)
        return len(records)

    def replay(self) -> int:
        """Start-up: apply the whole log, truncating a torn final record; returns the number of records."""
        with self._lock:
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                self.offset = 0
                return self._apply_new(fd, truncate_torn=True, at_start=True)
            finally:
                os.close(fd)

    def catch_up(self) -> int:
        """Apply records other workers appended since we last looked (a stat when nothing changed)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return 0
        if st.st_size <= self.offset and st.st_ino == self.inode:
            return 0
        with self._lock:
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_SH)
                return self._apply_new(fd, truncate_torn=False)
            finally:
                os.close(fd)

    def write(self, run: Callable[[], Effect], deadline: Deadline) -> Effect:
        """Under the exclusive lock: catch up, run the update, append and fsync its effect; undo on failure.

        The update is undone rather than logged when the deadline passed meanwhile (the client got a timeout).
        """
        with self._lock:
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                self._apply_new(fd, truncate_torn=True)
                effect = run()
                if not effect:
                    return effect
                if deadline.expired():
                    effect.undo(self.store)
                    raise Runaway(timeout_message(deadline.seconds))
                record = frame(effect.to_payload())
                try:
                    written = os.pwrite(fd, record, self.offset)
                    if written != len(record):
                        raise OSError(f"short write ({written} of {len(record)} bytes)")
                    os.fsync(fd)
                except OSError as exc:
                    effect.undo(self.store)
                    with contextlib.suppress(OSError):
                        os.ftruncate(fd, self.offset)
                    raise DurabilityError(
                        f"the update could not be written durably and was rolled back: {exc}"
                    ) from None
                self.offset += len(record)
                return effect
            finally:
                os.close(fd)


# ------------------------------------------------------------------------------------------------ one update
@dataclass
class Outcome:
    """What an acknowledged update did."""

    inserted: int
    deleted: int
    graphs_created: int
    graphs_dropped: int

    def to_json(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "inserted": self.inserted,
            "deleted": self.deleted,
            "graphsCreated": self.graphs_created,
            "graphsDropped": self.graphs_dropped,
        }


class Updater:
    """Checks, runs and logs updates against one store."""

    def __init__(
        self, store: ox.Store, update_log: UpdateLog, protection: Protection, allowlist: guard.AllowList
    ) -> None:
        self.store = store
        self.log = update_log
        self.protection = protection
        self.allowlist = allowlist

    def _changed(self, apply: Callable[[], None]) -> Effect:
        """Run ``apply`` on the store and return what it changed in the writable graphs; roll back and refuse
        (403) if the protected graphs changed size meanwhile (a last line of defence behind the static checks)."""
        before_quads, before_graphs = snapshot(self.store, self.protection)
        protected_before = len(self.store) - len(before_quads)
        apply()
        after_quads, after_graphs = snapshot(self.store, self.protection)
        effect = Effect(
            deleted=sorted(before_quads - after_quads, key=str),
            inserted=sorted(after_quads - before_quads, key=str),
            created=sorted(after_graphs - before_graphs, key=str),
            dropped=sorted(before_graphs - after_graphs, key=str),
        )
        if len(self.store) - len(after_quads) != protected_before:
            effect.undo(self.store)
            raise ProtectedGraph("the update changed one of the document's graphs and was rolled back")
        return effect

    def execute(
        self, text: str, *, base_iri: str | None, using: list[str], using_named: list[str], timeout: float
    ) -> tuple[Outcome, bool]:
        """Run one update request; returns the outcome and whether the process must recycle (a runaway)."""

        def work(deadline: Deadline, job: Any) -> Effect:
            guard.check_shape(text, variables=False)
            operations = data_operations(text)
            if operations is not None:
                try:
                    quads = data_quads(text, operations, base_iri=base_iri, protection=self.protection)
                except _NotPlainData:
                    pass
                else:
                    deadline.check()
                    return self.log.write(
                        lambda: self._changed(lambda: apply_data(self.store, quads)), deadline
                    )
            plan = check(
                text,
                base_iri=base_iri,
                using=using,
                using_named=using_named,
                protection=self.protection,
                allowlist=self.allowlist,
                wait=deadline.remaining(),
            )
            deadline.check()

            def run() -> Effect:
                final = rewrite(plan, sorted(snapshot(self.store, self.protection)[1], key=str))
                check(
                    final,
                    base_iri=base_iri,
                    using=[],
                    using_named=[],
                    protection=self.protection,
                    allowlist=self.allowlist,
                    wait=deadline.remaining(),
                )

                def apply() -> None:
                    try:
                        self.store.update(final, base_iri=base_iri, prefixes=ns.PREFIXES)
                    except SyntaxError as exc:
                        raise guard.syntax_error(exc) from None
                    except (OSError, RuntimeError, ValueError) as exc:
                        raise BadRequest(f"the update failed: {exc}") from None

                return self._changed(apply)

            return self.log.write(run, deadline)

        result = run_with_deadline(work, timeout)
        effect: Effect = result.value
        outcome = Outcome(len(effect.inserted), len(effect.deleted), len(effect.created), len(effect.dropped))
        return outcome, result.runaway


def disabled() -> UpdatesDisabled:
    return UpdatesDisabled(
        "SPARQL Update is disabled on this server; an operator can enable it with KUBEKG_UPDATES=on and a KUBEKG_UPDATE_TOKEN"
    )


__all__ = [
    "DatasetConflict",
    "DurabilityError",
    "Effect",
    "LogCorrupt",
    "Outcome",
    "ProtectedGraph",
    "Protection",
    "UpdateLog",
    "Updater",
    "UpdatesDisabled",
    "check",
    "disabled",
    "read_records",
    "rewrite",
]
