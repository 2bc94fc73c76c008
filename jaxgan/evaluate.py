"""Evaluates a run's latest checkpoint (or --step, or --best) against the real test split.

    python -m jaxgan.evaluate --workdir=runs/digits --num=1000
    python -m jaxgan.evaluate --workdir=runs/digits --best      # the checkpoint with the lowest FD

Prints one JSON object: the feature classifier's test accuracy, the metrics
of --num samples against the real test split, and the same metrics of as
many real training images against the test split (the floor to read them
against). A class-conditional run also gets ``conditional_accuracy``: the
share of samples the classifier labels as the class they were asked for.
The classifier is trained on the dataset's labelled training split on first
use and cached with Orbax under <data_dir>/jaxgan_classifiers/ (see
jaxgan.evaluator).
"""

from __future__ import annotations

import json
import os

from absl import app, flags

from jaxgan import checkpoint, data
from jaxgan.checkpoint import CheckpointError, Checkpointer
from jaxgan.console import fail, quiet_libraries, setup_jax
from jaxgan.evaluator import Evaluator

setup_jax()

FLAGS = flags.FLAGS


def define_flags() -> None:
    """The command's flags; defined on run only, so that importing evaluate() defines none."""
    flags.DEFINE_string("workdir", None, "The training run's workdir.")
    flags.DEFINE_integer("num", 1000, "Number of samples to evaluate.")
    flags.DEFINE_integer("seed", 0, "Seed of the sample latents (0: those of the evaluations during training).")
    flags.DEFINE_integer("step", None, "Checkpoint step; default the latest.")
    flags.DEFINE_bool("best", False, "Evaluate the checkpoint with the best FD (<workdir>/best) instead of the latest.")


def evaluate(workdir: str, num: int = 1000, seed: int = 0, step: int | None = None, best: bool = False) -> dict:
    """Metrics of a checkpoint's samples and of as many real training images, both against the test split."""
    from jaxgan.sample import load_generator

    gan, variables = load_generator(workdir, step, best)
    if step is None:
        ckpt = Checkpointer(checkpoint.directory(workdir, best))
        step = ckpt.latest_step()
        ckpt.close()
    # The evaluation latents of training's evaluations, so the numbers agree with metrics.jsonl.
    evaluator = Evaluator(gan.config, num, seed)
    return {
        "step": step,
        "classifier_test_accuracy": evaluator.accuracy,
        "samples_vs_test": evaluator(gan, variables),
        "train_vs_test": evaluator.floor,
    }


def main(argv):
    del argv
    quiet_libraries()
    if not FLAGS.workdir:
        fail("--workdir is required: the folder a training run wrote")
    try:
        result = evaluate(FLAGS.workdir, FLAGS.num, FLAGS.seed, FLAGS.step, FLAGS.best)
    except (CheckpointError, data.DataError) as e:
        fail(str(e), code=1)
    print(json.dumps(result))


def run() -> None:
    """Console-script entry point (jaxgan-evaluate)."""
    define_flags()
    app.run(main)


if __name__ == "__main__":
    run()
