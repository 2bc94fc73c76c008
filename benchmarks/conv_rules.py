"""jaxgan.conv's derivative rules against JAX's own, on the DCGAN layers that motivated them.

    python benchmarks/conv_rules.py

Prints median milliseconds of (1) forward and backward of a 7x7x128 ->
14x14x64 transposed convolution at batch 64 and (2) a gradient penalty's
double backward through a 14x14x64 -> 7x7x128 strided convolution at batch
128, each with JAX's rules and with ``jaxgan.conv``. ``--tiny`` times the
same cases with batch 2 and a quarter of the channels, once (a smoke run,
used by the tests).
"""

import argparse
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="batch 2, a quarter of the channels, timed once")
    args = parser.parse_args()
    (b_up, b_gp, c), repeats = ((2, 2, 16), 1) if args.tiny else ((64, 128, 64), 7)

    def ms(f, *args):
        """Median milliseconds of one call of f(*args), results ready."""
        return median_ms(lambda: jax.block_until_ready(f(*args)), repeats, inner=1)

    keys = jax.random.split(jax.random.PRNGKey(0), 6)
    y, t = jax.random.normal(keys[0], (b_up, 7, 7, 2 * c)), jax.random.normal(keys[1], (b_up, 14, 14, c))
    k = jax.random.normal(keys[2], (4, 4, c, 2 * c))

    def transposed(up):
        return jax.jit(jax.grad(lambda y, k: jnp.sum(up(y, k) * t), (0, 1)))

    x, w = jax.random.normal(keys[3], (b_gp, 14, 14, c)), jax.random.normal(keys[4], (b_gp, 7, 7, 2 * c))

    def penalty(down):
        def gp(k):
            g = jax.grad(lambda x: jnp.sum(jax.nn.leaky_relu(down(x, k), 0.2) * w))(x)
            return jnp.mean((jnp.sqrt(jnp.sum(g**2, axis=(1, 2, 3))) - 1) ** 2)

        return jax.jit(jax.grad(gp))

    print(f"{'case':<58} {'JAX rules':>9} {'jaxgan.conv':>11}")
    print(f"{f'up 7x7x{2 * c} -> 14x14x{c}, batch {b_up}, forward and backward':<58} "
          f"{ms(transposed(plain_up), y, k):9.2f} {ms(transposed(conv.up), y, k):11.2f}")
    k = 0.05 * k
    print(f"{f'down 14x14x{c} -> 7x7x{2 * c}, batch {b_gp}, GP double backward':<58} "
          f"{ms(penalty(plain_down), k):9.2f} {ms(penalty(conv.down), k):11.2f}")


if __name__ == "__main__":
    main()
