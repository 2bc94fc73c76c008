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

A class-conditional GAN (``config.conditional``) takes the real batch's
integer labels as well: ``train_step(state, images, key, labels)``. Its D
step scores the fakes under the real batch's labels (so a gradient penalty
interpolates within a class); its G step draws uniform labels.
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

# Salt of the generator step's label stream: apart from its latents'.
_LABEL_SALT = 0x1AB


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
      num_classes: classes of a conditional GAN; 0 when unconditional.
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
        self.num_classes = models.conditional_classes(config)
        self.generator = models.make_generator(config, axis_name)
        self.discriminator = models.make_discriminator(config, axis_name)
        self.g_tx = make_optimizer(config.g_optimizer)
        self.d_tx = make_optimizer(config.d_optimizer)
        self.init = jax.jit(self._init)
        self.d_step = jax.jit(self._d_step)
        self.g_step = jax.jit(self._g_step, static_argnums=2)
        self.train_step = jax.jit(self._train_step)
        self.sample = jax.jit(self._sample, static_argnums=2)
        self.sample_from = jax.jit(self._sample_from, static_argnums=2)

    # -- building blocks -------------------------------------------------

    def _init(self, key: jax.Array) -> GANState:
        g_key, d_key = jax.random.split(key)
        z = jnp.zeros((1, self.latent_dim))
        x = jnp.zeros((1, *self.image_shape))
        y = jnp.zeros((1,), jnp.int32) if self.num_classes else None
        g_vars = self.generator.init(g_key, z, train=False, labels=y)
        d_vars = self.discriminator.init(d_key, x, train=False, labels=y)
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

    def labels(self, key: jax.Array, n: int, offset: jax.Array | int = 0) -> jax.Array:
        """Uniform class labels (n,) int32 for global examples offset .. offset + n - 1, like ``latents``."""
        idx = offset + jnp.arange(n)
        return jax.vmap(lambda i: jax.random.randint(jax.random.fold_in(key, i), (), 0, self.num_classes))(idx)

    def class_rows(self, n: int) -> jax.Array:
        """Labels (n,) in equal runs 0, 0, .., 1, 1, ..: a grid of n // num_classes columns has a row per class."""
        return jnp.arange(n) * self.num_classes // n

    def _local_offset(self, n):
        return lax.axis_index(self.axis_name) * n if self.axis_name else 0

    def _local_latents(self, key, n):
        return self.latents(key, n, self._local_offset(n))

    def _local_labels(self, key, n):
        if not self.num_classes:
            return None
        return self.labels(jax.random.fold_in(key, _LABEL_SALT), n, self._local_offset(n))

    def _check_labels(self, labels):
        if self.num_classes and labels is None:
            raise ValueError("this GAN is class-conditional (config.conditional): pass the real batch's labels")

    def _device_key(self, key):
        # Dropout masks and penalty interpolations differ per device.
        return jax.random.fold_in(key, lax.axis_index(self.axis_name)) if self.axis_name else key

    def _pmean(self, tree):
        return lax.pmean(tree, self.axis_name) if self.axis_name else tree

    def generate(self, g_params, g_batch_stats, z, key, train: bool = True, labels=None):
        """Applies G to z (B, latent_dim) [and labels (B,)]; returns (images (B, H, W, C) in [-1, 1], batch stats)."""
        variables = {"params": g_params, "batch_stats": g_batch_stats}
        if not train:
            return self.generator.apply(variables, z, train=False, labels=labels), g_batch_stats
        images, new = self.generator.apply(
            variables, z, train=True, labels=labels, rngs={"dropout": key}, mutable=["batch_stats"]
        )
        return images, new.get("batch_stats", {})

    def discriminate(self, d_params, d_batch_stats, images, key, train: bool = True, labels=None):
        """Applies D to images [and labels (B,)]; returns (logits (B,), updated batch stats)."""
        variables = {"params": d_params, "batch_stats": d_batch_stats}
        if not train:
            return self.discriminator.apply(variables, images, train=False, labels=labels), d_batch_stats
        logits, new = self.discriminator.apply(
            variables, images, train=True, labels=labels, rngs={"dropout": key}, mutable=["batch_stats"]
        )
        return logits, new.get("batch_stats", {})

    def _penalty(self, d_params, d_batch_stats, real, fake, key, labels):
        if self.config.penalty == "none":
            return jnp.zeros(())
        drop_key, gp_key = jax.random.split(key)

        def critic(x):
            return self.discriminate(d_params, d_batch_stats, x, drop_key, labels=labels)[0]

        if self.config.penalty == "gp":
            return penalties.gradient_penalty(critic, real, fake, gp_key)
        return penalties.r1_penalty(critic, real)

    # -- the steps -------------------------------------------------------

    def _d_step(self, state: GANState, real: jax.Array, key: jax.Array, labels=None) -> tuple[GANState, Metrics]:
        """One discriminator update; G's parameters and statistics are untouched.

        Args:
          state: the training state.
          real: real images (B, H, W, C) in [-1, 1] (per device under pmap).
          key: PRNG key of this update.
          labels: int labels (B,) of ``real``; required by a conditional GAN,
            whose fakes are made and scored under the same labels.

        Returns:
          (new state, metrics): d_loss (without the penalty), penalty (unweighted),
          d_real and d_fake (mean D output, a probability for the BCE losses),
          d_accuracy and d_grad_norm.
        """
        self._check_labels(labels)
        labels = labels if self.num_classes else None
        z_key, g_key, key = jax.random.split(key, 3)
        real_key, fake_key, pen_key = jax.random.split(self._device_key(key), 3)
        z = self._local_latents(z_key, real.shape[0])
        # G runs in training mode, as in the reference implementations, but its
        # statistics are only updated by the generator's own step.
        fake, _ = self.generate(state.g_params, state.g_batch_stats, z, self._device_key(g_key), labels=labels)
        fake = lax.stop_gradient(fake)

        def loss_fn(d_params):
            if jax.tree.leaves(state.d_batch_stats) or self.config.discriminator.kind != "mlp":
                # BatchNorm: real and fake batches are normalised apart, as in the reference DCGAN.
                # Convolutions: two calls on B examples are no slower than one on 2B on
                # XLA:CPU (wgan_gp_fmnist's step took 1.000 to 1.025x as long with one,
                # 3 interleaved pairs; 317 against 208 ms with earlier forms of jaxgan.conv).
                real_logits, stats = self.discriminate(d_params, state.d_batch_stats, real, real_key, labels=labels)
                fake_logits, stats = self.discriminate(d_params, stats, fake, fake_key, labels=labels)
            else:
                # An MLP's examples are independent: one call on both halves makes larger, faster matmuls.
                both = None if labels is None else jnp.concatenate([labels, labels])
                logits, stats = self.discriminate(
                    d_params, state.d_batch_stats, jnp.concatenate([real, fake]), real_key, labels=both
                )
                real_logits, fake_logits = jnp.split(logits, 2)
            loss = losses.d_loss(self.config.loss, real_logits, fake_logits)
            penalty = self._penalty(d_params, state.d_batch_stats, real, fake, pen_key, labels)
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
        labels = self._local_labels(z_key, batch_size)

        def loss_fn(g_params):
            fake, stats = self.generate(g_params, state.g_batch_stats, z, g_key, labels=labels)
            # D in training mode (its batch statistics), its updates discarded.
            logits, _ = self.discriminate(state.d_params, state.d_batch_stats, fake, d_key, labels=labels)
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

    def _train_step(self, state: GANState, real: jax.Array, key: jax.Array, labels=None) -> tuple[GANState, Metrics]:
        """n_critic discriminator updates, then one generator update.

        Args:
          state: the training state.
          real: real images in [-1, 1], (B, H, W, C) reused by every critic
            update, or (n_critic, B, H, W, C) with a fresh batch for each, as in
            the WGAN papers.
          key: PRNG key of this step, e.g. ``fold_in(state.rng, state.step)``.
          labels: int labels of ``real``, (B,) or (n_critic, B); required by a
            conditional GAN, ignored otherwise.

        Returns:
          (new state, metrics of the last D update and of the G update).
        """
        stacked = real.ndim == len(self.image_shape) + 2
        if stacked and real.shape[0] != self.n_critic:
            raise ValueError(f"real has {real.shape[0]} stacked batches; expected n_critic={self.n_critic}")
        self._check_labels(labels)
        labels = labels if self.num_classes else None

        def batch(i):
            if not stacked:
                return real, labels
            return real[i], None if labels is None else labels[i]

        d_keys = jax.random.split(jax.random.fold_in(key, 0), self.n_critic)
        if self.n_critic == 1:
            images, y = batch(0)
            state, d_metrics = self._d_step(state, images, d_keys[0], y)
        else:
            def critic_update(state, i):
                images, y = batch(i)
                return self._d_step(state, images, d_keys[i], y)

            state, d_metrics = lax.scan(critic_update, state, jnp.arange(self.n_critic))
            d_metrics = jax.tree.map(lambda m: m[-1], d_metrics)
        batch_size = real.shape[1] if stacked else real.shape[0]
        state, g_metrics = self._g_step(state, jax.random.fold_in(key, 1), batch_size)
        return state, {**d_metrics, **g_metrics}

    def _sample(self, state: GANState, key: jax.Array, n: int, labels=None) -> jax.Array:
        """n images (n, H, W, C) in [-1, 1] from G in inference mode (EMA weights if kept).

        The same key gives the same latents, so grids over training compare.
        A conditional GAN makes ``labels`` (n,), by default ``class_rows(n)``.
        """
        return self._sample_from(state.generator_variables(), key, n, labels)

    def _sample_from(self, variables: dict, key: jax.Array, n: int, labels=None) -> jax.Array:
        """``sample`` from the generator's Flax variables alone ({'params', 'batch_stats'})."""
        z = self.latents(key, n)
        if not self.num_classes:
            labels = None
        elif labels is None:
            labels = self.class_rows(n)
        return self.generator.apply(variables, z, train=False, labels=labels)

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
