"""What the command-line entry points share: JAX setup, quiet logs, one-line errors."""

from __future__ import annotations

import os
import sys

import jax
from absl import logging

EXIT_USER_ERROR = 2


def setup_jax() -> None:
    """Threefry's partitionable form compiles ~14x slower on XLA:CPU.

    Measured here: 27 s against 1.9 s for eight normal draws. A run seeds the
    same either way; only the random streams differ between the two settings.
    """
    jax.config.update("jax_threefry_partitionable", False)


def quiet_libraries() -> None:
    """Keeps INFO lines from jaxgan only; Orbax logs every file it renames at INFO."""
    package = os.path.dirname(os.path.abspath(__file__))
    logging.get_absl_handler().addFilter(
        lambda record: record.levelno >= logging.converter.STANDARD_WARNING
        or record.pathname.startswith(package)
    )


def fail(message: str, code: int = EXIT_USER_ERROR):
    """Prints one line on stderr and exits; for user errors, never a traceback."""
    print(f"jaxgan: error: {message}", file=sys.stderr)
    sys.exit(code)
