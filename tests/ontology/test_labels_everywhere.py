"""Every subject of the kg: and kr: namespaces in the asserted graphs is typed (so the SHACL shapes, which target the
subjects of rdf:type, reach it) and has exactly one rdfs:label and one skos:definition in English and in Korean.

Checked here with the store's own SPARQL (milliseconds) as well as by ``ontology/shapes/core.ttl`` in pyshacl."""

from __future__ import annotations

import pytest

OURS = "FILTER(isIRI(?s) && (STRSTARTS(STR(?s), STR(kg:)) || STRSTARTS(STR(?s), STR(kr:))))"


def test_every_subject_of_our_namespaces_is_typed(iris) -> None:
    untyped = iris(
        f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o {OURS} FILTER NOT EXISTS {{ ?s a ?t }} }}", "s", True
    )
    assert untyped == set()


@pytest.mark.parametrize(
    ("prop", "lang"),
    [("rdfs:label", "en"), ("rdfs:label", "ko"), ("skos:definition", "en"), ("skos:definition", "ko")],
)
def test_every_subject_of_our_namespaces_has_one_text_per_language(iris, prop: str, lang: str) -> None:
    subjects = iris(f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o {OURS} }}", "s", True)
    assert len(subjects) > 800
    missing = iris(
        f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o {OURS} "
        f'FILTER NOT EXISTS {{ ?s {prop} ?l FILTER(LANG(?l) = "{lang}") }} }}',
        "s",
        True,
    )
    assert missing == set(), f"{len(missing)} subjects without {prop}@{lang}: {sorted(missing)[:10]}"
    twice = iris(
        f"SELECT DISTINCT ?s WHERE {{ ?s {prop} ?a , ?b {OURS} "
        f'FILTER(?a != ?b && LANG(?a) = "{lang}" && LANG(?b) = "{lang}") }}',
        "s",
        True,
    )
    assert twice == set(), f"subjects with two {prop}@{lang}: {sorted(twice)[:10]}"
