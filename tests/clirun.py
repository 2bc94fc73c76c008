"""Helpers to run the command line in subprocesses, as a user would."""

import os
import subprocess
import sys
from pathlib import Path

import jax

import jaxgan
from jaxgan.checkpoint import Checkpointer, config_from_meta

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


FOUR_DEVICES = {**ENV, "XLA_FLAGS": "--xla_force_host_platform_device_count=4"}


def train_cmd(workdir, *flags):
    # Evaluation (tested on its own in test_cli) is off unless a test asks for it: it would add
    # seconds to every run that reaches its last step.
    if not any(f.startswith("--config.eval_every") for f in flags):
        flags = (*flags, "--config.eval_every=0")
    return [sys.executable, str(ROOT / "train.py"), f"--workdir={workdir}", *flags]


def run(cmd, timeout=300, env=ENV):
    if cmd[0] == "-m":
        cmd = [sys.executable, *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


def train(workdir, *flags, timeout=300, env=ENV):
    result = run(train_cmd(workdir, *flags), timeout, env)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def start_train(workdir, *flags):
    return subprocess.Popen(
        train_cmd(workdir, *flags), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV, cwd=ROOT
    )


def restore(workdir, step=None):
    """The GANState of a workdir's checkpoint, as host arrays."""
    ckpt = Checkpointer(os.path.join(workdir, "checkpoints"))
    try:
        gan = jaxgan.build(config_from_meta(ckpt.meta(step)))
        state, _ = ckpt.restore(jax.eval_shape(gan.init, jax.random.PRNGKey(0)), step)
    finally:
        ckpt.close()
    return state


def logged_steps(workdir):
    path = Path(workdir) / "metrics.jsonl"
    if not path.exists():
        return []
    import json

    steps = []
    for line in path.read_text().splitlines():
        try:
            steps.append(json.loads(line)["step"])
        except (ValueError, KeyError):
            pass  # a line being written
    return steps
