"""DCGAN on 64x64 CelebA, the pytorch/examples layout (nz=100, ngf=ndf=64).

G: z -> 4x4x512 -> 8x8x256 -> 16x16x128 -> 32x32x64 -> 64x64x3; D the mirror;
Adam(2e-4, 0.5), batch 128.

    python train.py --config=celeba_dcgan   # needs celeb_a prepared by tfds

Result: not measured yet (the dataset cannot be prepared offline where jaxgan is tested).
"""

from jaxgan.configs import base


def get_config():
    c = base.get_config()
    c.name = "celeba_dcgan"
    c.dataset = "celeb_a"
    c.image_shape = (64, 64, 3)
    c.generator = base.generator(kind="dcgan", width=64, norm="batch")
    c.discriminator = base.discriminator(kind="dcgan", width=64, norm="batch")
    c.loss = "non_saturating"
    c.steps = 30_000
    c.batch_size = 128
    c.log_every = 200
    c.sample_every = 2_000
    c.checkpoint_every = 2_000
    return c
