"""Trains a GAN: ``python train.py --config=PRESET --workdir=DIR``. See jaxgan/cli.py."""

from jaxgan.cli import run

if __name__ == "__main__":
    run()
