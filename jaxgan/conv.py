"""The DCGAN convolutions (kernel 4, stride 2, padding 1) with derivatives XLA runs fast.

Three linear maps share one kernel ``k`` of shape (4, 4, A, B):

- ``down(x, k)``: the strided convolution, (N, H, W, A) -> (N, H/2, W/2, B);
- ``up(y, k)``: its transpose in ``x``, the transposed convolution,
  (N, h, w, B) -> (N, 2h, 2w, A);
- ``kernel_grad(x, y)``: its transpose in ``k``, (4, 4, A, B).

They are the three partial derivatives of one trilinear form,
T(x, k, y) = <down(x, k), y> = <x, up(y, k)> = <k, kernel_grad(x, y)>, so the
derivative of each is again one of the three. The custom VJPs below say so,
and every derivative of every order, a gradient penalty's double backward
included, becomes one of the three maps, each in a form XLA:CPU computes
well. JAX's own rules lead XLA:CPU to far slower convolutions (``python
benchmarks/conv_rules.py`` on 2 CPU cores): forward and backward of ``up``
from 7x7x128 to 14x14x64 at batch 64 took 166 ms against 10.1, and a
gradient penalty's double backward through ``down`` from 14x14x64 to
7x7x128 at batch 128 took 335 ms against 32.5.

XLA:CPU has no transposed-convolution kernel: it runs ``up`` as a convolution
over its input dilated with zeros. With 16 or more output channels, ``up``
is instead two stride-1 2x2 convolutions, one per row phase of the output,
each giving both column phases. From 7x7x128 to 14x14x64 that took 10.3
against 12.8 ms at batch 128 and 5.0 against 5.6 ms at batch 64 (the best
of nine). In three interleaved pairs of whole train steps, fmnist_dcgan's
and wgan_gp_fmnist's ran 7 to 10% faster (one pair 33%), celeba_dcgan's 0 to
20%. On inputs of 16 positions or fewer (4x4) it is one matrix multiply by
all 16 taps, whose products are added into place. On images (3 channels or
fewer) ``down`` is a stride-1 2x2 convolution over space-to-depth input,
about twice as fast there as the strided one.

Being custom VJPs, they support reverse mode (``jax.grad``, ``jax.vjp``) to any
order, and ``vmap``, but not forward mode (``jax.jvp``, ``jax.jacfwd``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

_DIMS = ("NHWC", "HWIO", "NHWC")
_PAD = ((1, 1), (1, 1))


# Up to this many input channels (an image) ``_down`` runs on space-to-depth
# input: alone 0.62 against 1.23 ms (28x28x1 -> 14x14x64, batch 64) and 1.13
# against 2.00 (64x64x3, batch 16); fmnist_dcgan's step was faster in 8 of 8
# interleaved pairs (1 to 9%), wgan_gp_fmnist's in 3 of 3 (2 to 3%);
# celeba_dcgan's moved within 6% either way in 8 pairs. With 8 or more
# channels it was slower alone.
_S2D_MAX_CHANNELS = 3


def _down(x, k):
    if x.shape[-1] <= _S2D_MAX_CHANNELS:
        return _down_s2d(x, k)
    return lax.conv_general_dilated(x, k.astype(x.dtype), (2, 2), _PAD, dimension_numbers=_DIMS)


def _down_s2d(x, k):
    # Padded input pixel (2m + p, 2l + q) becomes channel (p, q) of position
    # (m, l), and kernel tap (2d + p, 2e + q) tap (d, e) of a stride-1 2x2
    # kernel over those 4A channels.
    n, height, width, a = x.shape
    h, w = height // 2, width // 2
    xs = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0))).reshape(n, h + 1, 2, w + 1, 2, a)
    xs = xs.transpose(0, 1, 3, 2, 4, 5).reshape(n, h + 1, w + 1, 4 * a)  # [n, m, l, (p, q, A)]
    ks = k.reshape(2, 2, 2, 2, a, -1).transpose(0, 2, 1, 3, 4, 5).reshape(2, 2, 4 * a, -1)  # [d, e, (p, q, A), B]
    return lax.conv_general_dilated(xs, ks.astype(x.dtype), (1, 1), "VALID", dimension_numbers=_DIMS)


# The two transposes are written out as NHWC x HWIO convolutions. XLA:CPU
# rewrites other layouts into this one where it can, but not inside loop
# bodies (a lax.scan over critic updates): there it falls back to a naive
# loop, which took 2.6 s for one kernel gradient of the WGAN-GP critic
# against 30 to 40 ms.


# Below this many output channels the phase convolutions of ``_up`` are too
# thin for XLA:CPU's kernels: a generator's last layer, to 1 or 3 image
# channels, ran 2 to 3x slower as phases. From 16 to 128 channels they ran
# as fast (once) or up to 4x faster (``up`` alone at batch 64, 2 CPU cores).
_PHASE_MIN_CHANNELS = 16

# Up to this many input positions (h * w) ``_up`` is one matrix multiply: on
# 4x4 inputs XLA:CPU's convolutions are slow. celeba_dcgan's 4x4x512 ->
# 8x8x256 took 6.1 ms against 11.4 as phases (alone, batch 16), and its step
# was faster in 12 of 14 interleaved pairs (median 3%, the other two 0.2% and
# 4% slower). On 7x7 inputs fmnist_dcgan's step ran 34 to 48% slower,
# though that map alone was faster (4.7 against 5.4 ms); the products are 4x
# the output's size.
_MATMUL_MAX_POSITIONS = 16


def _up(y, k):
    if k.shape[2] < _PHASE_MIN_CHANNELS:
        return _up_dilated(y, k)
    if y.shape[1] * y.shape[2] <= _MATMUL_MAX_POSITIONS:
        return _up_matmul(y, k)
    return _up_phases(y, k)


def _up_dilated(y, k):
    # Input dilated by the stride, padded by kernel - 1 - padding, flipped kernel.
    # XLA:CPU computes on the dilated input, three quarters of it zeros.
    k = k[::-1, ::-1].transpose(0, 1, 3, 2)
    return lax.conv_general_dilated(
        y, k.astype(y.dtype), (1, 1), ((2, 2), (2, 2)), lhs_dilation=(2, 2), dimension_numbers=_DIMS
    )


def _up_phases(y, k):
    # Output row 2m + p sums input rows m + p + d - 1 times kernel row 3 - p - 2d
    # (d = 0, 1), and likewise for columns. So for each row phase p, one
    # stride-1 2x2 convolution of y gives both column phases q as 2A channels
    # on w + 1 columns, output column 2l + q being its column l + q of phase q.
    n, h, w, b = y.shape
    a = k.shape[2]
    taps = k[::-1, ::-1].reshape(2, 2, 2, 2, a, b).astype(y.dtype)  # [d, p, e, q, A, B]
    rows = []
    for p in (0, 1):
        kernel = taps[:, p].transpose(0, 1, 4, 2, 3).reshape(2, 2, b, 2 * a)  # [d, e, B, (q, A)]
        z = lax.conv_general_dilated(y, kernel, (1, 1), ((1 - p, p), (1, 1)), dimension_numbers=_DIMS)
        z = z.reshape(n, h, w + 1, 2, a)
        rows.append(jnp.stack([z[:, :, q : q + w, q] for q in (0, 1)], axis=3))  # (N, h, w, q, A)
    return jnp.stack(rows, axis=2).reshape(n, 2 * h, 2 * w, a)  # (N, h, p, w, q, A)


def _up_matmul(y, k):
    # Every input position times every tap, Z[n, m, l, i, j] = k[i, j] y[n, m, l],
    # lands on output pixel (2m + i - 1, 2l + j - 1). With i = 2d + p, that is
    # row m + d, phase p of the output padded by one: four shifted adds.
    n, h, w, b = y.shape
    a = k.shape[2]
    z = y.reshape(-1, b) @ k.reshape(16 * a, b).T.astype(y.dtype)
    z = z.reshape(n, h, w, 2, 2, 2, 2, a)  # [n, m, l, d, p, e, q, A]
    out = 0
    for d in (0, 1):
        for e in (0, 1):
            t = z[:, :, :, d, :, e].transpose(0, 1, 3, 2, 4, 5)  # [n, m, p, l, q, A]
            out = out + jnp.pad(t, ((0, 0), (d, 1 - d), (0, 0), (e, 1 - e), (0, 0), (0, 0)))
    return out.reshape(n, 2 * h + 2, 2 * w + 2, a)[:, 1:-1, 1:-1]


def _kernel_grad(x, y):
    # Channels of x as the batch, examples as the features, y as the kernel.
    k = lax.conv_general_dilated(
        x.transpose(3, 1, 2, 0), y.transpose(1, 2, 0, 3).astype(x.dtype), (1, 1), _PAD,
        rhs_dilation=(2, 2), dimension_numbers=_DIMS,
    )
    return k.transpose(1, 2, 0, 3)


@jax.custom_vjp
def down(x: jax.Array, k: jax.Array) -> jax.Array:
    """Strided convolution: x (N, H, W, A) with even H, W and k (4, 4, A, B) to (N, H/2, W/2, B)."""
    return _down(x, k)


@jax.custom_vjp
def up(y: jax.Array, k: jax.Array) -> jax.Array:
    """Transposed convolution: y (N, h, w, B) and k (4, 4, A, B) to (N, 2h, 2w, A).

    The transpose of ``down(., k)``; with k = W.transpose(2, 3, 1, 0) it is
    PyTorch's ``ConvTranspose2d(kernel_size=4, stride=2, padding=1)`` with
    weight W (B, A, 4, 4).
    """
    return _up(y, k)


@jax.custom_vjp
def kernel_grad(x: jax.Array, y: jax.Array) -> jax.Array:
    """The gradient of <down(x, k), y> in k: x (N, H, W, A), y (N, H/2, W/2, B) to (4, 4, A, B)."""
    return _kernel_grad(x, y)


def _down_bwd(res, g):
    x, k = res
    return up(g, k).astype(x.dtype), kernel_grad(x, g).astype(k.dtype)


def _up_bwd(res, g):
    y, k = res
    return down(g, k).astype(y.dtype), kernel_grad(g, y).astype(k.dtype)


def _kernel_grad_bwd(res, g):
    x, y = res
    return up(y, g).astype(x.dtype), down(x, g).astype(y.dtype)


down.defvjp(lambda x, k: (down(x, k), (x, k)), _down_bwd)
up.defvjp(lambda y, k: (up(y, k), (y, k)), _up_bwd)
kernel_grad.defvjp(lambda x, y: (kernel_grad(x, y), (x, y)), _kernel_grad_bwd)
