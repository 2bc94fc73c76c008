"""Samples from a trained generator, restoring G alone (no D, no optimizer state).

    python -m jaxgan.sample --workdir=runs/digits --num=64 --seed=0 --out=samples.png
    python -m jaxgan.sample --workdir=runs/digits --num=1000 --out=samples.npz   # key 'images', uint8 NHWC
"""

from __future__ import annotations

import os

import jax
import numpy as np
from absl import app, flags

import jaxgan
from jaxgan import images
from jaxgan.checkpoint import CheckpointError, Checkpointer, config_from_meta
from jaxgan.console import fail, quiet_libraries, setup_jax

setup_jax()

FLAGS = flags.FLAGS


def define_flags() -> None:
    """The command's flags; defined on run only, so that importing sample() defines none."""
    flags.DEFINE_string("workdir", None, "The training run's workdir.")
    flags.DEFINE_integer("num", 64, "Number of samples.")
    flags.DEFINE_integer("seed", 0, "Seed of the latents.")
    flags.DEFINE_string("out", "samples.png", "Output: a .png grid or a .npz with key 'images' (uint8 NHWC).")
    flags.DEFINE_integer("step", None, "Checkpoint step; default the latest.")


def load_generator(workdir: str, step: int | None = None):
    """Restores the generator of a run: returns (gan, generator variables).

    The generator variables use the EMA weights when the run kept them.
    """
    directory = os.path.join(workdir, "checkpoints")
    if not os.path.isdir(directory):
        raise CheckpointError(f"no checkpoints in {workdir}; train there first or give the right --workdir")
    ckpt = Checkpointer(directory)
    try:
        config = config_from_meta(ckpt.meta(step))
        gan = jaxgan.build(config)
        template = jax.eval_shape(gan.init, jax.random.PRNGKey(0))
        generator, _ = ckpt.restore_generator(
            {"params": template.g_params, "batch_stats": template.g_batch_stats, "ema_params": template.g_ema_params},
            step,
        )
    finally:
        ckpt.close()
    params = generator["ema_params"] if generator["ema_params"] is not None else generator["params"]
    return gan, {"params": params, "batch_stats": generator["batch_stats"]}


def sample(workdir: str, num: int, seed: int, step: int | None = None) -> np.ndarray:
    """``num`` samples as float32 (num, H, W, C) in [-1, 1]."""
    gan, variables = load_generator(workdir, step)
    z = gan.latents(jax.random.PRNGKey(seed), num)
    return np.asarray(jax.jit(lambda v, z: gan.generator.apply(v, z, train=False))(variables, z))


def main(argv):
    del argv
    quiet_libraries()
    if not FLAGS.workdir:
        fail("--workdir is required: the folder a training run wrote")
    if FLAGS.num <= 0:
        fail(f"--num must be positive, got {FLAGS.num}")
    suffix = os.path.splitext(FLAGS.out)[1].lower()
    if suffix not in (".png", ".npz"):
        fail(f"--out must end in .png or .npz, got {FLAGS.out}")
    try:
        x = sample(FLAGS.workdir, FLAGS.num, FLAGS.seed, FLAGS.step)
    except CheckpointError as e:
        fail(str(e), code=1)
    if suffix == ".png":
        images.save_grid(x, FLAGS.out)
    else:
        np.savez_compressed(FLAGS.out, images=images.to_uint8(x))
    print(f"wrote {FLAGS.num} samples to {FLAGS.out}")


def run() -> None:
    """Console-script entry point (jaxgan-sample)."""
    define_flags()
    app.run(main)


if __name__ == "__main__":
    run()
