"""The vendor table of section volume-access-modes, parsed from the seed itself, checked column by column against the
graph: product name, usage name (or its erratum), and the expansion/RWO/ROX/RWX cells with the facts rules derive."""

from __future__ import annotations

import pytest

from kubekg import ns
from kubekg.graph.document import normalize_row

SLUG = "volume-access-modes"
CAPABILITIES = [  # (column index in the row, capability IRI, cell code)
    (3, ns.KR + "volume-expansion", "expansion"),
    (4, ns.KR + "ReadWriteOnce", "RWO"),
    (5, ns.KR + "ReadOnlyMany", "ROX"),
    (6, ns.KR + "ReadWriteMany", "RWX"),
]
SUPPORT = {"O": ns.KG + "Supported", "X": ns.KG + "NotSupported", "△": ns.KG + "DependsOnDriver"}
DERIVED_MODE = {
    "O": ns.KG + "supportsAccessMode",
    "X": ns.KG + "lacksAccessMode",
    "△": ns.KG + "accessModeDependsOnDriver",
}


def _squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


@pytest.fixture(scope="module")
def vendor_rows(seed_tables) -> list[tuple[int, list[str], str]]:
    tables = [t for t in seed_tables if t.slug == SLUG and "쿠버네티스 사용명" in t.header]
    assert len(tables) == 1, "the seed has exactly one vendor table"
    rows = [(i, [c.strip() for c in text.split("|")], text) for i, text in enumerate(tables[0].rows, 1)]
    assert len(rows) == 14
    return rows


def _row_iri(index: int) -> str:
    return f"{ns.KR}row/{SLUG}-2-{index}"


def _plugin_of_row(kg, index: int) -> str:
    rows = kg.select(
        "SELECT DISTINCT ?p WHERE { ?cell kg:fromRow ?row ; kg:plugin ?p }", {"row": _row_iri(index)}
    )
    assert len(rows) == 1, f"row {index}: the cells read from it must name exactly one plugin, got {rows}"
    return rows[0]["p"].value


def test_every_row_is_a_table_row_with_its_exact_text(kg, vendor_rows) -> None:
    for index, _cells, text in vendor_rows:
        got = kg.select(
            "SELECT ?cells WHERE { ?row a kg:TableRow ; kg:cells ?cells ; kg:rowIndex ?i ; kg:inTable ?t . "
            "?t kg:inSection ?s }",
            {"row": _row_iri(index), "s": ns.SECTION + SLUG},
        )
        assert [r["cells"].value for r in got] == [text]


@pytest.mark.parametrize("index", range(1, 15))
def test_product_name_is_a_label_of_the_plugin(kg, vendor_rows, index: int) -> None:
    _, cells, _ = vendor_rows[index - 1]
    plugin = _plugin_of_row(kg, index)
    labels = {
        _squash(r["l"].value)
        for r in kg.select(
            "SELECT ?l WHERE { { ?p rdfs:label ?l } UNION { ?p skos:altLabel ?l } }", {"p": plugin}
        )
    }
    assert _squash(cells[1]) in labels, f"{cells[1]!r} is not among the labels of {plugin}"
    assert kg.ask("ASK { ?row kg:represents ?p }", {"row": _row_iri(index), "p": plugin})
    assert kg.ask("ASK { ?p a kg:VolumePlugin ; kg:vendor ?v . ?v a kg:Vendor }", {"p": plugin})


@pytest.mark.parametrize("index", range(1, 15))
def test_usage_name_matches_or_has_an_erratum(kg, vendor_rows, index: int) -> None:
    _, cells, _ = vendor_rows[index - 1]
    plugin = _plugin_of_row(kg, index)
    names = [r["n"].value for r in kg.select("SELECT ?n WHERE { ?p kg:usageName ?n }", {"p": plugin})]
    assert len(names) == 1
    if names[0] == cells[2]:
        return
    # the graph holds the correct name; the document's spelling must be recorded by an erratum on this row
    assert kg.ask(
        "ASK { ?e a kg:Erratum ; kg:about ?p ; kg:affectsRow ?row ; kg:correction ?c . FILTER(CONTAINS(?c, ?n)) }",
        {"p": plugin, "row": _row_iri(index), "n": names[0]},
    ), f"row {index}: usage name {cells[2]!r} differs from the graph's {names[0]!r} without an erratum"


def test_iscsi_usage_name_is_corrected(kg, vendor_rows) -> None:
    index = next(i for i, cells, _ in vendor_rows if cells[1] == "iSCSI")
    assert vendor_rows[index - 1][1][2] == "fc", "the document gives iSCSI the usage name fc"
    assert _plugin_of_row(kg, index) == ns.KR + "iscsi"
    assert kg.ask('ASK { kr:iscsi kg:usageName "iscsi" }')


@pytest.mark.parametrize("index", range(1, 15))
@pytest.mark.parametrize("column", CAPABILITIES, ids=[c[2] for c in CAPABILITIES])
def test_capability_cell_and_derived_fact(kg, vendor_rows, index: int, column) -> None:
    position, capability, code = column
    _, cells, _ = vendor_rows[index - 1]
    value = cells[position]
    plugin = _plugin_of_row(kg, index)
    got = kg.select(
        "SELECT ?cell ?s WHERE { ?cell a kg:CapabilityCell ; kg:plugin ?p ; kg:capability ?c ; kg:support ?s ; "
        "kg:fromRow ?row }",
        {"p": plugin, "c": capability, "row": _row_iri(index)},
    )
    assert [r["s"].value for r in got] == [SUPPORT[value]], f"row {index} {code}: document says {value!r}"
    assert got[0]["cell"].value.endswith(f"/cell/{plugin.rsplit('/', 1)[1]}-{code}")
    if code == "expansion":
        derived = kg.select("SELECT ?b WHERE { ?p kg:supportsVolumeExpansion ?b }", {"p": plugin})
        expected = {"O": ["true"], "X": ["false"], "△": []}[value]
        assert [r["b"].value for r in derived] == expected
        return
    for value_code, predicate in DERIVED_MODE.items():
        holds = kg.ask("ASK { ?p ?pred ?m }", {"p": plugin, "pred": predicate, "m": capability})
        assert holds == (value_code == value), (
            f"row {index} {code}: {predicate} should be {value_code == value}"
        )
        # derived, never stated
        assert not kg.ask("ASK { ?p ?pred ?m }", {"p": plugin, "pred": predicate, "m": capability}, True)


def test_derived_answer_sets_follow_the_document(kg, vendor_rows) -> None:
    """The eval's gold sets equal what the document's O/X columns give (computed from the seed, not hard-coded)."""
    for position, capability, code in CAPABILITIES:
        from_seed = {normalize_row(cells[1]) for _, cells, _ in vendor_rows if cells[position] == "O"}
        if code == "expansion":
            rows = kg.select("SELECT ?p WHERE { ?p kg:supportsVolumeExpansion true }")
        else:
            rows = kg.select("SELECT ?p WHERE { ?p kg:supportsAccessMode ?m }", {"m": capability})
        from_graph = set()
        for r in rows:
            alts = {
                normalize_row(x["l"].value)
                for x in kg.select("SELECT ?l WHERE { ?p skos:altLabel|rdfs:label ?l }", {"p": r["p"]})
            }
            from_graph |= alts & from_seed
        assert from_graph == from_seed, code
        assert len(rows) == len(from_seed), code
