import jax
import numpy as np
import pytest
from conftest import tiny_config

import jaxgan
from jaxgan import data
from jaxgan.evaluator import Evaluator, to_float


@pytest.fixture(scope="module")
def evaluator():
    # The default data_dir: the classifier cache is shared with the command-line tests.
    return Evaluator(tiny_config("mlp", dataset="digits"), num_samples=300)


def test_classifier_and_floor(evaluator):
    assert evaluator.accuracy >= 0.97  # the issue's bar on digits' held-out split
    floor = evaluator.floor
    assert floor["num_fake"] == 300 and floor["num_real"] == 360 and floor["coverage_covered"] == 10
    assert 0 < floor["fd"] < 50 and floor["precision"] > 0.7 and floor["recall"] > 0.7


def test_the_test_split_scores_as_itself(evaluator):
    images, labels = data.load_images(tiny_config("mlp", dataset="digits"), "test", with_labels=True)
    result = evaluator.score(to_float(images), labels)
    assert result["fd"] < 1e-6 and result["precision"] == result["recall"] == 1.0
    # The share of test digits classified as their label is the classifier's accuracy.
    assert result["conditional_accuracy"] == pytest.approx(evaluator.accuracy)


def test_noise_is_far_above_the_floor(evaluator):
    noise = np.random.default_rng(0).uniform(-1, 1, (300, 8, 8, 1)).astype(np.float32)
    assert evaluator.score(noise)["fd"] > 10 * evaluator.floor["fd"]


def test_a_conditional_generator_is_scored_on_the_asked_classes(evaluator):
    gan = jaxgan.build(tiny_config("mlp", conditional=True, num_classes=10))
    result = evaluator(gan, gan.init(jax.random.PRNGKey(0)).generator_variables())
    assert result["num_fake"] == 300 and 0 <= result["conditional_accuracy"] <= 1


def test_unlabelled_folder_is_one_clear_error(tmp_path):
    with pytest.raises(data.DataError, match="set --config.eval_every=0"):
        Evaluator(tiny_config("mlp", dataset=f"folder:{tmp_path}"))
