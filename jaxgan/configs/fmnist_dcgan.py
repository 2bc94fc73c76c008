"""DCGAN (Radford et al. 2015) on 28x28 Fashion-MNIST.

G: z -> 7x7x128 -> 14x14x64 -> 28x28x1 with BatchNorm and ReLU, tanh; D the
mirror with LeakyReLU(0.2); Adam(2e-4, 0.5), batch 64.

    python train.py --config=fmnist_dcgan   # needs fashion_mnist prepared by tfds

Result: not measured yet (the dataset cannot be prepared offline where jaxgan is tested).
"""

from jaxgan.configs import base


def get_config():
    c = base.get_config()
    c.name = "fmnist_dcgan"
    c.dataset = "fashion_mnist"
    c.image_shape = (28, 28, 1)
    c.generator = base.generator(kind="dcgan", width=64, norm="batch")
    c.discriminator = base.discriminator(kind="dcgan", width=64, norm="batch")
    c.loss = "non_saturating"
    c.steps = 20_000
    c.batch_size = 64
    c.log_every = 200
    c.sample_every = 2_000
    c.checkpoint_every = 2_000
    return c
