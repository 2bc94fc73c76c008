"""Shared fixtures: tiny configs, so that compiling stays cheap on a CPU."""

import jax
import pytest

# Threefry's partitionable form compiles ~14x slower on XLA:CPU; the CLI sets the same.
jax.config.update("jax_threefry_partitionable", False)

from jaxgan.configs import base


def tiny_config(kind: str = "dcgan", **overrides):
    """An 8x8 GAN small enough to compile in seconds; BatchNorm on both sides for dcgan."""
    c = base.get_config()
    c.name = "tiny"
    c.image_shape = (8, 8, 1)
    c.latent_dim = 8
    if kind == "dcgan":
        c.generator = base.generator(kind="dcgan", width=4, norm="batch")
        c.discriminator = base.discriminator(kind="dcgan", width=4, norm="batch")
    else:
        c.generator = base.generator(features=(16,), norm="batch")
        c.discriminator = base.discriminator(features=(16,), dropout=(0.3,))
    c.batch_size = 8
    for k, v in overrides.items():
        c[k] = v
    return c


@pytest.fixture(scope="session")
def key():
    return jax.random.PRNGKey(0)
