"""The training loop: data in, steps, periodic logs, samples and checkpoints.

Everything the loop writes lives in the workdir:
  config.json       the resolved config
  metrics.jsonl     one JSON object per log step, and one per evaluation (eval_* keys)
  samples/          PNG grids from one fixed latent batch, and loss.png
  checkpoints/      Orbax checkpoints (see jaxgan.checkpoint)
  best/             the checkpoint with the lowest FD, when the run evaluates

Running again with the same workdir resumes from the latest checkpoint and
reproduces the uninterrupted run: the key of step t is fold_in(rng, t) and
the batch of step t depends only on (seed, t).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import sys
import time

import jax
import jax.numpy as jnp
from absl import logging
from jax.experimental import multihost_utils

from jaxgan import checkpoint, data, images, models, parallel, writers
from jaxgan.evaluator import Evaluator
from jaxgan.state import GANState

# Salt of the fixed sample latents: apart from every training key.
SAMPLE_SALT = 0x5A3B1E


class TrainingError(RuntimeError):
    """Training cannot go on; the message says why and what to do."""


def due(step: int, every: int, last_step: int) -> bool:
    """Whether periodic work with period ``every`` runs once ``step`` steps are done.

    Runs every ``every`` steps and at the last step; never when ``every`` <= 0.
    """
    return every > 0 and (step % every == 0 or step == last_step)


def sample_key(config) -> jax.Array:
    """The key of the fixed latents behind every sample grid of a run."""
    return jax.random.fold_in(jax.random.PRNGKey(config.seed), SAMPLE_SALT)


class WorkdirLock:
    """An exclusive lock on a workdir, so two trainers never write one run."""

    def __init__(self, workdir: str):
        path = os.path.join(workdir, ".lock")
        self.file = open(path, "a+")
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.file.seek(0)
            owner = self.file.read().strip() or "another process"
            self.file.close()
            raise TrainingError(
                f"workdir {workdir} is in use by a running trainer (pid {owner}); "
                "wait for it to finish, stop it, or use another --workdir"
            ) from None
        self.file.seek(0)
        self.file.truncate()
        self.file.write(str(os.getpid()))
        self.file.flush()

    def release(self) -> None:
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


class _StopSignals:
    """Turns SIGTERM/SIGINT into a flag the loop checks after each step."""

    def __init__(self):
        self.received = None
        self._previous = {}
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread
                pass

    def _handle(self, signum, frame):
        self.received = signum

    def restore(self):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _prepare_workdir(workdir: str) -> None:
    try:
        os.makedirs(os.path.join(workdir, "samples"), exist_ok=True)
        probe = os.path.join(workdir, f".write_test.{os.getpid()}")
        with open(probe, "w") as f:
            f.write("ok")
        os.remove(probe)
    except OSError as e:
        raise TrainingError(
            f"cannot write to workdir {workdir}: {e.strerror}; choose a writable --workdir"
        ) from None


def check_config(config) -> None:
    """Rejects configs that cannot train, before any work starts."""
    for field in ("steps", "batch_size"):
        if config[field] <= 0:
            raise ValueError(f"{field} must be positive, got {config[field]}; set --config.{field}=N with N > 0")
    for field in ("log_every", "sample_every", "checkpoint_every", "eval_every"):
        if config[field] < 0:
            raise ValueError(f"{field} must be >= 0 (0 disables it), got {config[field]}")


def train(config, workdir: str) -> GANState:
    """Trains ``config`` in ``workdir``, resuming from its latest checkpoint.

    Args:
      config: a preset ConfigDict (see jaxgan.configs).
      workdir: the run's folder; created if missing.

    Returns:
      The final state, as host arrays.

    Raises:
      TrainingError, data.DataError, checkpoint.CheckpointError, ValueError:
        user-facing problems with a message that says what to do.
    """
    check_config(config)
    main = jax.process_index() == 0
    _prepare_workdir(workdir)
    lock = WorkdirLock(workdir) if main else None
    try:
        return _train(config, workdir, main)
    finally:
        if lock:
            lock.release()


def _train(config, workdir: str, main: bool) -> GANState:
    par = parallel.DataParallel(config)
    logging.info(
        "devices: %d (%d per process, %d processes), batch %d per device, %s, %s compute",
        par.num_devices, par.num_local, jax.process_count(), par.per_device_batch, par.mode,
        jnp.dtype(models.compute_dtype(config)).name,
    )
    evaluator = None
    if jax.process_count() > 1:
        # One process prepares the dataset and the evaluation's classifier; the
        # others would race it on the same files.
        if main:
            data.prepare(config)
            evaluator = _evaluator(config)
        multihost_utils.sync_global_devices("jaxgan: dataset prepared")
    # Every process evaluates (the results agree), as the best checkpoint's save is collective.
    evaluator = evaluator or _evaluator(config)
    train_images = data.load_images(config, with_labels=config.conditional)
    labels = None
    if config.conditional:
        train_images, labels = train_images
        if labels.min() < 0 or labels.max() >= config.num_classes:
            raise data.DataError(
                f"a conditional GAN needs labels in [0, num_classes={config.num_classes}), and {config.dataset!r} "
                f"has {'none' if labels.min() < 0 else f'labels up to {labels.max()}'}; set --config.num_classes "
                "or --config.conditional=False"
            )
    batches = data.Batches(
        train_images, config.batch_size, config.seed, config.n_critic, jax.process_index(), jax.process_count(),
        labels,
    )
    logging.info("dataset %s: %d images of shape %s", config.dataset, len(train_images), train_images.shape[1:])

    ckpt = checkpoint.Checkpointer(checkpoint.directory(workdir), config.max_to_keep)
    best = checkpoint.Checkpointer(checkpoint.directory(workdir, best=True), 1, best_metric="fd") if evaluator else None
    try:
        return _loop(config, workdir, main, par, batches, ckpt, evaluator, best)
    finally:
        for manager in (ckpt, best):
            try:
                if manager:
                    manager.close()  # also on errors: Orbax's threads must not outlive the exit
            except Exception:  # noqa: BLE001 - a failed save was already reported
                pass


def _evaluator(config) -> Evaluator | None:
    if not config.eval_every:
        return None
    if config.dataset.startswith("folder:"):
        logging.warning("no evaluation: an image folder has no labels to train the feature classifier on")
        return None
    evaluator = Evaluator(config)
    floor = evaluator.floor
    logging.info(
        "evaluating every %d steps on %d samples; feature classifier test accuracy %.4f; real floor: "
        "FD %.4g, KID %.4g, precision %.3f, recall %.3f",
        config.eval_every, evaluator.num_samples, evaluator.accuracy, floor["fd"], floor["kid"],
        floor["precision"], floor["recall"],
    )
    return evaluator


def _loop(config, workdir, main, par, batches, ckpt, evaluator, best) -> GANState:
    gan = par.gan
    state = gan.init(jax.random.PRNGKey(config.seed))
    if ckpt.latest_step() is not None:
        state, meta = ckpt.restore(state, config=config)
        logging.info("resumed from step %d (written on %s devices)", int(state.step), meta.get("num_devices"))
    start = int(state.step)
    if main:
        with open(os.path.join(workdir, "config.json"), "w") as f:
            f.write(config.to_json(indent=2))
    log = writers.MetricsLog(os.path.join(workdir, "metrics.jsonl"), start) if main else None
    if start >= config.steps:
        logging.info("already trained to step %d of %d; nothing to do", start, config.steps)
        return state

    fixed_key = sample_key(config)
    finite = jax.jit(lambda t: jnp.all(jnp.array([jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(t)])))

    def check_finite(host_state):
        if not finite((host_state.g_params, host_state.d_params)):
            raise TrainingError(_diverged_message(int(host_state.step), ckpt, "the parameters"))

    def save(host_state, force=False, manager=ckpt, metrics=None):
        step = int(host_state.step)
        check_finite(host_state)
        meta = {"data_position": step * config.n_critic, "config": config.to_json(), "num_devices": par.num_devices}
        with _save_errors(manager, step):
            manager.save(host_state, meta, force=force, metrics=metrics)

    _warm_up(config, main, gan, jax.device_get(state), fixed_key, check_finite)
    placed = par.put_state(state)
    stops = _StopSignals()
    progress = _progress(config.steps, start, main)
    batch_iter = batches.iterate(start)
    t_log, wait, steps_since = time.perf_counter(), 0.0, 0
    images_per_step = config.batch_size * config.n_critic
    try:
        for step in range(start, config.steps):
            t0 = time.perf_counter()
            batch = next(batch_iter)
            wait += time.perf_counter() - t0
            placed, metrics = par.train_step(placed, batch)
            done, steps_since = step + 1, steps_since + 1
            if progress is not None:
                progress.update(1)

            if due(done, config.log_every, config.steps):
                values = par.get_metrics(metrics)  # the only per-interval host sync
                if not all(map(_isfinite, values.values())):
                    bad = sorted(k for k, v in values.items() if not _isfinite(v))
                    raise TrainingError(_diverged_message(done, ckpt, ", ".join(bad)))
                elapsed = time.perf_counter() - t_log
                values["steps_per_sec"] = steps_since / elapsed
                values["images_per_sec"] = steps_since * images_per_step / elapsed
                values["data_wait_share"] = wait / elapsed
                t_log, wait, steps_since = time.perf_counter(), 0.0, 0
                if main:
                    log.write(done, values)
                    _report(progress, done, config.steps, values)

            host_state = None
            if evaluator and due(done, config.eval_every, config.steps):
                host_state = par.get_state(placed)
                check_finite(host_state)
                result = evaluator(gan, host_state.generator_variables())
                if main:
                    log.write(done, {f"eval_{k}": v for k, v in result.items()} | {"eval_fd_floor": evaluator.floor["fd"]})
                    logging.info(
                        "eval step %d: FD %.4g (real floor %.4g), KID %.4g, %d classes covered, precision %.3f, "
                        "recall %.3f", done, result["fd"], evaluator.floor["fd"], result["kid"],
                        result["coverage_covered"], result["precision"], result["recall"],
                    )
                save(host_state, manager=best, metrics={"fd": result["fd"]})

            if main and due(done, config.sample_every, config.steps):
                host_state = host_state or par.get_state(placed)
                samples = gan.sample(host_state, fixed_key, config.num_samples)
                images.save_grid(
                    samples, os.path.join(workdir, "samples", f"step_{done:07d}.png"),
                    images.class_columns(config.num_samples, gan.num_classes),
                )
                writers.plot_losses(log.read(), os.path.join(workdir, "samples", "loss.png"))

            # The end of a run and a stop signal always checkpoint, whatever the period.
            if due(done, config.checkpoint_every, config.steps) or done == config.steps or stops.received:
                save(host_state or par.get_state(placed), force=bool(stops.received))

            if stops.received:
                _wait(ckpt, best, done)
                name = signal.Signals(stops.received).name
                logging.warning("%s at step %d: checkpoint written; run the same command to resume", name, done)
                raise Interrupted(stops.received)
        _wait(ckpt, best, config.steps)
    finally:
        stops.restore()
        if progress is not None:
            progress.close()
        batch_iter.close()
    return par.get_state(placed)


def _warm_up(config, main, gan, host_state, fixed_key, check_finite) -> None:
    """Pays the loop's one-time costs at startup, beside the step's compile.

    Compiling the sampler and the finiteness check and importing matplotlib
    took about 1 s at the first sample of a digits run (measured on 2 CPU
    cores), a tenth of 6,000 steps. Done here, a broken sampler or a
    non-finite restored state also fails before training starts.
    """
    check_finite(host_state)
    if main and config.sample_every > 0:
        gan.sample(host_state, fixed_key, config.num_samples)
        import matplotlib.figure  # noqa: F401 - what writers.plot_losses uses


def _wait(ckpt, best, step: int) -> None:
    """Waits for the pending saves of both managers, reporting a failed one."""
    for manager in (ckpt, best):
        if manager:
            with _save_errors(manager, step):
                manager.wait()


@contextlib.contextmanager
def _save_errors(ckpt: checkpoint.Checkpointer, step: int):
    """Turns a failed (possibly asynchronous) save into one message naming the last good checkpoint."""
    try:
        yield
    except Exception as e:  # noqa: BLE001 - OSError, or Orbax/TensorStore wrapping one
        try:
            ckpt.manager.wait_until_finished()
        except Exception:  # noqa: BLE001
            pass
        last = ckpt.latest_step()
        where = f"step {last} in {ckpt.directory}" if last is not None else "none yet"
        raise TrainingError(
            f"saving the checkpoint of step {step} failed ({type(e).__name__}: {checkpoint.first_line(e)}); "
            f"the last good checkpoint is {where}. Free disk space or fix the workdir, then run the same "
            "command to resume"
        ) from None


class Interrupted(Exception):
    """Training stopped on a signal after writing a checkpoint; ``signum`` says which."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _isfinite(v: float) -> bool:
    return v == v and abs(v) != float("inf")


def _diverged_message(step, ckpt, what) -> str:
    last = ckpt.latest_step()
    where = f"step {last} in {ckpt.directory}" if last is not None else "none yet"
    return (
        f"training diverged: {what} became NaN or Inf by step {step}; nothing past the last good "
        f"checkpoint was saved ({where}). Lower the learning rates (--config.g_optimizer.learning_rate, "
        "--config.d_optimizer.learning_rate) and run again"
    )


def _progress(total: int, start: int, main: bool):
    if not main or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=start, unit="step", dynamic_ncols=True)


def _report(progress, step: int, total: int, values: dict) -> None:
    short = {
        "d_loss": values["d_loss"], "g_loss": values["g_loss"],
        "D(x)": values["d_real"], "D(G(z))": values["d_fake"], "img/s": values["images_per_sec"],
    }
    if progress is not None:
        progress.set_postfix({k: f"{v:.3g}" for k, v in short.items()}, refresh=False)
        return
    eta = (total - step) / max(values["steps_per_sec"], 1e-9)
    text = " ".join(f"{k} {v:.4g}" for k, v in short.items())
    logging.info("step %d/%d %s eta %s", step, total, text, _duration(eta))


def _duration(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"
