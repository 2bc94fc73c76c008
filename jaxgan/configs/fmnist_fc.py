"""The PyTorch fully connected GAN on Fashion-MNIST.

G 100-256-512-1024-784 ReLU, tanh; D 784-1024-512-256-1 LeakyReLU(0.2) with
Dropout(0.3) after the first two hidden layers; Adam(2e-4, 0.5), batch 128.

    python train.py --config=fmnist_fc   # needs fashion_mnist prepared by tfds

Result: not measured yet (the dataset cannot be prepared offline where jaxgan is tested).
"""

from jaxgan.configs import base


def get_config():
    c = base.get_config()
    c.name = "fmnist_fc"
    c.dataset = "fashion_mnist"
    c.image_shape = (28, 28, 1)
    c.generator = base.generator(features=(256, 512, 1024), activation="relu")
    c.discriminator = base.discriminator(
        features=(1024, 512, 256), activation="leaky_relu", dropout=(0.3, 0.3)
    )
    c.loss = "non_saturating"
    c.steps = 50_000
    c.batch_size = 128
    c.log_every = 500
    c.sample_every = 5_000
    c.checkpoint_every = 5_000
    return c
