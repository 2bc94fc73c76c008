"""WGAN-GP (Gulrajani et al. 2017) on digits, MLP networks.

Gradient penalty with lambda 10 on per-example interpolates, 5 critic
updates per generator update, Adam(1e-4, b1=0.5, b2=0.9) (the paper's MNIST
setting); no dropout in the critic, as the penalty wants a deterministic one.

    python train.py --config=digits_wgan_gp

Result (30,000 steps, 4.1 min wall on the 2-core CI CPU, from
``python benchmarks/digits_results.py``): the best checkpoint (step 30,000)
has FD 14.8 against a real floor of 8.8 (1.7x), all 10 digits covered,
precision 0.79, recall 0.85.
"""

from jaxgan.configs import base, digits


def get_config():
    c = digits.get_config()
    c.name = "digits_wgan_gp"
    c.discriminator = base.discriminator(features=(256, 256), activation="leaky_relu")
    c.loss = "wgan"
    c.penalty = "gp"
    c.penalty_weight = 10.0
    c.n_critic = 5
    c.g_optimizer = base.adam(1e-4, b1=0.5, b2=0.9)
    c.d_optimizer = base.adam(1e-4, b1=0.5, b2=0.9)
    return c
