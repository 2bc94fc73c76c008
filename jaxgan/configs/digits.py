"""The default preset: an MLP GAN on scikit-learn's 1,797 real 8x8 digits.

Trains on a 2-core CPU in a few minutes and works offline:

    python train.py                       # same as --config=digits

Result (30,000 steps, 2m14s wall on the 2-core CI CPU), from
``python benchmarks/digits_quality.py runs/digits``: samples of all ten
digits; 89% of 1,000 samples are classified with confidence >= 0.8 by an SVC
trained on the real digits, and those include every digit, 64 to 121 of each;
classifier score 7.56 (of at most 10).
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
    return c
