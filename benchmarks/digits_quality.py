"""A quick quality check of a digits run: do the samples look like all ten digits?

    python benchmarks/digits_quality.py runs/digits [more workdirs ...]

An SVC trained on scikit-learn's real digits labels 1,000 samples of each
run's latest checkpoint; prints the share classified with confidence >= 0.8,
the count per digit among those, and jaxgan.metrics' mode coverage and
classifier score. A stopgap until the metrics of issue 6 (a classifier
trained by jaxgan, FD, KID) exist.
"""

import sys
from pathlib import Path

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_digits
from sklearn.svm import SVC

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jaxgan import metrics  # noqa: E402
from jaxgan.console import setup_jax  # noqa: E402
from jaxgan.sample import sample  # noqa: E402

setup_jax()


def main(workdirs):
    digits = load_digits()
    classifier = CalibratedClassifierCV(SVC(gamma=0.2, C=10), ensemble=False).fit(digits.data / 16.0, digits.target)
    for workdir in workdirs:
        x = (sample(workdir, 1000, seed=123) + 1) / 2  # [-1, 1] -> [0, 1], the scale of data / 16
        probs = classifier.predict_proba(x.reshape(len(x), -1))
        confident = probs.max(1) >= 0.8
        per_digit = np.bincount(probs.argmax(1)[confident], minlength=10)
        coverage = metrics.mode_coverage(probs)
        print(f"{workdir}: confident {confident.mean():.0%}, per digit {per_digit.tolist()}, "
              f"covered {coverage['covered']}/10, classifier score {metrics.classifier_score(probs):.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
