import numpy as np

from jaxgan import metrics


def stats(x):
    return metrics.GaussianStats(np.asarray(x).shape[1]).update(x)


def test_frechet_distance_by_hand_in_one_dimension():
    # Means 1 and 3, variances 2 and 8: (1 - 3)^2 + 2 + 8 - 2 sqrt(16) = 6.
    assert np.isclose(metrics.frechet_distance(stats([[0.0], [2.0]]), stats([[1.0], [5.0]])), 6.0)


def test_frechet_distance_of_a_set_with_itself_is_zero_and_grows_with_corruption():
    x = np.random.default_rng(0).normal(size=(2000, 8))
    assert metrics.frechet_distance(stats(x), stats(x)) < 1e-6
    rng = np.random.default_rng(1)
    fds = [metrics.frechet_distance(stats(x), stats(x + s * rng.normal(size=x.shape))) for s in (0.1, 0.5, 1.0)]
    assert fds[0] < fds[1] < fds[2]


def test_streaming_stats_equal_one_batch():
    x = np.random.default_rng(0).normal(size=(100, 3))
    a = metrics.GaussianStats(3).update(x[:37]).update(x[37:])
    mean, cov = a.mean_cov()
    np.testing.assert_allclose(mean, x.mean(0))
    np.testing.assert_allclose(cov, np.cov(x, rowvar=False))


def test_kid_by_hand():
    # k(x, y) = (x y + 1)^3: k(1, 1) = 8, k(1, -1) = 0; MMD^2 = 8 + 8 - 2 * 0 = 16.
    mean, std = metrics.kid(np.ones((2, 1)), -np.ones((2, 1)), subsets=1, subset_size=2)
    assert (mean, std) == (16.0, 0.0)


def test_classifier_score_bounds():
    k = 10
    assert np.isclose(metrics.classifier_score(np.eye(k)), k)  # confident and uniform over classes
    assert np.isclose(metrics.classifier_score(np.tile(np.eye(k)[3], (50, 1))), 1.0)  # one class


def test_mode_coverage():
    one_class = np.tile(np.eye(10)[4], (100, 1))
    assert metrics.mode_coverage(one_class)["covered"] == 1
    uniform = np.eye(10)[np.arange(200) % 10]
    cov = metrics.mode_coverage(uniform)
    assert cov["covered"] == 10 and np.isclose(cov["kl_from_uniform"], 0.0) and cov["confident_share"] == 1.0
    unsure = np.full((5, 10), 0.1)
    assert metrics.mode_coverage(unsure)["confident_share"] == 0.0


def test_precision_recall_by_hand():
    real = np.array([[0.0], [1.0], [2.0]])  # nearest-neighbour radius^2 = 1 around each
    fake = np.array([[0.5], [10.0]])  # radius^2 = 90.25 around each
    assert metrics.precision_recall(real, fake, k=1) == (0.5, 1.0)
    assert metrics.precision_recall(real, real, k=1) == (1.0, 1.0)
