"""jaxgan.conv's derivative rules against JAX's own, on the DCGAN layers that motivated them.

    python benchmarks/conv_rules.py

Prints median milliseconds of (1) forward and backward of a 7x7x128 ->
14x14x64 transposed convolution at batch 64 and (2) a gradient penalty's
double backward through a 14x14x64 -> 7x7x128 strided convolution at batch
128, each with JAX's rules and with ``jaxgan.conv``.
"""

import sys
from pathlib import Path

import jax
import jax.numpy as jnp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from jaxgan import conv  # noqa: E402
from conv_layers import median_ms  # noqa: E402
from jaxgan.console import setup_jax  # noqa: E402
from test_conv import plain_down, plain_up  # noqa: E402  (the same maps under JAX's rules)

setup_jax()


def ms(f, *args):
    """Median milliseconds of one call of f(*args), results ready."""
    return median_ms(lambda: jax.block_until_ready(f(*args)), inner=1)


def main():
    keys = jax.random.split(jax.random.PRNGKey(0), 6)
    y, t = jax.random.normal(keys[0], (64, 7, 7, 128)), jax.random.normal(keys[1], (64, 14, 14, 64))
    k = jax.random.normal(keys[2], (4, 4, 64, 128))

    def transposed(up):
        return jax.jit(jax.grad(lambda y, k: jnp.sum(up(y, k) * t), (0, 1)))

    x, w = jax.random.normal(keys[3], (128, 14, 14, 64)), jax.random.normal(keys[4], (128, 7, 7, 128))

    def penalty(down):
        def gp(k):
            g = jax.grad(lambda x: jnp.sum(jax.nn.leaky_relu(down(x, k), 0.2) * w))(x)
            return jnp.mean((jnp.sqrt(jnp.sum(g**2, axis=(1, 2, 3))) - 1) ** 2)

        return jax.jit(jax.grad(gp))

    print(f"{'case':<58} {'JAX rules':>9} {'jaxgan.conv':>11}")
    print(f"{'up 7x7x128 -> 14x14x64, batch 64, forward and backward':<58} "
          f"{ms(transposed(plain_up), y, k):9.1f} {ms(transposed(conv.up), y, k):11.1f}")
    k = 0.05 * k
    print(f"{'down 14x14x64 -> 7x7x128, batch 128, GP double backward':<58} "
          f"{ms(penalty(plain_down), k):9.1f} {ms(penalty(conv.down), k):11.1f}")


if __name__ == "__main__":
    main()
