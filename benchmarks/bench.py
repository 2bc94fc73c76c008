"""jaxgan's train step against the same GAN in PyTorch, and against the machine's matmul peak.

    pip install -e '.[bench]'
    python benchmarks/bench.py                      # writes benchmarks/results/<platform>.{json,md}
    python benchmarks/bench.py --tiny --out=/tmp/b  # seconds-long smoke run (used by the tests)
    python benchmarks/bench.py --compute-dtype=bfloat16  # <platform>-bfloat16.{json,md}

For each preset: compile time, median seconds per train step (n_critic D
updates + one G update) over repeats of several steps after warm-up, images/s
(real images read per second), XLA's FLOPs per step, achieved FLOP/s as a
share of the measured matmul peak, XLA's buffer memory, and the PyTorch eager
time of the same models, optimizer and batch with the same thread count (on
a GPU, PyTorch runs on CUDA). Data is synthetic, already on the device. The
end-to-end line runs train.py on the digits preset (data loading, logging,
sampling and checkpointing on; evaluation off) and compares its images/s
with the pure step. On a CPU, a second table says which of the targets
below each line meets, or by how much it misses, and what share of the
matmul peak a speed-up target asks for: PyTorch's own share times the
target. Where PyTorch already runs close to the peak, that share can exceed
what the hardware gives.

``--compute-dtype=bfloat16`` times every line with ``config.compute_dtype``
bfloat16, PyTorch's under ``torch.autocast`` in bfloat16, against the
bfloat16 matmul peak; the targets are for float32 and are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jaxgan import configs, parallel  # noqa: E402
from jaxgan.console import setup_jax  # noqa: E402

setup_jax()  # the settings train.py runs with

# (preset, batch on CPU, batch on GPU)
CASES = [
    ("fmnist_fc", 128, 128),
    ("keras_gan_mnist", 32, 32),
    ("wgan_gp_fmnist", 128, 128),
    ("fmnist_dcgan", 64, 64),
    ("celeba_dcgan", 16, 128),
]

# The targets on the 2-core CPU: (speed-up over PyTorch, share of the matmul peak or None).
CPU_TARGETS = {
    "fmnist_fc": (1.6, 0.70),
    "keras_gan_mnist": (1.5, None),
    "wgan_gp_fmnist": (1.6, None),
    "fmnist_dcgan": (1.2, None),
    "celeba_dcgan": (1.2, None),
}
END_TO_END_TARGET = 0.9  # train.py's images/s as a share of the pure step's


def timed(fn, repeats: int, inner: int, budget_s: float = 1.0) -> float:
    """Median over ``repeats`` of the mean seconds per call over up to ``inner`` calls.

    ``inner`` shrinks so that one repeat takes about ``budget_s`` for slow steps.
    """
    return timed_together([fn], repeats, inner, budget_s)[0]


def timed_together(fns, repeats: int, inner: int, budget_s: float = 1.0) -> list[float]:
    """``timed`` for several steps at once, their repeats interleaved (in alternating order).

    The machine this runs on changes speed by tens of percent within minutes;
    interleaving lets every step see the same conditions, so their ratio holds
    even when the absolute times drift.
    """
    counts = []
    for fn in fns:
        t0 = time.perf_counter()
        fn()
        fn.sync()
        counts.append(max(1, min(inner, int(budget_s / (time.perf_counter() - t0)))))
    times = [[] for _ in fns]
    for r in range(repeats):
        order = range(len(fns)) if r % 2 == 0 else reversed(range(len(fns)))
        for i in order:
            t0 = time.perf_counter()
            for _ in range(counts[i]):
                fns[i]()
            fns[i].sync()
            times[i].append((time.perf_counter() - t0) / counts[i])
    return [statistics.median(t) for t in times]


def matmul_peak(n: int = 2048, dtype: str = "float32", torch_device: str | None = None) -> dict:
    """Measured matmul FLOP/s of JAX, and of PyTorch on ``torch_device`` unless None, for ``dtype`` operands."""
    a = jnp.ones((n, n), dtype)
    mm = jax.jit(lambda a: a @ a)
    mm(a).block_until_ready()

    class J:
        def __call__(self):
            self.out = mm(a)

        def sync(self):
            self.out.block_until_ready()

    steps = [J()]
    if torch_device is not None:
        import torch

        t = torch.ones(n, n, dtype=getattr(torch, dtype), device=torch_device)

        class T:
            def __call__(self):
                torch.mm(t, t)

            def sync(self):
                _torch_sync(torch_device)

        steps.append(T())
    flops_per_s = [2 * n**3 / s for s in timed_together(steps, 5, 3)]
    return {"n": n, "dtype": dtype, "jax_flops_per_s": flops_per_s[0],
            "torch_flops_per_s": flops_per_s[1] if torch_device else None, "peak_flops_per_s": max(flops_per_s)}


def _torch_sync(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


def _cost(compiled) -> float:
    cost = compiled.cost_analysis()
    if isinstance(cost, list):
        cost = cost[0]
    return float(cost.get("flops", 0.0))


def bench_jax(config):
    """Compiles a preset's step on synthetic data: (the step to time, its facts)."""
    config.num_devices = 1
    par = parallel.DataParallel(config)
    gan = par.gan
    b = config.batch_size
    shape = (config.n_critic, b) if config.n_critic > 1 else (b,)
    batch = jax.device_put(np.random.default_rng(0).integers(0, 256, (*shape, *config.image_shape), np.uint8))
    host = gan.init(jax.random.PRNGKey(0))
    real = jnp.zeros((b, *config.image_shape))
    key = jax.random.PRNGKey(1)
    # The scan over critic updates is counted once by XLA: add the updates up by hand.
    flops = config.n_critic * _cost(gan.d_step.lower(host, real, key).compile()) + _cost(
        gan.g_step.lower(host, key, b).compile()
    )
    state = par.put_state(jax.tree.map(jnp.copy, host))
    t0 = time.perf_counter()
    compiled = par._step.lower(state, batch).compile()
    compile_s = time.perf_counter() - t0
    mem = compiled.memory_analysis()
    peak_bytes = None
    if mem is not None:
        peak_bytes = mem.argument_size_in_bytes + mem.output_size_in_bytes + mem.temp_size_in_bytes - mem.alias_size_in_bytes

    class Step:
        state = None

        def __call__(self):
            self.state, self.metrics = compiled(self.state, batch)

        def sync(self):
            jax.block_until_ready(self.state)

    step = Step()
    step.state = state
    for _ in range(3):
        step()
    step.sync()
    return step, {"compile_s": compile_s, "flops_per_step": flops, "peak_bytes": peak_bytes}


def peak_bytes_in_use():
    """The device allocator's peak, where the platform reports one (GPU, TPU)."""
    return (jax.devices()[0].memory_stats() or {}).get("peak_bytes_in_use")


def bench_torch(config, device: str = "cpu"):
    """The same models, updates and batch in PyTorch eager on ``device``: the step to time."""
    import torch

    sys.path.insert(0, str(Path(__file__).parent))
    from torch_gan import TorchGAN

    torch.manual_seed(0)
    gan = TorchGAN(config, device)
    h, w, c = config.image_shape
    reals = [torch.rand(config.batch_size, c, h, w, device=device) * 2 - 1 for _ in range(config.n_critic)]

    class Step:
        def __call__(self):
            gan.train_step(reals)

        def sync(self):
            _torch_sync(device)

    step = Step()
    for _ in range(3):
        step()
    return step


def shrink(config):
    """A tiny version of a preset, for the smoke run."""
    config.generator.features = tuple(max(8, f // 32) for f in config.generator.features)
    config.discriminator.features = tuple(max(8, f // 32) for f in config.discriminator.features)
    config.generator.width = config.discriminator.width = 4
    config.batch_size = 4
    return config


def end_to_end(
    tiny: bool, pure_step, repeats: int, inner: int, runs: int = 5, compute_dtype: str = "float32"
) -> dict:
    """train.py's images/s on digits against the pure step's.

    The pure step is timed just before and just after each of ``runs``
    train.py runs, and the median ratio is reported: one run lasts seconds,
    within which this machine's speed drifts by more than the loop's overhead.
    """
    steps = 40 if tiny else 6000
    batch_size = configs.get("digits").batch_size
    pure = [timed(pure_step, repeats, inner)]
    results = []
    for _ in range(1 if tiny else runs):
        e2e = _train_py_images_per_s(tiny, steps, batch_size, compute_dtype)
        pure.append(timed(pure_step, repeats, inner))
        pure_images_per_s = batch_size / ((pure[-2] + pure[-1]) / 2)
        results.append((e2e / pure_images_per_s, e2e, pure_images_per_s))
    ratio, e2e, pure_images_per_s = sorted(results)[len(results) // 2]
    return {"preset": "digits", "steps": steps, "train_py_images_per_s": e2e, "pure_step_images_per_s": pure_images_per_s,
            "ratio": ratio, "ratios": [r[0] for r in results]}


def _train_py_images_per_s(tiny: bool, steps: int, batch_size: int, compute_dtype: str) -> float:
    with tempfile.TemporaryDirectory() as workdir:
        # Evaluation is off: the figure is the loop's own overhead (data, logs, samples, checkpoints).
        cmd = [sys.executable, str(ROOT / "train.py"), f"--workdir={workdir}", f"--config.steps={steps}",
               "--config.eval_every=0", f"--config.compute_dtype={compute_dtype}"]
        if tiny:
            cmd += ["--config.log_every=10", "--config.sample_every=20", "--config.checkpoint_every=20"]
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        entries = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
    # The first interval holds the compile; the rest hold logging, sampling and checkpointing.
    rest, prev = [], entries[0]["step"]
    for e in entries[1:]:
        rest.append((e["step"] - prev, (e["step"] - prev) / e["steps_per_sec"]))
        prev = e["step"]
    return sum(s for s, _ in rest) * batch_size / sum(t for _, t in rest)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="tiny models and few steps: a smoke test")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--presets", default=",".join(c[0] for c in CASES))
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--inner", type=int, default=10)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--no-end-to-end", action="store_true", help="time the train steps only")
    parser.add_argument("--compute-dtype", choices=("float32", "bfloat16"), default="float32",
                        help="config.compute_dtype of every line (parameters stay float32)")
    args = parser.parse_args()
    repeats, inner = (2, 2) if args.tiny else (args.repeats, args.inner)
    gpu = jax.devices()[0].platform == "gpu"
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed (pip install -e '.[bench]'): JAX lines only", file=sys.stderr)
    torch_device = None
    if torch is not None and not args.no_torch:
        torch.set_num_threads(os.cpu_count())
        torch_device = "cuda" if gpu else "cpu"
        if gpu and not torch.cuda.is_available():
            torch_device = None
            print("this PyTorch has no CUDA: JAX lines only", file=sys.stderr)
    run_torch = torch_device is not None

    machine = {
        "platform": jax.devices()[0].platform,
        "device": jax.devices()[0].device_kind,
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "jax": jax.__version__,
        "torch": getattr(torch, "__version__", None),
    }
    dtype = args.compute_dtype
    peak = matmul_peak(256 if args.tiny else 2048, dtype, torch_device)
    rows = []
    for name, cpu_batch, gpu_batch in CASES:
        if name not in args.presets.split(","):
            continue
        config = configs.get(name)
        config.batch_size = gpu_batch if gpu else cpu_batch
        config.compute_dtype = dtype
        if args.tiny:
            shrink(config)
        row = {"preset": name, "batch_size": config.batch_size, "n_critic": config.n_critic}
        jax_step, facts = bench_jax(config)
        row.update(facts)
        steps = [jax_step, bench_torch(config, torch_device)] if run_torch else [jax_step]
        seconds = timed_together(steps, repeats, inner)
        row["seconds_per_step"] = seconds[0]
        row["peak_bytes"] = peak_bytes_in_use() or row["peak_bytes"]
        row["images_per_s"] = config.batch_size * config.n_critic / row["seconds_per_step"]
        row["flops_per_s"] = row["flops_per_step"] / row["seconds_per_step"]
        if peak:
            row["share_of_peak"] = row["flops_per_s"] / peak["peak_flops_per_s"]
        if run_torch:
            row["torch_seconds_per_step"] = seconds[1]
            row["speedup_vs_torch"] = row["torch_seconds_per_step"] / row["seconds_per_step"]
            row["torch_share_of_peak"] = row["flops_per_step"] / seconds[1] / peak["peak_flops_per_s"]
            if machine["platform"] == "cpu" and name in CPU_TARGETS and dtype == "float32":
                speedup, share = CPU_TARGETS[name]
                row["target_speedup"], row["target_share_of_peak"] = speedup, share
                # The speed-up target as a share of the peak: how close to the hardware it asks jaxgan to run.
                row["share_of_peak_speedup_needs"] = speedup * row["torch_share_of_peak"]
        rows.append(row)
        print(json.dumps(row), flush=True)

    e2e = None
    if not args.no_end_to_end:
        digits = configs.get("digits")
        digits.compute_dtype = dtype
        e2e = end_to_end(args.tiny, bench_jax(digits)[0], repeats, inner, compute_dtype=dtype)
    result = {"machine": machine, "compute_dtype": dtype, "matmul_peak": peak, "rows": rows, "end_to_end": e2e,
              "tiny": args.tiny, "command": " ".join(["python", "benchmarks/bench.py", *sys.argv[1:]])}
    os.makedirs(args.out, exist_ok=True)
    suffix = ("" if dtype == "float32" else f"-{dtype}") + ("-tiny" if args.tiny else "")
    stem = os.path.join(args.out, machine["platform"] + suffix)
    with open(stem + ".json", "w") as f:
        json.dump(result, f, indent=2)
    with open(stem + ".md", "w") as f:
        f.write(markdown(result))
    print(markdown(result))


def markdown(result: dict) -> str:
    m, peak = result["machine"], result["matmul_peak"]
    lines = [
        f"Machine: {m['device']} ({m['cores']} cores), JAX {m['jax']}, PyTorch {m['torch']}. "
        f"Command: `{result['command']}`." + _dtype_note(result),
        "",
    ]
    if peak:
        lines += [
            f"Measured {_short(peak.get('dtype', 'float32'))} matmul peak ({peak['n']}x{peak['n']}): "
            f"JAX {peak['jax_flops_per_s'] / 1e9:.1f} GFLOP/s"
            + (f", PyTorch {peak['torch_flops_per_s'] / 1e9:.1f} GFLOP/s." if peak.get("torch_flops_per_s") else "."),
            "",
        ]
    lines += [
        "| preset | batch | n_critic | jaxgan ms/step | PyTorch ms/step | speed-up | images/s | GFLOP/step | share of peak | compile s | XLA buffers MiB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in result["rows"]:
        torch_ms = f"{r['torch_seconds_per_step'] * 1e3:.2f}" if "torch_seconds_per_step" in r else "-"
        speedup = f"{r['speedup_vs_torch']:.2f}x" if "speedup_vs_torch" in r else "-"
        share = f"{r['share_of_peak']:.0%}" if "share_of_peak" in r else "-"
        mem = f"{r['peak_bytes'] / 2**20:.1f}" if r.get("peak_bytes") else "-"
        lines.append(
            f"| {r['preset']} | {r['batch_size']} | {r['n_critic']} | {r['seconds_per_step'] * 1e3:.2f} | {torch_ms} | "
            f"{speedup} | {r['images_per_s']:.0f} | {r['flops_per_step'] / 1e9:.3f} | {share} | {r['compile_s']:.1f} | {mem} |"
        )
    lines += _targets(result)
    e = result["end_to_end"]
    if e is None:
        return "\n".join(lines + [""])
    lines += [
        "",
        f"End to end (`train.py`, {e['preset']}, {e['steps']} steps, logging, sampling and checkpointing on, evaluation off): "
        f"{e['train_py_images_per_s']:.0f} images/s against {e['pure_step_images_per_s']:.0f} for the pure step "
        f"({e['ratio']:.0%}, the median of {len(e['ratios'])} runs: {', '.join(f'{r:.0%}' for r in e['ratios'])}).",
        "",
    ]
    return "\n".join(lines)


def _short(dtype: str) -> str:
    return {"float32": "f32", "bfloat16": "bf16"}[dtype]


def _dtype_note(result: dict) -> str:
    dtype = result.get("compute_dtype", "float32")
    if dtype == "float32":
        return ""
    return f" Compute in {dtype} on float32 parameters (PyTorch: autocast to {dtype})."


def _verdict(value: float, target: float, unit: str) -> str:
    if value >= target:
        return "met"
    gap = target - value
    if unit == "x":
        # A gap below the printed precision keeps a digit more: 1.596x prints as 1.60x.
        return f"missed by {gap:.{2 if gap >= 0.005 else 3}f}x"
    points = 100 * gap
    if points < 0.5:
        return f"missed by {points:.1f} points"
    return f"missed by {round(points)} point{'' if round(points) == 1 else 's'}"


def _targets(result: dict) -> list[str]:
    """The table of targets met and missed, where the run had them (CPU with PyTorch)."""
    rows = [r for r in result["rows"] if "target_speedup" in r]
    if not rows:
        return []
    lines = [
        "",
        "| preset | speed-up | target | result | share of peak | target | result | share of peak the speed-up target needs | PyTorch's share of peak |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        share = r["target_share_of_peak"]
        share_cells = f"{share:.0%} | {_verdict(r['share_of_peak'], share, '%')}" if share is not None else "|"
        lines.append(
            f"| {r['preset']} | {r['speedup_vs_torch']:.2f}x | {r['target_speedup']}x | "
            f"{_verdict(r['speedup_vs_torch'], r['target_speedup'], 'x')} | {r['share_of_peak']:.0%} | {share_cells} | "
            f"{r['share_of_peak_speedup_needs']:.0%} | {r['torch_share_of_peak']:.0%} |"
        )
    e = result["end_to_end"]
    if e is not None:
        lines.append(
            f"| end to end, share of the pure step | {e['ratio']:.0%} | {END_TO_END_TARGET:.0%} | "
            f"{_verdict(e['ratio'], END_TO_END_TARGET, '%')} | | | | | |"
        )
    return lines


if __name__ == "__main__":
    main()
