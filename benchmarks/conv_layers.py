"""The DCGAN convolutions one by one: jaxgan.conv on XLA:CPU against PyTorch's.

    python benchmarks/conv_layers.py

For every strided convolution of the fmnist_dcgan (batch 64), wgan_gp_fmnist
(batch 128) and celeba_dcgan (batch 16) discriminators, prints median
milliseconds (the best of three interleaved rounds) of its three maps in
jaxgan (``conv.down``, ``conv.up``, ``conv.kernel_grad``, with
``setup_jax``'s flags) and in PyTorch (``conv2d``, ``grad.conv2d_input``,
``grad.conv2d_weight``, as many threads as cores). The generators'
transposed convolutions are the same maps with the roles swapped, so this
covers every convolution of a DCGAN step. Without PyTorch installed it times
jaxgan's maps alone; ``--tiny`` times two tiny layers once (a smoke run, used
by the tests).
"""

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

import jax
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jaxgan import conv  # noqa: E402
from jaxgan.console import setup_jax  # noqa: E402

setup_jax()

# (label, batch, input side, input channels, output channels)
LAYERS = (
    ("fmnist_dcgan D1", 64, 28, 1, 64),
    ("fmnist_dcgan D2", 64, 14, 64, 128),
    ("wgan_gp_fmnist D1", 128, 28, 1, 64),
    ("wgan_gp_fmnist D2", 128, 14, 64, 128),
    ("celeba_dcgan D1", 16, 64, 3, 64),
    ("celeba_dcgan D2", 16, 32, 64, 128),
    ("celeba_dcgan D3", 16, 16, 128, 256),
    ("celeba_dcgan D4", 16, 8, 256, 512),
)
ROUNDS = 3
TINY_LAYERS = (("tiny image layer", 2, 8, 1, 8), ("tiny inner layer", 2, 8, 8, 16))


def median_ms(f, repeats=7, inner=10):
    """Median milliseconds of f() over ``repeats`` runs of ``inner`` calls; f must wait for its result."""
    f()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            f()
        times.append((time.perf_counter() - t0) / inner)
    return 1e3 * statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="two tiny layers, timed once: a smoke run")
    args = parser.parse_args()
    layers, rounds, repeats, inner = (TINY_LAYERS, 1, 1, 1) if args.tiny else (LAYERS, ROUNDS, 7, 10)
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed (pip install -e '.[bench]'): jaxgan's times only", file=sys.stderr)
    else:
        torch.set_num_threads(os.cpu_count())
    rng = np.random.default_rng(0)
    down, up, kernel_grad = (jax.jit(f) for f in (conv.down, conv.up, conv.kernel_grad))
    print(f"{'layer':<19} {'GFLOP':>6} | {'down ms':>15} | {'up ms':>15} | {'kernel_grad ms':>15}")
    print(f"{'':<19} {'':>6} | {'jaxgan  PyTorch':>15} | {'jaxgan  PyTorch':>15} | {'jaxgan  PyTorch':>15}")
    ratios = []
    for label, n, side, a, b in layers:
        x = rng.standard_normal((n, side, side, a), np.float32)
        k = 0.05 * rng.standard_normal((4, 4, a, b), np.float32)
        y = rng.standard_normal((n, side // 2, side // 2, b), np.float32)
        jx, jk, jy = (jax.device_put(v) for v in (x, k, y))
        maps = [
            lambda: down(jx, jk).block_until_ready(),
            lambda: up(jy, jk).block_until_ready(),
            lambda: kernel_grad(jx, jy).block_until_ready(),
        ]
        if torch is not None:
            tf = torch.nn.functional
            tx, ty = (torch.from_numpy(v.transpose(0, 3, 1, 2).copy()) for v in (x, y))
            tk = torch.from_numpy(k.transpose(3, 2, 0, 1).copy())
            maps += [
                lambda: tf.conv2d(tx, tk, stride=2, padding=1),
                lambda: torch.nn.grad.conv2d_input(tx.shape, tk, ty, stride=2, padding=1),
                lambda: torch.nn.grad.conv2d_weight(tx, tk.shape, ty, stride=2, padding=1),
            ]
        # This machine's speed drifts within seconds: the best of interleaved rounds.
        rounds_ms = [[median_ms(f, repeats, inner) for f in maps] for _ in range(rounds)]
        times = [min(ms) for ms in zip(*rounds_ms)]
        jaxgan, pytorch = times[:3], times[3:]
        ratios += [p / j for j, p in zip(jaxgan, pytorch)]
        gflop = 2 * n * (side // 2) ** 2 * 16 * a * b / 1e9
        cells = " | ".join(f"{j:6.2f}  {p:7.2f}" for j, p in zip(jaxgan, pytorch or [math.nan] * 3))
        print(f"{label:<19} {gflop:6.3f} | {cells}", flush=True)
    if ratios:
        print(f"PyTorch time / jaxgan time, geometric mean over the {len(ratios)} maps: "
              f"{statistics.geometric_mean(ratios):.2f}")


if __name__ == "__main__":
    main()
