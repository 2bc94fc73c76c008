"""WGAN-GP (Gulrajani et al. 2017) on Fashion-MNIST with the DCGAN networks.

Gradient penalty with lambda 10 on per-example interpolates, 5 critic updates
per generator update, Adam(1e-4, b1=0, b2=0.9) as in the paper, and no
BatchNorm in the critic (the penalty is per example).

    python train.py --config=wgan_gp_fmnist   # needs fashion_mnist prepared by tfds

Result: not measured yet (the dataset cannot be prepared offline where jaxgan is tested).
"""

from jaxgan.configs import base, fmnist_dcgan


def get_config():
    c = fmnist_dcgan.get_config()
    c.name = "wgan_gp_fmnist"
    c.discriminator = base.discriminator(kind="dcgan", width=64, norm="none")
    c.loss = "wgan"
    c.penalty = "gp"
    c.penalty_weight = 10.0
    c.n_critic = 5
    c.g_optimizer = base.adam(1e-4, b1=0.0, b2=0.9)
    c.d_optimizer = base.adam(1e-4, b1=0.0, b2=0.9)
    return c
