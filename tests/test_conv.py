import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import conv

DIMS = ("NHWC", "HWIO", "NHWC")


def plain_down(x, k):
    """XLA's strided convolution under JAX's own derivative rules."""
    return jax.lax.conv_general_dilated(x, k, (2, 2), ((1, 1), (1, 1)), dimension_numbers=DIMS)


def plain_up(y, k):
    x = jax.ShapeDtypeStruct((y.shape[0], 2 * y.shape[1], 2 * y.shape[2], k.shape[2]), y.dtype)
    return jax.linear_transpose(lambda x: plain_down(x, k), x)(y)[0]


def plain_kernel_grad(x, y):
    return jax.grad(lambda k: jnp.sum(plain_down(x, k) * y))(jnp.zeros((4, 4, x.shape[-1], y.shape[-1])))


# Each form of ``up`` and ``down``: x's channels and y's positions pick it.
FORMS = {
    "image": (3, (6, 4)),  # up over dilated input; down over space-to-depth input
    "phases": (conv._PHASE_MIN_CHANNELS, (10, 10)),  # up as row-phase convolutions
    "matmul": (conv._PHASE_MIN_CHANNELS, (6, 4)),  # up as one matrix multiply
}


@pytest.fixture(scope="module", params=list(FORMS))
def xky(request):
    a, (height, width) = FORMS[request.param]
    if request.param == "phases":
        assert (height // 2) * (width // 2) > conv._MATMUL_MAX_POSITIONS
    keys = jax.random.split(jax.random.PRNGKey(0), 3)
    x = jax.random.normal(keys[0], (2, height, width, a))
    k = jax.random.normal(keys[1], (4, 4, a, 5))
    y = jax.random.normal(keys[2], (2, height // 2, width // 2, 5))
    return x, k, y


def test_down_is_the_strided_convolution_by_definition(xky):
    x, k, y = xky
    xp = np.pad(np.asarray(x), ((0, 0), (1, 1), (1, 1), (0, 0)))
    expected = np.zeros(y.shape)
    for i in range(y.shape[1]):
        for j in range(y.shape[2]):
            expected[:, i, j] = np.einsum("bhwc,hwcf->bf", xp[:, 2 * i : 2 * i + 4, 2 * j : 2 * j + 4], k)
    np.testing.assert_allclose(conv.down(x, k), expected, rtol=1e-5, atol=1e-5)


def test_the_three_maps_are_one_trilinear_form(xky):
    x, k, y = xky
    t = jnp.sum(conv.down(x, k) * y)
    np.testing.assert_allclose(jnp.sum(x * conv.up(y, k)), t, rtol=1e-5)
    np.testing.assert_allclose(jnp.sum(k * conv.kernel_grad(x, y)), t, rtol=1e-5)


@pytest.mark.parametrize("name", ["down", "up", "kernel_grad"])
def test_first_and_second_derivatives_equal_jax_rules(xky, name):
    x, k, y = xky
    fast, plain, args = {
        "down": (conv.down, plain_down, (x, k)),
        "up": (conv.up, plain_up, (y, k)),
        "kernel_grad": (conv.kernel_grad, plain_kernel_grad, (x, y)),
    }[name]
    np.testing.assert_allclose(fast(*args), plain(*args), rtol=1e-5, atol=1e-5)

    # A gradient penalty's shape: a nonlinear function of the input gradient,
    # differentiated in both arguments.
    def penalty(f):
        def inner(a, b):
            g = jax.grad(lambda a: jnp.sum(jnp.tanh(f(a, b))))(a)
            return jnp.sum(jnp.sin(g))

        return jax.grad(inner, (0, 1))

    for a, b in zip(penalty(fast)(*args), penalty(plain)(*args)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("channels", [conv._S2D_MAX_CHANNELS, conv._PHASE_MIN_CHANNELS], ids=["image", "phases"])
def test_every_derivative_in_a_loop_is_an_nhwc_hwio_convolution(channels):
    # Inside loop bodies XLA:CPU runs other convolution layouts as naive loops
    # (one kernel gradient of the WGAN-GP critic: 2.6 s against 30 to 40 ms).
    # Shapes big enough that XLA does not fold transposes into tiny convolutions.
    x = jax.random.normal(jax.random.PRNGKey(0), (8, 14, 14, channels))
    k = jax.random.normal(jax.random.PRNGKey(1), (4, 4, channels, 16))

    def critic_update(k, _):
        def penalty(k):
            g = jax.grad(lambda x: jnp.sum(jnp.tanh(conv.down(x, k))))(x)
            return jnp.sum(g**2) + jnp.sum(conv.up(conv.down(x, k), k))

        return k - jax.grad(penalty)(k), None

    hlo = jax.jit(lambda k: jax.lax.scan(critic_update, k, None, length=2)[0]).lower(k).compile().as_text()
    layouts = re.findall(r"convolution\(.*dim_labels=([^,]+)", hlo)
    assert len(layouts) >= 5 and set(layouts) == {"b01f_01io->b01f"}
