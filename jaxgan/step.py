"""The GAN object: static parts built from a config, and pure, jitted steps.

``jaxgan.build(config)`` returns a :class:`GAN`. Its methods are pure
functions of (state, data, key) and are compiled once:

    gan = jaxgan.build(jaxgan.configs.get("digits"))
    state = gan.init(jax.random.key(0))
    state, metrics = gan.train_step(state, images, key)  # images in [-1, 1]

Built with ``axis_name``, the same functions run per device under
``jax.pmap`` (or ``shard_map``): gradients and metrics are averaged over that
axis, BatchNorm statistics are global, and the latents and dropout masks do
not depend on how the batch is split.
"""

from __future__ import annotations

import math
import jax
import jax.numpy as jnp
import optax
from jax import lax

from jaxgan import losses, models, penalties
from jaxgan.state import GANState

Metrics = dict[str, jax.Array]

PENALTIES = ("none", "gp", "r1")


def make_optimizer(cfg) -> optax.GradientTransformation:
    """Builds ``optax.<cfg.name>(**rest of cfg)``, e.g. name='adam', learning_rate=2e-4."""
    kwargs = dict(cfg)
    name = kwargs.pop("name")
    factory = getattr(optax, name, None)
    if not callable(factory):
        raise ValueError(f"unknown optimizer {name!r}; use the name of an optax optimizer such as 'adam' or 'rmsprop'")
    try:
        return factory(**kwargs)
    except TypeError as e:
        raise ValueError(f"bad arguments for optax.{name}: {e}") from None


class GAN:
    """A generator, a discriminator, their optimizers and the GAN objective.

    Attributes:
      config: the ConfigDict the GAN was built from.
      generator, discriminator: the Flax modules.
      axis_name: the pmap axis the steps reduce over, or None.
      n_critic: discriminator updates per generator update.
    """

    def __init__(self, config, axis_name: str | None = None):
        if config.loss not in losses.KINDS:
            raise ValueError(f"unknown loss {config.loss!r}; choose one of {', '.join(losses.KINDS)}")
        if config.penalty not in PENALTIES:
            raise ValueError(f"unknown penalty {config.penalty!r}; choose one of {', '.join(PENALTIES)}")
        if config.n_critic < 1:
            raise ValueError(f"n_critic must be at least 1, got {config.n_critic}")
        self.config = config
        self.axis_name = axis_name
        self.image_shape = tuple(config.image_shape)
        self.latent_dim = config.latent_dim
        self.n_critic = config.n_critic
        self.generator = models.make_generator(config, axis_name)
        self.discriminator = models.make_discriminator(config, axis_name)
        self.g_tx = make_optimizer(config.g_optimizer)
        self.d_tx = make_optimizer(config.d_optimizer)
        self.init = jax.jit(self._init)
        self.d_step = jax.jit(self._d_step)
        self.g_step = jax.jit(self._g_step, static_argnums=2)
        self.train_step = jax.jit(self._train_step)
        self.sample = jax.jit(self._sample, static_argnums=2)

    # -- building blocks -------------------------------------------------

    def _init(self, key: jax.Array) -> GANState:
        g_key, d_key = jax.random.split(key)
        z = jnp.zeros((1, self.latent_dim))
        x = jnp.zeros((1, *self.image_shape))
        g_vars = self.generator.init(g_key, z, train=False)
        d_vars = self.discriminator.init(d_key, x, train=False)
        g_params, d_params = g_vars["params"], d_vars["params"]
        ema = g_params if self.config.ema_decay > 0 else None
        return GANState(
            step=jnp.zeros((), jnp.int32),
            rng=key,
            g_params=g_params,
            d_params=d_params,
            g_batch_stats=g_vars.get("batch_stats", {}),
            d_batch_stats=d_vars.get("batch_stats", {}),
            g_opt_state=self.g_tx.init(g_params),
            d_opt_state=self.d_tx.init(d_params),
            g_ema_params=ema,
        )

    def latents(self, key: jax.Array, n: int, offset: jax.Array | int = 0) -> jax.Array:
        """Latents (n, latent_dim) ~ N(0, I) for global examples offset .. offset + n - 1.

        Each example's latent comes from ``fold_in(key, index)``, so a batch
        split over devices draws the same latents as the whole batch on one.
        """
        idx = offset + jnp.arange(n)
        return jax.vmap(lambda i: jax.random.normal(jax.random.fold_in(key, i), (self.latent_dim,)))(idx)

    def _local_latents(self, key, n):
        offset = lax.axis_index(self.axis_name) * n if self.axis_name else 0
        return self.latents(key, n, offset)

    def _device_key(self, key):
        # Dropout masks and penalty interpolations differ per device.
        return jax.random.fold_in(key, lax.axis_index(self.axis_name)) if self.axis_name else key

    def _pmean(self, tree):
        return lax.pmean(tree, self.axis_name) if self.axis_name else tree

    def generate(self, g_params, g_batch_stats, z, key, train: bool = True):
        """Applies G; returns (images (B, H, W, C) in [-1, 1], updated batch stats)."""
        variables = {"params": g_params, "batch_stats": g_batch_stats}
        if not train:
            return self.generator.apply(variables, z, train=False), g_batch_stats
        images, new = self.generator.apply(
            variables, z, train=True, rngs={"dropout": key}, mutable=["batch_stats"]
        )
        return images, new.get("batch_stats", {})

    def discriminate(self, d_params, d_batch_stats, images, key, train: bool = True):
        """Applies D; returns (logits (B,), updated batch stats)."""
        variables = {"params": d_params, "batch_stats": d_batch_stats}
        if not train:
            return self.discriminator.apply(variables, images, train=False), d_batch_stats
        logits, new = self.discriminator.apply(
            variables, images, train=True, rngs={"dropout": key}, mutable=["batch_stats"]
        )
        return logits, new.get("batch_stats", {})

    def _penalty(self, d_params, d_batch_stats, real, fake, key):
        if self.config.penalty == "none":
            return jnp.zeros(())
        drop_key, gp_key = jax.random.split(key)

        def critic(x):
            return self.discriminate(d_params, d_batch_stats, x, drop_key)[0]

        if self.config.penalty == "gp":
            return penalties.gradient_penalty(critic, real, fake, gp_key)
        return penalties.r1_penalty(critic, real)

    # -- the steps -------------------------------------------------------

    def _d_step(self, state: GANState, real: jax.Array, key: jax.Array) -> tuple[GANState, Metrics]:
        """One discriminator update; G's parameters and statistics are untouched.

        Args:
          state: the training state.
          real: real images (B, H, W, C) in [-1, 1] (per device under pmap).
          key: PRNG key of this update.

        Returns:
          (new state, metrics): d_loss (without the penalty), penalty (unweighted),
          d_real and d_fake (mean D output, a probability for the BCE losses),
          d_accuracy and d_grad_norm.
        """
        z_key, g_key, key = jax.random.split(key, 3)
        real_key, fake_key, pen_key = jax.random.split(self._device_key(key), 3)
        z = self._local_latents(z_key, real.shape[0])
        # G runs in training mode, as in the reference implementations, but its
        # statistics are only updated by the generator's own step.
        fake, _ = self.generate(state.g_params, state.g_batch_stats, z, self._device_key(g_key))
        fake = lax.stop_gradient(fake)

        def loss_fn(d_params):
            if jax.tree.leaves(state.d_batch_stats):
                # BatchNorm: real and fake batches are normalised apart, as in the reference DCGAN.
                real_logits, stats = self.discriminate(d_params, state.d_batch_stats, real, real_key)
                fake_logits, stats = self.discriminate(d_params, stats, fake, fake_key)
            else:
                # Examples are independent: one call on both halves makes larger, faster matmuls.
                logits, stats = self.discriminate(d_params, state.d_batch_stats, jnp.concatenate([real, fake]), real_key)
                real_logits, fake_logits = jnp.split(logits, 2)
            loss = losses.d_loss(self.config.loss, real_logits, fake_logits)
            penalty = self._penalty(d_params, state.d_batch_stats, real, fake, pen_key)
            total = loss + self.config.penalty_weight * penalty
            return total, (stats, loss, penalty, real_logits, fake_logits)

        grads, (stats, loss, penalty, real_logits, fake_logits) = jax.grad(loss_fn, has_aux=True)(state.d_params)
        grads = self._pmean(grads)
        updates, opt_state = self.d_tx.update(grads, state.d_opt_state, state.d_params)
        params = optax.apply_updates(state.d_params, updates)
        if self.config.clip > 0:
            params = penalties.clip_weights(params, self.config.clip)
        metrics = {
            "d_loss": loss,
            "penalty": penalty,
            "d_real": self._readout(real_logits),
            "d_fake": self._readout(fake_logits),
            "d_accuracy": 0.5 * (jnp.mean(real_logits > 0) + jnp.mean(fake_logits < 0)),
        }
        metrics = self._pmean(metrics)
        metrics["d_grad_norm"] = optax.tree.norm(grads)
        state = state.replace(d_params=params, d_batch_stats=stats, d_opt_state=opt_state)
        return state, metrics

    def _g_step(self, state: GANState, key: jax.Array, batch_size: int) -> tuple[GANState, Metrics]:
        """One generator update; D's parameters and statistics are untouched.

        Args:
          state: the training state.
          key: PRNG key of this update.
          batch_size: latents to draw (per device under pmap); static.

        Returns:
          (new state with step + 1, metrics): g_loss and g_grad_norm.
        """
        z_key, key = jax.random.split(key)
        g_key, d_key = jax.random.split(self._device_key(key))
        z = self._local_latents(z_key, batch_size)

        def loss_fn(g_params):
            fake, stats = self.generate(g_params, state.g_batch_stats, z, g_key)
            # D in training mode (its batch statistics), its updates discarded.
            logits, _ = self.discriminate(state.d_params, state.d_batch_stats, fake, d_key)
            return losses.g_loss(self.config.loss, logits), stats

        (loss, stats), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.g_params)
        grads = self._pmean(grads)
        updates, opt_state = self.g_tx.update(grads, state.g_opt_state, state.g_params)
        params = optax.apply_updates(state.g_params, updates)
        ema = state.g_ema_params
        if ema is not None:
            decay = self.config.ema_decay
            ema = jax.tree.map(lambda e, p: decay * e + (1.0 - decay) * p, ema, params)
        state = state.replace(
            step=state.step + 1, g_params=params, g_batch_stats=stats, g_opt_state=opt_state,
            g_ema_params=ema,
        )
        return state, {"g_loss": self._pmean(loss), "g_grad_norm": optax.tree.norm(grads)}

    def _train_step(self, state: GANState, real: jax.Array, key: jax.Array) -> tuple[GANState, Metrics]:
        """n_critic discriminator updates, then one generator update.

        Args:
          state: the training state.
          real: real images in [-1, 1], (B, H, W, C) reused by every critic
            update, or (n_critic, B, H, W, C) with a fresh batch for each, as in
            the WGAN papers.
          key: PRNG key of this step, e.g. ``fold_in(state.rng, state.step)``.

        Returns:
          (new state, metrics of the last D update and of the G update).
        """
        stacked = real.ndim == len(self.image_shape) + 2
        if stacked and real.shape[0] != self.n_critic:
            raise ValueError(f"real has {real.shape[0]} stacked batches; expected n_critic={self.n_critic}")
        d_keys = jax.random.split(jax.random.fold_in(key, 0), self.n_critic)
        if self.n_critic == 1:
            state, d_metrics = self._d_step(state, real[0] if stacked else real, d_keys[0])
        else:
            def critic_update(state, i):
                return self._d_step(state, real[i] if stacked else real, d_keys[i])

            state, d_metrics = lax.scan(critic_update, state, jnp.arange(self.n_critic))
            d_metrics = jax.tree.map(lambda m: m[-1], d_metrics)
        batch_size = real.shape[1] if stacked else real.shape[0]
        state, g_metrics = self._g_step(state, jax.random.fold_in(key, 1), batch_size)
        return state, {**d_metrics, **g_metrics}

    def _sample(self, state: GANState, key: jax.Array, n: int) -> jax.Array:
        """n images (n, H, W, C) in [-1, 1] from G in inference mode (EMA weights if kept).

        The same key gives the same latents, so grids over training compare.
        """
        z = self.latents(key, n)
        return self.generator.apply(state.generator_variables(), z, train=False)

    def num_params(self, state: GANState) -> dict[str, int]:
        """Counts of trainable parameters and BatchNorm statistics per network."""
        def count(tree):
            return sum(math.prod(x.shape) for x in jax.tree.leaves(tree))

        return {
            "g_params": count(state.g_params),
            "g_batch_stats": count(state.g_batch_stats),
            "d_params": count(state.d_params),
            "d_batch_stats": count(state.d_batch_stats),
        }

    def _readout(self, logits):
        if losses.is_probabilistic(self.config.loss):
            return jnp.mean(jax.nn.sigmoid(logits))
        return jnp.mean(logits)
