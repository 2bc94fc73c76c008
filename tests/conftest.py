"""Shared fixtures: tiny configs, so that compiling stays cheap on a CPU."""

import os
import time

# XLA's LLVM optimisations cost more compile time than these tiny runs save
# (test_configs: 83 s -> 55 s). Subprocesses inherit it, so runs compared
# bitwise share it.
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0")

import jax
import numpy as np
import pytest

# Threefry's partitionable form compiles ~14x slower on XLA:CPU; the CLI sets the same.
jax.config.update("jax_threefry_partitionable", False)

from jaxgan.configs import base


def tiny_config(kind: str = "dcgan", **overrides):
    """An 8x8 GAN small enough to compile in seconds; BatchNorm on both sides for dcgan."""
    c = base.get_config()
    c.name = "tiny"
    c.image_shape = (8, 8, 1)
    c.latent_dim = 8
    if kind == "dcgan":
        c.generator = base.generator(kind="dcgan", width=4, norm="batch")
        c.discriminator = base.discriminator(kind="dcgan", width=4, norm="batch")
    else:
        c.generator = base.generator(features=(16,), norm="batch")
        c.discriminator = base.discriminator(features=(16,), dropout=(0.3,))
    c.batch_size = 8
    for k, v in overrides.items():
        c[k] = v
    return c


@pytest.fixture(scope="session")
def key():
    return jax.random.PRNGKey(0)


# A 300-step digits run with a checkpoint every 25 steps: long enough to be interrupted.
LONG = ["--config.steps=300", "--config.log_every=5", "--config.checkpoint_every=25", "--config.sample_every=0"]


@pytest.fixture(scope="session")
def reference(tmp_path_factory):
    """The final state of an uninterrupted LONG run."""
    from clirun import restore, train

    workdir = tmp_path_factory.mktemp("reference")
    train(workdir, *LONG)
    return restore(workdir)


def assert_same_state(a, b):
    assert int(a.step) == int(b.step)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        np.testing.assert_array_equal(x, y)


def wait_for_step(proc, workdir, step, timeout=120):
    """Waits until the run in ``workdir`` logged ``step``; False if the process ended first."""
    from clirun import logged_steps

    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            return False
        if any(s >= step for s in logged_steps(workdir)):
            return True
        time.sleep(0.005)
    raise TimeoutError(f"no step {step} within {timeout}s")
