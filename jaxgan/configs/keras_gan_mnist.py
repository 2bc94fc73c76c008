"""Keras-GAN's MNIST GAN (eriklindernoren/Keras-GAN, gan/gan.py).

G 100-256-512-1024-784 with LeakyReLU(0.2) and BatchNorm(momentum 0.8), tanh;
D 784-512-256-1 with LeakyReLU(0.2); Adam(2e-4, 0.5), batch 32, 30,000 steps.
G has 1,489,936 trainable parameters plus 3,584 BatchNorm statistics and D
533,505, as Keras' summary prints.

    python train.py --config=keras_gan_mnist   # needs MNIST prepared by tfds

Result: not measured yet (the dataset cannot be prepared offline where jaxgan is tested).
"""

from jaxgan.configs import base


def get_config():
    c = base.get_config()
    c.name = "keras_gan_mnist"
    c.dataset = "mnist"
    c.image_shape = (28, 28, 1)
    c.generator = base.generator(
        features=(256, 512, 1024), activation="leaky_relu", norm="batch", bn_momentum=0.8
    )
    c.discriminator = base.discriminator(features=(512, 256), activation="leaky_relu")
    c.loss = "non_saturating"
    c.steps = 30_000
    c.batch_size = 32
    c.log_every = 200
    c.sample_every = 2_000
    c.checkpoint_every = 2_000
    return c
