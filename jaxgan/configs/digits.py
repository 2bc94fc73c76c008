"""The default preset: an MLP GAN on scikit-learn's 1,797 real 8x8 digits.

Trains on a 2-core CPU in a few minutes and works offline:

    python train.py                       # same as --config=digits

Evaluates every 5,000 steps; ``python -m jaxgan.evaluate --workdir=runs/digits --best``
scores the best checkpoint again.

Result (30,000 steps, 1.6 min wall on the 2-core CI CPU, from
``python benchmarks/digits_results.py``): the best checkpoint (step 30,000)
has FD 17.1 against a real floor of 8.8 (1.9x), KID 0.76 (floor 0.32), all
10 digits covered, precision 0.77, recall 0.83. ``--config.loss=minimax``,
``lsgan`` and ``hinge`` reach 1.8x, 2.5x and 1.6x the floor in the same time
(README, Results on digits).
"""

from jaxgan.configs import base


def get_config():
    c = base.get_config()
    c.name = "digits"
    c.dataset = "digits"
    c.image_shape = (8, 8, 1)
    c.latent_dim = 32
    c.generator = base.generator(features=(256, 256), activation="leaky_relu")
    # Dropout in D keeps G from dropping classes (measured: every class in
    # 4.5-10% of samples with it, 0.3% for the rarest without).
    c.discriminator = base.discriminator(features=(256, 256), activation="leaky_relu", dropout=(0.3, 0.3))
    c.g_optimizer = base.adam(2e-4, b1=0.5)
    c.d_optimizer = base.adam(2e-4, b1=0.5)
    c.loss = "non_saturating"
    c.ema_decay = 0.999
    c.steps = 30_000
    c.batch_size = 64
    c.log_every = 200
    c.sample_every = 2_000
    c.checkpoint_every = 2_000
    c.eval_every = 5_000
    return c
