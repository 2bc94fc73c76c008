"""jaxgan: GANs in JAX and Flax.

    import jaxgan
    gan = jaxgan.build(jaxgan.configs.get("digits"))
"""

from jaxgan import configs, losses, penalties
from jaxgan.state import GANState
from jaxgan.step import GAN


def build(config, axis_name: str | None = None) -> GAN:
    """Builds the GAN a config describes (see ``jaxgan.configs``).

    Args:
      config: an ml_collections ConfigDict, e.g. ``jaxgan.configs.get("digits")``.
      axis_name: the pmap/shard_map axis the steps reduce over; None for one device.
    """
    return GAN(config, axis_name)


__all__ = ["GAN", "GANState", "build", "configs", "losses", "penalties"]
__version__ = "0.1.0"
