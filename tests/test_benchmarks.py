"""The benchmark script runs end to end in its tiny mode, so it cannot rot."""

import importlib.util
import json
import sys

from clirun import ROOT, run


def test_benchmark_smoke_run(tmp_path):
    result = run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--tiny", f"--out={tmp_path}",
                  "--presets=wgan_gp_fmnist"], timeout=400)
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads((tmp_path / "cpu-tiny.json").read_text())
    (row,) = data["rows"]
    assert row["preset"] == "wgan_gp_fmnist" and row["n_critic"] == 5
    assert row["seconds_per_step"] > 0 and row["flops_per_step"] > 0 and row["compile_s"] > 0
    if importlib.util.find_spec("torch"):
        assert row["torch_seconds_per_step"] > 0 and 0 < row["share_of_peak"] < 1
    assert data["end_to_end"]["train_py_images_per_s"] > 0
    table = (tmp_path / "cpu-tiny.md").read_text()
    assert "| wgan_gp_fmnist | 4 | 5 |" in table and "End to end" in table
