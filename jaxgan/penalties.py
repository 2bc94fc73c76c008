"""Regularisers of the discriminator: gradient penalties and weight clipping."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

Critic = Callable[[jax.Array], jax.Array]


def _input_grad_sq_norms(critic: Critic, x: jax.Array) -> jax.Array:
    # Summing over the batch gives every example's own input gradient because
    # the critic treats examples independently (no BatchNorm in a critic).
    grads = jax.grad(lambda x: jnp.sum(critic(x)))(x)
    return jnp.sum(grads.reshape(grads.shape[0], -1) ** 2, axis=1)


def gradient_penalty(
    critic: Critic, real: jax.Array, fake: jax.Array, key: jax.Array
) -> jax.Array:
    """WGAN-GP's penalty, E[(||grad_x critic(x_hat)||_2 - 1)^2] (Gulrajani et al. 2017).

    ``x_hat = a * real + (1 - a) * fake`` with one ``a ~ U(0, 1)`` per example.
    The result is differentiable with respect to whatever ``critic`` closes
    over, so it can sit inside ``jax.grad`` of the critic's parameters.

    Args:
      critic: maps a batch (B, ...) to logits (B,) or (B, 1).
      real: real images (B, H, W, C).
      fake: generated images, same shape.
      key: PRNG key for the interpolation coefficients.

    Returns:
      A non-negative scalar.
    """
    alpha = jax.random.uniform(key, (real.shape[0],) + (1,) * (real.ndim - 1))
    x_hat = alpha * real + (1.0 - alpha) * fake
    # The epsilon keeps the norm's gradient finite where the input gradient is 0.
    norms = jnp.sqrt(_input_grad_sq_norms(critic, x_hat) + 1e-12)
    return jnp.mean((norms - 1.0) ** 2)


def r1_penalty(critic: Critic, real: jax.Array) -> jax.Array:
    """R1 (Mescheder et al. 2018): E[||grad_x critic(x)||_2^2] on real data.

    The paper's regulariser is gamma / 2 times this value.

    Args:
      critic: maps a batch (B, ...) to logits (B,) or (B, 1).
      real: real images (B, H, W, C).

    Returns:
      A non-negative scalar.
    """
    return jnp.mean(_input_grad_sq_norms(critic, real))


def clip_weights(params, clip: float):
    """Clips every leaf of a parameter tree to [-clip, clip] (the WGAN critic)."""
    return jax.tree.map(lambda p: jnp.clip(p, -clip, clip), params)
