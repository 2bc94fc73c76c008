"""Presets: one module per known setup, each with ``get_config()``.

    jaxgan.configs.names()           # the preset names
    jaxgan.configs.get("digits")     # a fresh ml_collections.ConfigDict
"""

import importlib
import os

import ml_collections

_PRESETS = (
    "digits",
    "digits_cgan",
    "digits_wgan",
    "digits_wgan_gp",
    "vanilla_mnist",
    "keras_gan_mnist",
    "fmnist_fc",
    "fmnist_dcgan",
    "fmnist_hybrid",
    "celeba_dcgan",
    "lsgan_fmnist",
    "wgan_fmnist",
    "wgan_gp_fmnist",
)

DEFAULT = "digits"


def names() -> list[str]:
    """The preset names ``get`` accepts."""
    return list(_PRESETS)


def path(name: str) -> str:
    """The file that defines preset ``name``."""
    if name not in _PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(_PRESETS)}, or give a config file path")
    return os.path.join(os.path.dirname(__file__), f"{name}.py")


def get(name: str) -> ml_collections.ConfigDict:
    """A fresh ConfigDict of preset ``name``."""
    path(name)  # validates the name
    return importlib.import_module(f"jaxgan.configs.{name}").get_config()
