"""Generators and discriminators as Flax modules.

Every module is used through pure ``module.apply(variables, ...)`` calls on
parameter pytrees. Generators map latents ``z`` of shape (B, latent_dim) to
images of shape (B, H, W, C) in [-1, 1]; discriminators map images to logits
of shape (B,) with no sigmoid inside (the losses apply it stably).

Parameters are float32. ``dtype`` (``config.compute_dtype``) is what the
layers compute in: with bfloat16 the matrix multiplies, convolutions and
activations run in bfloat16 (BatchNorm's statistics are still reduced in
float32), while generators still return float32 images and discriminators
float32 logits, so losses, gradients and optimizer states stay float32.

BatchNorm statistics live in the ``batch_stats`` collection; ``train=True``
normalises with the batch's own statistics (and returns updated running
averages when the collection is mutable), ``train=False`` uses the running
averages. Dropout draws from the ``dropout`` RNG stream, so it needs an
explicit key whenever ``train=True``.

With ``num_classes`` > 0 the networks are class-conditional and take integer
``labels`` (B,) in [0, num_classes): the generator concatenates a learned
label embedding to ``z``, and the discriminator adds the projection term
<embed(y), h> of Miyato & Koyama (2018) to its logit, h being its last
features.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan import conv

# The DCGAN paper initialises every weight from N(0, 0.02).
dcgan_init = nn.initializers.normal(0.02)

ACTIVATIONS = {
    "relu": nn.relu,
    "leaky_relu": lambda x: nn.leaky_relu(x, 0.2),
    "tanh": jnp.tanh,
    # Rescaled so that every generator emits images in [-1, 1].
    "sigmoid": lambda x: 2.0 * nn.sigmoid(x) - 1.0,
    "none": lambda x: x,
}


def activation(name: str):
    """Returns the activation function called ``name`` (see ``ACTIVATIONS``)."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}"
        ) from None


COMPUTE_DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}


def compute_dtype(config) -> Any:
    """The dtype ``config.compute_dtype`` names (float32 when a saved config predates it)."""
    name = config.get("compute_dtype", "float32")
    try:
        return COMPUTE_DTYPES[name]
    except KeyError:
        raise ValueError(
            f"unknown compute_dtype {name!r}; choose 'float32' or 'bfloat16' "
            "(parameters and optimizer states stay float32 either way)"
        ) from None


def _norm(kind: str, train: bool, momentum: float, axis_name: str | None, dtype: Any = jnp.float32):
    if kind == "batch":
        # axis_name makes the statistics global over devices under pmap.
        return nn.BatchNorm(
            use_running_average=not train,
            momentum=momentum,
            axis_name=axis_name,
            scale_init=lambda k, s, d=jnp.float32: 1.0 + 0.02 * jax.random.normal(k, s, d),
            dtype=dtype,
        )
    if kind == "layer":
        return nn.LayerNorm(dtype=dtype)
    if kind == "none":
        return lambda x: x
    raise ValueError(f"unknown norm {kind!r}; choose 'batch', 'layer' or 'none'")


def _condition(z: jax.Array, labels: jax.Array | None, num_classes: int, dtype: Any) -> jax.Array:
    """z (B, latent_dim) in ``dtype``, with a learned num_classes-wide label embedding appended."""
    z = z.astype(dtype)
    if not num_classes:
        return z
    if labels is None:
        raise ValueError("this generator is class-conditional: pass labels (B,) in [0, num_classes)")
    embed = nn.Embed(num_classes, num_classes, dtype=dtype, name="label_embed")
    return jnp.concatenate([z, embed(labels)], axis=-1)


def _logit(
    h: jax.Array, labels: jax.Array | None, num_classes: int, dtype: Any, kernel_init=nn.linear.default_kernel_init
) -> jax.Array:
    """The float32 logit (B,) from the last features h (B, D), plus <embed(y), h> when conditional."""
    logit = nn.Dense(1, dtype=dtype, kernel_init=kernel_init)(h)[:, 0].astype(jnp.float32)
    if not num_classes:
        return logit
    if labels is None:
        raise ValueError("this discriminator is class-conditional: pass labels (B,) in [0, num_classes)")
    d = h.shape[-1]
    embed = nn.Embed(
        num_classes, d, embedding_init=nn.initializers.normal(d**-0.5), dtype=dtype, name="label_projection"
    )
    return logit + jnp.sum(embed(labels) * h, axis=-1, dtype=jnp.float32)


class _Conv4x4(nn.Module):
    """What UpConv and DownConv share: a 4x4 kernel and a bias.

    Attributes:
      features: output channels.
      use_bias: add a learned bias per channel.
      dtype: the dtype of the computation (the parameters stay float32).
    """

    features: int
    use_bias: bool = True
    kernel_init: Any = dcgan_init
    dtype: Any = jnp.float32

    def _kernel(self, shape: tuple[int, int]) -> jax.Array:
        return self.param("kernel", self.kernel_init, (4, 4, *shape)).astype(self.dtype)

    def _bias(self, y: jax.Array) -> jax.Array:
        if self.use_bias:
            y = y + self.param("bias", nn.initializers.zeros, (self.features,)).astype(self.dtype)
        return y


class UpConv(_Conv4x4):
    """A 2x upsampling transposed convolution, kernel 4, stride 2, padding 1.

    Computes exactly PyTorch's ``ConvTranspose2d(k=4, s=2, p=1)`` through
    ``conv.up``, whose derivatives XLA:CPU computes fast. The kernel is
    stored as (4, 4, C_out, C_in), as Keras' ``Conv2DTranspose`` stores it:
    the kernel of the strided convolution from C_out to C_in channels that
    this layer is the transpose of. (PyTorch's weight W is (C_in, C_out, 4,
    4); this kernel is W.transpose(2, 3, 1, 0).)
    """

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        """Maps (B, H, W, C_in) to (B, 2H, 2W, features)."""
        # In conv.up's layout the kernel is used as it is stored, and its
        # gradient comes out of conv.kernel_grad in it. Stored as (4, 4, C_in,
        # C_out), both were transposed in every step: celeba_dcgan's step took
        # 4 to 10% longer (6 of 6 interleaved pairs, median 7%); fmnist_dcgan's
        # and wgan_gp_fmnist's did not change.
        return self._bias(conv.up(x.astype(self.dtype), self._kernel((self.features, x.shape[-1]))))


class DownConv(_Conv4x4):
    """A 2x downsampling convolution, kernel 4, stride 2, padding 1.

    Computes exactly ``Conv(k=4, s=2, p=1)`` (PyTorch's ``Conv2d(k=4, s=2,
    p=1)``) with the kernel stored as (4, 4, C_in, C_out), through
    ``conv.down``, whose derivatives of every order, a gradient penalty's
    double backward included, XLA:CPU computes fast.
    """

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        """Maps (B, H, W, C_in) with even H, W to (B, H/2, W/2, features)."""
        return self._bias(conv.down(x.astype(self.dtype), self._kernel((x.shape[-1], self.features))))


def dcgan_plan(size: int) -> tuple[int, int]:
    """Splits an image side into (base, n) with size == base * 2**n, n >= 1.

    The DCGAN stacks start (generator) or end (discriminator) at a base of 4
    (32x32, 64x64, ...) or 7 (28x28).
    """
    for base in (4, 7):
        n = math.log2(size / base) if size >= base else -1
        if n >= 1 and n == int(n):
            return base, int(n)
    raise ValueError(
        f"a DCGAN cannot make {size}x{size} images: the side must be 4 or 7 times a "
        "power of two (8, 14, 16, 28, 32, 64, 128, ...); set --config.image_shape "
        "to such a size or use an MLP model"
    )


class MLPGenerator(nn.Module):
    """Fully connected generator: Dense -> activation -> [BatchNorm] -> [Dropout].

    The layer order follows Keras-GAN (normalisation after the activation).

    Attributes:
      image_shape: (H, W, C) of the output images.
      features: widths of the hidden layers.
      activation: hidden activation name.
      norm: 'batch' or 'none' after each hidden layer.
      bn_momentum: running-average momentum (Keras' 0.8 equals Flax's 0.8).
      dropout: per hidden layer dropout rates; shorter tuples mean 0 for the rest.
      out_activation: 'tanh' or 'sigmoid' (rescaled to [-1, 1]).
      axis_name: pmap axis for synchronised BatchNorm, or None.
      num_classes: > 0 makes G class-conditional (see the module docstring).
      dtype: the dtype of the computation; the images come out float32.
    """

    image_shape: Sequence[int]
    features: Sequence[int] = (128,)
    activation: str = "relu"
    norm: str = "none"
    bn_momentum: float = 0.8
    dropout: Sequence[float] = ()
    out_activation: str = "tanh"
    axis_name: str | None = None
    num_classes: int = 0
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, z: jax.Array, train: bool = True, labels: jax.Array | None = None) -> jax.Array:
        """Maps latents (B, latent_dim) and labels (B,) to images (B, H, W, C) in [-1, 1]."""
        act = activation(self.activation)
        x = _condition(z, labels, self.num_classes, self.dtype)
        for i, width in enumerate(self.features):
            x = act(nn.Dense(width, dtype=self.dtype)(x))
            x = _norm(self.norm, train, self.bn_momentum, self.axis_name, self.dtype)(x)
            x = _dropout(self.dropout, i, train)(x)
        x = nn.Dense(math.prod(self.image_shape), dtype=self.dtype)(x)
        return activation(self.out_activation)(x).astype(jnp.float32).reshape(-1, *self.image_shape)


class MLPDiscriminator(nn.Module):
    """Fully connected discriminator: flatten, Dense -> activation -> [Dropout], logit.

    Attributes:
      features: widths of the hidden layers.
      activation: hidden activation name.
      dropout: per hidden layer dropout rates; shorter tuples mean 0 for the rest.
      num_classes: > 0 makes D class-conditional (a projection discriminator).
      dtype: the dtype of the computation; the logits come out float32.
    """

    features: Sequence[int] = (128,)
    activation: str = "leaky_relu"
    dropout: Sequence[float] = ()
    num_classes: int = 0
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = True, labels: jax.Array | None = None) -> jax.Array:
        """Maps images (B, H, W, C) and labels (B,) to logits (B,)."""
        act = activation(self.activation)
        x = x.reshape(x.shape[0], -1).astype(self.dtype)
        for i, width in enumerate(self.features):
            x = act(nn.Dense(width, dtype=self.dtype)(x))
            x = _dropout(self.dropout, i, train)(x)
        return _logit(x, labels, self.num_classes, self.dtype)


class DCGANGenerator(nn.Module):
    """DCGAN generator in the pytorch/examples layout.

    Projects z to a base x base map of width * 2**(n-1) channels (the
    1x1 -> base transposed convolution, written as a Dense layer), then n
    2x upsampling layers halving the channels, BatchNorm and ReLU between,
    tanh at the end. For 64x64 with width 64: 4x4x512 -> 8x8x256 -> 16x16x128
    -> 32x32x64 -> 64x64x3.

    Attributes:
      image_shape: (H, W, C) with H == W == 4 * 2**n or 7 * 2**n.
      width: ngf, the channels of the last hidden layer.
      norm: 'batch' (DCGAN) or 'none'.
      bn_momentum: Flax momentum; 0.9 equals PyTorch's momentum=0.1.
      axis_name: pmap axis for synchronised BatchNorm, or None.
      num_classes: > 0 makes G class-conditional (see the module docstring).
      dtype: the dtype of the computation; the images come out float32.
    """

    image_shape: Sequence[int]
    width: int = 64
    norm: str = "batch"
    bn_momentum: float = 0.9
    axis_name: str | None = None
    num_classes: int = 0
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, z: jax.Array, train: bool = True, labels: jax.Array | None = None) -> jax.Array:
        """Maps latents (B, latent_dim) and labels (B,) to images (B, H, W, C) in [-1, 1]."""
        z = _condition(z, labels, self.num_classes, self.dtype)
        height, _, channels = self.image_shape
        base, n = dcgan_plan(height)
        ch = self.width * 2 ** (n - 1)
        bias = self.norm == "none"

        def norm_relu(x):
            return nn.relu(_norm(self.norm, train, self.bn_momentum, self.axis_name, self.dtype)(x))

        x = nn.Dense(base * base * ch, use_bias=bias, kernel_init=dcgan_init, dtype=self.dtype)(z)
        x = norm_relu(x.reshape(-1, base, base, ch))
        for _ in range(n - 1):
            ch //= 2
            x = norm_relu(UpConv(ch, use_bias=bias, dtype=self.dtype)(x))
        return jnp.tanh(UpConv(channels, dtype=self.dtype)(x)).astype(jnp.float32)


class DCGANDiscriminator(nn.Module):
    """DCGAN discriminator: stride-2 4x4 convolutions (``DownConv``) doubling the channels.

    No normalisation on the first layer, LeakyReLU(0.2) throughout, down to a
    base x base map, then a linear logit (the final base x base valid
    convolution of pytorch/examples, written as a Dense layer).

    Attributes:
      width: ndf, the channels of the first layer.
      norm: 'batch' (DCGAN), 'layer' (a WGAN-GP critic) or 'none'.
      bn_momentum: Flax momentum; 0.9 equals PyTorch's momentum=0.1.
      axis_name: pmap axis for synchronised BatchNorm, or None.
      num_classes: > 0 makes D class-conditional (a projection discriminator).
      dtype: the dtype of the computation; the logits come out float32.
    """

    width: int = 64
    norm: str = "batch"
    bn_momentum: float = 0.9
    axis_name: str | None = None
    num_classes: int = 0
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = True, labels: jax.Array | None = None) -> jax.Array:
        """Maps images (B, H, W, C) and labels (B,) to logits (B,)."""
        _, n = dcgan_plan(x.shape[1])
        ch = self.width
        for i in range(n):
            x = DownConv(ch, use_bias=i == 0 or self.norm != "batch", dtype=self.dtype)(x)
            if i > 0:
                x = _norm(self.norm, train, self.bn_momentum, self.axis_name, self.dtype)(x)
            x = nn.leaky_relu(x, 0.2)
            ch *= 2
        h = x.reshape(x.shape[0], -1)
        return _logit(h, labels, self.num_classes, self.dtype, kernel_init=dcgan_init)


def _dropout(rates: Sequence[float], layer: int, train: bool):
    rate = rates[layer] if layer < len(rates) else 0.0
    if rate <= 0:
        return lambda x: x
    return nn.Dropout(rate, deterministic=not train)


def conditional_classes(config) -> int:
    """The number of classes a conditional config's networks take, or 0 when unconditional."""
    if not config.get("conditional", False):
        return 0
    if config.num_classes < 2:
        raise ValueError(f"a conditional GAN needs num_classes >= 2, got {config.num_classes}; set --config.num_classes")
    return config.num_classes


def make_generator(config, axis_name: str | None = None) -> nn.Module:
    """Builds the generator described by ``config.generator``.

    Args:
      config: a preset's ConfigDict (``image_shape`` and ``generator``).
      axis_name: pmap axis name for synchronised BatchNorm statistics.
    """
    g = config.generator
    shape = tuple(config.image_shape)
    num_classes = conditional_classes(config)
    dtype = compute_dtype(config)
    if g.kind == "mlp":
        return MLPGenerator(
            image_shape=shape,
            features=tuple(g.features),
            activation=g.activation,
            norm=g.norm,
            bn_momentum=g.bn_momentum,
            dropout=tuple(g.get("dropout", ())),
            out_activation=g.out_activation,
            axis_name=axis_name,
            num_classes=num_classes,
            dtype=dtype,
        )
    if g.kind == "dcgan":
        return DCGANGenerator(
            image_shape=shape, width=g.width, norm=g.norm, bn_momentum=g.bn_momentum,
            axis_name=axis_name, num_classes=num_classes, dtype=dtype,
        )
    raise ValueError(f"unknown generator kind {g.kind!r}; choose 'mlp' or 'dcgan'")


def make_discriminator(config, axis_name: str | None = None) -> nn.Module:
    """Builds the discriminator described by ``config.discriminator``."""
    d = config.discriminator
    num_classes = conditional_classes(config)
    dtype = compute_dtype(config)
    if d.kind == "mlp":
        return MLPDiscriminator(
            features=tuple(d.features), activation=d.activation,
            dropout=tuple(d.get("dropout", ())), num_classes=num_classes, dtype=dtype,
        )
    if d.kind == "dcgan":
        dcgan_plan(config.image_shape[0])  # Fail at build time, not at trace time.
        return DCGANDiscriminator(
            width=d.width, norm=d.norm, bn_momentum=d.bn_momentum, axis_name=axis_name,
            num_classes=num_classes, dtype=dtype,
        )
    raise ValueError(f"unknown discriminator kind {d.kind!r}; choose 'mlp' or 'dcgan'")
