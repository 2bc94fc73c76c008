"""Where a train step's time goes: the D update and the G update, jaxgan against PyTorch.

    python benchmarks/profile_parts.py fmnist_dcgan 64

Prints median milliseconds of each part, so a missed benchmark target points
at the part to work on. Without PyTorch installed it times jaxgan's parts
alone; ``--tiny`` times a tiny version of the preset once (a smoke run, used
by the tests).
"""

import argparse
import math
import sys
from pathlib import Path

import jax
import jax.numpy as jnp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from jaxgan import build, configs  # noqa: E402
from jaxgan.console import setup_jax  # noqa: E402
from bench import shrink  # noqa: E402
from conv_layers import median_ms  # noqa: E402

setup_jax()


def timed_ms(fn, sync, repeats):
    """Median milliseconds of one fn() and sync() over ``repeats`` runs."""
    return median_ms(lambda: (fn(), sync()), repeats, inner=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("preset", nargs="?", default="fmnist_dcgan")
    parser.add_argument("batch", nargs="?", type=int, help="default: the preset's batch size")
    parser.add_argument("--tiny", action="store_true", help="a tiny version of the preset, timed once: a smoke run")
    args = parser.parse_args()
    try:
        import torch
        from torch_gan import TorchGAN
    except ImportError:
        torch = None
        print("PyTorch is not installed (pip install -e '.[bench]'): jaxgan's parts only", file=sys.stderr)

    config = configs.get(args.preset)
    if args.batch:
        config.batch_size = args.batch
    if args.tiny:
        shrink(config)
    repeats = 1 if args.tiny else 7
    b = config.batch_size
    gan = build(config)
    state = gan.init(jax.random.PRNGKey(0))
    real = jnp.zeros((b, *config.image_shape))
    key = jax.random.PRNGKey(1)
    out = {}
    d_step = jax.jit(lambda s: gan._d_step(s, real, key)[1])
    g_step = jax.jit(lambda s: gan._g_step(s, key, b)[1])
    g_fwd = jax.jit(lambda s: gan.generate(s.g_params, s.g_batch_stats, gan.latents(key, b), key)[0])
    d_fwd = jax.jit(lambda s: gan.discriminate(s.d_params, s.d_batch_stats, real, key)[0])
    for label, f in (("D update", d_step), ("G update", g_step), ("G forward", g_fwd), ("D forward", d_fwd)):
        out[label] = [timed_ms(lambda f=f: out.__setitem__("_", f(state)), lambda: jax.block_until_ready(out["_"]),
                                repeats)]
    if torch is not None:
        tg = TorchGAN(config)
        h, w, c = config.image_shape
        treal = torch.rand(b, c, h, w) * 2 - 1
        z = torch.randn(b, config.latent_dim)
        with torch.no_grad():
            parts = {"D update": lambda: tg.d_step(treal), "G update": lambda: tg.g_step(b),
                     "G forward": lambda: tg.G(z), "D forward": lambda: tg.D(treal)}
            for label in ("G forward", "D forward"):
                out[label].append(timed_ms(parts[label], lambda: None, repeats))
        for label in ("D update", "G update"):
            out[label].append(timed_ms(parts[label], lambda: None, repeats))
    print(f"{args.preset}, batch {b}, n_critic {config.n_critic}: median ms")
    print(f"{'part':<10} {'jaxgan':>8} {'PyTorch':>8} {'ratio':>6}")
    for label in ("D update", "G update", "G forward", "D forward"):
        j, t = (out[label] + [math.nan])[:2]
        print(f"{label:<10} {j:8.1f} {t:8.1f} {t / j:6.2f}")


if __name__ == "__main__":
    main()
