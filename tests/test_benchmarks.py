"""The benchmark scripts run end to end in their tiny modes, so they cannot rot."""

import importlib.util
import json
import sys

import pytest

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


def test_benchmark_bfloat16_smoke_run(tmp_path):
    result = run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--tiny", f"--out={tmp_path}",
                  "--presets=fmnist_dcgan", "--no-end-to-end", "--compute-dtype=bfloat16"], timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads((tmp_path / "cpu-bfloat16-tiny.json").read_text())
    (row,) = data["rows"]
    assert data["compute_dtype"] == "bfloat16" and row["seconds_per_step"] > 0
    assert "target_speedup" not in row  # the targets are float32's
    if importlib.util.find_spec("torch"):
        assert row["torch_seconds_per_step"] > 0 and data["matmul_peak"]["dtype"] == "bfloat16"
    assert "Compute in bfloat16 on float32 parameters" in (tmp_path / "cpu-bfloat16-tiny.md").read_text()


# (script and its arguments, the label of a row it prints, the column of jaxgan's milliseconds in that row)
PROFILERS = [("conv_layers.py", "tiny image layer", 1), ("profile_parts.py wgan_gp_fmnist", "D update, no penalty", 0),
             ("conv_rules.py", "down 14x14x16", -1)]


@pytest.mark.parametrize("script, label, column", PROFILERS)
def test_profiling_script_smoke_run(script, label, column):
    # The scripts behind README's per-layer and per-part numbers; PyTorch columns only where it is installed.
    name, *args = script.split()
    result = run([sys.executable, str(ROOT / "benchmarks" / name), *args, "--tiny"], timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    row = next(line for line in result.stdout.splitlines() if line.startswith(label))
    assert float(row[len(label):].replace("|", " ").split()[column]) > 0


def test_targets_table_says_what_is_met_and_by_how_much(monkeypatch):
    # bench.py sets up JAX for timing on import; this process keeps the test settings.
    monkeypatch.setattr("jaxgan.console.setup_jax", lambda: None)
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    bench = importlib.import_module("bench")
    row = {"batch_size": 128, "n_critic": 1, "seconds_per_step": 0.03, "images_per_s": 4000.0,
           "flops_per_step": 4e9, "compile_s": 3.0, "peak_bytes": None, "torch_seconds_per_step": 0.05}
    result = {
        "machine": {"device": "cpu", "cores": 2, "jax": "0", "torch": "0"}, "command": "python benchmarks/bench.py",
        "matmul_peak": None,
        "rows": [
            {**row, "preset": "fmnist_fc", "speedup_vs_torch": 1.65, "share_of_peak": 0.63, "target_speedup": 1.6,
             "target_share_of_peak": 0.7, "share_of_peak_speedup_needs": 0.61, "torch_share_of_peak": 0.38},
            {**row, "preset": "wgan_gp_fmnist", "speedup_vs_torch": 1.28, "share_of_peak": 0.66, "target_speedup": 1.6,
             "target_share_of_peak": None, "share_of_peak_speedup_needs": 0.82, "torch_share_of_peak": 0.51},
        ],
        "end_to_end": {"preset": "digits", "steps": 6000, "train_py_images_per_s": 890.0,
                       "pure_step_images_per_s": 1000.0, "ratio": 0.89, "ratios": [0.89]},
    }
    table = bench.markdown(result)
    assert "| fmnist_fc | 1.65x | 1.6x | met | 63% | 70% | missed by 7 points | 61% | 38% |" in table
    assert "| wgan_gp_fmnist | 1.28x | 1.6x | missed by 0.32x | 66% | | | 82% | 51% |" in table
    assert "| end to end, share of the pure step | 89% | 90% | missed by 1 point |" in table
    # Gaps below the printed precision are not shown as zero.
    assert bench._verdict(1.5959, 1.6, "x") == "missed by 0.004x"
    assert bench._verdict(0.698, 0.7, "%") == "missed by 0.2 points"
