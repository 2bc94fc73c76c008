import jax
import jax.numpy as jnp
import pytest
from conftest import tiny_config

import jaxgan
from jaxgan import checkpoint


def test_best_checkpoint_keeps_the_lowest_fd(tmp_path):
    gan = jaxgan.build(tiny_config("mlp"))
    state = gan.init(jax.random.PRNGKey(0))
    best = checkpoint.Checkpointer(checkpoint.directory(str(tmp_path), best=True), 1, best_metric="fd")
    for step, fd in ((10, 5.0), (20, 2.0), (30, 4.0)):
        best.save(state.replace(step=jnp.int32(step)), {}, metrics={"fd": fd})
    best.wait()
    assert best.all_steps() == [20]
    restored, _ = best.restore(jax.eval_shape(gan.init, jax.random.PRNGKey(0)))
    assert int(restored.step) == 20
    best.close()


def test_same_config_other_shapes_blames_the_jaxgan_version(tmp_path):
    config = tiny_config("mlp")
    gan = jaxgan.build(config)
    state = gan.init(jax.random.PRNGKey(0))
    ckpt = checkpoint.Checkpointer(str(tmp_path), 1)
    # As a release that stored a kernel transposed would have written it.
    kernel = state.g_params["Dense_0"]["kernel"]
    old = state.replace(g_params={**state.g_params, "Dense_0": {**state.g_params["Dense_0"], "kernel": kernel.T}})
    ckpt.save(old, {"config": config.to_json()})
    ckpt.wait()
    template = jax.eval_shape(gan.init, jax.random.PRNGKey(0))
    with pytest.raises(checkpoint.CheckpointError, match="another version of jaxgan wrote it") as e:
        ckpt.restore(template, config=config)
    assert "generator/params/Dense_0/kernel" in str(e.value)
    generator = {"params": template.g_params, "batch_stats": template.g_batch_stats, "ema_params": template.g_ema_params}
    with pytest.raises(checkpoint.CheckpointError, match="another version of jaxgan wrote it"):
        ckpt.restore_generator(generator, config=config)  # as jaxgan.sample restores
    ckpt.close()
