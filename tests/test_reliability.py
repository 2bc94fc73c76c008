"""The fault matrix: crashes, preemption, full disks, divergence, damaged checkpoints, bad input.

Each row runs the real command line (or the trainer with one fault injected)
in subprocesses.
"""

import random
import shutil
import sys

import numpy as np
import pytest
from clirun import ROOT, logged_steps, restore, run, start_train, train, train_cmd
from conftest import LONG, assert_same_state, wait_for_step

FAULT_WORKER = str(ROOT / "tests" / "fault_worker.py")


def one_error_line(result, expected: str):
    """The run failed with exactly one 'jaxgan: error:' line containing ``expected``, and no traceback."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("jaxgan: error:")]
    assert len(errors) == 1 and expected in errors[0], result.stderr[-3000:]
    return errors[0]


# 1. SIGKILL at five random moments, each resumed; the end equals an uninterrupted run.
def test_five_sigkills_then_resume_equal_uninterrupted(reference, tmp_path):
    rng = random.Random()
    # Increasing targets more than one checkpoint period apart, so a stale log line never triggers a kill.
    targets = [10 + 55 * i + rng.randrange(15) for i in range(5)]
    for target in targets:
        proc = start_train(tmp_path, *LONG)
        wait_for_step(proc, tmp_path, target)
        proc.kill()
        proc.wait()
    train(tmp_path, *LONG)
    assert_same_state(restore(tmp_path), reference)


# 2. SIGKILL while an async checkpoint is being written.
def test_sigkill_during_async_save_keeps_the_previous_checkpoint(reference, tmp_path):
    crashed = run([sys.executable, FAULT_WORKER, "kill_during_save", str(tmp_path), "50"])
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    finished = sorted(int(p.name) for p in (tmp_path / "checkpoints").iterdir() if p.name.isdigit())
    assert finished == [25]
    assert int(restore(tmp_path).step) == 25
    resumed = train(tmp_path, *LONG)
    assert "resumed from step 25" in resumed.stderr
    assert_same_state(restore(tmp_path), reference)


# 4. An unwritable workdir fails before training; a full disk fails at the save and keeps the last good one.
def test_unwritable_workdir(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    result = run(train_cmd(blocker / "run"))
    one_error_line(result, f"cannot write to workdir {blocker / 'run'}")
    assert "step 1/" not in result.stderr


def test_full_disk_at_a_save(tmp_path):
    result = run([sys.executable, FAULT_WORKER, "disk_full", str(tmp_path), "50"])
    line = one_error_line(result, "saving the checkpoint of step 50 failed")
    assert "No space left on device" in line and "last good checkpoint is step 25" in line
    assert int(restore(tmp_path).step) == 25


# 5. Divergence stops training and never writes a NaN checkpoint.
def test_divergence_stops_with_the_step_and_last_good_checkpoint(tmp_path):
    result = run(train_cmd(tmp_path, "--config.steps=200", "--config.log_every=10", "--config.checkpoint_every=10",
                           "--config.d_optimizer.learning_rate=1e12", "--config.g_optimizer.learning_rate=1e12"))
    line = one_error_line(result, "training diverged")
    assert "became NaN or Inf by step" in line and "Lower the learning rates" in line
    for step_dir in (tmp_path / "checkpoints").iterdir():
        state = restore(tmp_path, int(step_dir.name))
        assert all(np.all(np.isfinite(x)) for x in (state.g_params, state.d_params) for x in _leaves(x))


def _leaves(tree):
    import jax

    return jax.tree.leaves(tree)


# 6. A damaged checkpoint is named, and moving it away resumes from the previous one.
def test_truncated_checkpoint(tmp_path):
    flags = ["--config.log_every=25", "--config.checkpoint_every=25", "--config.sample_every=0"]
    train(tmp_path, "--config.steps=50", *flags)
    for f in (tmp_path / "checkpoints" / "50" / "train").rglob("*"):
        if f.is_file() and "d" in f.parent.name:  # the OCDBT data files
            f.write_bytes(f.read_bytes()[: len(f.read_bytes()) // 2])
    broken = run(train_cmd(tmp_path, "--config.steps=75", *flags))
    line = one_error_line(broken, f"checkpoint {tmp_path / 'checkpoints'}/50 cannot be read")
    assert "move that step's folder away to resume from the previous one" in line
    shutil.move(tmp_path / "checkpoints" / "50", tmp_path / "broken_50")
    resumed = train(tmp_path, "--config.steps=75", *flags)
    assert "resumed from step 25" in resumed.stderr


# 7. Resuming with another model size names the parameter.
def test_incompatible_config_names_the_parameter(tmp_path):
    train(tmp_path, "--config.steps=5", "--config.log_every=5")
    result = run(train_cmd(tmp_path, "--config.steps=10", "--config.generator.features=(128,256)"))
    line = one_error_line(result, "does not fit this model")
    assert "Dense_0" in line and "generator.features" in line


# 8. Bad command lines: one line naming the problem and the fix, a non-zero exit, no traceback.
BAD = [
    (["--config=nope"], "unknown preset 'nope'"),
    (["--config.nope=1"], "nope"),
    (["--config.steps=many"], "steps"),
    (["--config.batch_size=0"], "batch_size must be positive"),
    (["--config=fmnist_dcgan", "--config.dataset=digits", "--config.image_shape=(30,30,1)"], "cannot make 30x30 images"),
    (["--config.dataset=nope"], "unknown dataset 'nope'"),
    (["--config.dataset=mnist", "--config.data_dir={tmp}/tfds"], "manual_dir"),
    (["--config.dataset=folder:{tmp}"], "no PNG or JPEG images under"),
    (["--config.dataset=folder:{tmp}/missing"], "does not exist"),
    (["--config=digits_cgan", "--config.num_classes=5"], "labels in [0, num_classes=5), and 'digits' has labels up to 9"),
]


@pytest.mark.parametrize("flags,expected", BAD, ids=[b[1][:24] for b in BAD])
def test_bad_command_line(tmp_path, flags, expected):
    flags = [f.format(tmp=tmp_path) for f in flags]
    one_error_line(run(train_cmd(tmp_path / "run", *flags), timeout=60), expected)


def test_corrupt_image_in_folder(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "bad.jpg").write_bytes(b"\xff\xd8 truncated")
    one_error_line(run(train_cmd(tmp_path / "run", f"--config.dataset=folder:{tmp_path / 'images'}")), "bad.jpg")


# 9. A second trainer on the same workdir refuses.
def test_second_trainer_on_a_workdir_refuses(tmp_path):
    first = start_train(tmp_path, "--config.steps=1000000", "--config.log_every=5", "--config.sample_every=0")
    try:
        assert wait_for_step(first, tmp_path, 5)
        second = run(train_cmd(tmp_path, "--config.steps=10"))
        one_error_line(second, f"workdir {tmp_path} is in use by a running trainer (pid {first.pid})")
    finally:
        first.kill()
        first.wait()
    assert logged_steps(tmp_path)[-1] >= 5
