"""The rule reader (kubekg.graph.patterns) agrees with rdflib's SPARQL algebra on templates and body patterns."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import BNode, Literal, URIRef, Variable

from kubekg import ns, paths
from kubekg.graph.patterns import VAR, WILDCARD, PatternError, extract
from kubekg.graph.rules import RuleError, compile_rule, rule_files

RULES = rule_files(paths.queries_dir())


def _term(term) -> str | None:  # noqa: ANN001 - an rdflib term or path
    if isinstance(term, Variable):
        return VAR + str(term)
    if isinstance(term, BNode):
        return WILDCARD
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        if term.language:
            return str(ox.Literal(str(term), language=term.language))
        if term.datatype:
            return str(ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype))))
        return str(ox.Literal(str(term)))
    return None  # a property path


def _positive(node, out: list) -> None:  # noqa: ANN001 - rdflib CompValue
    if not isinstance(node, CompValue):
        return
    if node.name == "BGP":
        for triple in node.triples:
            terms = tuple(_term(t) for t in triple)
            if None not in terms:
                out.append(terms)
        return
    for key in ("p1",) if node.name == "Minus" else ("p", "p1", "p2"):
        if node.get(key) is not None:
            _positive(node.get(key), out)


def reference(text: str) -> tuple[set, set]:
    """Template and positive body patterns as rdflib's algebra has them."""
    algebra = prepareQuery(text, initNs=ns.PREFIXES).algebra
    body: list = []
    _positive(algebra.p, body)
    if algebra.template is None:  # CONSTRUCT WHERE: the template is the pattern
        return set(body), set(body)
    return {tuple(_term(t) for t in triple) for triple in algebra.template}, set(body)


TRICKY = {
    "blank node property list and literals": """
        PREFIX ex: <http://example.org/>
        CONSTRUCT { ?x ex:p "v"@ko , 5 , true , "w"^^xsd:string }
        WHERE { ?x ex:q [ ex:r ?y ; ex:s 1.5 ] . ?y a ex:C , ex:D ; ex:t 'it\\'s' , "a \\"q\\"" . }""",
    "paths, filters, minus, bind, values, optional, union": """
        CONSTRUCT { ?c rdfs:subClassOf ?d } WHERE {
          VALUES ?k { kg:A kg:B }
          ?c owl:intersectionOf ?l . ?l rdf:rest*/rdf:first ?d .
          ?c ^rdfs:subClassOf|owl:equivalentClass ?e .
          OPTIONAL { ?d rdfs:label ?lab FILTER (lang(?lab) = "en" && ?x < 3) }
          { ?d a owl:Class } UNION { ?d a rdfs:Class }
          FILTER NOT EXISTS { ?d a owl:Nothing }
          FILTER regex(str(?d), "x")
          MINUS { ?d owl:deprecated true }
          BIND (IRI(CONCAT(STR(?c), "#x")) AS ?z)
        }""",
    "short form": "CONSTRUCT WHERE { ?s kg:p ?o . ?o kg:q ?s }",
    "graph and comments": """# a comment with { braces }
        CONSTRUCT { ?x kg:inTable ?t } # trailing
        WHERE { GRAPH ?g { ?x kg:cells "a|b # not a comment" ; kg:inTable ?t } }""",
}


def test_escaped_local_names_are_unescaped() -> None:
    # rdflib keeps the backslash of PN_LOCAL_ESC (SPARQL 1.1, 19.8); the IRI has none
    template, body = extract(
        "CONSTRUCT { ?x kg:inTable kr:table\\/a-1 } WHERE { ?x kg:inTable kr:table\\/a-1 }"
    )
    assert template == body == [("?x", f"<{ns.KG}inTable>", f"<{ns.KR}table/a-1>")]


@pytest.mark.parametrize("path", RULES, ids=[p.stem for p in RULES])
def test_rule_files_read_as_rdflib_reads_them(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    template, body = extract(text)
    assert (set(template), set(body)) == reference(text)


@pytest.mark.parametrize("case", list(TRICKY), ids=list(TRICKY))
def test_tricky_rules_read_as_rdflib_reads_them(case: str) -> None:
    template, body = extract(TRICKY[case])
    assert (set(template), set(body)) == reference(TRICKY[case])


@pytest.mark.parametrize(
    ("case", "text", "message"),
    [
        ("not a CONSTRUCT", "SELECT * WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("blank node in the template", "CONSTRUCT { ?s kg:p [] } WHERE { ?s a kg:C }", "blank nodes"),
        ("unknown prefix", "CONSTRUCT { ?s a nope:C } WHERE { ?s a kg:C }", "nope"),
        ("syntax error", "CONSTRUCT { ?s a kg:C } WHERE { ?s a kg:C", "cannot read"),
        ("store rejects", "CONSTRUCT { ?s a kg:C } WHERE { ?s a kg:C FILTER(nofunc(?s)) }", "dom-case"),
    ],
)
def test_bad_rules_name_the_file(tmp_path: Path, case: str, text: str, message: str) -> None:
    path = tmp_path / "dom-case.rq"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleError, match=message) as info:
        compile_rule(path)
    assert "dom-case.rq" in str(info.value), case


def test_tokenizer_rejects_garbage() -> None:
    with pytest.raises(PatternError):
        extract("CONSTRUCT { ?s a kg:C } WHERE { ?s a kg:C ` }")
