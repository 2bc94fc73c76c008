"""GAN losses on discriminator logits.

Each loss takes raw logits (no sigmoid applied) of shape (B,) or (B, 1) and
returns a scalar. The BCE kinds are written with ``softplus`` so they stay
finite for logits of any size:

  log D(x)       = -softplus(-x)
  log (1 - D(x)) = -softplus(x)

The penalties live in ``jaxgan.penalties`` and are re-exported here.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxgan.penalties import clip_weights, gradient_penalty, r1_penalty  # noqa: F401

__all__ = ["KINDS", "d_loss", "g_loss", "is_probabilistic", "clip_weights", "gradient_penalty", "r1_penalty"]

KINDS = ("minimax", "non_saturating", "lsgan", "wgan", "hinge")


def _check(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown loss {kind!r}; choose one of {', '.join(KINDS)}")


def d_loss(kind: str, real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    """The discriminator's (critic's) loss, to be minimised.

    Args:
      kind: one of ``KINDS``.
      real_logits: D's logits on real images, (B,) or (B, 1).
      fake_logits: D's logits on generated images, (B,) or (B, 1).

    Returns:
      A scalar:
        minimax, non_saturating: -E[log D(x)] - E[log(1 - D(G(z)))] (BCE);
        lsgan: 1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2];
        wgan: E[D(G(z))] - E[D(x)];
        hinge: E[relu(1 - D(x))] + E[relu(1 + D(G(z)))].
    """
    _check(kind)
    r, f = jnp.ravel(real_logits), jnp.ravel(fake_logits)
    if kind in ("minimax", "non_saturating"):
        return jnp.mean(jax.nn.softplus(-r)) + jnp.mean(jax.nn.softplus(f))
    if kind == "lsgan":
        return 0.5 * jnp.mean((r - 1.0) ** 2) + 0.5 * jnp.mean(f**2)
    if kind == "wgan":
        return jnp.mean(f) - jnp.mean(r)
    return jnp.mean(jax.nn.relu(1.0 - r)) + jnp.mean(jax.nn.relu(1.0 + f))


def g_loss(kind: str, fake_logits: jax.Array) -> jax.Array:
    """The generator's loss, to be minimised.

    Args:
      kind: one of ``KINDS``.
      fake_logits: D's logits on generated images, (B,) or (B, 1).

    Returns:
      A scalar:
        minimax: E[log(1 - D(G(z)))] (Goodfellow et al.'s saturating form);
        non_saturating: -E[log D(G(z))];
        lsgan: 1/2 E[(D(G(z)) - 1)^2];
        wgan, hinge: -E[D(G(z))].
    """
    _check(kind)
    f = jnp.ravel(fake_logits)
    if kind == "minimax":
        return -jnp.mean(jax.nn.softplus(f))
    if kind == "non_saturating":
        return jnp.mean(jax.nn.softplus(-f))
    if kind == "lsgan":
        return 0.5 * jnp.mean((f - 1.0) ** 2)
    return -jnp.mean(f)


def is_probabilistic(kind: str) -> bool:
    """Whether D's logits of this loss kind read as probabilities via sigmoid."""
    return kind in ("minimax", "non_saturating")
