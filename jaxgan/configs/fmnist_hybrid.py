"""The hybrid GAN on Fashion-MNIST: DCGAN generator, fully connected discriminator.

G as in fmnist_dcgan; D 784-1024-512-256-1 LeakyReLU(0.2) with Dropout(0.3)
as in fmnist_fc; Adam(2e-4, 0.5), batch 64.

    python train.py --config=fmnist_hybrid   # needs fashion_mnist prepared by tfds

Result: not measured yet (the dataset cannot be prepared offline where jaxgan is tested).
"""

from jaxgan.configs import base, fmnist_dcgan


def get_config():
    c = fmnist_dcgan.get_config()
    c.name = "fmnist_hybrid"
    c.discriminator = base.discriminator(
        features=(1024, 512, 256), activation="leaky_relu", dropout=(0.3, 0.3)
    )
    return c
