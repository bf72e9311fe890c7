"""Live kubekg servers for the W3C SPARQL 1.1 Protocol and Service Description suites, and the pass-count summary.

Two ``kubekg serve`` processes (gunicorn, 2 workers) per session, both with the suite's data files loaded into
the named graphs the manifest names: the default configuration, and one with updates enabled (bearer token,
fresh DATA_DIR). Every conformance test records its category; the terminal summary prints the counts whatever
the verbosity, e.g. ``conformance: query 13/13, negative 14/14, update 7/7, service-description 3/3``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kubekg.paths import shared_dir
from kubekg.sparql.testing import LiveServer

UPDATE_TOKEN = "conformance-token-0123456789"
ORDER = ("query", "negative", "update", "negative (updates on)", "service-description")
_tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # category -> [passed, total]


def suite_dir() -> Path:
    """../shared/conformance, or a skip saying why it is absent."""
    shared = shared_dir()
    if shared is None or not (shared / "conformance" / "sparql11-protocol" / "manifest.ttl").is_file():
        pytest.skip("the W3C conformance data (../shared/conformance) is not beside this checkout")
    return shared / "conformance"


def graph_data(protocol_dir: Path) -> list[tuple[str, Path]]:
    """(graph IRI, file) for every ut:graphData of the protocol manifest."""
    import rdflib

    graph = rdflib.Graph().parse(protocol_dir / "manifest.ttl", format="turtle")
    ut = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
    pairs = set()
    for node in graph.objects(None, ut.graphData):
        name = graph.value(node, rdflib.RDFS.label)
        file = graph.value(node, ut.graph)
        if name is not None and file is not None:
            pairs.add((str(name), protocol_dir / Path(str(file)).name))
    return sorted(pairs)


def _extra_data(protocol_dir: Path) -> str:
    return ",".join(f"{name}={path}" for name, path in graph_data(protocol_dir))


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LiveServer]]:
    """Both servers, started side by side: ``default`` (updates off) and ``updates`` (token, own DATA_DIR)."""
    protocol_dir = suite_dir() / "sparql11-protocol"
    root = tmp_path_factory.mktemp("conformance")
    common = {"WORKERS": 2, "THREADS": 4, "EXTRA_DATA": _extra_data(protocol_dir)}
    updates = {**common, "UPDATES": "on", "UPDATE_TOKEN": UPDATE_TOKEN, "DATA_DIR": str(root / "data")}
    started = {
        "default": LiveServer(common, log_path=root / "default.log"),
        "updates": LiveServer(updates, log_path=root / "updates.log"),
    }
    with ThreadPoolExecutor(2) as pool:
        failures = [f.exception() for f in [pool.submit(s.start) for s in started.values()]]
    try:
        if any(failures):
            pytest.fail(f"kubekg serve did not start: {[str(f) for f in failures if f]}")
        yield started
    finally:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda server: server.stop(), started.values()))


@pytest.fixture(scope="session")
def conformance_server(servers: dict[str, LiveServer]) -> LiveServer:
    """kubekg in its default configuration (updates off) with the suite's data graphs."""
    return servers["default"]


@pytest.fixture(scope="session")
def update_server(servers: dict[str, LiveServer]) -> LiveServer:
    """kubekg with SPARQL Update enabled (bearer token, its own DATA_DIR) and the suite's data graphs."""
    return servers["updates"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conformance(category): a W3C conformance test counted in the summary")


def pytest_itemcollected(item: pytest.Item) -> None:
    mark = item.get_closest_marker("conformance")
    if mark is not None:
        item.user_properties.append(("conformance", mark.args[0]))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    categories = [value for key, value in report.user_properties if key == "conformance"]
    if not categories:
        return
    if report.when == "call" or (report.when == "setup" and report.failed):
        tally = _tally[categories[0]]
        tally[1] += 1
        if report.passed:
            tally[0] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _tally:
        return
    parts = [f"{name} {_tally[name][0]}/{_tally[name][1]}" for name in ORDER if name in _tally]
    parts += [f"{name} {v[0]}/{v[1]}" for name, v in _tally.items() if name not in ORDER]
    terminalreporter.write_line("conformance: " + ", ".join(parts))
