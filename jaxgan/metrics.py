"""Sample-quality metrics on classifier features and class probabilities.

The functions take features (N, D) or class probabilities (N, K) as numpy
arrays, computed by any classifier; statistics are accumulated in float64.

  frechet_distance   FD between Gaussians fitted to two feature sets (FID's formula)
  kid                Kernel Inception Distance: unbiased MMD^2, cubic polynomial kernel
  classifier_score   exp(E[KL(p(y|x) || p(y))]), the Inception-score analogue
  mode_coverage      classes holding a fair share of confident samples, KL from uniform
  precision_recall   improved precision and recall (k-nearest-neighbour manifolds)

The features come from ``Classifier``, a small network jaxgan trains on the
dataset's labelled training split (TF-GAN's MNIST practice: Inception weights
are not available offline); ``jaxgan.evaluate`` caches it per dataset.
"""

from __future__ import annotations

import functools
import warnings

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
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
    with warnings.catch_warnings():
        # ReLU features have dead units, so singular covariances are expected.
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
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


# -- the feature classifier (TF-GAN's MNIST practice: no Inception offline) ------


class Classifier(nn.Module):
    """An MLP classifier whose last hidden layer gives the features (B, features)."""

    features: int = 256
    num_classes: int = 10

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> tuple[jax.Array, jax.Array]:
        """Maps images (B, H, W, C) in [-1, 1] to (features, logits)."""
        x = x.reshape(x.shape[0], -1)
        x = nn.relu(nn.Dense(512)(x))
        x = nn.Dropout(0.2, deterministic=not train)(x)
        h = nn.relu(nn.Dense(self.features)(x))
        return h, nn.Dense(self.num_classes)(nn.Dropout(0.2, deterministic=not train)(h))


def train_classifier(train_x, train_y, test_x, test_y, steps: int = 3000, seed: int = 0):
    """Trains ``Classifier`` on labelled images in [-1, 1]; returns (params, test accuracy)."""
    model = Classifier(num_classes=int(max(train_y.max(), test_y.max())) + 1)
    key = jax.random.PRNGKey(seed)
    params = model.init(key, jnp.zeros((1, *train_x.shape[1:])))
    tx = optax.adamw(1e-3, weight_decay=1e-4)
    opt = tx.init(params)

    @jax.jit
    def step(params, opt, idx, key):
        def loss(p):
            _, logits = model.apply(p, train_x[idx], train=True, rngs={"dropout": key})
            return optax.softmax_cross_entropy_with_integer_labels(logits, train_y[idx]).mean()

        updates, opt = tx.update(jax.grad(loss)(params), opt, params)
        return optax.apply_updates(params, updates), opt

    train_x, train_y = jnp.asarray(train_x), jnp.asarray(train_y)
    rng = np.random.default_rng(seed)
    for i in range(steps):
        params, opt = step(params, opt, rng.integers(0, len(train_x), 128), jax.random.fold_in(key, i))
    _, logits = model.apply(params, jnp.asarray(test_x))
    return params, float(np.mean(np.asarray(logits).argmax(1) == np.asarray(test_y)))


@functools.cache
def _classifier_apply(num_classes: int):
    """The jitted (features, probabilities) of a Classifier, built once per class count."""
    model = Classifier(num_classes=num_classes)

    def apply(params, x):
        h, logits = model.apply(params, x)
        return h, jax.nn.softmax(logits)

    return jax.jit(apply)


def classify(params, images, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Features (N, D) and class probabilities (N, K) of images in [-1, 1], in batches."""
    num_classes = params["params"][sorted(params["params"])[-1]]["bias"].shape[0]
    apply = _classifier_apply(num_classes)
    feats, probs = [], []
    for i in range(0, len(images), batch_size):
        h, p = apply(params, jnp.asarray(images[i : i + batch_size]))
        feats.append(np.asarray(h))
        probs.append(np.asarray(p))
    return np.concatenate(feats), np.concatenate(probs)


def scores(real_feats, fake_feats, fake_probs=None) -> dict[str, float]:
    """Every metric of fake against real features (and the fake probabilities)."""
    fd = frechet_distance(GaussianStats(real_feats.shape[1]).update(real_feats),
                          GaussianStats(fake_feats.shape[1]).update(fake_feats))
    kid_mean, kid_std = kid(real_feats, fake_feats)
    # k-NN manifolds of equal-sized sets, as in the paper; this also bounds the
    # distance matrices for large test splits (10,000 for MNIST).
    if len(real_feats) > len(fake_feats):
        subset = np.random.default_rng(0).choice(len(real_feats), len(fake_feats), replace=False)
        precision, recall = precision_recall(real_feats[subset], fake_feats)
    else:
        precision, recall = precision_recall(real_feats, fake_feats)
    out = {"fd": fd, "kid": kid_mean, "kid_std": kid_std, "precision": precision, "recall": recall,
           "num_real": len(real_feats), "num_fake": len(fake_feats)}
    if fake_probs is not None:
        out["classifier_score"] = classifier_score(fake_probs)
        out.update({f"coverage_{k}": v for k, v in mode_coverage(fake_probs).items()})
    return out
