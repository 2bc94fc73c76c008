"""pmap/shard_map against one device, device-count changes and two real processes.

Each case runs in subprocesses: forced host devices must be set before JAX
starts, and jax.distributed needs one process per host.
"""

import re
import socket
import subprocess
import sys

import numpy as np
import pytest
from clirun import ENV, FOUR_DEVICES, ROOT, run, train

WORKER = str(ROOT / "tests" / "parallel_worker.py")


@pytest.mark.parametrize("preset", ["keras_gan_mnist", "digits_cgan"])
def test_four_device_step_equals_one_device_step(preset):
    # keras_gan_mnist: BatchNorm in G (synchronised over devices), no dropout; digits_cgan: labels
    # split with the images, G's labels drawn per global example. Global batch 32.
    result = run([sys.executable, WORKER, "compare", preset, "32"], env=FOUR_DEVICES)
    assert result.returncode == 0, result.stderr[-3000:]
    found = dict(re.findall(r"(pmap|shard_map) devices=4 max_rel_diff=\S+ norm_rel_diff=(\S+)", result.stdout))
    assert set(found) == {"pmap", "shard_map"}, result.stdout
    for mode, diff in found.items():
        # Relative L2 distance over every parameter and statistic after one step.
        assert float(diff) < 1e-5, (mode, diff)


def test_checkpoint_from_four_devices_resumes_on_one(tmp_path):
    flags = ["--config.log_every=10", "--config.checkpoint_every=10", "--config.sample_every=0"]
    first = train(tmp_path, "--config.steps=20", *flags, env=FOUR_DEVICES)
    assert "devices: 4 (4 per process, 1 processes), batch 16 per device" in first.stderr
    second = train(tmp_path, "--config.steps=30", *flags)
    assert "resumed from step 20 (written on 4 devices)" in second.stderr
    assert "devices: 1" in second.stderr and "step 30/30" in second.stderr


def test_batch_that_does_not_divide_is_one_clear_line(tmp_path):
    result = run([sys.executable, str(ROOT / "train.py"), f"--workdir={tmp_path}", "--config.batch_size=30"],
                 env=FOUR_DEVICES)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "jaxgan: error: batch_size 30 does not divide evenly over 4 devices; "
        "use a multiple of 4 or set --config.num_devices"
    )


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_train_like_one(tmp_path):
    port = free_port()
    procs = [
        subprocess.Popen([sys.executable, WORKER, "multihost", str(i), "2", str(port), str(tmp_path / "two"),
                          str(tmp_path / f"p{i}.npy"), "4"], env=ENV, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for i in (0, 1)
    ]
    outputs = [p.communicate(timeout=240) for p in procs]
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, err[-3000:]
        assert "devices 2 processes 2" in out
    single = run([sys.executable, WORKER, "multihost", "0", "1", "0", str(tmp_path / "one"),
                  str(tmp_path / "ref.npy"), "4"])
    assert single.returncode == 0, single.stderr[-3000:]
    p0, p1, ref = (np.load(tmp_path / f"{n}.npy") for n in ("p0", "p1", "ref"))
    np.testing.assert_array_equal(p0, p1)
    assert np.linalg.norm(p0 - ref) / np.linalg.norm(ref) < 1e-5
    # Only process 0 logs; Orbax wrote one checkpoint at the last step.
    assert (tmp_path / "two" / "run" / "metrics.jsonl").read_text().count("\n") == 4
    assert sorted(p.name for p in (tmp_path / "two" / "run" / "checkpoints").iterdir()) == ["4"]
