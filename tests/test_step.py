import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import tiny_config

import jaxgan


@pytest.fixture(scope="module")
def gan():
    return jaxgan.build(tiny_config("dcgan", ema_decay=0.9))


@pytest.fixture(scope="module")
def setup(gan):
    state = gan.init(jax.random.PRNGKey(0))
    real = jax.random.uniform(jax.random.PRNGKey(1), (8, 8, 8, 1), minval=-1, maxval=1)
    return state, real


G_FIELDS = ("g_params", "g_batch_stats", "g_opt_state", "g_ema_params")
D_FIELDS = ("d_params", "d_batch_stats", "d_opt_state")


def leaves(state, fields):
    return [(f, i, x) for f in fields for i, x in enumerate(jax.tree.leaves(getattr(state, f)))]


def assert_identical(a, b, fields):
    for (f, i, x), (_, _, y) in zip(leaves(a, fields), leaves(b, fields)):
        assert np.array_equal(x, y), f"{f} leaf {i} changed"


def assert_all_changed(a, b, fields):
    for (f, i, x), (_, _, y) in zip(leaves(a, fields), leaves(b, fields)):
        if f.endswith("opt_state") and x.ndim == 0:
            continue  # step counters
        assert not np.array_equal(x, y), f"{f} leaf {i} did not change"


def test_d_step_changes_d_only(gan, setup):
    state, real = setup
    new, metrics = gan.d_step(state, real, jax.random.PRNGKey(2))
    assert_identical(state, new, G_FIELDS + ("step", "rng"))
    assert_all_changed(state, new, D_FIELDS)
    assert set(metrics) >= {"d_loss", "d_real", "d_fake", "d_accuracy", "penalty", "d_grad_norm"}


def test_g_step_changes_g_only(gan, setup):
    state, _ = setup
    new, metrics = gan.g_step(state, jax.random.PRNGKey(3), 8)
    assert_identical(state, new, D_FIELDS + ("rng",))
    assert_all_changed(state, new, G_FIELDS)
    assert int(new.step) == int(state.step) + 1
    assert set(metrics) >= {"g_loss", "g_grad_norm"}


def test_train_step_compiles_once(gan, setup):
    state, real = setup
    for i in range(3):
        state, metrics = gan.train_step(state, real, jax.random.fold_in(state.rng, i))
    jax.block_until_ready(state)
    assert gan.train_step._cache_size() == 1
    assert int(state.step) == 3
    assert all(np.isfinite(v) for v in jax.device_get(metrics).values())


def test_same_seed_same_run(gan, setup):
    _, real = setup

    def run():
        state = gan.init(jax.random.PRNGKey(7))
        for i in range(3):
            state, _ = gan.train_step(state, real, jax.random.fold_in(state.rng, i))
        return state

    a, b = run(), run()
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        np.testing.assert_array_equal(x, y)


def test_sample_is_deterministic_and_in_range(gan, setup):
    state, _ = setup
    a = gan.sample(state, jax.random.PRNGKey(5), 6)
    b = gan.sample(state, jax.random.PRNGKey(5), 6)
    assert a.shape == (6, 8, 8, 1)
    np.testing.assert_array_equal(a, b)
    assert jnp.all(jnp.abs(a) <= 1)


def test_latents_do_not_depend_on_batch_split(gan):
    key = jax.random.PRNGKey(4)
    whole = gan.latents(key, 8)
    halves = jnp.concatenate([gan.latents(key, 4, 0), gan.latents(key, 4, 4)])
    np.testing.assert_array_equal(whole, halves)


def test_wgan_clipping_and_stacked_critic_batches():
    c = tiny_config("mlp", loss="wgan", clip=0.01, n_critic=3)
    gan = jaxgan.build(c)
    state = gan.init(jax.random.PRNGKey(0))
    reals = jax.random.uniform(jax.random.PRNGKey(1), (3, 8, 8, 8, 1), minval=-1, maxval=1)
    state, _ = gan.train_step(state, reals, jax.random.PRNGKey(2))
    assert max(float(jnp.max(jnp.abs(p))) for p in jax.tree.leaves(state.d_params)) <= 0.01
    with pytest.raises(ValueError, match="expected n_critic=3"):
        gan.train_step(state, reals[:2], jax.random.PRNGKey(2))


def test_n_critic_runs_that_many_d_updates():
    # Adam's step counter in the D optimizer state counts the updates.
    gan = jaxgan.build(tiny_config("mlp", n_critic=3))
    state = gan.init(jax.random.PRNGKey(0))
    state, _ = gan.train_step(state, jnp.zeros((8, 8, 8, 1)), jax.random.PRNGKey(2))
    assert int(state.d_opt_state[0].count) == 3
    assert int(state.g_opt_state[0].count) == 1


def test_bad_config_is_a_clear_error():
    c = tiny_config("mlp")
    c.g_optimizer.name = "adamm"
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'"):
        jaxgan.build(c)


def test_conditional_step_needs_labels_and_draws_them_per_example():
    gan = jaxgan.build(tiny_config("mlp", conditional=True, num_classes=3))
    state = gan.init(jax.random.PRNGKey(0))
    real = jnp.zeros((8, 8, 8, 1))
    with pytest.raises(ValueError, match="class-conditional"):
        gan.train_step(state, real, jax.random.PRNGKey(1))
    new, metrics = gan.train_step(state, real, jax.random.PRNGKey(1), jnp.arange(8) % 3)
    assert int(new.step) == 1 and all(np.isfinite(v) for v in jax.device_get(metrics).values())
    key = jax.random.PRNGKey(4)
    whole = gan.labels(key, 64)
    np.testing.assert_array_equal(whole, jnp.concatenate([gan.labels(key, 32, 0), gan.labels(key, 32, 32)]))
    assert set(np.asarray(whole).tolist()) == {0, 1, 2}
    np.testing.assert_array_equal(gan.class_rows(6), [0, 0, 1, 1, 2, 2])
    # A grid's rows are classes: the same latents under another label give other images.
    a = gan.sample(new, key, 6)
    b = gan.sample(new, key, 6, jnp.zeros(6, jnp.int32))
    np.testing.assert_array_equal(a[:2], b[:2])
    assert not np.allclose(a[2:], b[2:])


def test_bfloat16_wgan_gp_step_keeps_float32_state_and_follows_float32():
    # The nested grad of the gradient penalty runs through the bfloat16 critic too.
    def step(compute_dtype):
        c = tiny_config("dcgan", loss="wgan", penalty="gp", n_critic=2, compute_dtype=compute_dtype)
        c.discriminator.norm = "layer"
        gan = jaxgan.build(c)
        state = gan.init(jax.random.PRNGKey(0))
        real = jax.random.uniform(jax.random.PRNGKey(1), (8, 8, 8, 1), minval=-1, maxval=1)
        return gan.train_step(state, real, jax.random.PRNGKey(2))

    (state, metrics), (_, metrics32) = step("bfloat16"), step("float32")
    floats = {x.dtype for x in jax.tree.leaves(state) if jnp.issubdtype(x.dtype, jnp.floating)}
    assert floats == {jnp.dtype("float32")}
    for name in ("d_loss", "penalty", "d_grad_norm", "g_loss", "g_grad_norm"):
        np.testing.assert_allclose(metrics[name], metrics32[name], rtol=0.02, atol=1e-4, err_msg=name)
    assert metrics["penalty"] != metrics32["penalty"]
