"""Run outputs: the metrics.jsonl log and the loss plot."""

from __future__ import annotations

import json
import os

LOSS_KEYS = ("d_loss", "g_loss")


class MetricsLog:
    """Appends one JSON object per log step to ``path``.

    On resume, entries past the resumed step are dropped, so the log reads as
    one uninterrupted run.
    """

    def __init__(self, path: str, resume_step: int = 0):
        self.path = path
        if os.path.exists(path):
            kept = [line for line in self.read() if line.get("step", 0) <= resume_step]
            with open(path, "w") as f:
                f.writelines(json.dumps(e) + "\n" for e in kept)

    def write(self, step: int, metrics: dict) -> None:
        entry = {"step": int(step), **{k: float(v) for k, v in metrics.items()}}
        with open(self.path, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def read(self) -> list[dict]:
        if not os.path.exists(self.path):
            return []
        with open(self.path) as f:
            return [json.loads(line) for line in f if line.strip()]


def plot_losses(entries: list[dict], path: str) -> None:
    """Plots d_loss and g_loss (and the penalty, when used) over steps into a PNG.

    When the log has evaluations, a second panel plots FD and its real floor.
    """
    # A bare Figure rather than pyplot: no global figure registry to leak into.
    from matplotlib.figure import Figure

    evals = [e for e in entries if "eval_fd" in e]
    entries = [e for e in entries if "d_loss" in e]
    fig = Figure(figsize=(12 if evals else 7, 4), dpi=100)
    axes = fig.subplots(1, 2 if evals else 1, squeeze=False)
    ax = axes[0, 0]
    steps = [e["step"] for e in entries]
    keys = LOSS_KEYS + (("penalty",) if any(e.get("penalty", 0) for e in entries) else ())
    for key in keys:
        ax.plot(steps, [e.get(key, float("nan")) for e in entries], label=key)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    ax.legend()
    if evals:
        fd = axes[0, 1]
        fd.plot([e["step"] for e in evals], [e["eval_fd"] for e in evals], "o-", label="FD of samples")
        fd.axhline(evals[-1]["eval_fd_floor"], color="gray", ls="--", label="real train vs test")
        fd.set_xlabel("step")
        fd.set_ylabel("FD (classifier features)")
        fd.set_yscale("log")
        fd.grid(alpha=0.3)
        fd.legend()
    fig.tight_layout()
    fig.savefig(path)

