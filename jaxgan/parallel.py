"""Data parallelism: the only module that touches ``jax.pmap``.

The per-device step is the GAN's own pure ``train_step``, built with an axis
name: it averages gradients and metrics with ``lax.pmean`` over that axis,
BatchNorm statistics are computed over the global batch, and latents are
drawn per global example, so a step on N devices computes what one device
computes on the whole batch. Any SPMD wrapper that binds the axis name
(``jax.pmap`` here, ``jax.shard_map`` with ``config.parallelism='shard_map'``)
runs the same function.

With several processes (``jax.distributed``) every process feeds its own
slice of the global batch to its local devices, and the collectives span all
devices of all processes.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from flax import jax_utils
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

import jaxgan
from jaxgan.state import GANState

AXIS = "devices"


def train_step_uint8(gan, state: GANState, batch):
    """The trainer's step: uint8 images (or (images, labels)) in, the step key from (state.rng, state.step).

    Sending uint8 to the device moves a quarter of the bytes of float32.
    """
    images, labels = batch if isinstance(batch, tuple) else (batch, None)
    real = images.astype(jnp.float32) / 127.5 - 1.0
    return gan.train_step(state, real, jax.random.fold_in(state.rng, state.step), labels)


class DataParallel:
    """Runs a GAN's train step over local devices (and every process's).

    Args:
      config: the run's preset; ``config.num_devices`` (0 = all local devices)
        limits the devices and ``config.parallelism`` picks 'pmap' (default) or
        'shard_map'.

    Raises:
      ValueError: the batch size does not divide over the devices.
    """

    def __init__(self, config):
        local = jax.local_devices()
        if config.num_devices:
            if config.num_devices > len(local):
                raise ValueError(
                    f"num_devices={config.num_devices} but this process sees {len(local)} devices; "
                    f"use --config.num_devices={len(local)} or fewer"
                )
            if jax.process_count() > 1 and config.num_devices != len(local):
                raise ValueError("num_devices must be 0 (all) when training on several processes")
            local = local[: config.num_devices]
        self.devices = local
        self.num_local = len(local)
        self.num_devices = self.num_local * jax.process_count()
        if config.batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {config.batch_size}")
        if config.batch_size % self.num_devices:
            raise ValueError(
                f"batch_size {config.batch_size} does not divide evenly over {self.num_devices} devices; "
                f"use a multiple of {self.num_devices} or set --config.num_devices"
            )
        self.per_device_batch = config.batch_size // self.num_devices
        self.stacked = config.n_critic > 1
        self.gan = jaxgan.build(config, axis_name=AXIS if self.num_devices > 1 else None)
        step = functools.partial(train_step_uint8, self.gan)
        mode = config.get("parallelism", "pmap")
        if mode not in ("pmap", "shard_map"):
            raise ValueError(f"unknown parallelism {mode!r}; choose 'pmap' or 'shard_map'")
        self.mode = mode if self.num_devices > 1 else "single"
        if self.mode == "single":
            self._step = jax.jit(step, donate_argnums=0)
        elif self.mode == "pmap":
            devices = None if jax.process_count() > 1 else local
            self._step = jax.pmap(step, axis_name=AXIS, devices=devices, donate_argnums=0)
        else:
            self.mesh = Mesh(np.array(jax.devices() if jax.process_count() > 1 else local), (AXIS,))
            # Leading device axis of size 1 per shard, as under pmap.
            self._step = jax.jit(
                jax.shard_map(
                    lambda s, b: jax.tree.map(lambda x: x[None], step(*jax.tree.map(lambda x: x[0], (s, b)))),
                    mesh=self.mesh, in_specs=P(AXIS), out_specs=P(AXIS),
                ),
                donate_argnums=0,
            )

    def train_step(self, state, batch):
        """One step on placed ``state`` with this process's uint8 batch (numpy)."""
        return self._step(state, self.put_batch(batch))

    def put_state(self, state: GANState):
        """Places a host state on the devices (replicated when parallel)."""
        if self.mode == "single":
            return jax.device_put(state, self.devices[0])
        if self.mode == "pmap":
            return jax_utils.replicate(state, self.devices)
        return jax.tree.map(lambda x: self._global(np.stack([np.asarray(x)] * self.num_local)), state)

    def get_state(self, state) -> GANState:
        """The state of the first device, as host numpy arrays."""
        if self.mode == "single":
            return jax.device_get(state)
        return jax.device_get(jax.tree.map(lambda x: x.addressable_shards[0].data[0], state))

    def get_metrics(self, metrics) -> dict[str, float]:
        """Metrics as floats (already averaged over devices)."""
        if self.mode != "single":
            metrics = jax.tree.map(lambda x: x.addressable_shards[0].data[0], metrics)
        return {k: float(v) for k, v in jax.device_get(metrics).items()}

    def put_batch(self, batch):
        """Splits this process's batch over its local devices.

        Args:
          batch: images (b, ...) or (n_critic, b, ...), or a tuple (images, labels)
            with labels (b,) or (n_critic, b).
        """
        if self.mode == "single":
            return batch

        def split(x):
            if self.stacked:  # (n_critic, b, ...) -> (devices, n_critic, b / devices, ...)
                k, b = x.shape[:2]
                return x.reshape(k, self.num_local, b // self.num_local, *x.shape[2:]).swapaxes(0, 1)
            return x.reshape(self.num_local, -1, *x.shape[1:])

        batch = jax.tree.map(split, batch)
        if self.mode == "pmap":
            return batch
        return jax.tree.map(self._global, batch)

    def _global(self, local: np.ndarray):
        sharding = NamedSharding(self.mesh, P(AXIS))
        shape = (self.num_devices, *local.shape[1:])
        return jax.make_array_from_process_local_data(sharding, local, shape)
