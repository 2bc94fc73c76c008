"""Image conversions and PNG sample grids."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image


def to_uint8(images) -> np.ndarray:
    """Maps float images in [-1, 1] to uint8 in [0, 255] (values outside are clipped)."""
    x = (np.asarray(images, np.float32) + 1.0) * 127.5
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


def grid(images, ncol: int | None = None, pad: int = 1, min_side: int = 256) -> np.ndarray:
    """Tiles images (N, H, W, C) in [-1, 1] into one uint8 (rows, cols, C) picture.

    Args:
      images: the images; N need not fill the last row.
      ncol: images per row; default ceil(sqrt(N)).
      pad: pixels of white between tiles.
      min_side: small images are scaled up (nearest neighbour) until the
        grid is at least this wide, so an 8x8 digit stays visible.
    """
    x = to_uint8(images)
    n, h, w, c = x.shape
    ncol = ncol or math.ceil(math.sqrt(n))
    nrow = math.ceil(n / ncol)
    canvas = np.full((nrow * (h + pad) + pad, ncol * (w + pad) + pad, c), 255, np.uint8)
    for i in range(n):
        r, col = divmod(i, ncol)
        canvas[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + col * (w + pad) : pad + col * (w + pad) + w] = x[i]
    scale = max(1, math.ceil(min_side / canvas.shape[1]))
    return canvas.repeat(scale, axis=0).repeat(scale, axis=1)


def class_columns(n: int, num_classes: int) -> int | None:
    """Grid columns that give a row per class for ``class_rows`` labels; None (square) when unconditional."""
    if num_classes and n % num_classes == 0:
        return n // num_classes
    return None


def save_grid(images, path: str, ncol: int | None = None) -> None:
    """Writes ``grid(images, ncol)`` as a PNG file."""
    g = grid(images, ncol)
    Image.fromarray(g[..., 0] if g.shape[-1] == 1 else g).save(path)
