"""Sample-quality metrics on classifier features and class probabilities.

The functions take features (N, D) or class probabilities (N, K) as numpy
arrays, computed by any classifier; statistics are accumulated in float64.

  frechet_distance   FD between Gaussians fitted to two feature sets (FID's formula)
  kid                Kernel Inception Distance: unbiased MMD^2, cubic polynomial kernel
  classifier_score   exp(E[KL(p(y|x) || p(y))]), the Inception-score analogue
  mode_coverage      classes holding a fair share of confident samples, KL from uniform
  precision_recall   improved precision and recall (k-nearest-neighbour manifolds)
"""

from __future__ import annotations

import numpy as np
from scipy import linalg


class GaussianStats:
    """Streaming mean and covariance of features, batch by batch."""

    def __init__(self, dim: int):
        self.n = 0
        self.sum = np.zeros(dim)
        self.outer = np.zeros((dim, dim))

    def update(self, features) -> GaussianStats:
        """Adds a batch (B, D) of features."""
        x = np.asarray(features, np.float64)
        self.n += len(x)
        self.sum += x.sum(0)
        self.outer += x.T @ x
        return self

    def mean_cov(self) -> tuple[np.ndarray, np.ndarray]:
        """The mean (D,) and unbiased covariance (D, D)."""
        if self.n < 2:
            raise ValueError("need at least 2 samples for a covariance")
        mean = self.sum / self.n
        cov = (self.outer - self.n * np.outer(mean, mean)) / (self.n - 1)
        return mean, cov


def frechet_distance(a: GaussianStats, b: GaussianStats) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)); 0 for identical sets, >= 0."""
    mu1, s1 = a.mean_cov()
    mu2, s2 = b.mean_cov()
    covmean = linalg.sqrtm(s1 @ s2)
    if not np.isfinite(covmean).all():
        # Singular products: shift both covariances slightly, as pytorch-fid does.
        eps = 1e-6 * np.eye(len(s1))
        covmean = linalg.sqrtm((s1 + eps) @ (s2 + eps))
    covmean = np.real(covmean)
    diff = mu1 - mu2
    return float(max(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean), 0.0))


def kid(real, fake, subsets: int = 10, subset_size: int = 100, seed: int = 0) -> tuple[float, float]:
    """Kernel Inception Distance (Binkowski et al. 2018): mean and std over subsets.

    Unbiased MMD^2 with the kernel k(x, y) = (x . y / D + 1)^3 on random
    subsets of ``subset_size`` (capped at the smaller set).
    """
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    m = min(subset_size, len(real), len(fake))
    rng = np.random.default_rng(seed)
    d = real.shape[1]
    values = []
    for _ in range(subsets):
        x = real[rng.choice(len(real), m, replace=False)]
        y = fake[rng.choice(len(fake), m, replace=False)]
        kxx, kyy, kxy = ((x @ x.T) / d + 1) ** 3, ((y @ y.T) / d + 1) ** 3, ((x @ y.T) / d + 1) ** 3
        off = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        values.append(off - 2 * kxy.mean())
    return float(np.mean(values)), float(np.std(values))


def classifier_score(probs) -> float:
    """exp(E_x[KL(p(y|x) || p(y))]): from 1 (one class, or no confidence) up to K."""
    p = np.clip(np.asarray(probs, np.float64), 1e-12, 1.0)
    marginal = p.mean(0)
    return float(np.exp(np.mean(np.sum(p * (np.log(p) - np.log(marginal)), axis=1))))


def mode_coverage(probs, confidence: float = 0.8, fair_share: float = 0.5) -> dict[str, float]:
    """Which classes the confidently classified samples cover.

    Args:
      probs: class probabilities (N, K).
      confidence: a sample counts when its top probability is at least this.
      fair_share: a class is covered when it holds at least this fraction of
        the uniform share (n_confident / K) of confident samples.

    Returns:
      covered: the number of covered classes (0..K); confident_share: the share
      of samples counted; kl_from_uniform: KL(histogram of confident classes || uniform).
    """
    p = np.asarray(probs)
    k = p.shape[1]
    confident = p.max(1) >= confidence
    counts = np.bincount(p.argmax(1)[confident], minlength=k).astype(np.float64)
    n = counts.sum()
    covered = int(np.sum(counts >= fair_share * n / k)) if n else 0
    hist = counts / n if n else np.full(k, 1.0 / k)
    kl = float(np.sum(np.where(hist > 0, hist * np.log(np.maximum(hist, 1e-12) * k), 0.0)))
    return {"covered": covered, "confident_share": float(confident.mean()), "kl_from_uniform": kl}


def precision_recall(real, fake, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al. 2019).

    Precision: the share of fake samples inside the real manifold (the union of
    balls reaching each real sample's k-th nearest real neighbour); recall: the
    share of real samples inside the fake manifold.
    """
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)

    def sq_dists(a, b):
        return np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None] - 2 * a @ b.T, 0.0)

    def inside(manifold, queries):
        # Column k of the sorted self-distances skips the point itself at column 0.
        radii = np.sort(sq_dists(manifold, manifold), axis=1)[:, k]
        return float(np.mean(np.any(sq_dists(queries, manifold) <= radii[None], axis=1)))

    return inside(real, fake), inside(fake, real)
