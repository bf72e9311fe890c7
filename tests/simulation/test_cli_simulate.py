"""``kubekg simulate ...`` through the CLI entry point."""

from __future__ import annotations

import json

import yaml

from kubekg.cli import main
from kubekg.simulation import examples


def test_simulate_hpa_timeline_and_pv_scenario(tmp_path, capsys):
    hpa_file = tmp_path / "hpa.yaml"
    hpa_file.write_text(examples.preset_yaml("hpa", "document-example"), encoding="utf-8")
    assert main(["simulate", "hpa", str(hpa_file), "--static-facts"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [c["to"] for c in out["summary"]["changes"]] == [4, 6, 3, 2]
    pv_file = tmp_path / "pv.json"
    pv_file.write_text(json.dumps(examples.pv_lifecycle_body()), encoding="utf-8")
    assert main(["simulate", "pv", str(pv_file), "--static-facts", "--format", "yaml"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["final"]["volumes"]["pv-retain"]["phase"] == "Released"


def test_simulate_bad_input_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "hpa: {kind: HorizontalPodAutoscaler, spec: {minReplicas: 5, maxReplicas: 2}}\nscale: {spec: {replicas: 1}}\nnow: 2024-01-01T00:00:00Z\n"
    )
    assert main(["simulate", "hpa", str(bad), "--static-facts"]) == 2
    err = json.loads(capsys.readouterr().err)
    assert err["error"]["code"] == "invalid_object"
    assert main(["simulate", "job", str(tmp_path / "missing.yaml"), "--static-facts"]) == 2
