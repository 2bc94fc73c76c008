import jax
import numpy as np
import pytest

import jaxgan
from jaxgan import configs

PUBLIC_FIELDS = ("steps", "batch_size", "seed", "dataset", "log_every", "sample_every", "checkpoint_every")


def test_names_cover_the_classic_family():
    assert set(configs.names()) >= {
        "digits", "vanilla_mnist", "keras_gan_mnist", "fmnist_fc", "fmnist_dcgan", "fmnist_hybrid",
        "celeba_dcgan", "lsgan_fmnist", "wgan_fmnist", "wgan_gp_fmnist",
    }


@pytest.mark.parametrize("name", configs.names())
def test_every_preset_builds_inits_and_steps(name):
    c = configs.get(name)
    for field in PUBLIC_FIELDS:
        assert field in c
    gan = jaxgan.build(c)
    state = gan.init(jax.random.PRNGKey(0))
    real = jax.random.uniform(jax.random.PRNGKey(1), (2, *c.image_shape), minval=-1, maxval=1)
    labels = jax.numpy.arange(2) % c.num_classes if c.conditional else None
    state, metrics = gan.train_step(state, real, jax.random.PRNGKey(2), labels)
    assert int(state.step) == 1
    for k, v in metrics.items():
        assert np.isfinite(v), k


def test_keras_gan_parameter_counts():
    gan = jaxgan.build(configs.get("keras_gan_mnist"))
    state = jax.eval_shape(gan.init, jax.random.PRNGKey(0))
    assert gan.num_params(state) == {
        "g_params": 1_489_936, "g_batch_stats": 3_584, "d_params": 533_505, "d_batch_stats": 0,
    }


def test_paper_hyperparameters():
    wgan = configs.get("wgan_fmnist")
    assert (wgan.clip, wgan.n_critic, wgan.d_optimizer.name, wgan.d_optimizer.learning_rate) == (0.01, 5, "rmsprop", 5e-5)
    gp = configs.get("wgan_gp_fmnist")
    assert (gp.penalty, gp.penalty_weight, gp.n_critic) == ("gp", 10.0, 5)
    assert (gp.d_optimizer.learning_rate, gp.d_optimizer.b1, gp.d_optimizer.b2) == (1e-4, 0.0, 0.9)
    assert configs.get("celeba_dcgan").image_shape == (64, 64, 3)


def test_unknown_preset():
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        configs.get("nope")
