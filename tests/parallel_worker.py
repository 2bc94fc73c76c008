"""Runs in a subprocess with forced host devices or under jax.distributed (see test_parallel)."""

import os
import sys

import jax
import numpy as np

from jaxgan.console import setup_jax  # noqa: E402

setup_jax()  # as the command line does, so runs compare bitwise with CLI runs

from jaxgan import configs, parallel, trainer  # noqa: E402


def flat(state):
    return np.concatenate([np.ravel(x).astype(np.float64) for x in jax.tree.leaves(state)])


def compare(config_name: str, batch_size: int, steps: int = 1):
    """Max relative difference between N-device and 1-device steps on the same global batch."""
    config = configs.get(config_name)
    config.batch_size = batch_size
    # Dropout masks differ per device by design (fold_in(key, axis_index)), so the comparison runs without.
    config.generator.dropout = config.discriminator.dropout = ()
    rng = np.random.default_rng(0)
    batches = [rng.integers(0, 256, (batch_size, *config.image_shape), dtype=np.uint8) for _ in range(steps)]
    if config.conditional:
        batches = [(b, rng.integers(0, config.num_classes, batch_size).astype(np.int32)) for b in batches]
    results = {}
    for mode, n in (("single", 1), ("pmap", 0), ("shard_map", 0)):
        config.num_devices, config.parallelism = n, "pmap" if mode == "single" else mode
        par = parallel.DataParallel(config)
        state = par.put_state(par.gan.init(jax.random.PRNGKey(0)))
        for b in batches:
            state, _ = par.train_step(state, b)
        results[mode] = (par.num_devices, flat(par.get_state(state)))
    ref = results["single"][1]
    scale = np.maximum(np.abs(ref), 1e-3)
    for mode in ("pmap", "shard_map"):
        n, x = results[mode]
        print(f"{mode} devices={n} max_rel_diff={np.max(np.abs(x - ref) / scale):.3g} "
              f"norm_rel_diff={np.linalg.norm(x - ref) / np.linalg.norm(ref):.3g}")


def multihost(process_id: int, num_processes: int, port: int, workdir: str, out: str, steps: int):
    if num_processes > 1:
        jax.distributed.initialize(f"127.0.0.1:{port}", num_processes, process_id)
    config = configs.get("keras_gan_mnist")
    config.dataset, config.image_shape = "digits", (8, 8, 1)
    config.data_dir = os.path.join(workdir, "tfds")
    config.batch_size, config.steps = 16, steps
    config.log_every, config.sample_every, config.checkpoint_every = 1, 0, 0
    state = trainer.train(config, os.path.join(workdir, "run"))
    np.save(out, flat(state))
    print("devices", jax.device_count(), "processes", jax.process_count())


if __name__ == "__main__":
    if sys.argv[1] == "compare":
        compare(sys.argv[2], int(sys.argv[3]))
    else:
        multihost(*map(int, sys.argv[2:5]), sys.argv[5], sys.argv[6], int(sys.argv[7]))
