import jax
import jax.numpy as jnp
import numpy as np

from jaxgan import penalties


def linear_critic(w):
    return lambda x: x.reshape(x.shape[0], -1) @ w


def test_gradient_penalty_of_linear_critic(key):
    w = jnp.arange(1.0, 17.0) / 10.0
    real = jax.random.normal(jax.random.PRNGKey(1), (5, 4, 4, 1))
    fake = jax.random.normal(jax.random.PRNGKey(2), (5, 4, 4, 1))
    gp = penalties.gradient_penalty(linear_critic(w), real, fake, key)
    np.testing.assert_allclose(gp, (jnp.linalg.norm(w) - 1.0) ** 2, rtol=1e-5)


def test_interpolation_is_per_example(key):
    # critic(x) = |x|^2 / 2 has input gradient x_hat, and x_hat = a * 1 + (1 - a) * 0.
    # One a per example: norm = 4a, E[(4a - 1)^2] = 16/3 - 4 + 1 = 7/3 for a ~ U(0, 1).
    # One a per pixel would give norm ~ sqrt(16/3) nearly always, so (2.31 - 1)^2 ~ 1.7.
    def critic(x):
        return 0.5 * jnp.sum(x.reshape(x.shape[0], -1) ** 2, axis=1)

    real, fake = jnp.ones((8192, 4, 4, 1)), jnp.zeros((8192, 4, 4, 1))
    gp = penalties.gradient_penalty(critic, real, fake, key)
    np.testing.assert_allclose(gp, 7 / 3, atol=0.1)


def test_gradient_penalty_is_differentiable_in_critic_params(key):
    # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||: the nested grad is exact.
    w = jnp.array([3.0, 4.0, 0.0, 0.0])
    real, fake = jnp.ones((3, 2, 2, 1)), jnp.zeros((3, 2, 2, 1))
    g = jax.grad(lambda w: penalties.gradient_penalty(linear_critic(w), real, fake, key))(w)
    np.testing.assert_allclose(g, 2 * (5 - 1) * w / 5, rtol=1e-5)


def test_r1_of_linear_critic():
    w = jnp.array([1.0, -2.0, 2.0, 0.5])
    real = jnp.ones((3, 2, 2, 1))
    np.testing.assert_allclose(penalties.r1_penalty(linear_critic(w), real), jnp.sum(w**2), rtol=1e-6)


def test_clip_weights():
    tree = {"a": jnp.array([-1.0, 0.005, 2.0]), "b": {"c": jnp.array(-0.02)}}
    clipped = penalties.clip_weights(tree, 0.01)
    np.testing.assert_array_equal(clipped["a"], np.float32([-0.01, 0.005, 0.01]))
    np.testing.assert_array_equal(clipped["b"]["c"], np.float32(-0.01))
