"""Where a train step's time goes: the D update and the G update, jaxgan against PyTorch.

    python benchmarks/profile_parts.py fmnist_dcgan 64

Prints median milliseconds of each part over nine interleaved rounds, so a
missed benchmark target points at the part to work on. For a preset with a
penalty (wgan_gp_fmnist) it also times the D update without it, and the
difference is the penalty's cost, its nested grad included. Without PyTorch
installed it times jaxgan's parts alone; ``--tiny`` times a tiny version of
the preset once (a smoke run, used by the tests).
"""

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from jaxgan import build, configs  # noqa: E402
from jaxgan.console import setup_jax  # noqa: E402
from bench import shrink  # noqa: E402

setup_jax()


def jax_parts(config, real, key):
    """jaxgan's parts for ``config``: label -> a call that waits for its result."""
    b = config.batch_size
    gan = build(config)
    state = gan.init(jax.random.PRNGKey(0))
    fns = {
        "D update": jax.jit(lambda s: gan._d_step(s, real, key)[1]),
        "G update": jax.jit(lambda s: gan._g_step(s, key, b)[1]),
        "G forward": jax.jit(lambda s: gan.generate(s.g_params, s.g_batch_stats, gan.latents(key, b), key)[0]),
        "D forward": jax.jit(lambda s: gan.discriminate(s.d_params, s.d_batch_stats, real, key)[0]),
    }
    return {label: (lambda f=f: jax.block_until_ready(f(state))) for label, f in fns.items()}


def torch_parts(config, real):
    """PyTorch's parts for ``config``, as jax_parts."""
    import torch
    from torch_gan import TorchGAN

    tg = TorchGAN(config)
    z = torch.randn(config.batch_size, config.latent_dim)

    def no_grad(f):
        def call():
            with torch.no_grad():
                f()
        return call

    return {"D update": lambda: tg.d_step(real), "G update": lambda: tg.g_step(config.batch_size),
            "G forward": no_grad(lambda: tg.G(z)), "D forward": no_grad(lambda: tg.D(real))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("preset", nargs="?", default="fmnist_dcgan")
    parser.add_argument("batch", nargs="?", type=int, help="default: the preset's batch size")
    parser.add_argument("--tiny", action="store_true", help="a tiny version of the preset, timed once: a smoke run")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed (pip install -e '.[bench]'): jaxgan's parts only", file=sys.stderr)

    config = configs.get(args.preset)
    if args.batch:
        config.batch_size = args.batch
    if args.tiny:
        shrink(config)
    b = config.batch_size
    real = jnp.zeros((b, *config.image_shape))
    h, w, c = config.image_shape
    torch_real = torch.rand(b, c, h, w) * 2 - 1 if torch else None

    def parts_of(config):
        """label -> [jaxgan's call, PyTorch's call or None]."""
        t = torch_parts(config, torch_real) if torch else {}
        return {label: [f, t.get(label)] for label, f in jax_parts(config, real, jax.random.PRNGKey(1)).items()}

    parts = parts_of(config)
    if config.penalty != "none":
        # The same D update without the penalty: the difference is what the penalty (a nested grad for GP) costs.
        plain = config.copy_and_resolve_references()
        plain.penalty = "none"
        parts["D update, no penalty"] = parts_of(plain)["D update"]

    # Interleaved rounds, so that both frameworks and every part see the same drift of this machine's speed.
    # Each timed call follows an untimed one of the same part: PyTorch's OpenMP threads spin on for a while
    # after its call, and made the JAX call right after it take 15 ms instead of 10 (a D forward, measured).
    times = {label: ([], []) for label in parts}
    for _ in range(1 if args.tiny else 9):
        for label, pair in parts.items():
            for f, ts in zip(pair, times[label]):
                if f:
                    f()
                    t0 = time.perf_counter()
                    f()
                    ts.append(1e3 * (time.perf_counter() - t0))
    ms = {label: [statistics.median(ts) if ts else math.nan for ts in pair] for label, pair in times.items()}
    if "D update, no penalty" in ms:
        ms["penalty"] = [a - p for a, p in zip(ms["D update"], ms["D update, no penalty"])]
    print(f"{args.preset}, batch {b}, n_critic {config.n_critic}: median ms over interleaved rounds")
    print(f"{'part':<22} {'jaxgan':>8} {'PyTorch':>8} {'PyTorch / jaxgan':>17}")
    order = ("D update", "D update, no penalty", "penalty", "G update", "G forward", "D forward")
    for label, (j, t) in sorted(ms.items(), key=lambda item: order.index(item[0])):
        print(f"{label:<22} {j:8.1f} {t:8.1f} {t / j:17.2f}")


if __name__ == "__main__":
    main()
