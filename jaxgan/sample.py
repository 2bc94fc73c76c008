"""Samples from a trained generator, restoring G alone (no D, no optimizer state).

    python -m jaxgan.sample --workdir=runs/digits --num=64 --seed=0 --out=samples.png
    python -m jaxgan.sample --workdir=runs/digits --num=1000 --out=samples.npz   # key 'images', uint8 NHWC
    python -m jaxgan.sample --workdir=runs/digits --best                         # the checkpoint with the best FD

A class-conditional run makes equal runs of each class (a grid row per
class when --num is a multiple of the class count); the .npz then also
holds their 'labels'.
"""

from __future__ import annotations

import os

import jax
import numpy as np
from absl import app, flags

import jaxgan
from jaxgan import checkpoint, images
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
    flags.DEFINE_bool("best", False, "Use the checkpoint with the best FD (<workdir>/best) instead of the latest.")


def load_generator(workdir: str, step: int | None = None, best: bool = False):
    """Restores the generator of a run: returns (gan, generator variables).

    The generator variables use the EMA weights when the run kept them.
    ``best`` reads the checkpoint with the lowest FD instead of the latest.
    """
    directory = checkpoint.directory(workdir, best)
    if not os.path.isdir(directory):
        if best:
            raise CheckpointError(
                f"no best checkpoint in {workdir}: the run did not evaluate (--config.eval_every); "
                "drop --best to use the latest"
            )
        raise CheckpointError(f"no checkpoints in {workdir}; train there first or give the right --workdir")
    ckpt = Checkpointer(directory)
    try:
        config = config_from_meta(ckpt.meta(step))
        gan = jaxgan.build(config)
        template = jax.eval_shape(gan.init, jax.random.PRNGKey(0))
        generator, _ = ckpt.restore_generator(
            {"params": template.g_params, "batch_stats": template.g_batch_stats, "ema_params": template.g_ema_params},
            step,
            config,
        )
    finally:
        ckpt.close()
    params = generator["ema_params"] if generator["ema_params"] is not None else generator["params"]
    return gan, {"params": params, "batch_stats": generator["batch_stats"]}


def generate(gan, variables, num: int, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    """``num`` samples as float32 (num, H, W, C) in [-1, 1], and their labels (num,) when conditional."""
    labels = gan.class_rows(num) if gan.num_classes else None
    images = gan.sample_from(variables, jax.random.PRNGKey(seed), num, labels)
    return np.asarray(images), None if labels is None else np.asarray(labels)


def sample(workdir: str, num: int, seed: int, step: int | None = None, best: bool = False) -> np.ndarray:
    """``num`` samples of a run's generator as float32 (num, H, W, C) in [-1, 1]."""
    return generate(*load_generator(workdir, step, best), num, seed)[0]


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
        gan, variables = load_generator(FLAGS.workdir, FLAGS.step, FLAGS.best)
    except CheckpointError as e:
        fail(str(e), code=1)
    x, labels = generate(gan, variables, FLAGS.num, FLAGS.seed)
    if suffix == ".png":
        images.save_grid(x, FLAGS.out, images.class_columns(FLAGS.num, gan.num_classes))
    elif labels is None:
        np.savez_compressed(FLAGS.out, images=images.to_uint8(x))
    else:
        np.savez_compressed(FLAGS.out, images=images.to_uint8(x), labels=labels)
    print(f"wrote {FLAGS.num} samples to {FLAGS.out}")


def run() -> None:
    """Console-script entry point (jaxgan-sample)."""
    define_flags()
    app.run(main)


if __name__ == "__main__":
    run()
