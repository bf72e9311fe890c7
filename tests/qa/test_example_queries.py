"""The example queries shown on the SPARQL page: a title line, valid SPARQL, and a non-empty answer each."""

from __future__ import annotations

import pytest

from kubekg import paths

EXAMPLES = sorted((paths.queries_dir() / "examples").glob("*.rq"))


def test_there_are_examples():
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_query(kg, path):
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith("# title: ") and len(first) > 12
    rows = kg.select(text)
    assert rows, f"{path.name} returns nothing"


def test_rwx_example_matches_the_issue(kg):
    rows = kg.select((paths.queries_dir() / "examples" / "01-rwx-storage.rq").read_text(encoding="utf-8"))
    assert {r["label"].value for r in rows} == {"Azure File", "GlusterFS", "Portworx Volume", "CephFS", "NFS"}
