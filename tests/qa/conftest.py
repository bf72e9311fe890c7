"""Fixtures of the question-answering tests: the reasoned graph and its answerer, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubekg import paths

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def kg():
    from kubekg.graph import load_graph

    return load_graph()


@pytest.fixture(scope="session")
def answerer(kg):
    from kubekg.qa.engine import get_answerer

    return get_answerer(kg)


@pytest.fixture(scope="session")
def public_questions() -> Path:
    shared = paths.shared_dir()
    path = shared / "eval" / "competency_questions.yaml" if shared else None
    if path is None or not path.is_file():
        pytest.skip("../shared/eval/competency_questions.yaml is not beside this checkout (a user's clone)")
    return path


@pytest.fixture(scope="session")
def paraphrases() -> Path:
    return HERE / "paraphrases.yaml"
