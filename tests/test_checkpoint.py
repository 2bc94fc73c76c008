import jax
import jax.numpy as jnp
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
