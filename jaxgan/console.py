"""What the command-line entry points share: JAX setup, quiet logs, one-line errors."""

from __future__ import annotations

import os
import sys

import jax
from absl import logging

EXIT_USER_ERROR = 2


# (name, value) of the XLA:CPU flags every jaxgan command runs with.
XLA_CPU_FLAGS = (
    ("xla_cpu_use_xnnpack", "true"),
    ("xla_cpu_experimental_ynn_fusion_type", "-individual_convolution"),
)


def setup_jax() -> None:
    """Settings of every jaxgan command; call before JAX first touches a device.

    - Threefry's partitionable form compiles ~14x slower on XLA:CPU (measured
      here: 27 s against 1.9 s for eight normal draws). A run seeds the same
      either way; only the random streams differ between the two settings.
    - XNNPACK for XLA:CPU's matrix multiplies (measured here: keras_gan_mnist's
      step 14.6 -> 12.4 ms).
    - Eigen, not YNNPACK, for XLA:CPU's convolutions: the three of
      ``jaxgan.conv`` run 20 to 35% faster there, and wgan_gp_fmnist's step
      took 0.76 s against 1.02 to 1.13 s (``benchmarks/bench.py``, two
      interleaved pairs on 2 cores).
    Only the CPU backend reads them; a flag already in XLA_FLAGS wins.
    """
    jax.config.update("jax_threefry_partitionable", False)
    os.environ["XLA_FLAGS"] = with_cpu_flags(os.environ.get("XLA_FLAGS", ""))


def with_cpu_flags(flags: str) -> str:
    """``flags`` (an XLA_FLAGS value) plus each of ``XLA_CPU_FLAGS`` it does not set."""
    for name, value in XLA_CPU_FLAGS:
        if f"--{name}" not in flags:
            flags = f"{flags} --{name}={value}".strip()
    return flags


def quiet_libraries() -> None:
    """Keeps INFO lines from jaxgan only; Orbax logs every file it renames at INFO."""
    package = os.path.dirname(os.path.abspath(__file__))
    logging.get_absl_handler().addFilter(
        lambda record: record.levelno >= logging.converter.STANDARD_WARNING
        or record.pathname.startswith(package)
    )


def fail(message: str, code: int = EXIT_USER_ERROR):
    """Prints one line on stderr and exits; for user errors, never a traceback."""
    print(f"jaxgan: error: {message}", file=sys.stderr, flush=True)
    # Background threads of Orbax/TensorStore may still print while Python shuts
    # down; after the one line that names the problem, that is noise.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    sys.exit(code)
