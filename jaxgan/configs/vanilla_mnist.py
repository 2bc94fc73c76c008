"""The tutorial GAN (Goodfellow et al. 2014) on MNIST: G 100-128-784, D 784-128-1.

ReLU hidden layers, a sigmoid generator output (rescaled to [-1, 1]), BCE
with the non-saturating generator loss; ``--config.loss=minimax`` gives the
paper's saturating log(1 - D(G(z))) instead.

    python train.py --config=vanilla_mnist   # needs MNIST prepared by tfds

Result: not measured yet (the dataset cannot be prepared offline where jaxgan is tested).
"""

from jaxgan.configs import base


def get_config():
    c = base.get_config()
    c.name = "vanilla_mnist"
    c.dataset = "mnist"
    c.image_shape = (28, 28, 1)
    c.generator = base.generator(features=(128,), activation="relu", out_activation="sigmoid")
    c.discriminator = base.discriminator(features=(128,), activation="relu")
    c.g_optimizer = base.adam(1e-3, b1=0.9)  # TensorFlow's default Adam, as in the tutorial
    c.d_optimizer = base.adam(1e-3, b1=0.9)
    c.loss = "non_saturating"
    c.steps = 100_000
    c.batch_size = 128
    c.log_every = 500
    c.sample_every = 5_000
    c.checkpoint_every = 5_000
    return c
