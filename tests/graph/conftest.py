"""Fixtures for the graph tests: a small fixture ontology, a queries dir with the real OWL rules, fresh caches."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kubekg import paths
from kubekg.graph import build_graph, load_graph

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def fixture_queries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A queries/ dir holding the real owl-* rules plus the fixture domain rule(s)."""
    root = tmp_path_factory.mktemp("queries")
    (root / "rules").mkdir()
    for rule in sorted((paths.queries_dir() / "rules").glob("owl-*.rq")):
        shutil.copy(rule, root / "rules" / rule.name)
    for rule in sorted((FIXTURES / "rules").glob("*.rq")):
        shutil.copy(rule, root / "rules" / rule.name)
    return root


@pytest.fixture
def fixture_ontology(tmp_path: Path) -> Path:
    """A private copy of the fixture ontology (tests may edit it)."""
    target = tmp_path / "ontology"
    shutil.copytree(FIXTURES / "ontology", target)
    return target


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache dir shared by the session (compiled rules are reused across tests)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def fixture_kg(fixture_queries: Path, session_cache: Path):
    """The fixture ontology loaded and reasoned."""
    return build_graph(FIXTURES / "ontology", fixture_queries, session_cache)


@pytest.fixture(scope="session")
def real_kg():
    """The real ontology under ontology/, reasoned with every rule in queries/rules/ (the process-wide graph, with
    the default cache, so HermiT's verdict and the owlrl comparison are computed once per ontology version)."""
    return load_graph()
