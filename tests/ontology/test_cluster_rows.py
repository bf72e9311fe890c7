"""Every table row of ontology-A's sections, parsed from the seed markdown here, is a kg:TableRow of the graph with
the row's raw text, its table, its index and at least one represented entity; list items are well formed."""

from __future__ import annotations

from kubekg import ns


def test_my_sections_have_tables(seed_tables, a_slugs) -> None:
    mine = [t for t in seed_tables if t.slug in a_slugs]
    assert len(mine) == 15, [(t.slug, t.number) for t in mine]


def test_every_row_of_my_tables_is_in_the_graph(kg, seed_tables, a_slugs) -> None:
    problems = []
    checked = 0
    for table in (t for t in seed_tables if t.slug in a_slugs):
        table_iri = f"{ns.KR}table/{table.slug}-{table.number}"
        meta = kg.select(
            "SELECT ?section ?header WHERE { ?t a kg:Table ; kg:inSection ?section ; kg:header ?header }",
            bindings={"t": table_iri},
            asserted_only=True,
        )
        if [(m["section"].value, m["header"].value) for m in meta] != [
            (ns.SECTION + table.slug, table.header)
        ]:
            problems.append(f"{table_iri}: section/header {meta}")
        in_graph = kg.select(
            "SELECT ?r WHERE { ?r kg:inTable ?t }", bindings={"t": table_iri}, asserted_only=True
        )
        if len(in_graph) != len(table.rows):
            problems.append(f"{table_iri}: {len(in_graph)} rows in the graph, {len(table.rows)} in the seed")
        for index, text in enumerate(table.rows, start=1):
            checked += 1
            row_iri = f"{ns.KR}row/{table.slug}-{table.number}-{index}"
            rows = kg.select(
                """SELECT ?cells ?i ?t (COUNT(?e) AS ?n) WHERE {
                     ?r a kg:TableRow ; kg:cells ?cells ; kg:rowIndex ?i ; kg:inTable ?t ; kg:represents ?e
                   } GROUP BY ?cells ?i ?t""",
                bindings={"r": row_iri},
                asserted_only=True,
            )
            if len(rows) != 1:
                problems.append(f"{row_iri}: missing or ambiguous ({len(rows)} matches)")
                continue
            row = rows[0]
            if row["cells"].value != text:
                problems.append(f"{row_iri}: cells differ:\n  graph {row['cells'].value!r}\n  seed  {text!r}")
            if int(row["i"].value) != index or row["t"].value != table_iri:
                problems.append(f"{row_iri}: index/table {row['i'].value} {row['t'].value}")
    assert checked == 44
    assert not problems, "\n".join(problems)


def test_rows_live_in_their_sections_graph(kg, a_slugs) -> None:
    for slug in a_slugs:
        rows = kg.select(
            "SELECT ?r ?s WHERE { ?r kg:inTable ?t . ?t kg:inSection ?s . FILTER(?s = ?section) }",
            bindings={"section": ns.SECTION + slug},
            asserted_only=True,
        )
        for r in rows:
            quads = kg.store.quads_for_pattern(r["r"], None, None)
            graphs = {q.graph_name.value for q in quads} - {ns.INFERRED_GRAPH}
            assert graphs == {ns.SECTION + slug}, (r["r"].value, graphs)


def test_the_wrapped_job_row_is_joined_with_one_space(seed_tables) -> None:
    (job,) = [t for t in seed_tables if t.slug == "job-cronjob"]
    assert "계속해서 파드의 실행을 재시도" in job.rows[0]


def test_list_items_are_well_formed(kg, a_slugs) -> None:
    rows = kg.select(
        """SELECT ?item ?s ?text (COUNT(?e) AS ?n) WHERE {
             ?item a kg:ListItem ; kg:inSection ?s ; kg:itemText ?text ; kg:represents ?e } GROUP BY ?item ?s ?text""",
        asserted_only=True,
    )
    mine = [r for r in rows if r["s"].value.removeprefix(ns.SECTION) in a_slugs]
    assert len(mine) >= 20
    for r in mine:
        slug = r["s"].value.removeprefix(ns.SECTION)
        assert r["item"].value.startswith(f"{ns.KR}item/{slug}-"), r["item"].value
        assert r["text"].value.strip() and int(r["n"].value) >= 1


def test_no_blog_boilerplate_in_my_facts(a_fact_graph) -> None:
    boilerplate = ("/assets/img", "seongjin.me", "gruuuuu.github.io", "![", "{:toc}", "haeyeon.hwang")
    for _s, _p, o in a_fact_graph:
        text = str(o)
        assert not any(b in text for b in boilerplate), text
