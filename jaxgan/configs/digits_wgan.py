"""WGAN with weight clipping (Arjovsky et al. 2017) on digits, MLP networks.

The paper's recipe: critic weights clipped to [-0.01, 0.01], 5 critic
updates per generator update, RMSProp; no dropout in the critic.

    python train.py --config=digits_wgan

Result (30,000 steps, 2.9 min wall on the 2-core CI CPU, from
``python benchmarks/digits_results.py``): the best checkpoint (step 30,000)
has FD 15.6 against a real floor of 8.8 (1.8x), all 10 digits covered,
precision 0.56, recall 0.93.
"""

from jaxgan.configs import base, digits, wgan_fmnist


def get_config():
    c = digits.get_config()
    c.name = "digits_wgan"
    c.discriminator = base.discriminator(features=(256, 256), activation="leaky_relu")
    c.loss = "wgan"
    c.clip = 0.01
    c.n_critic = 5
    c.g_optimizer = wgan_fmnist.rmsprop(5e-5)
    c.d_optimizer = wgan_fmnist.rmsprop(5e-5)
    return c
