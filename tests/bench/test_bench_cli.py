"""``kubekg bench --short`` end to end: every section in the JSON, Oxigraph server measured; numbers not asserted."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from kubekg.bench import servers

SECTIONS = (
    "machine",
    "workload",
    "sparql",
    "ask",
    "answersAgree",
    "inProcess",
    "startup",
    "memory",
    "scaling",
    "simulation",
    "targets",
)


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    if servers.oxigraph_binary() is None:
        pytest.skip(
            "the oxigraph server CLI is not installed (it comes with the test extra: pip install -e '.[test]')"
        )
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubekg.cli",
            "bench",
            "--short",
            "--quiet",
            "--concurrency",
            "4",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8")), done.stdout


def test_json_has_every_section(short_run):
    result, _ = short_run
    missing = [s for s in SECTIONS if s not in result]
    assert not missing, f"sections missing from the JSON: {missing}"


def test_kubekg_and_oxigraph_were_driven_in_both_modes(short_run):
    result, _ = short_run
    for mode in ("repeated", "unique"):
        level = result["sparql"]["modes"][mode]["4"]
        for server in ("kubekg", "oxigraph"):
            figures = level[server]
            assert figures["requests"] > 0 and figures["rps"] > 0, (mode, server, figures)
            assert figures["errors"] == 0, (mode, server, figures)
        assert "rpsRatioToKubekg" in level["oxigraph"]
    assert result["answersAgree"]["oxigraph"]["agree"], result["answersAgree"]["oxigraph"]
    rdflib = result["sparql"]["servers"]["rdflib-endpoint"]
    assert "readySeconds" in rdflib or "skipped" in rdflib  # a missing peer is skipped with its reason
    if "skipped" in rdflib:
        assert any(note.startswith("rdflib-endpoint skipped") for note in result["notes"])


def test_ask_startup_memory_scaling_and_simulation_have_figures(short_run):
    result, _ = short_run
    assert result["ask"]["4"]["requests"] > 0 and result["ask"]["4"]["errors"] == 0
    questions = result["inProcess"]["questions"]
    assert questions["overall"]["samples"] > 0 and questions["understood"] > 0
    assert set(result["inProcess"]["catalogue"]["items"]) == {
        q["name"] for q in result["workload"]["queries"]
    }
    assert result["startup"]["coldStartMedianSeconds"] > 0
    assert result["startup"]["graph"]["cached"]["triples"] == result["graph"]["triples"]
    assert result["memory"]["workers"] >= 1 and result["memory"]["maxWorkerRssMB"] > 0
    sizes = [row["triples"] for row in result["scaling"]["sizes"]]
    assert sizes == sorted(sizes) and sizes[-1] > 10 * sizes[0] // 2
    assert result["simulation"]["hpaTimeline"]["syncs"] > 0 and result["simulation"]["pvBinding"]["bound"] > 0
    names = {t["target"] for t in result["targets"]}
    assert {
        "sparql-repeated-vs-oxigraph",
        "ask-throughput",
        "cold-start",
        "worker-memory",
        "scaling",
    } <= names


def test_table_is_printed(short_run):
    _, table = short_run
    assert "/sparql: catalogue mix" in table and "targets (issue 7)" in table and "oxigraph" in table


def test_kubekg_under_granian_is_a_column_of_its_own_when_installed(short_run):
    result, table = short_run
    granian = result["sparql"]["servers"]["kubekg-granian"]
    if "skipped" in granian:
        assert importlib.util.find_spec("granian") is None, granian["skipped"]
        pytest.skip(f"granian is not installed: {granian['skipped']}")
    for mode in ("repeated", "unique"):
        figures = result["sparql"]["modes"][mode]["4"]["kubekg-granian"]
        assert figures["requests"] > 0 and figures["errors"] == 0, (mode, figures)
    assert result["answersAgree"]["kubekg-granian"]["agree"], result["answersAgree"]["kubekg-granian"]
    assert result["askGranian"]["4"]["requests"] > 0 and result["askGranian"]["4"]["errors"] == 0
    assert result["memory"]["granian"]["workers"] >= 1
    names = {t["target"] for t in result["targets"]}
    assert {"sparql-repeated-vs-oxigraph [granian]", "ask-throughput [granian]"} <= names
    assert "kubekg-granian" in table
