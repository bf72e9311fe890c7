"""Our OWL 2 RL rules against owlrl's closure: whatever owlrl infers between kubekg IRIs, we infer too."""

from __future__ import annotations

import owlrl
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import OWL, RDFS, SKOS

from kubekg import ns
from kubekg.graph.validate import asserted_ntriples

# Annotations carry no semantics owlrl could use unless the ontology gives them domains, ranges or super-properties;
# leaving them out of owlrl's input makes the comparison several times faster.
ANNOTATIONS = (RDFS.label, RDFS.comment, SKOS.altLabel, SKOS.definition, SKOS.prefLabel)
TRIVIAL = {
    str(RDFS.subClassOf),
    str(RDFS.subPropertyOf),
    ns.PREFIXES["owl"] + "equivalentClass",
    ns.PREFIXES["owl"] + "equivalentProperty",
    ns.PREFIXES["owl"] + "sameAs",
}


def owlrl_closure(kg) -> rdflib.Graph:
    g = rdflib.Graph()
    g.parse(data=asserted_ntriples(kg), format="nt")
    semantic = (RDFS.domain, RDFS.range, RDFS.subPropertyOf, OWL.equivalentProperty, OWL.inverseOf)
    for a in ANNOTATIONS:
        used = any(g.triples((a, p, None)) for p in semantic) or any(g.triples((None, RDFS.subPropertyOf, a)))
        if not used:
            g.remove((None, a, None))
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(g)
    return g


def _relevant(s: object, p: object, o: object) -> bool:
    return (
        isinstance(s, rdflib.URIRef | ox.NamedNode)
        and isinstance(o, rdflib.URIRef | ox.NamedNode)
        and str(s).strip("<>").startswith(ns.BASE)
        and str(o).strip("<>").startswith(ns.BASE)
        and not (s == o and str(p).strip("<>") in TRIVIAL)
    )


def missing_from_ours(kg) -> list[tuple[str, str, str]]:
    """owlrl's inferences whose subject and object are kubekg IRIs (not reflexive trivia) that we lack.

    Also prints what differs the other way (we derive, owlrl does not), for information.
    """
    ours = {(q.subject.value, q.predicate.value, q.object.value) for q in kg.store if _relevant(*q.triple)}
    theirs = {(str(s), str(p), str(o)) for s, p, o in owlrl_closure(kg) if _relevant(s, p, o)}
    extra = sorted(ours - theirs)
    print(f"owlrl: {len(theirs)} relevant triples; ours: {len(ours)}; ours only: {len(extra)}")
    for t in extra[:20]:
        print("  ours only:", " ".join(t))
    return sorted(theirs - ours)


def test_fixture_closure_covers_owlrl(fixture_kg) -> None:
    missing = missing_from_ours(fixture_kg)
    assert not missing, "owlrl infers, we do not:\n" + "\n".join(" ".join(t) for t in missing)


@pytest.mark.slow
def test_real_closure_covers_owlrl(real_kg) -> None:
    # owlrl takes seconds; its verdict depends only on the inputs the cache key covers, so it is cached beside them
    name = f"owlrl-{owlrl.__version__}-comparison.json"
    cached = real_kg.cache.read_json(real_kg.digest, name) if real_kg.cache else None
    if cached is None:
        cached = {"missing": [list(t) for t in missing_from_ours(real_kg)]}
        if real_kg.cache:
            real_kg.cache.write_json(real_kg.digest, name, cached)
    missing = [tuple(t) for t in cached["missing"]]
    assert not missing, "owlrl infers, we do not:\n" + "\n".join(" ".join(t) for t in missing[:50])
    ours_only = len(real_kg.derivations)
    assert ours_only > 0
