"""WGAN (Arjovsky et al. 2017) on Fashion-MNIST with the DCGAN networks.

Critic weights clipped to [-0.01, 0.01], 5 critic updates per generator
update, RMSProp(5e-5), batch 64, as in the paper.

    python train.py --config=wgan_fmnist   # needs fashion_mnist prepared by tfds

Result: not measured yet (the dataset cannot be prepared offline where jaxgan is tested).
"""

import ml_collections

from jaxgan.configs import fmnist_dcgan


def rmsprop(learning_rate=5e-5):
    # PyTorch's RMSprop (alpha=0.99, eps outside the square root), as the paper's code used.
    return ml_collections.ConfigDict(dict(
        name="rmsprop", learning_rate=learning_rate, decay=0.99, eps=1e-8, eps_in_sqrt=False
    ))


def get_config():
    c = fmnist_dcgan.get_config()
    c.name = "wgan_fmnist"
    c.loss = "wgan"
    c.clip = 0.01
    c.n_critic = 5
    c.g_optimizer = rmsprop()
    c.d_optimizer = rmsprop()
    return c
