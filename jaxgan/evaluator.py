"""Sample quality of a generator against a labelled dataset's test split.

    evaluator = Evaluator(config)            # loads the splits, the cached classifier, the real floor
    result = evaluator(gan, state.generator_variables())   # {'fd', 'kid', 'precision', 'recall', ...}
    evaluator.floor                          # the same metrics of real training images

Follows TF-GAN's MNIST practice: the features come from a small classifier
that jaxgan trains on the dataset's labelled training split (no Inception
weights offline), cached with Orbax under <data_dir>/jaxgan_classifiers/.
Every metric compares ``num_samples`` images with the whole test split; the
floor does the same with as many real training images, so a result has a
number to be read against (FD and KID depend on the sample count).
"""

from __future__ import annotations

import json
import os

import jax
import numpy as np
import orbax.checkpoint as ocp

from jaxgan import data, metrics

# Salt of the evaluation latents: apart from every training key and the sample grids'.
EVAL_SALT = 0xE7A1


def to_float(images: np.ndarray) -> np.ndarray:
    """uint8 images in [0, 255] to float32 in [-1, 1]."""
    return images.astype(np.float32) / 127.5 - 1.0


def feature_classifier(config, train, test) -> tuple[dict, float]:
    """The cached classifier of ``config``'s dataset and image shape: (params, test accuracy).

    Args:
      config: a preset (dataset, data_dir, image_shape).
      train, test: (uint8 images, int labels) of the two splits; trained on
        ``train`` and scored on ``test`` on a cache miss.
    """
    shape = "x".join(map(str, config.image_shape))
    path = os.path.join(data.data_dir(config), "jaxgan_classifiers", f"{config.dataset}-{shape}")
    checkpointer = ocp.StandardCheckpointer()
    if os.path.exists(os.path.join(path, "accuracy.json")):
        with open(os.path.join(path, "accuracy.json")) as f:
            accuracy = json.load(f)["test_accuracy"]
        return checkpointer.restore(os.path.join(path, "params")), accuracy
    (train_x, train_y), (test_x, test_y) = train, test
    params, accuracy = metrics.train_classifier(to_float(train_x), train_y, to_float(test_x), test_y)
    checkpointer.save(os.path.join(path, "params"), params, force=True)
    checkpointer.wait_until_finished()
    # Written last: its presence marks a complete cache entry.
    with open(os.path.join(path, "accuracy.json"), "w") as f:
        json.dump({"test_accuracy": accuracy}, f)
    return params, accuracy


class Evaluator:
    """Scores generators against the test split of ``config.dataset``.

    Args:
      config: the run's preset; its dataset must have labels.
      num_samples: samples per evaluation; default ``config.eval_samples``.
      seed: seed of the evaluation latents and of the floor's training subset.

    Attributes:
      accuracy: the feature classifier's test accuracy.
      floor: the metrics of ``num_samples`` real training images against the test split.

    Raises:
      data.DataError: the dataset has no labels or cannot be read.
    """

    def __init__(self, config, num_samples: int | None = None, seed: int = 0):
        self.num_samples = num_samples or config.eval_samples
        unlabelled = data.DataError(
            f"evaluation needs class labels to train its feature classifier, and {config.dataset!r} has none; "
            "set --config.eval_every=0"
        )
        if config.dataset.startswith("folder:"):
            raise unlabelled
        train = data.load_images(config, "train", with_labels=True)
        test = data.load_images(config, "test", with_labels=True)
        if min(train[1].min(), test[1].min()) < 0:  # tfds datasets without a 'label' feature, e.g. celeb_a
            raise unlabelled
        self.params, self.accuracy = feature_classifier(config, train, test)
        self.test_features, _ = metrics.classify(self.params, to_float(test[0]))
        n = min(self.num_samples, len(train[0]))
        subset = np.random.default_rng(seed).choice(len(train[0]), n, replace=False)
        self.floor = self.score(to_float(train[0][subset]), train[1][subset])
        self.key = jax.random.fold_in(jax.random.PRNGKey(seed), EVAL_SALT)

    def __call__(self, gan, variables: dict) -> dict[str, float]:
        """The metrics of ``num_samples`` samples of a generator.

        Args:
          gan: the GAN (``jaxgan.build``).
          variables: the generator's Flax variables, e.g. ``state.generator_variables()``
            (the EMA weights when kept).
        """
        labels = gan.class_rows(self.num_samples) if gan.num_classes else None
        images = gan.sample_from(variables, self.key, self.num_samples, labels)
        return self.score(np.asarray(images), None if labels is None else np.asarray(labels))

    def score(self, images, labels=None) -> dict[str, float]:
        """The metrics of images (N, H, W, C) in [-1, 1] against the test split.

        With ``labels`` (N,), the images were asked to be of those classes:
        ``conditional_accuracy`` is the share the classifier labels so.
        """
        features, probs = metrics.classify(self.params, images)
        result = metrics.scores(self.test_features, features, probs)
        if labels is not None:
            result["conditional_accuracy"] = float(np.mean(probs.argmax(1) == labels))
        return result
