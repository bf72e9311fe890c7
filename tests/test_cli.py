"""The kubekg command: each subcommand through main([...]) on the fixture graph, plus smoke tests on the real one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from kubekg import cli, paths
from kubekg.graph import build_graph, load_graph

FIXTURES = Path(__file__).parent / "graph" / "fixtures"
RWX = "SELECT ?p WHERE { ?p kg:supportsAccessMode kr:ReadWriteMany }"


@pytest.fixture(scope="module")
def fixture_graph(tmp_path_factory: pytest.TempPathFactory):
    queries = tmp_path_factory.mktemp("queries")
    (queries / "rules").mkdir()
    for rule in [*(paths.queries_dir() / "rules").glob("owl-*.rq"), *(FIXTURES / "rules").glob("*.rq")]:
        shutil.copy(rule, queries / "rules" / rule.name)
    return build_graph(FIXTURES / "ontology", queries, tmp_path_factory.mktemp("cache"))


@pytest.fixture
def on_fixture(monkeypatch: pytest.MonkeyPatch, fixture_graph):
    monkeypatch.setattr(cli, "_graph", lambda: fixture_graph)
    return fixture_graph


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------ sparql


def test_sparql_table(on_fixture, capsys) -> None:
    code, out, _ = run(capsys, "sparql", RWX)
    assert code == 0
    assert out.splitlines()[0].strip() == "p"
    assert "kr:azureFile" in out and "(1 rows)" in out


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("json", lambda out: json.loads(out)["results"]["bindings"][0]["p"]["value"].endswith("/azureFile")),
        ("csv", lambda out: out.splitlines() == ["p", "https://kubekg.dev/id/azureFile"]),
        ("tsv", lambda out: out.splitlines() == ["?p", "<https://kubekg.dev/id/azureFile>"]),
    ],
)
def test_sparql_result_formats(on_fixture, capsys, fmt: str, check) -> None:
    code, out, _ = run(capsys, "sparql", RWX, "--format", fmt)
    assert code == 0 and check(out.replace("\r", "")), out


def test_sparql_construct_as_turtle(on_fixture, capsys) -> None:
    code, out, _ = run(
        capsys,
        "sparql",
        "CONSTRUCT { ?p kg:supportsAccessMode ?m } WHERE { ?p kg:supportsAccessMode ?m }",
        "--format",
        "turtle",
    )
    assert code == 0
    triples = list(ox.parse(out.encode(), format=ox.RdfFormat.TURTLE))
    assert len(triples) == len(on_fixture.select("SELECT * WHERE { ?p kg:supportsAccessMode ?m }")) == 3


def test_sparql_from_file_with_binding_and_asserted_only(on_fixture, capsys, tmp_path: Path) -> None:
    query = tmp_path / "q.rq"
    query.write_text("SELECT ?p WHERE { ?p kg:supportsAccessMode ?mode }", encoding="utf-8")
    code, out, _ = run(capsys, "sparql", str(query), "--bind", "mode=kr:ReadWriteOnce", "--format", "csv")
    assert code == 0 and sorted(out.split()[1:]) == [
        "https://kubekg.dev/id/awsElasticBlockStore",
        "https://kubekg.dev/id/azureFile",
    ]
    code, out, _ = run(capsys, "sparql", RWX, "--asserted-only")
    assert code == 0 and "(0 rows)" in out


def test_sparql_ask(on_fixture, capsys) -> None:
    assert run(capsys, "sparql", "ASK { kr:azureFile a kg:KubernetesConcept }")[1].strip() == "true"
    assert (
        run(capsys, "sparql", "ASK { kr:azureFile a kg:KubernetesConcept }", "--asserted-only")[1].strip()
        == "false"
    )


@pytest.mark.parametrize(
    ("case", "argv", "message"),
    [
        ("bad SPARQL", ["sparql", "SELEC ?x"], "invalid SPARQL"),
        ("turtle for SELECT", ["sparql", RWX, "--format", "turtle"], "CONSTRUCT"),
        ("json for CONSTRUCT", ["sparql", "CONSTRUCT WHERE { ?s a ?o }", "--format", "json"], "SELECT"),
        ("bad binding", ["sparql", RWX, "--bind", "novalue"], "NAME=TERM"),
        ("bad explain term", ["explain", "nothing-like-this", "a", "kg:VolumePlugin"], "neither an IRI"),
        ("unknown format", ["sparql", RWX, "--format", "xml"], "invalid choice"),
        ("no command", [], "COMMAND"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    on_fixture, capsys, case: str, argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2, case
    assert message in err, err


# ------------------------------------------------------------------ describe, explain, export, check


def test_describe_by_abbreviation(on_fixture, capsys) -> None:
    code, out, _ = run(capsys, "describe", "RWX")
    assert code == 0
    assert out.startswith("kr:ReadWriteMany")
    assert "also: RWX" in out
    code, out, _ = run(capsys, "describe", "azure file", "--json")
    d = json.loads(out)
    assert d["labels"]["ko"] == "Azure 파일" and d["errata"]


def test_describe_unknown_term(on_fixture, capsys) -> None:
    code, _, err = run(capsys, "describe", "flux capacitor")
    assert code == 1 and "flux capacitor" in err


def test_explain_tree_and_json(on_fixture, capsys) -> None:
    code, out, _ = run(capsys, "explain", "kr:azureFile", "kg:hasCapability", "RWX")
    assert code == 0
    assert "inferred by rule owl-prp-spo1" in out and "inferred by rule dom-fixture-supports" in out
    assert "-|Azure File|azureFile|X|O|O|O" in out
    code, out, _ = run(capsys, "explain", "kr:awsElasticBlockStore", "kg:supportsAccessMode", "RWX", "--json")
    assert code == 1 and json.loads(out)["status"] == "absent"


def test_export(on_fixture, capsys, tmp_path: Path) -> None:
    target = tmp_path / "all.nq"
    code, _, err = run(capsys, "export", "-o", str(target))
    assert code == 0 and str(target) in err
    store = ox.Store()
    store.load(target.read_bytes(), format=ox.RdfFormat.N_QUADS)
    assert len(store) == len(on_fixture.store)
    code, out, _ = run(capsys, "export", "--format", "trig")
    quads = list(ox.parse(out.encode(), format=ox.RdfFormat.TRIG))
    assert code == 0 and len(quads) == len(on_fixture.store)
    assert any(q.graph_name.value == "https://kubekg.dev/graph/inferred" for q in quads)


@pytest.mark.slow
def test_check_reports_every_figure(on_fixture, capsys) -> None:
    code, out, _ = run(capsys, "check")
    for label in (
        "consistency:",
        "unsatisfiable:",
        "SHACL:",
        "coverage:",
        "errata:",
        "triples:",
        "load time:",
    ):
        assert label in out, label
    assert "consistent (HermiT" in out
    assert "document says: Azure File" in out
    code_json, out_json, _ = run(capsys, "check", "--json")
    report = json.loads(out_json)
    assert report["consistency"]["consistent"] and report["shacl"]["conforms"]
    coverage = report["coverage"]
    if coverage is not None:  # the fixture represents two of the document's rows: the check must fail
        assert coverage["represented"] == 2 and coverage["total"] > 100
        assert code == code_json == 1 and "result:        FAILED" in out


def test_plugins_are_optional() -> None:
    assert cli._plugin("kubekg.nosuchpackage.cli") is None
    assert cli._plugin("kubekg.graph.nosuchmodule") is None
    assert cli._plugin("kubekg.graph.load") is not None


# ------------------------------------------------------------------ the real graph


def test_real_graph_sparql_and_describe(capsys) -> None:
    kg = load_graph()
    code, out, _ = run(capsys, "sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--format", "json")
    assert code == 0
    assert int(json.loads(out)["results"]["bindings"][0]["n"]["value"]) == len(kg.store) > 1000
    for term in ("RWX", "HPA", "PV", "파드"):
        code, out, err = run(capsys, "describe", term)
        assert code == 0, f"describe {term}: {err}"
        assert out.startswith("kr:") or out.startswith("kg:"), out[:80]


@pytest.mark.slow
def test_check_passes_when_every_row_of_the_given_seed_is_represented(
    on_fixture, capsys, tmp_path: Path
) -> None:
    seed = tmp_path / "seed.md"
    seed.write_text(
        "## Storage\n\n벤더|제품명|쿠버네티스 사용명|볼륨확장|RWO|ROX|RWX\n---|---|---|---|---|---|---\n"
        "아마존 AWS|AWS EBS(Elastic Block Store)|awsElasticBlockStore|O|O|X|X\n-|Azure File|azureFile|X|O|O|O\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "check", "--seed", str(seed))
    assert "coverage:      2/2 table rows represented (100.0%)" in out
    assert code == 0 and "result:        OK" in out
    code, _, err = run(capsys, "check", "--seed", str(tmp_path / "missing.md"))
    assert code == 2 and "no such file" in err
