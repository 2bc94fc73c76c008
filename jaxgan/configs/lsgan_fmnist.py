"""LSGAN (Mao et al. 2017) on Fashion-MNIST with the DCGAN networks.

Least-squares losses with targets a=0, b=c=1; Adam(2e-4, 0.5), batch 64.

    python train.py --config=lsgan_fmnist   # needs fashion_mnist prepared by tfds

Result: not measured yet (the dataset cannot be prepared offline where jaxgan is tested).
"""

from jaxgan.configs import fmnist_dcgan


def get_config():
    c = fmnist_dcgan.get_config()
    c.name = "lsgan_fmnist"
    c.loss = "lsgan"
    return c
