"""What the REST API and the pages show about entities, errata and graphs, read through ``kg.select`` only.

Everything here goes through the graph's query backend (never ``kg.store`` directly), so the same code serves the
embedded store and a remote SPARQL store. Queries are constant text; user input enters only as bound variables.
No Flask here: the blueprints turn these dicts into JSON, HTML or Markdown.
"""

from __future__ import annotations

import contextlib
import difflib
import re
import threading
import unicodedata
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox

from kubekg import ns
from kubekg.errors import InvalidParameter, NotFound

RDF_TYPE = ns.PREFIXES["rdf"] + "type"
RDFS_LABEL = ns.PREFIXES["rdfs"] + "label"
ALT_LABEL = ns.PREFIXES["skos"] + "altLabel"
DEFINITION = ns.PREFIXES["skos"] + "definition"
ANNOTATIONS = frozenset({RDFS_LABEL, ALT_LABEL, DEFINITION, ns.PREFIXES["skos"] + "prefLabel"})
LANGS = ("en", "ko")
DOCUMENT_PARTS = ("section/", "table/", "row/", "item/", "erratum/", "cell/")

_IRI_FORBIDDEN = re.compile(r'[\s<>"{}|\\^`]')
_PREFIXED = re.compile(r"^([A-Za-z][\w-]*):(.*)$", re.S)
_COLLAPSED_SCHEME = re.compile(r"^(https?):/(?!/)")


# ------------------------------------------------------------------------------------------------ terms and refs
def compact(iri: str) -> str:
    """``kr:nfs`` for an IRI under a known prefix whose local part is simple, else the IRI itself."""
    for prefix, base in sorted(ns.PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(base):
            local = iri[len(base) :]
            if re.fullmatch(r"[\w][\w./-]*", local) and not local.endswith("."):
                return f"{prefix}:{local}"
    return iri


def entity_key(iri: str) -> str:
    """The path segment naming an entity in URLs: the local name under ``kr:``, else the URL-encoded IRI."""
    if iri.startswith(ns.KR) and re.fullmatch(r"[\w][\w./-]*", iri[len(ns.KR) :]):
        return quote(iri[len(ns.KR) :], safe="/")
    return quote(iri, safe="")


def parse_entity_id(raw: str) -> str:
    """The IRI an entity id denotes: a ``kr:`` local name, a known prefixed name, ``<iri>`` or a full IRI."""
    text = (raw or "").strip()
    if not text:
        raise InvalidParameter("the entity id is empty")
    if len(text) > 2000:
        raise InvalidParameter("the entity id is longer than 2000 characters")
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    text = _COLLAPSED_SCHEME.sub(r"\1://", text)  # proxies may merge the // of an unencoded IRI
    if text.startswith(("http://", "https://", "urn:")):
        iri = text
    else:
        m = _PREFIXED.match(text)
        iri = ns.PREFIXES[m.group(1)] + m.group(2) if m and m.group(1) in ns.PREFIXES else ns.KR + text
    if _IRI_FORBIDDEN.search(iri):
        raise InvalidParameter(f"not a valid entity id or IRI: {raw!r}")
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise InvalidParameter(f"not a valid entity id or IRI: {raw!r} ({exc})") from None
    return iri


@dataclass
class Labels:
    """English and Korean labels collected from query rows."""

    en: str | None = None
    ko: str | None = None
    plain: str | None = None

    def add(self, lit: Any) -> None:
        if not isinstance(lit, ox.Literal):
            return
        lang = (lit.language or "").lower()
        if lang.startswith("en") and self.en is None:
            self.en = lit.value
        elif lang.startswith("ko") and self.ko is None:
            self.ko = lit.value
        elif not lang and self.plain is None:
            self.plain = lit.value

    def as_dict(self) -> dict[str, str | None]:
        return {"en": self.en or self.plain, "ko": self.ko}

    def best(self, fallback: str) -> str:
        return self.en or self.plain or self.ko or fallback


def ref(iri: str, labels: Labels | None) -> dict[str, Any]:
    """The reference shape of a resource: iri, compact id, display label, ko/en labels, entity-page key."""
    labels = labels or Labels()
    cid = compact(iri)
    return {
        "iri": iri,
        "id": cid,
        "key": entity_key(iri),
        "label": labels.best(cid),
        "labels": labels.as_dict(),
    }


def node(term: Any, labels: dict[str, Labels]) -> dict[str, Any]:
    """A term as JSON: an IRI reference, a literal (value, datatype, lang) or a blank node."""
    if isinstance(term, ox.NamedNode):
        return {"type": "iri", **ref(term.value, labels.get(term.value))}
    if isinstance(term, ox.Literal):
        return {
            "type": "literal",
            "value": term.value,
            "datatype": term.datatype.value,
            "lang": term.language,
        }
    return {"type": "bnode", "value": str(getattr(term, "value", term))}


def _collect_labels(rows: Iterable[dict], pairs: Iterable[tuple[str, str]]) -> dict[str, Labels]:
    """Labels per IRI from rows where ``var`` holds the resource and ``label_var`` one of its labels."""
    out: dict[str, Labels] = {}
    for row in rows:
        for var, label_var in pairs:
            term = row.get(var)
            if isinstance(term, ox.NamedNode):
                entry = out.setdefault(term.value, Labels())
                if label_var in row:
                    entry.add(row[label_var])
    return out


# ------------------------------------------------------------------------------------------------ entities
EXISTS = "ASK { { ?e ?p ?o } UNION { ?s ?p ?e } }"

ANNOTATIONS_Q = (
    """SELECT ?e ?p ?v WHERE { VALUES ?p { rdfs:label skos:altLabel skos:definition } ?e ?p ?v }"""
)

OUTGOING_Q = """SELECT ?e ?p ?o ?g ?pl ?ol WHERE {
  GRAPH ?g { ?e ?p ?o }
  FILTER (?p NOT IN (rdfs:label, skos:altLabel, skos:definition, skos:prefLabel))
  OPTIONAL { ?p rdfs:label ?pl }
  OPTIONAL { ?o rdfs:label ?ol }
}"""

INCOMING_Q = """SELECT ?e ?s ?p ?g ?pl ?sl WHERE {
  GRAPH ?g { ?s ?p ?e }
  OPTIONAL { ?p rdfs:label ?pl }
  OPTIONAL { ?s rdfs:label ?sl }
}"""

SECTIONS_Q = """SELECT DISTINCT ?e ?sec ?path ?order ?l WHERE {
  { GRAPH ?sec { ?e ?p ?o } } UNION { GRAPH ?sec { ?s ?p ?e } }
  UNION { ?r kg:represents ?e . ?r kg:inSection ?sec }
  UNION { ?r kg:represents ?e . ?r kg:inTable ?t . ?t kg:inSection ?sec }
  UNION { ?x kg:about ?e . ?x kg:inSection ?sec }
  ?sec kg:headingPath ?path .
  OPTIONAL { ?sec kg:order ?order }
  OPTIONAL { ?sec rdfs:label ?l }
}"""

ERRATA_Q = """SELECT ?err ?p ?v ?vl ?path ?text WHERE {
  ?err a kg:Erratum .
  VALUES ?p { kg:about kg:inSection kg:documentSays kg:correction kg:reason kg:reference kg:errataKind kg:affectsRow }
  ?err ?p ?v .
  OPTIONAL { ?v rdfs:label ?vl }
  OPTIONAL { ?v kg:headingPath ?path }
  OPTIONAL { ?v kg:cells ?cells }
  OPTIONAL { ?v kg:itemText ?item }
  BIND (COALESCE(?cells, ?item) AS ?text)
}"""

ERRATA_ABOUT_Q = ERRATA_Q.replace("SELECT ?err", "SELECT ?e ?err").replace(
    "?err a kg:Erratum .", "?err a kg:Erratum ; kg:about ?e ."
)


def entity_exists(kg: Any, iri: str) -> bool:
    """True when the IRI occurs as a subject or object anywhere in the graph."""
    return kg.ask(EXISTS, {"e": ox.NamedNode(iri)})


def entity_data(kg: Any, iri: str) -> dict[str, Any]:
    """Labels, altLabels, definitions, types, relations both ways, sections and errata of one entity (404 if unknown)."""
    e = ox.NamedNode(iri)
    if not entity_exists(kg, iri):
        raise NotFound(f"no entity {compact(iri)} in the graph")
    bind = {"e": e}
    own = Labels()
    alt: list[str] = []
    definition = Labels()
    for row in kg.select(ANNOTATIONS_Q, bind):
        p, v = row["p"].value, row["v"]
        if p == RDFS_LABEL:
            own.add(v)
        elif p == ALT_LABEL and isinstance(v, ox.Literal) and v.value not in alt:
            alt.append(v.value)
        elif p == DEFINITION:
            definition.add(v)

    out_rows = kg.select(OUTGOING_Q, bind)
    in_rows = kg.select(INCOMING_Q, bind)
    labels = _collect_labels(out_rows, [("p", "pl"), ("o", "ol")])
    labels.update(
        {k: v for k, v in _collect_labels(in_rows, [("p", "pl"), ("s", "sl")]).items() if k not in labels}
    )
    labels[iri] = own

    outgoing: dict[tuple[str, str], dict] = {}
    for row in out_rows:
        key = (str(row["p"]), str(row["o"]))
        entry = outgoing.setdefault(
            key,
            {
                "predicate": ref(row["p"].value, labels.get(row["p"].value)),
                "object": node(row["o"], labels),
                "graphs": [],
            },
        )
        if row["g"].value not in entry["graphs"]:
            entry["graphs"].append(row["g"].value)
    incoming: dict[tuple[str, str], dict] = {}
    for row in in_rows:
        key = (str(row["s"]), str(row["p"]))
        entry = incoming.setdefault(
            key,
            {
                "subject": node(row["s"], labels),
                "predicate": ref(row["p"].value, labels.get(row["p"].value)),
                "graphs": [],
            },
        )
        if row["g"].value not in entry["graphs"]:
            entry["graphs"].append(row["g"].value)
    for entry in (*outgoing.values(), *incoming.values()):
        entry["graphs"].sort()
        entry["inferred"] = entry["graphs"] == [ns.INFERRED_GRAPH]

    types = []
    for key, entry in list(outgoing.items()):
        if entry["predicate"]["iri"] == RDF_TYPE and entry["object"]["type"] == "iri":
            types.append(
                {**{k: v for k, v in entry["object"].items() if k != "type"}, "inferred": entry["inferred"]}
            )
            del outgoing[key]

    def sort_key(entry: dict, other: str) -> tuple:
        o = entry[other]
        return (entry["inferred"], entry["predicate"]["id"], o.get("id") or o.get("value") or "")

    return {
        "iri": iri,
        **{k: v for k, v in ref(iri, own).items() if k != "iri"},
        "altLabels": sorted(alt),
        "definition": definition.as_dict(),
        "types": sorted(types, key=lambda t: (t["inferred"], t["id"])),
        "relations": {
            "outgoing": sorted(outgoing.values(), key=lambda x: sort_key(x, "object")),
            "incoming": sorted(incoming.values(), key=lambda x: sort_key(x, "subject")),
        },
        "sections": sections_of(kg, e),
        "errata": errata_data(kg, about=iri),
    }


def sections_of(kg: Any, e: ox.NamedNode) -> list[dict[str, Any]]:
    """The document sections an entity is stated in (its facts' graphs, the rows that represent it, its errata)."""
    found: dict[str, dict] = {}
    for row in kg.select(SECTIONS_Q, {"e": e}):
        sec = row["sec"].value
        entry = found.setdefault(sec, {"labels": Labels(), "path": row["path"].value, "order": None})
        if "l" in row:
            entry["labels"].add(row["l"])
        if "order" in row and entry["order"] is None:
            with contextlib.suppress(ValueError):
                entry["order"] = int(row["order"].value)
    out = []
    for sec, entry in found.items():
        out.append({**ref(sec, entry["labels"]), "headingPath": entry["path"], "order": entry["order"]})
    return sorted(out, key=lambda s: (s["order"] is None, s["order"] or 0, s["iri"]))


# ------------------------------------------------------------------------------------------------ errata
def errata_data(kg: Any, about: str | None = None) -> list[dict[str, Any]]:
    """Every erratum (or those about one entity): about, sections, what the document says, correction, reason, reference."""
    rows = kg.select(ERRATA_ABOUT_Q, {"e": ox.NamedNode(about)}) if about else kg.select(ERRATA_Q)
    found: dict[str, dict] = {}
    for row in rows:
        err = row["err"].value
        e = found.setdefault(
            err,
            {
                "about": {},
                "sections": {},
                "rows": {},
                "documentSays": Labels(),
                "correction": Labels(),
                "reason": Labels(),
                "references": [],
                "kind": None,
            },
        )
        p, v = row["p"].value.removeprefix(ns.KG), row["v"]
        if p in ("about", "inSection", "affectsRow") and isinstance(v, ox.NamedNode):
            bucket = {"about": "about", "inSection": "sections", "affectsRow": "rows"}[p]
            item = e[bucket].setdefault(v.value, {"labels": Labels(), "path": None, "text": None})
            if "vl" in row:
                item["labels"].add(row["vl"])
            if "path" in row:
                item["path"] = row["path"].value
            if "text" in row:
                item["text"] = row["text"].value
        elif p in ("documentSays", "correction", "reason"):
            e[p].add(v)
        elif p == "reference" and v.value not in e["references"]:
            e["references"].append(v.value)
        elif p == "errataKind" and e["kind"] is None:
            e["kind"] = v.value
    out = []
    for err, e in sorted(found.items()):
        out.append(
            {
                "iri": err,
                "id": compact(err),
                "about": [ref(i, x["labels"]) for i, x in sorted(e["about"].items())],
                "sections": [
                    {**ref(i, x["labels"]), "headingPath": x["path"]}
                    for i, x in sorted(e["sections"].items())
                ],
                "rows": [
                    {"iri": i, "id": compact(i), "text": x["text"]} for i, x in sorted(e["rows"].items())
                ],
                "documentSays": e["documentSays"].as_dict(),
                "correction": e["correction"].as_dict(),
                "reason": e["reason"].as_dict(),
                "references": sorted(e["references"]),
                "kind": e["kind"],
            }
        )
    return out


# ------------------------------------------------------------------------------------------------ graphs
GRAPHS_Q = """SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"""
GRAPH_HEADINGS_Q = """SELECT ?g ?path WHERE { ?g a kg:Section ; kg:headingPath ?path }"""


def graph_kind(iri: str) -> str:
    """ontology, document, inferred, section, user, run or other."""
    if iri == ns.ONTOLOGY_GRAPH:
        return "ontology"
    if iri == ns.DOCUMENT_GRAPH:
        return "document"
    if iri == ns.INFERRED_GRAPH:
        return "inferred"
    if iri.startswith(ns.SECTION):
        return "section"
    if iri.startswith(ns.USER_GRAPH_PREFIX):
        return "user"
    if iri.startswith(ns.RUN_GRAPH_PREFIX):
        return "run"
    return "other"


def graphs_data(kg: Any) -> dict[str, Any]:
    """The named graphs with their triple counts (sections with their heading path)."""
    headings = {r["g"].value: r["path"].value for r in kg.select(GRAPH_HEADINGS_Q)}
    graphs = []
    for row in kg.select(GRAPHS_Q):
        iri = row["g"].value
        graphs.append(
            {
                "iri": iri,
                "id": compact(iri),
                "kind": graph_kind(iri),
                "triples": int(row["n"].value),
                "headingPath": headings.get(iri),
            }
        )
    graphs.sort(
        key=lambda x: (
            ["ontology", "document", "section", "inferred", "user", "run", "other"].index(x["kind"]),
            x["iri"],
        )
    )
    return {"graphs": graphs, "count": len(graphs), "triples": sum(g["triples"] for g in graphs)}


# ------------------------------------------------------------------------------------------------ search
_NORMALIZE = re.compile(r"[\s\-_.·/()\[\],'\"`:]+")
MAX_QUERY_CHARS = 200
LABELS_Q = """SELECT ?s ?p ?l WHERE { VALUES ?p { rdfs:label skos:altLabel } ?s ?p ?l FILTER(isIRI(?s)) }"""


def normalize(text: str) -> str:
    """NFKC, case-folded, without spaces and punctuation: how search compares a query with labels."""
    return _NORMALIZE.sub("", unicodedata.normalize("NFKC", text)).casefold()


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (Levenshtein plus adjacent swaps), or limit + 1 once it must exceed limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] | None = None
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if before is not None and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], before[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        before, prev = prev, cur
    return prev[-1]


@dataclass
class _Entry:
    iri: str
    text: str
    norm: str
    alt: bool
    jamo: str = ""
    chars: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.jamo = unicodedata.normalize("NFD", self.norm)
        self.chars = frozenset(self.jamo)


class SearchIndex:
    """Every rdfs:label and skos:altLabel, normalized once; ranked look-up: exact, prefix, substring, near spelling."""

    def __init__(self, kg: Any) -> None:
        self.entries: list[_Entry] = []
        self.labels: dict[str, Labels] = {}
        for row in kg.select(LABELS_Q):
            s, p, lit = row["s"].value, row["p"].value, row["l"]
            if not isinstance(lit, ox.Literal):
                continue
            is_alt = p == ALT_LABEL
            if not is_alt:
                self.labels.setdefault(s, Labels()).add(lit)
            norm = normalize(lit.value)
            if norm:
                self.entries.append(_Entry(s, lit.value, norm, is_alt))
        self.entries.sort(key=lambda x: (x.iri, x.alt, x.text))

    def search(self, query: str, limit: int = 10) -> list[dict[str, Any]]:
        """Entities whose label matches the query, best first (score in 0..1, match kind, the label matched)."""
        q = normalize(query)
        if not q:
            return []
        best: dict[str, tuple[float, str, str]] = {}
        qj = unicodedata.normalize("NFD", q)  # Hangul syllables as jamo, so one wrong vowel is one edit
        max_d = 0 if len(qj) < 3 else 1 if len(qj) < 5 else 2
        qchars = frozenset(qj)
        for entry in self.entries:
            score, kind = self._score(q, qj, qchars, entry, max_d)
            if score <= 0:
                continue
            if entry.iri.startswith(ns.KR) and entry.iri[len(ns.KR) :].startswith(DOCUMENT_PARTS):
                score -= 0.05  # the concept before the table row or cell about it
            elif not entry.iri.startswith(ns.KR):
                score -= 0.02  # an individual before the class or property of the same name
            if entry.iri not in best or score > best[entry.iri][0]:
                best[entry.iri] = (score, kind, entry.text)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], compact(kv[0])))
        out = []
        for iri, (score, kind, text) in ranked[:limit]:
            out.append(
                {**ref(iri, self.labels.get(iri)), "matched": text, "match": kind, "score": round(score, 4)}
            )
        return out

    @staticmethod
    def _score(q: str, qj: str, qchars: frozenset[str], entry: _Entry, max_d: int) -> tuple[float, str]:
        norm, penalty = entry.norm, 0.01 if entry.alt else 0.0
        if norm == q:
            return 1.0 - penalty, "exact"
        if norm.startswith(q):
            return 0.8 + 0.15 * len(q) / len(norm) - penalty, "prefix"
        if len(q) >= 2 and q in norm:
            return 0.6 + 0.15 * len(q) / len(norm) - penalty, "substring"
        if max_d:
            # one edit changes at most two entries of the character-set difference: a cheap lower bound first
            jamo = entry.jamo
            if abs(len(jamo) - len(qj)) <= max_d and len(qchars ^ entry.chars) <= 2 * max_d:
                d = edit_distance(qj, jamo, max_d)
                if d <= max_d:
                    return 0.55 - 0.1 * d - penalty, "fuzzy"
            # a near spelling of the start of a longer label ("kube-proxi" for "kube-proxy service")
            if len(jamo) > len(qj):
                head = jamo[: len(qj)]
                if len(qchars ^ frozenset(head)) <= 2 * max_d and edit_distance(qj, head, max_d) <= max_d:
                    return 0.35 - penalty, "fuzzy"
        if (
            len(q) >= 4
            and abs(len(q) - len(norm)) <= max(2, len(q) // 3)
            and len(qchars & entry.chars) >= 0.7 * len(qchars)
        ):
            matcher = difflib.SequenceMatcher(None, q, norm)
            if matcher.real_quick_ratio() >= 0.8 and matcher.quick_ratio() >= 0.8:
                ratio = matcher.ratio()
                if ratio >= 0.8:
                    return 0.4 * ratio - penalty, "fuzzy"
        return 0.0, ""


_INDEX_LOCK = threading.Lock()
_INDEXES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def search_index(kg: Any) -> SearchIndex:
    """The search index of a graph, built on first use and kept as long as the graph object lives."""
    index = _INDEXES.get(kg)
    if index is None:
        with _INDEX_LOCK:
            index = _INDEXES.get(kg)
            if index is None:
                index = _INDEXES[kg] = SearchIndex(kg)
    return index


# ------------------------------------------------------------------------------------------------ markdown
def _md(text: Any) -> str:
    """Text safe inside a Markdown line (no line breaks, escaped emphasis/link characters)."""
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", " ".join(str(text).split()))


def _md_value(n: dict[str, Any]) -> str:
    if n["type"] == "iri":
        return f"{_md(n['label'])} (`{n['id']}`)"
    if n["type"] == "literal":
        return _md(n["value"]) + (f" @{n['lang']}" if n.get("lang") else "")
    return _md(n["value"])


def entity_markdown(data: dict[str, Any]) -> str:
    """An entity as a small cited Markdown document, ready for chunking (issue 5, section 3)."""
    labels = data["labels"]
    lines = [f"# {_md(data['label'])} (`{data['id']}`)", ""]
    lines.append(f"- IRI: <{data['iri']}>")
    for lang, name in (("en", "English"), ("ko", "한국어")):
        if labels.get(lang):
            lines.append(f"- {name}: {_md(labels[lang])}")
    if data["altLabels"]:
        lines.append("- Also known as: " + ", ".join(_md(a) for a in data["altLabels"]))
    if data["types"]:
        lines.append("- Types: " + ", ".join(f"{_md(t['label'])} (`{t['id']}`)" for t in data["types"]))
    sections = data["sections"]
    cite = {s["iri"]: i for i, s in enumerate(sections, 1)}

    def refs(graphs: list[str]) -> str:
        marks = [f"[{cite[g]}]" for g in graphs if g in cite]
        return (" " + "".join(marks)) if marks else ""

    if any(data["definition"].values()):
        lines += ["", "## Definition", ""]
        for lang in ("en", "ko"):
            if data["definition"].get(lang):
                lines.append(f"- ({lang}) {_md(data['definition'][lang])}")
    if data["relations"]["outgoing"]:
        lines += ["", "## Facts", ""]
        for r in data["relations"]["outgoing"]:
            how = " (inferred)" if r["inferred"] else ""
            lines.append(
                f"- {_md(data['label'])} — {_md(r['predicate']['label'])} — {_md_value(r['object'])}{how}{refs(r['graphs'])}"
            )
    if data["relations"]["incoming"]:
        lines += ["", "## Referenced by", ""]
        for r in data["relations"]["incoming"]:
            how = " (inferred)" if r["inferred"] else ""
            lines.append(
                f"- {_md_value(r['subject'])} — {_md(r['predicate']['label'])} — {_md(data['label'])}{how}{refs(r['graphs'])}"
            )
    if data["errata"]:
        lines += ["", "## Errata", ""]
        for e in data["errata"]:
            says = e["documentSays"].get("ko") or e["documentSays"].get("en") or ""
            corr = e["correction"].get("en") or e["correction"].get("ko") or ""
            lines.append(f"- The document says: {_md(says)}. Correction: {_md(corr)}.")
            if e["reason"].get("en"):
                lines.append(f"  Reason: {_md(e['reason']['en'])}")
            for url in e["references"]:
                lines.append(f"  Reference: <{url}>")
    if sections:
        lines += ["", "## Sources", ""]
        for s in sections:
            lines.append(f"[{cite[s['iri']]}]: {_md(s['headingPath'])} (`{s['id']}`)")
    return "\n".join(lines) + "\n"
