"""A wheel built from the repo, installed into a fresh venv outside the repo, answers ``kubekg sparql``.

The new venv gets the dependencies without network through a ``.pth`` file pointing at this venv's site-packages
(plain path lines in a .pth are not themselves scanned for .pth files, so this repo's editable install does not
leak in), and the wheel is installed with this venv's pip (``pip --python``), without an index.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RWX_QUERY = (
    "SELECT ?label WHERE { ?plugin kg:supportsAccessMode kr:ReadWriteMany ; rdfs:label ?label "
    'FILTER (lang(?label) = "en") } ORDER BY ?label'
)
EXPECTED_RWX = ["Azure File", "CephFS", "GlusterFS", "NFS", "Portworx Volume"]


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_answers_sparql(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip"]
    # hatchling already in this venv builds offline; otherwise pip fetches it from the registry (isolated build)
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-build-isolation"]
    subprocess.run(
        [*pip, "wheel", "-q", "--no-deps", *isolation, "-w", str(wheels), str(REPO)], check=True, timeout=300
    )
    (wheel,) = wheels.glob("kubekg-*.whl")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    subprocess.run(
        [*pip, "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=120,
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(purelib) / "kubekg-test-deps.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )

    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBEKG_") and k != "PYTHONPATH"}
    env["KUBEKG_CACHE_DIR"] = str(tmp_path / "cache")

    where = subprocess.run(
        [
            str(python),
            "-c",
            "import kubekg, kubekg.paths; print(kubekg.__file__); print(kubekg.paths.ontology_dir())",
        ],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    assert Path(where[0]).is_relative_to(venv), f"kubekg was imported from {where[0]}"
    assert Path(where[1]) == Path(where[0]).parent / "_data" / "ontology" and Path(where[1]).is_dir()

    done = subprocess.run(
        [
            str(venv / "bin" / "kubekg"),
            "sparql",
            "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
            "--format",
            "csv",
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[1]) > 1000, "the installed wheel serves the full graph"

    done = subprocess.run(
        [str(venv / "bin" / "kubekg"), "sparql", RWX_QUERY, "--format", "csv"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    answers = [line.strip() for line in done.stdout.splitlines()[1:] if line.strip()]
    assert answers == EXPECTED_RWX, (
        "the RWX answer comes from the vendor-table rule inside the installed wheel"
    )
