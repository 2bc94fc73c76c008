"""Sample quality of every loss kind on digits: trains, evaluates, writes the table.

    python benchmarks/digits_results.py                      # all variants, about 25 CPU-minutes
    python benchmarks/digits_results.py --only=lsgan,hinge   # some of them

Each variant is trained with train.py as a user runs it (the wall time
includes start-up, compiles, evaluations and checkpoints), then its best
checkpoint by FD (<workdir>/best) is evaluated on 1,000 samples against the
real test split, beside the real floor (1,000 real training images against
the same split). Writes benchmarks/results/digits.{json,md} and one grid per
variant to docs/results/<variant>.png. Runs go to runs/results/<variant>; a
variant already in digits.json whose run is still there is only evaluated
again (its wall time kept) unless --retrain is given.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jaxgan.console import setup_jax  # noqa: E402

setup_jax()

from jaxgan import images  # noqa: E402
from jaxgan.evaluate import evaluate  # noqa: E402
from jaxgan.sample import generate, load_generator  # noqa: E402

# (variant, preset, overrides): each loss kind, and the conditional GAN.
VARIANTS = [
    ("non_saturating", "digits", []),
    ("minimax", "digits", ["--config.loss=minimax"]),
    ("lsgan", "digits", ["--config.loss=lsgan"]),
    ("hinge", "digits", ["--config.loss=hinge"]),
    ("wgan", "digits_wgan", []),
    ("wgan_gp", "digits_wgan_gp", []),
    ("conditional", "digits_cgan", []),
]
# The aims: FD within 3x of the real floor, all 10 classes, 10 CPU-minutes.
FD_RATIO_AIM, WALL_AIM_S = 3.0, 600


def train(preset: str, overrides: list[str], workdir: Path) -> float:
    cmd = [sys.executable, str(ROOT / "train.py"), f"--config={preset}", f"--workdir={workdir}", *overrides]
    print("$", " ".join(cmd[1:]), flush=True)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def row(variant, preset, overrides, wall, report, steps) -> dict:
    s, floor = report["samples_vs_test"], report["train_vs_test"]
    return {
        "variant": variant,
        "command": " ".join(["python train.py", f"--config={preset}", *overrides]),
        "steps": steps,
        "wall_s": wall,
        "best_step": report["step"],
        "fd": s["fd"], "fd_floor": floor["fd"], "fd_ratio": s["fd"] / floor["fd"],
        "kid": s["kid"], "kid_floor": floor["kid"],
        "covered": s["coverage_covered"], "precision": s["precision"], "recall": s["recall"],
        "classifier_score": s["classifier_score"],
        "conditional_accuracy": s.get("conditional_accuracy"),
    }


def markdown(rows: list[dict], machine: str) -> str:
    lines = [
        f"Machine: {machine}. Command: `python benchmarks/digits_results.py`. Metrics of 1,000 samples of each "
        "run's best checkpoint by FD against the 360 real test digits, on the features of jaxgan's digits "
        "classifier; the floor is 1,000 real training digits against the same split.",
        "",
        "| variant | command | steps | wall | best step | FD (floor) | FD / floor | KID (floor) | classes covered "
        "| precision | recall | classifier score | asked class hit |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        acc = "" if r["conditional_accuracy"] is None else f"{r['conditional_accuracy']:.1%}"
        lines.append(
            f"| {r['variant']} | `{r['command']}` | {r['steps']} | {r['wall_s'] / 60:.1f} min | {r['best_step']} "
            f"| {r['fd']:.2f} ({r['fd_floor']:.2f}) | {r['fd_ratio']:.2f}x | {r['kid']:.2f} ({r['kid_floor']:.2f}) "
            f"| {r['covered']}/10 | {r['precision']:.2f} | {r['recall']:.2f} | {r['classifier_score']:.2f} | {acc} |"
        )
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated variants; default all")
    parser.add_argument("--retrain", action="store_true", help="train again variants that were trained before")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    unknown = only - {v for v, _, _ in VARIANTS}
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}; choose from {[v for v, _, _ in VARIANTS]}")

    out_json = ROOT / "benchmarks" / "results" / "digits.json"
    previous = {r["variant"]: r for r in json.loads(out_json.read_text())["rows"]} if out_json.exists() else {}
    grids = ROOT / "docs" / "results"
    grids.mkdir(parents=True, exist_ok=True)
    for variant, preset, overrides in VARIANTS:
        if only and variant not in only:
            continue
        workdir = ROOT / "runs" / "results" / variant
        if variant in previous and (workdir / "best").is_dir() and not args.retrain:
            wall = previous[variant]["wall_s"]  # trained before: evaluate again, keep its wall time
        else:
            shutil.rmtree(workdir, ignore_errors=True)
            wall = train(preset, overrides, workdir)
        report = evaluate(str(workdir), num=1000, seed=0, best=True)
        steps = json.loads((workdir / "config.json").read_text())["steps"]
        previous[variant] = row(variant, preset, overrides, wall, report, steps)
        gan, variables = load_generator(str(workdir), best=True)
        x, _ = generate(gan, variables, 100, seed=0)
        images.save_grid(x, str(grids / f"{variant}.png"), images.class_columns(100, gan.num_classes))
        r = previous[variant]
        print(f"{variant}: {wall / 60:.1f} min, FD {r['fd']:.2f} (floor {r['fd_floor']:.2f}, {r['fd_ratio']:.2f}x), "
              f"covered {r['covered']}/10, precision {r['precision']:.2f}, recall {r['recall']:.2f}", flush=True)

    rows = [previous[v] for v, _, _ in VARIANTS if v in previous]
    machine = f"{platform.machine()} CPU, {os.cpu_count()} cores, {platform.system()}"
    out_json.write_text(json.dumps({"machine": machine, "rows": rows}, indent=1) + "\n")
    table = markdown(rows, machine)
    (ROOT / "benchmarks" / "results" / "digits.md").write_text(table)
    print(table)
    for r in rows:
        misses = []
        if r["fd_ratio"] > FD_RATIO_AIM:
            misses.append(f"FD {r['fd_ratio']:.2f}x the floor (aim {FD_RATIO_AIM}x)")
        if r["covered"] < 10:
            misses.append(f"{r['covered']}/10 classes")
        if r["wall_s"] > WALL_AIM_S:
            misses.append(f"{r['wall_s'] / 60:.1f} min (aim 10)")
        if r["conditional_accuracy"] is not None and r["conditional_accuracy"] < 0.9:
            misses.append(f"asked class hit {r['conditional_accuracy']:.1%} (aim 90%)")
        print(f"{r['variant']}: {'misses ' + '; '.join(misses) if misses else 'meets every aim'}")


if __name__ == "__main__":
    main()
