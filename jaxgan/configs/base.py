"""Defaults shared by every preset; each preset file overrides what it needs.

Every field here exists in every preset, so any of them can be overridden
from the command line, e.g. ``--config.batch_size=64``.
"""

import ml_collections


def generator(**overrides) -> ml_collections.ConfigDict:
    """Generator fields. kind 'mlp' uses features/activation/dropout/out_activation, 'dcgan' uses width."""
    g = ml_collections.ConfigDict(dict(
        kind="mlp",
        features=(256, 256),
        activation="relu",
        norm="none",  # 'batch' or 'none'
        bn_momentum=0.9,  # Flax convention: 0.9 is PyTorch's momentum=0.1, Keras' 0.9
        dropout=(),  # per hidden layer
        out_activation="tanh",
        width=64,  # ngf
    ))
    g.update(overrides)
    return g


def discriminator(**overrides) -> ml_collections.ConfigDict:
    """Discriminator fields. kind 'mlp' uses features/activation/dropout, 'dcgan' uses width/norm."""
    d = ml_collections.ConfigDict(dict(
        kind="mlp",
        features=(256, 256),
        activation="leaky_relu",
        norm="batch",  # dcgan: 'batch', 'layer' or 'none'
        bn_momentum=0.9,
        dropout=(),
        width=64,  # ndf
    ))
    d.update(overrides)
    return d


def adam(learning_rate=2e-4, b1=0.5, b2=0.999) -> ml_collections.ConfigDict:
    """The DCGAN paper's Adam; any optax optimizer can be named instead."""
    return ml_collections.ConfigDict(dict(name="adam", learning_rate=learning_rate, b1=b1, b2=b2))


def get_config() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    c.name = "base"
    # Data: 'digits' (built in), a tfds name ('mnist', 'fashion_mnist',
    # 'cifar10', 'celeb_a') or 'folder:/path/to/images'.
    c.dataset = "digits"
    c.data_dir = ""  # tfds data_dir; '' means $TFDS_DATA_DIR or ~/tensorflow_datasets
    c.image_shape = (8, 8, 1)  # (H, W, C) the models make; data is resized to it
    c.latent_dim = 100

    c.generator = generator()
    c.discriminator = discriminator()
    c.g_optimizer = adam()
    c.d_optimizer = adam()

    c.loss = "non_saturating"  # minimax, non_saturating, lsgan, wgan, hinge
    c.penalty = "none"  # none, gp (WGAN-GP), r1
    c.penalty_weight = 10.0
    c.clip = 0.0  # WGAN weight clipping of D; 0 disables
    c.n_critic = 1
    c.ema_decay = 0.0  # EMA of G's weights for sampling and evaluation; 0 disables
    # Class-conditional G and D (concatenated label embedding in G, projection
    # D); needs a labelled dataset. Sample grids then have one row per class.
    c.conditional = False
    c.num_classes = 10

    # Durations are in generator steps.
    c.steps = 10_000
    c.batch_size = 64
    c.seed = 0
    c.log_every = 100
    c.sample_every = 1_000
    c.checkpoint_every = 1_000
    # Every eval_every steps: FD, KID, coverage, precision/recall of
    # eval_samples samples against the test split (see jaxgan.evaluator) into
    # metrics.jsonl, and the checkpoint with the lowest FD kept in <workdir>/best.
    # Needs a labelled dataset (the feature classifier trains on it); 0 disables.
    c.eval_every = 0
    c.eval_samples = 1000
    c.num_samples = 100  # images in each sample grid
    c.max_to_keep = 3

    # What the networks compute in: 'float32', or 'bfloat16' for GPU/TPU
    # (parameters, optimizer states, losses and gradients stay float32).
    c.compute_dtype = "float32"

    c.num_devices = 0  # devices to train on; 0 means all local devices
    c.parallelism = "pmap"  # or "shard_map": the same per-device step under jax.shard_map
    return c
