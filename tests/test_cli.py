"""train.py and jaxgan.sample end to end, in subprocesses as a user runs them."""

import json
import shutil
import signal
import sys

import numpy as np
import pytest
from clirun import logged_steps, restore, run, start_train, train
from conftest import wait_for_step
from PIL import Image

# The default preset, short: 40 steps, logs every 10, samples and checkpoints every 20.
SHORT = ["--config.steps=40", "--config.log_every=10", "--config.sample_every=20",
         "--config.checkpoint_every=20", "--config.num_samples=16"]
METRIC_KEYS = {"step", "d_loss", "g_loss", "d_real", "d_fake", "d_accuracy", "penalty",
               "d_grad_norm", "g_grad_norm", "images_per_sec", "steps_per_sec", "data_wait_share"}


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("run") / "digits"
    result = train(workdir, *SHORT)
    return workdir, result


def test_outputs(short_run):
    workdir, result = short_run
    entries = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
    assert [e["step"] for e in entries] == [10, 20, 30, 40]
    for e in entries:
        assert set(e) >= METRIC_KEYS and all(np.isfinite(v) for v in e.values())
    assert sorted(p.name for p in (workdir / "samples").iterdir()) == ["loss.png", "step_0000020.png", "step_0000040.png"]
    assert Image.open(workdir / "samples" / "step_0000040.png").size[0] >= 256
    config = json.loads((workdir / "config.json").read_text())
    assert config["name"] == "digits" and config["steps"] == 40
    assert sorted(int(p.name) for p in (workdir / "checkpoints").iterdir()) == [20, 40]
    assert "devices: 1" in result.stderr and "step 40/40" in result.stderr  # plain log lines off a terminal
    assert "per device, single, float32 compute" in result.stderr
    assert "atomicity.py" not in result.stderr  # library INFO noise is filtered


def test_same_command_resumes(short_run, tmp_path):
    workdir, _ = short_run
    copy = tmp_path / "resumed"
    shutil.copytree(workdir, copy)
    result = train(copy, *SHORT[1:], "--config.steps=60")
    assert "resumed from step 40" in result.stderr
    assert logged_steps(copy) == [10, 20, 30, 40, 50, 60]
    assert int(restore(copy).step) == 60


@pytest.mark.parametrize("suffix", [".png", ".npz"])
def test_sample_restores_the_generator_alone(short_run, tmp_path, suffix):
    workdir, _ = short_run
    g_only = tmp_path / "g_only"
    shutil.copytree(workdir, g_only)
    for step_dir in (g_only / "checkpoints").iterdir():
        shutil.rmtree(step_dir / "train")  # no D, no optimizer state
    out = tmp_path / f"s{suffix}"
    result = run(["-m", "jaxgan.sample", f"--workdir={g_only}", "--num=12", "--seed=3", f"--out={out}"])
    assert result.returncode == 0, result.stderr[-2000:]
    if suffix == ".npz":
        x = np.load(out)["images"]
        assert x.shape == (12, 8, 8, 1) and x.dtype == np.uint8 and x.std() > 10
    else:
        assert Image.open(out).size[0] >= 256


def test_sample_without_checkpoint_is_one_line(tmp_path):
    result = run(["-m", "jaxgan.sample", f"--workdir={tmp_path}", "--out=x.png"])
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [f"jaxgan: error: no checkpoints in {tmp_path}; train there first or give the right --workdir"]


def test_sigterm_writes_a_checkpoint_of_the_current_step(tmp_path):
    proc = start_train(tmp_path, "--config.steps=1000000", "--config.log_every=5", "--config.checkpoint_every=0",
                       "--config.sample_every=0")
    assert wait_for_step(proc, tmp_path, 50)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, stderr[-2000:]
    stopped = int(restore(tmp_path).step)
    assert stopped >= 50 and f"SIGTERM at step {stopped}" in stderr
    train(tmp_path, f"--config.steps={stopped + 10}", "--config.log_every=5", "--config.checkpoint_every=0")
    assert int(restore(tmp_path).step) == stopped + 10


def test_help_lists_the_flags():
    result = run([sys.executable, "train.py", "--help"])
    assert result.returncode == 0
    for flag in ("--config:", "--workdir:", "--distributed", "--coordinator_address", "--process_id"):
        assert flag in result.stdout


def test_evaluate_reports_metrics_and_the_real_baseline(short_run):
    workdir, _ = short_run
    result = run(["-m", "jaxgan.evaluate", f"--workdir={workdir}", "--num=200"])
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["step"] == 40 and report["classifier_test_accuracy"] >= 0.97
    for part in ("samples_vs_test", "train_vs_test"):
        assert set(report[part]) >= {"fd", "kid", "precision", "recall", "classifier_score", "coverage_covered"}
    # 40 steps of training are far from the real data's floor.
    assert report["samples_vs_test"]["fd"] > report["train_vs_test"]["fd"]
    assert report["train_vs_test"]["coverage_covered"] == 10 and report["samples_vs_test"]["num_fake"] == 200


def test_conditional_run_evaluates_and_keeps_the_best_checkpoint(tmp_path):
    workdir = tmp_path / "cgan"
    train(workdir, "--config=digits_cgan", "--config.steps=60", "--config.log_every=30", "--config.eval_every=20",
          "--config.eval_samples=200", "--config.sample_every=60", "--config.checkpoint_every=60",
          "--config.num_samples=20")
    evals = [e for e in map(json.loads, (workdir / "metrics.jsonl").read_text().splitlines()) if "eval_fd" in e]
    assert [e["step"] for e in evals] == [20, 40, 60]
    for e in evals:
        assert e["eval_num_fake"] == 200 and 0 <= e["eval_conditional_accuracy"] <= 1
        assert e["eval_fd"] > e["eval_fd_floor"] > 0 and 0 <= e["eval_coverage_covered"] <= 10
    # <workdir>/best holds the one evaluated step with the lowest FD; checkpoints/ the latest.
    best_step = min(evals, key=lambda e: e["eval_fd"])["step"]
    assert [p.name for p in (workdir / "best").iterdir()] == [str(best_step)]
    assert [p.name for p in (workdir / "checkpoints").iterdir()] == ["60"]
    # A row per class: 20 samples of 10 classes are 2 columns, 10 rows.
    width, height = Image.open(workdir / "samples" / "step_0000060.png").size
    assert height > 4 * width
    out = tmp_path / "s.npz"
    result = run(["-m", "jaxgan.sample", f"--workdir={workdir}", "--best", "--num=30", f"--out={out}"])
    assert result.returncode == 0, result.stderr[-2000:]
    np.testing.assert_array_equal(np.load(out)["labels"], np.arange(30) // 3)
    result = run(["-m", "jaxgan.evaluate", f"--workdir={workdir}", "--best", "--num=200"])
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["step"] == best_step
    assert report["samples_vs_test"]["fd"] == pytest.approx(min(e["eval_fd"] for e in evals), rel=1e-6)


def test_sample_best_without_evaluation_is_one_line(short_run):
    workdir, _ = short_run
    result = run(["-m", "jaxgan.sample", f"--workdir={workdir}", "--best", "--out=x.png"])
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"jaxgan: error: no best checkpoint in {workdir}: the run did not evaluate (--config.eval_every); "
        "drop --best to use the latest"
    ]
