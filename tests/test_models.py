import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import tiny_config

from jaxgan import models


def conv_transpose_by_definition(x, w):
    """PyTorch ConvTranspose2d(k=4, s=2, p=1): out[2i - 1 + k] += x[i] * w[k], per axis."""
    b, h, wd, _ = x.shape
    out = np.zeros((b, 2 * h + 2, 2 * wd + 2, w.shape[-1]))
    for i in range(h):
        for j in range(wd):
            for kh in range(4):
                for kw in range(4):
                    out[:, 2 * i + kh, 2 * j + kw] += x[:, i, j] @ w[kh, kw]
    return out[:, 1:-1, 1:-1]  # padding 1 trims one row/column each side


def conv_transpose_xla(x, w):
    """The same layer as XLA's plain (input-dilated) transposed convolution."""
    return jax.lax.conv_general_dilated(
        x, w[::-1, ::-1], (1, 1), ((2, 2), (2, 2)), lhs_dilation=(2, 2),
        dimension_numbers=("NHWC", "HWIO", "NHWC"),
    )


@pytest.fixture(scope="module")
def upconv():
    x = jax.random.normal(jax.random.PRNGKey(0), (2, 3, 5, 3))
    layer = models.UpConv(4, use_bias=False)
    params = layer.init(jax.random.PRNGKey(1), x)
    params = jax.tree.map(lambda p: p * 50, params)  # weights of order 1
    return layer, params, x


def test_upconv_equals_transposed_convolution(upconv):
    layer, params, x = upconv
    y = layer.apply(params, x)
    assert y.shape == (2, 6, 10, 4)
    kernel = np.asarray(params["params"]["kernel"])
    assert kernel.shape == (4, 4, 4, 3), "stored as (4, 4, C_out, C_in), as Keras' Conv2DTranspose"
    w = kernel.transpose(0, 1, 3, 2)
    np.testing.assert_allclose(y, conv_transpose_by_definition(np.asarray(x), w), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(y, conv_transpose_xla(x, w), rtol=1e-5, atol=1e-5)


def test_upconv_gradients_equal_transposed_convolution(upconv):
    layer, params, x = upconv
    k = params["params"]["kernel"]
    t = jax.random.normal(jax.random.PRNGKey(2), (2, 6, 10, 4))
    fast = jax.grad(lambda k, x: jnp.sum(layer.apply({"params": {"kernel": k}}, x) * t), (0, 1))(k, x)
    plain = jax.grad(lambda k, x: jnp.sum(conv_transpose_xla(x, k.transpose(0, 1, 3, 2)) * t), (0, 1))(k, x)
    for a, b in zip(fast, plain):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def strided_conv_xla(x, w):
    return jax.lax.conv_general_dilated(x, w, (2, 2), ((1, 1), (1, 1)), dimension_numbers=("NHWC", "HWIO", "NHWC"))


def test_downconv_equals_strided_convolution_with_gradients():
    x = jax.random.normal(jax.random.PRNGKey(0), (2, 6, 10, 3))
    layer = models.DownConv(4, use_bias=False)
    w = layer.init(jax.random.PRNGKey(1), x)["params"]["kernel"] * 50
    y = layer.apply({"params": {"kernel": w}}, x)
    assert y.shape == (2, 3, 5, 4)
    np.testing.assert_allclose(y, strided_conv_xla(x, w), rtol=1e-5, atol=1e-5)
    t = jax.random.normal(jax.random.PRNGKey(2), y.shape)
    fast = jax.grad(lambda w, x: jnp.sum(layer.apply({"params": {"kernel": w}}, x) * t), (0, 1))(w, x)
    plain = jax.grad(lambda w, x: jnp.sum(strided_conv_xla(x, w) * t), (0, 1))(w, x)
    for a, b in zip(fast, plain):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3), (64, 64, 3)])
def test_dcgan_shapes(shape):
    g = models.DCGANGenerator(image_shape=shape, width=4)
    d = models.DCGANDiscriminator(width=4)

    @jax.jit
    def run(z):
        gv = g.init(jax.random.PRNGKey(0), z, train=False)
        images = g.apply(gv, z, train=False)
        dv = d.init(jax.random.PRNGKey(1), images, train=False)
        return images, d.apply(dv, images, train=False)

    images, logits = run(jnp.ones((2, 10)))
    assert images.shape == (2, *shape)
    assert jnp.all(jnp.abs(images) <= 1)
    assert logits.shape == (2,)


def test_dcgan_64_layout_is_pytorch_examples():
    g = models.DCGANGenerator(image_shape=(64, 64, 3), width=64)
    params = jax.eval_shape(lambda z: g.init(jax.random.PRNGKey(0), z, train=False), jnp.ones((1, 100)))["params"]
    shapes = [p.shape for p in jax.tree.leaves(params) if p.ndim >= 2]
    # nz=100 -> 4x4x512, then 512 -> 256 -> 128 -> 64 -> 3 with 4x4 kernels, (4, 4, C_out, C_in).
    assert shapes == [(100, 4 * 4 * 512), (4, 4, 256, 512), (4, 4, 128, 256), (4, 4, 64, 128), (4, 4, 3, 64)]


def test_dcgan_rejects_unreachable_sizes():
    with pytest.raises(ValueError, match="cannot make 30x30"):
        models.dcgan_plan(30)


def test_sigmoid_output_is_rescaled_to_minus_one_one():
    g = models.MLPGenerator(image_shape=(2, 2, 1), features=(4,), out_activation="sigmoid")
    v = g.init(jax.random.PRNGKey(0), jnp.ones((3, 5)))
    v = jax.tree.map(lambda p: p * 100, v)
    images = g.apply(v, jnp.ones((3, 5)))
    assert jnp.min(images) < -0.9 and jnp.max(images) > 0.9 and jnp.all(jnp.abs(images) <= 1)


@pytest.mark.parametrize("kind", ["mlp", "dcgan"])
def test_conditional_networks_use_the_label(kind):
    if kind == "mlp":
        g = models.MLPGenerator(image_shape=(8, 8, 1), features=(16,), num_classes=3)
        d = models.MLPDiscriminator(features=(16,), num_classes=3)
    else:
        g = models.DCGANGenerator(image_shape=(8, 8, 1), width=4, num_classes=3)
        d = models.DCGANDiscriminator(width=4, num_classes=3)
    z, y0, y1 = jnp.ones((2, 5)), jnp.array([0, 0]), jnp.array([1, 2])
    gv = g.init(jax.random.PRNGKey(0), z, train=False, labels=y0)
    dv = d.init(jax.random.PRNGKey(1), jnp.zeros((2, 8, 8, 1)), train=False, labels=y0)
    x0, x1 = g.apply(gv, z, train=False, labels=y0), g.apply(gv, z, train=False, labels=y1)
    assert x0.shape == (2, 8, 8, 1) and not jnp.allclose(x0, x1)
    # The projection term: D's logit is Dense(h) + <embed(y), h>.
    assert not jnp.allclose(d.apply(dv, x0, train=False, labels=y0), d.apply(dv, x0, train=False, labels=y1))
    assert gv["params"]["label_embed"]["embedding"].shape == (3, 3)
    with pytest.raises(ValueError, match="class-conditional: pass labels"):
        g.apply(gv, z, train=False)


def test_projection_adds_the_label_embedding_dot_features():
    d = models.MLPDiscriminator(features=(4,), num_classes=2, activation="none")
    x, y = jax.random.normal(jax.random.PRNGKey(0), (3, 2, 2, 1)), jnp.array([0, 1, 1])
    v = d.init(jax.random.PRNGKey(1), x, train=False, labels=y)
    p = v["params"]
    h = x.reshape(3, -1) @ p["Dense_0"]["kernel"] + p["Dense_0"]["bias"]
    expected = (h @ p["Dense_1"]["kernel"])[:, 0] + p["Dense_1"]["bias"][0] + jnp.sum(
        p["label_projection"]["embedding"][y] * h, axis=1)
    np.testing.assert_allclose(d.apply(v, x, train=False, labels=y), expected, rtol=1e-5, atol=1e-6)


def _dots_and_convs(fn, *args) -> set[str]:
    """The element types of the matrix multiplies and convolutions ``fn`` lowers to."""
    hlo = jax.jit(fn).lower(*args).as_text()
    return set(re.findall(r"stablehlo\.(?:dot_general|convolution).*-> tensor<[0-9x]*x(\w+)>", hlo))


@pytest.mark.parametrize("kind", ["mlp", "dcgan"])
def test_bfloat16_computes_in_bfloat16_on_float32_parameters(kind):
    config = tiny_config(kind, compute_dtype="bfloat16", conditional=True, num_classes=3)
    g, d = models.make_generator(config), models.make_discriminator(config)
    z, y = jax.random.normal(jax.random.PRNGKey(0), (8, 8)), jnp.arange(8) % 3
    gv = g.init(jax.random.PRNGKey(1), z, train=False, labels=y)
    dv = d.init(jax.random.PRNGKey(2), jnp.zeros((8, 8, 8, 1)), train=False, labels=y)
    assert {x.dtype for x in jax.tree.leaves((gv, dv))} == {jnp.dtype("float32")}

    key = jax.random.PRNGKey(3)
    images, g_stats = g.apply(gv, z, train=True, labels=y, mutable=["batch_stats"])
    logits, d_stats = d.apply(dv, images, train=True, labels=y, mutable=["batch_stats"], rngs={"dropout": key})
    assert images.dtype == logits.dtype == jnp.float32
    assert {x.dtype for x in jax.tree.leaves((g_stats, d_stats))} == {jnp.dtype("float32")}
    assert _dots_and_convs(lambda z: g.apply(gv, z, train=False, labels=y), z) == {"bf16"}
    assert _dots_and_convs(lambda x: d.apply(dv, x, train=False, labels=y), images) == {"bf16"}

    # The same parameters in float32 give the same networks to bfloat16's precision.
    config.compute_dtype = "float32"
    g32, d32 = models.make_generator(config), models.make_discriminator(config)
    assert _dots_and_convs(lambda z: g32.apply(gv, z, train=False, labels=y), z) == {"f32"}
    images32, _ = g32.apply(gv, z, train=True, labels=y, mutable=["batch_stats"])
    logits32, _ = d32.apply(dv, images32, train=True, labels=y, mutable=["batch_stats"], rngs={"dropout": key})
    np.testing.assert_allclose(images, images32, atol=0.05)
    np.testing.assert_allclose(logits, logits32, atol=0.05 * float(jnp.max(jnp.abs(logits32))))
    assert not np.array_equal(images, images32)


def test_unknown_compute_dtype_names_the_choices():
    with pytest.raises(ValueError, match="unknown compute_dtype 'float16'; choose 'float32' or 'bfloat16'"):
        models.make_generator(tiny_config("mlp", compute_dtype="float16"))
