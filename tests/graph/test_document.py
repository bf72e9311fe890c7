"""The seed markdown parser: sections, pipe tables, the wrapped Job row, boilerplate left out."""

from __future__ import annotations

import pytest

from kubekg.graph.document import parse_document, parse_markdown, seed_path

SEED = seed_path()
needs_seed = pytest.mark.skipif(
    SEED is None, reason="../shared/seed is absent (a user's clone without shared material)"
)


@pytest.fixture(scope="module")
def doc():
    return parse_document(SEED)


@needs_seed
def test_tables_and_rows(doc) -> None:
    headers = [t.header for t in doc.tables]
    assert len(doc.tables) == 32
    assert headers.count("구분|설명") >= 10
    vendor = next(t for t in doc.tables if t.header.startswith("벤더|"))
    assert len(vendor.rows) == 14
    assert all(len(r.cells) == 7 for r in vendor.rows)
    assert vendor.rows[-1].text == "-|iSCSI|fc|X|O|O|X"
    assert vendor.heading_path == "Kubernetes 개요 > Storage > Volume 구분"
    assert vendor.order == 2
    assert sum(len(t.rows) for t in doc.tables) == len(doc.rows)


@needs_seed
def test_wrapped_job_row_is_one_row(doc) -> None:
    job = next(t for t in doc.tables if t.rows and t.rows[0].text.startswith("Job|"))
    (row,) = job.rows
    assert "계속해서" in row.text and "파드의 실행을 재시도" in row.text
    assert "데이터베이스 마이그레이션" in row.text


@needs_seed
def test_sections_have_heading_paths(doc) -> None:
    paths = [s.heading_path for s in doc.sections]
    assert paths[0] == "Kubernetes 개요"
    assert "Kubernetes 개요 > Storage > Volume 구분" in paths
    assert "Kubernetes 개요 > k8s Cluster 구조 > Kubernetes Cluster 컴포넌트 구성 > 마스터노드" in paths
    assert all("**" not in p for p in paths)
    overview = next(t for t in doc.tables if t.header.startswith("Component name"))
    assert overview.heading_path.endswith("Kubernetes Cluster 컴포넌트 Overview")


@needs_seed
def test_boilerplate_is_skipped(doc) -> None:
    text = " ".join([s.heading_path for s in doc.sections] + [r.text for _, r in doc.rows])
    for junk in ("for Test", "lvert", "#include", "stdio", "execCommand", "querySelectorAll", "haeyeon"):
        assert junk not in text


@pytest.mark.parametrize(
    ("case", "markdown", "rows"),
    [
        ("simple", "## A\n\nx|y\n---|---\n1|2\n3|4\n", ["1|2", "3|4"]),
        ("indented in a bullet", "- B\n\n    h|i\n    ---|---\n    a|b\n\nafter\n", ["a|b"]),
        ("wrapped row", "a|b\n---|---\nk|long\ncontinued\nm|n\n", ["k|long\ncontinued", "m|n"]),
        ("code fence ignored", "~~~\nx|y\n---|---\n1|2\n~~~\n", []),
        ("ends at a blank line", "a|b\n---|---\n1|2\n\n3|4\n", ["1|2"]),
    ],
)
def test_parse_markdown_cases(case: str, markdown: str, rows: list[str]) -> None:
    assert [r.text for _, r in parse_markdown(markdown).rows] == rows, case
