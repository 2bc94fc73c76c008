"""Evaluates a run's latest checkpoint (or --step) against the real test split.

    python -m jaxgan.evaluate --workdir=runs/digits --num=1000

Prints one JSON object: the feature classifier's test accuracy, the metrics
of --num samples against the real test split, and the same metrics of the
real training split against the test split (the floor to read them against).
The classifier is trained on the dataset's labelled training split on first
use and cached with Orbax under <data_dir>/jaxgan_classifiers/.
"""

from __future__ import annotations

import json
import os

import numpy as np
import orbax.checkpoint as ocp
from absl import app, flags

from jaxgan import data, metrics
from jaxgan.checkpoint import CheckpointError, Checkpointer, config_from_meta
from jaxgan.console import fail, quiet_libraries, setup_jax

setup_jax()

FLAGS = flags.FLAGS


def define_flags() -> None:
    """The command's flags; defined on run only, so that importing evaluate() defines none."""
    flags.DEFINE_string("workdir", None, "The training run's workdir.")
    flags.DEFINE_integer("num", 1000, "Number of samples to evaluate.")
    flags.DEFINE_integer("seed", 0, "Seed of the sample latents.")
    flags.DEFINE_integer("step", None, "Checkpoint step; default the latest.")


def _float(images: np.ndarray) -> np.ndarray:
    return images.astype(np.float32) / 127.5 - 1.0


def feature_classifier(config, train, test) -> tuple[dict, float]:
    """The cached classifier of ``config``'s dataset and image shape: (params, test accuracy).

    ``train`` and ``test`` are (uint8 images, labels) of the two splits, used on a cache miss.
    """
    shape = "x".join(map(str, config.image_shape))
    path = os.path.join(data.data_dir(config), "jaxgan_classifiers", f"{config.dataset}-{shape}")
    checkpointer = ocp.StandardCheckpointer()
    if os.path.exists(os.path.join(path, "accuracy.json")):
        with open(os.path.join(path, "accuracy.json")) as f:
            accuracy = json.load(f)["test_accuracy"]
        return checkpointer.restore(os.path.join(path, "params")), accuracy
    (train_x, train_y), (test_x, test_y) = train, test
    params, accuracy = metrics.train_classifier(_float(train_x), train_y, _float(test_x), test_y)
    checkpointer.save(os.path.join(path, "params"), params)
    checkpointer.wait_until_finished()
    with open(os.path.join(path, "accuracy.json"), "w") as f:
        json.dump({"test_accuracy": accuracy}, f)
    return params, accuracy


def evaluate(workdir: str, num: int = 1000, seed: int = 0, step: int | None = None) -> dict:
    """Metrics of a checkpoint's samples and of the real training split, both against the test split."""
    from jaxgan.sample import sample

    ckpt = Checkpointer(os.path.join(workdir, "checkpoints"))
    try:
        meta = ckpt.meta(step)
        step = step if step is not None else ckpt.latest_step()
    finally:
        ckpt.close()
    config = config_from_meta(meta)
    train = data.load_images(config, "train", with_labels=True)
    test = data.load_images(config, "test", with_labels=True)
    params, accuracy = feature_classifier(config, train, test)
    test_feats, _ = metrics.classify(params, _float(test[0]))
    train_feats, train_probs = metrics.classify(params, _float(train[0]))
    fake_feats, fake_probs = metrics.classify(params, sample(workdir, num, seed, step))
    return {
        "step": step,
        "classifier_test_accuracy": accuracy,
        "samples_vs_test": metrics.scores(test_feats, fake_feats, fake_probs),
        "train_vs_test": metrics.scores(test_feats, train_feats, train_probs),
    }


def main(argv):
    del argv
    quiet_libraries()
    if not FLAGS.workdir:
        fail("--workdir is required: the folder a training run wrote")
    if not os.path.isdir(os.path.join(FLAGS.workdir, "checkpoints")):
        fail(f"no checkpoints in {FLAGS.workdir}; train there first or give the right --workdir", code=1)
    try:
        result = evaluate(FLAGS.workdir, FLAGS.num, FLAGS.seed, FLAGS.step)
    except (CheckpointError, data.DataError) as e:
        fail(str(e), code=1)
    print(json.dumps(result))


def run() -> None:
    """Console-script entry point (jaxgan-evaluate)."""
    define_flags()
    app.run(main)


if __name__ == "__main__":
    run()
