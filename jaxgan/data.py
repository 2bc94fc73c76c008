"""Datasets: scikit-learn's digits as a local tfds dataset, tfds names, image folders.

``load_images(config)`` returns the whole training split as uint8
(N, H, W, C) at ``config.image_shape``; ``Batches`` cuts it into the
deterministic batch sequence of a run. The batch sequence depends only on
the seed and the batch's index, so a resumed run reads exactly the batches
the interrupted one would have.

Datasets:
  digits           1,797 real 8x8 handwritten digits bundled with scikit-learn,
                   built into a tfds array_record dataset on first use (offline).
  mnist, ...       any tfds image dataset, prepared by tfds (needs TensorFlow
                   and network, or files placed in tfds's manual_dir).
  folder:/path     PNG/JPEG files under a folder, center-cropped and resized.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import tensorflow_datasets as tfds
from PIL import Image, UnidentifiedImageError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
NETWORK_TIMEOUT_S = 3.0


class DataError(ValueError):
    """A dataset that cannot be used as asked; the message says how to fix it."""


class Digits(tfds.core.GeneratorBasedBuilder):
    """scikit-learn's 1,797 8x8 digits (0..16 scaled to 0..255) as a tfds dataset.

    Split with a fixed shuffle: 1,437 examples for 'train', 360 for 'test'.
    """

    VERSION = tfds.core.Version("1.0.0")

    def _info(self) -> tfds.core.DatasetInfo:
        return tfds.core.DatasetInfo(
            builder=self,
            description="scikit-learn's bundled UCI handwritten digits, 8x8 grayscale.",
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Tensor(shape=(8, 8, 1), dtype=np.uint8),
                "label": tfds.features.ClassLabel(num_classes=10),
            }),
            supervised_keys=("image", "label"),
        )

    def _split_generators(self, dl_manager):
        from sklearn.datasets import load_digits

        digits = load_digits()
        order = np.random.default_rng(0).permutation(len(digits.target))
        n_train = 1437
        return {
            "train": self._generate_examples(digits, order[:n_train]),
            "test": self._generate_examples(digits, order[n_train:]),
        }

    def _generate_examples(self, digits, indices):
        for i in indices:
            image = np.round(digits.images[i] * (255 / 16)).astype(np.uint8)[..., None]
            yield int(i), {"image": image, "label": int(digits.target[i])}


def data_dir(config) -> str:
    """The tfds data_dir: config.data_dir, else $TFDS_DATA_DIR, else ~/tensorflow_datasets."""
    return os.path.expanduser(config.data_dir or os.environ.get("TFDS_DATA_DIR", "~/tensorflow_datasets"))


def load_images(config, split: str = "train", with_labels: bool = False):
    """The whole split as uint8 (N, H, W, C) at ``config.image_shape``.

    Args:
      config: a preset (``dataset``, ``data_dir``, ``image_shape``).
      split: tfds split name; ignored for folders.
      with_labels: also return int labels (N,) (not for folders).

    Raises:
      DataError: unknown dataset, not available offline, empty or corrupt folder.
    """
    name = config.dataset
    shape = tuple(config.image_shape)
    if name.startswith("folder:"):
        if with_labels:
            raise DataError(f"{name!r} has no labels; use a labelled dataset such as digits")
        return _load_folder(name[len("folder:"):], shape)
    source = _tfds_source(config, split)
    images, labels = [], []
    chunk = 4096
    for start in range(0, len(source), chunk):
        for ex in source.__getitems__(list(range(start, min(start + chunk, len(source))))):
            images.append(_fit(ex["image"], shape))
            labels.append(ex.get("label", -1))
    images = np.stack(images)
    return (images, np.asarray(labels, np.int32)) if with_labels else images


def prepare(config) -> None:
    """Builds or downloads the dataset into the tfds data_dir if it is not there yet."""
    name, root = config.dataset, data_dir(config)
    if name.startswith("folder:"):
        return
    if name == "digits":
        builder = Digits(data_dir=root, file_format="array_record")
        if not builder.is_prepared():
            builder.download_and_prepare()
    else:
        _prepare_tfds(name, root)


def _tfds_source(config, split: str):
    prepare(config)
    name, root = config.dataset, data_dir(config)
    try:
        return tfds.data_source(name, split=split, data_dir=root)
    except (ValueError, KeyError, FileNotFoundError, NotImplementedError) as e:
        raise DataError(
            f"cannot read split {split!r} of {name!r} from {root}: {e}. jaxgan reads tfds datasets "
            "prepared in array_record format; remove the old copy to let jaxgan prepare it again"
        ) from None


def _prepare_tfds(name: str, root: str) -> None:
    try:
        builder = tfds.builder(name, data_dir=root, file_format="array_record")
    except tfds.core.registered.DatasetNotFoundError:
        raise DataError(
            f"unknown dataset {name!r}; use 'digits', a tfds image dataset such as 'mnist', "
            "'fashion_mnist', 'cifar10' or 'celeb_a', or 'folder:/path/to/images'"
        ) from None
    if builder.is_prepared():
        return
    manual_dir = Path(root) / "downloads" / "manual"
    url_infos = builder.url_infos or {}
    missing = {url: info.filename for url, info in url_infos.items() if not (manual_dir / str(info.filename)).exists()}
    unreachable = _unreachable_host(missing)
    no_tf = not _has_tensorflow()
    if unreachable or no_tf:
        reasons = []
        if unreachable:
            files = ", ".join(sorted({str(f) for f in missing.values()}))
            reasons.append(
                f"its download host {unreachable} cannot be reached. Download {files} on a machine "
                f"with network and place them in {manual_dir} (tfds's manual_dir)"
            )
        if no_tf:
            reasons.append("preparing tfds datasets needs TensorFlow: pip install 'jaxgan[tfds-prepare]'")
        raise DataError(f"dataset {name!r} is not prepared in {root}: " + "; and ".join(reasons))
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir)))


def _unreachable_host(urls) -> str | None:
    """The first download host that does not accept a TCP connection within a few seconds.

    tfds itself retries an unreachable host for minutes before it fails.
    """
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            socket.create_connection((parts.hostname, port), timeout=NETWORK_TIMEOUT_S).close()
        except OSError:
            return parts.hostname
    return None


def _has_tensorflow() -> bool:
    return importlib.util.find_spec("tensorflow") is not None


def _fit(image: np.ndarray | Image.Image, shape: tuple[int, int, int]) -> np.ndarray:
    """Center-crops to a square, resizes to (H, W) and converts to C channels."""
    h, w, c = shape
    if isinstance(image, np.ndarray):
        if image.shape == shape and image.dtype == np.uint8:
            return image
        image = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
    image = image.convert("L" if c == 1 else "RGB")
    side = min(image.size)
    left, top = (image.size[0] - side) // 2, (image.size[1] - side) // 2
    image = image.crop((left, top, left + side, top + side))
    if image.size != (w, h):
        image = image.resize((w, h), Image.Resampling.LANCZOS)
    array = np.asarray(image, np.uint8)
    return array[..., None] if c == 1 else array


def _load_folder(path: str, shape) -> np.ndarray:
    root = Path(path).expanduser()
    if not root.is_dir():
        raise DataError(f"image folder {root} does not exist; give --config.dataset=folder:/path/to/images")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DataError(f"no PNG or JPEG images under {root}; put images there or point to another folder")
    images = []
    for f in files:
        try:
            with Image.open(f) as im:
                images.append(_fit(im, shape))
        except (UnidentifiedImageError, OSError) as e:
            raise DataError(f"cannot read image {f}: {e}; remove or replace the file") from None
    return np.stack(images)


class Batches:
    """The deterministic sequence of uint8 training batches of a run.

    Batch ``k`` of the run takes positions ``k * B .. (k + 1) * B`` of the
    concatenated per-epoch permutations (a fresh permutation each epoch,
    drawn from (seed, epoch); the last partial batch of an epoch is dropped).
    With several processes each takes its own contiguous slice of the global
    batch.

    Args:
      images: uint8 (N, H, W, C).
      batch_size: the global batch size B.
      seed: the run's seed.
      n_critic: batches per training step; > 1 stacks them as (n_critic, b, ...).
      process_index, process_count: this process's share of each global batch.
      labels: int labels (N,) of the images; given, every batch is a tuple
        (images, labels) cut the same way.
    """

    def __init__(self, images, batch_size, seed, n_critic=1, process_index=0, process_count=1, labels=None):
        if batch_size > len(images):
            raise DataError(
                f"batch_size {batch_size} is larger than the dataset ({len(images)} images); lower --config.batch_size"
            )
        self.images = images
        self.labels = labels
        self.batch_size = batch_size
        self.seed = seed
        self.n_critic = n_critic
        self.per_process = batch_size // process_count
        self.offset = process_index * self.per_process
        self.batches_per_epoch = len(images) // batch_size
        self._perm_epoch, self._perm = -1, None

    def _permutation(self, epoch: int) -> np.ndarray:
        if epoch != self._perm_epoch:
            self._perm = np.random.default_rng([self.seed, epoch]).permutation(len(self.images))
            self._perm_epoch = epoch
        return self._perm

    def batch(self, k: int):
        """This process's part of global batch k: uint8 (B / process_count, H, W, C) [, labels]."""
        epoch, i = divmod(k, self.batches_per_epoch)
        start = i * self.batch_size + self.offset
        idx = self._permutation(epoch)[start : start + self.per_process]
        return self.images[idx] if self.labels is None else (self.images[idx], self.labels[idx])

    def step(self, step: int):
        """The real images (and labels) of training step ``step`` (0-based)."""
        if self.n_critic == 1:
            return self.batch(step)
        batches = [self.batch(step * self.n_critic + j) for j in range(self.n_critic)]
        if self.labels is None:
            return np.stack(batches)
        return tuple(np.stack(part) for part in zip(*batches))

    def iterate(self, start_step: int, chunk_bytes: int = 4 << 20, prefetch: int = 2) -> Iterator[np.ndarray]:
        """Yields step batches from ``start_step`` on, prepared by a background thread.

        The thread hands over the batches of several steps at once, up to
        ``chunk_bytes`` of images and 64 steps (at least one step),
        ``prefetch`` handovers ahead. Handed over one step at a time, the
        digits loop ran about 5% slower on 2 CPU cores: the main thread waited
        on the thread's wake-ups.
        """
        q: queue.Queue = queue.Queue(maxsize=prefetch)
        stop = threading.Event()
        step_bytes = self.images[0].nbytes * self.per_process * self.n_critic
        per_chunk = max(1, min(64, chunk_bytes // step_bytes))

        def produce():
            s = start_step
            while not stop.is_set():
                chunk = [self.step(k) for k in range(s, s + per_chunk)]
                while not stop.is_set():
                    try:
                        q.put(chunk, timeout=0.1)
                        break
                    except queue.Full:
                        pass
                s += per_chunk

        thread = threading.Thread(target=produce, daemon=True)
        thread.start()
        try:
            while True:
                yield from q.get()
        finally:
            stop.set()
