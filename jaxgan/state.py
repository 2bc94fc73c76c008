"""The training state: one pytree with everything a GAN run needs to resume."""

from __future__ import annotations

from typing import Any

import flax.struct
import jax


@flax.struct.dataclass
class GANState:
    """Both networks, both optimizers and the bookkeeping of one GAN run.

    Attributes:
      step: int32 scalar, generator updates done so far.
      rng: the run's base PRNG key (uint32[2]); the key of step t is
        ``jax.random.fold_in(rng, t)``.
      g_params, d_params: parameter trees of the generator and discriminator.
      g_batch_stats, d_batch_stats: BatchNorm running statistics ({} if none).
      g_opt_state, d_opt_state: optax states of the two optimizers.
      g_ema_params: exponential moving average of ``g_params``, or None when
        ``config.ema_decay`` is 0.
    """

    step: jax.Array
    rng: jax.Array
    g_params: Any
    d_params: Any
    g_batch_stats: Any
    d_batch_stats: Any
    g_opt_state: Any
    d_opt_state: Any
    g_ema_params: Any = None

    def generator_variables(self, ema: bool = True) -> dict:
        """The generator's Flax variables, with the EMA weights when kept and asked for."""
        params = self.g_ema_params if ema and self.g_ema_params is not None else self.g_params
        return {"params": params, "batch_stats": self.g_batch_stats}
