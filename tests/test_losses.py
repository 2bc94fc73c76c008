import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import losses


def sp(x):  # softplus, by hand
    return math.log1p(math.exp(x))


REAL = jnp.array([0.0, 2.0])
FAKE = jnp.array([[0.0], [-1.0]])  # (B, 1) is accepted too

EXPECTED_D = {
    "minimax": (sp(0) + sp(-2)) / 2 + (sp(0) + sp(-1)) / 2,
    "non_saturating": (sp(0) + sp(-2)) / 2 + (sp(0) + sp(-1)) / 2,
    "lsgan": 0.5 * (1 + 1) / 2 + 0.5 * (0 + 1) / 2,
    "wgan": (0 - 1) / 2 - (0 + 2) / 2,
    "hinge": (1 + 0) / 2 + (1 + 0) / 2,
}
EXPECTED_G = {
    "minimax": -(sp(0) + sp(-1)) / 2,  # E[log(1 - D)] = -E[softplus(f)]
    "non_saturating": (sp(0) + sp(1)) / 2,
    "lsgan": 0.5 * (1 + 4) / 2,
    "wgan": 0.5,
    "hinge": 0.5,
}


@pytest.mark.parametrize("kind", losses.KINDS)
def test_hand_computed_values(kind):
    np.testing.assert_allclose(losses.d_loss(kind, REAL, FAKE), EXPECTED_D[kind], rtol=1e-6)
    np.testing.assert_allclose(losses.g_loss(kind, FAKE), EXPECTED_G[kind], rtol=1e-6)


@pytest.mark.parametrize("kind", losses.KINDS)
def test_finite_with_gradients_at_extreme_logits(kind):
    big = jnp.array([100.0, -100.0])
    d_val, d_grad = jax.value_and_grad(lambda r, f: losses.d_loss(kind, r, f), argnums=(0, 1))(big, -big)
    g_val, g_grad = jax.value_and_grad(lambda f: losses.g_loss(kind, f))(big)
    for x in (d_val, g_val, *d_grad, g_grad):
        assert jnp.all(jnp.isfinite(x))


def test_bce_discriminator_matches_probabilities():
    r, f = jnp.array([0.3, -1.2]), jnp.array([0.7, 2.0])
    expected = -jnp.mean(jnp.log(jax.nn.sigmoid(r))) - jnp.mean(jnp.log(1 - jax.nn.sigmoid(f)))
    np.testing.assert_allclose(losses.d_loss("non_saturating", r, f), expected, rtol=1e-5)


def test_minimax_generator_saturates_where_non_saturating_does_not():
    # With D confident that samples are fake, minimax's gradient vanishes.
    f = jnp.array([-10.0])
    assert abs(jax.grad(lambda f: losses.g_loss("minimax", f))(f)[0]) < 1e-4
    assert abs(jax.grad(lambda f: losses.g_loss("non_saturating", f))(f)[0]) > 0.99


def test_unknown_kind_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown loss 'bce'"):
        losses.d_loss("bce", REAL, FAKE)
