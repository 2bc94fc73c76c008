import socket
import time

import numpy as np
import pytest
from conftest import tiny_config
from PIL import Image
from sklearn.datasets import load_digits

from jaxgan import data


def as_sorted_rows(images):
    flat = images.reshape(len(images), -1)
    return flat[np.lexsort(flat.T[::-1])]


@pytest.fixture(scope="module")
def digits_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("tfds"))


def test_digits_round_trip_through_tfds(digits_dir):
    c = tiny_config(data_dir=digits_dir)
    train, labels = data.load_images(c, "train", with_labels=True)
    test = data.load_images(c, "test")
    assert train.shape == (1437, 8, 8, 1) and test.shape == (360, 8, 8, 1)
    assert train.dtype == np.uint8 and train.max() == 255
    assert labels.shape == (1437,) and set(labels.tolist()) == set(range(10))
    digits = load_digits()
    expected = np.round(digits.images * (255 / 16)).astype(np.uint8)[..., None]
    both = np.concatenate([train, test])
    np.testing.assert_array_equal(as_sorted_rows(both), as_sorted_rows(expected))


def test_digits_resized_to_the_model_size(digits_dir):
    c = tiny_config(data_dir=digits_dir, image_shape=(16, 16, 3))
    x = data.load_images(c, "test")
    assert x.shape == (360, 16, 16, 3)


def test_folder_source_crops_resizes_and_converts(tmp_path):
    # A wide RGB image: black left and right quarters, white centre square.
    img = np.zeros((20, 40, 3), np.uint8)
    img[:, 10:30] = 255
    Image.fromarray(img).save(tmp_path / "a.png")
    Image.fromarray(img).convert("L").save(tmp_path / "b.jpg")
    (tmp_path / "notes.txt").write_text("not an image")
    x = data.load_images(tiny_config(dataset=f"folder:{tmp_path}"))
    assert x.shape == (2, 8, 8, 1) and x.dtype == np.uint8
    assert x.min() >= 250  # the centre crop holds only the white square


def test_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(data.DataError, match="no PNG or JPEG images under"):
        data.load_images(tiny_config(dataset=f"folder:{tmp_path}"))


def test_corrupt_image_is_named(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(data.DataError, match="broken.png"):
        data.load_images(tiny_config(dataset=f"folder:{tmp_path}"))


def test_unknown_dataset(tmp_path):
    with pytest.raises(data.DataError, match="unknown dataset 'mnistt'"):
        data.load_images(tiny_config(dataset="mnistt", data_dir=str(tmp_path)))


def test_offline_tfds_dataset_fails_fast_with_manual_dir_hint(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(socket, "create_connection", offline)
    t0 = time.monotonic()
    with pytest.raises(data.DataError, match="manual_dir") as e:
        data.load_images(tiny_config(dataset="mnist", data_dir=str(tmp_path)))
    assert time.monotonic() - t0 < 10
    assert str(tmp_path / "downloads" / "manual") in str(e.value)
    assert "train-images-idx3-ubyte.gz" in str(e.value)


def test_batches_are_deterministic_and_reshuffled_each_epoch():
    images = np.arange(20, dtype=np.uint8).reshape(20, 1, 1, 1)
    a, b = data.Batches(images, 4, seed=3), data.Batches(images, 4, seed=3)
    np.testing.assert_array_equal(a.step(7), b.step(7))
    epoch0 = np.concatenate([a.batch(k) for k in range(5)]).ravel()
    epoch1 = np.concatenate([a.batch(k) for k in range(5, 10)]).ravel()
    assert sorted(epoch0) == sorted(epoch1) == list(range(20))
    assert not np.array_equal(epoch0, epoch1)
    assert not np.array_equal(epoch0, np.concatenate([data.Batches(images, 4, seed=4).batch(k) for k in range(5)]).ravel())


def test_batches_split_over_processes_and_critic_steps():
    images = np.arange(64, dtype=np.uint8).reshape(64, 1, 1, 1)
    whole = data.Batches(images, 8, seed=0, n_critic=3)
    parts = [data.Batches(images, 8, seed=0, n_critic=3, process_index=p, process_count=2) for p in (0, 1)]
    assert whole.step(5).shape == (3, 8, 1, 1, 1)
    np.testing.assert_array_equal(np.concatenate([p.step(5) for p in parts], axis=1), whole.step(5))


@pytest.mark.parametrize("chunk_bytes", [12, 1 << 20], ids=["3 steps a chunk", "64 steps a chunk"])
def test_prefetching_iterator_matches_direct_batches(chunk_bytes):
    images = np.arange(30, dtype=np.uint8).reshape(30, 1, 1, 1)
    b = data.Batches(images, 4, seed=1)  # 4 bytes a step
    it = b.iterate(start_step=3, chunk_bytes=chunk_bytes)
    got = [next(it) for _ in range(70)]
    it.close()
    for i, x in enumerate(got):
        np.testing.assert_array_equal(x, b.step(3 + i))


def test_batch_larger_than_dataset():
    with pytest.raises(data.DataError, match="larger than the dataset"):
        data.Batches(np.zeros((3, 1, 1, 1), np.uint8), 4, seed=0)


def test_batches_carry_their_labels():
    images = np.arange(40, dtype=np.uint8).reshape(40, 1, 1, 1)
    labels = np.arange(40, dtype=np.int32) * 7
    x, y = data.Batches(images, 8, seed=2, labels=labels).step(9)
    np.testing.assert_array_equal(y, x.ravel().astype(np.int32) * 7)
    xs, ys = data.Batches(images, 8, seed=2, n_critic=2, labels=labels).step(3)
    assert xs.shape == (2, 8, 1, 1, 1) and ys.shape == (2, 8)
    np.testing.assert_array_equal(ys, xs[..., 0, 0, 0].astype(np.int32) * 7)
