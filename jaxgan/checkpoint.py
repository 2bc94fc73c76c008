"""Orbax checkpoints of a GAN run, and restoring them.

A run keeps its latest checkpoints in <workdir>/checkpoints and, when it
evaluates, the one with the lowest FD in <workdir>/best (``directory``).
A checkpoint holds three items, so that sampling can read the generator alone:
  generator  G's params, BatchNorm statistics and EMA params;
  train      D's params and statistics, both optimizer states, step and RNG key;
  meta       JSON: the data position, the resolved config and the device count.

Saves are asynchronous; Orbax only marks a step finished once it is fully
written, so a crash during a save leaves the previous checkpoint in use.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from typing import Any

import jax
import ml_collections
import orbax.checkpoint as ocp

from jaxgan.state import GANState


class CheckpointError(ValueError):
    """A checkpoint that cannot be used as asked; the message says how to fix it."""


def directory(workdir: str, best: bool = False) -> str:
    """Where a run keeps its checkpoints: the latest ones, or the best one by FD."""
    return os.path.join(workdir, "best" if best else "checkpoints")


def _split(state: GANState) -> tuple[dict, dict]:
    generator = {"params": state.g_params, "batch_stats": state.g_batch_stats, "ema_params": state.g_ema_params}
    train = {
        "step": state.step,
        "rng": state.rng,
        "d_params": state.d_params,
        "d_batch_stats": state.d_batch_stats,
        "g_opt_state": state.g_opt_state,
        "d_opt_state": state.d_opt_state,
    }
    return generator, train


def _abstract(tree):
    return jax.tree.map(ocp.utils.to_shape_dtype_struct, tree)


class Checkpointer:
    """Saves and restores GANStates under ``directory`` with an Orbax CheckpointManager.

    Args:
      directory: where the numbered checkpoints live.
      max_to_keep: how many checkpoints to keep: the most recent ones, or the
        best ones with ``best_metric``.
      async_save: write in a background thread while training goes on.
      best_metric: keep the checkpoints with the lowest value of this metric
        (Orbax's best_fn), which every ``save`` then passes in ``metrics``.
    """

    def __init__(self, directory: str, max_to_keep: int = 3, async_save: bool = True, best_metric: str | None = None):
        self.directory = os.path.abspath(directory)
        best = {}
        if best_metric:
            best = dict(best_fn=lambda m: m[best_metric], best_mode="min", keep_checkpoints_without_metrics=False)
        self.manager = ocp.CheckpointManager(
            self.directory,
            options=ocp.CheckpointManagerOptions(
                max_to_keep=max_to_keep, enable_async_checkpointing=async_save, create=True, **best
            ),
            # Registered up front so that item metadata (shapes) can be read before a restore.
            item_handlers={
                "generator": ocp.StandardCheckpointHandler(),
                "train": ocp.StandardCheckpointHandler(),
                "meta": ocp.JsonCheckpointHandler(),
            },
        )

    def latest_step(self) -> int | None:
        return self.manager.latest_step()

    def all_steps(self) -> list[int]:
        return list(self.manager.all_steps())

    def save(self, state: GANState, meta: dict[str, Any], force: bool = False, metrics: dict | None = None) -> bool:
        """Starts saving ``state`` (host-local, unreplicated) at its step; returns whether it did."""
        generator, train = _split(state)
        return self.manager.save(
            int(state.step),
            args=ocp.args.Composite(
                generator=ocp.args.StandardSave(generator),
                train=ocp.args.StandardSave(train),
                meta=ocp.args.JsonSave(meta),
            ),
            force=force,
            metrics=metrics,
        )

    def restore(self, template: GANState, step: int | None = None, config=None) -> tuple[GANState, dict]:
        """Restores the state at ``step`` (default: latest) into the shapes of ``template``.

        Args:
          template: a state (or its ``jax.eval_shape``) of the model to restore into.
          step: the checkpoint; default the latest.
          config: the current config; named differences with the saved one make
            a shape mismatch easier to fix.

        Raises:
          CheckpointError: no checkpoint, a corrupt one, or one of another model.
        """
        step = self._step(step)
        generator, train = _split(template)
        restored = self._restore(step, config, generator=generator, train=train)
        g, t = restored["generator"], restored["train"]
        state = template.replace(
            g_params=g["params"], g_batch_stats=g["batch_stats"], g_ema_params=g["ema_params"],
            step=t["step"], rng=t["rng"], d_params=t["d_params"], d_batch_stats=t["d_batch_stats"],
            g_opt_state=t["g_opt_state"], d_opt_state=t["d_opt_state"],
        )
        return state, restored["meta"]

    def restore_generator(self, template: dict, step: int | None = None, config=None) -> tuple[dict, dict]:
        """Restores only the generator item ({params, batch_stats, ema_params}) and meta.

        ``config``, the one ``template`` was built from, makes a shape mismatch
        easier to fix, as in ``restore``.
        """
        restored = self._restore(self._step(step), config, generator=template)
        return restored["generator"], restored["meta"]

    def meta(self, step: int | None = None) -> dict:
        """The JSON meta item of a checkpoint."""
        step = self._step(step)
        return self.manager.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))["meta"]

    def _step(self, step: int | None) -> int:
        steps = self.all_steps()
        if not steps:
            raise CheckpointError(f"no checkpoint in {self.directory}; train first (python train.py --workdir=...)")
        if step is None:
            return max(steps)
        if step not in steps:
            raise CheckpointError(f"no checkpoint of step {step} in {self.directory}; there are steps {steps}")
        return step

    def _check_shapes(self, step: int, config, **items) -> None:
        try:
            metadata = self.manager.item_metadata(step)
        except Exception:  # noqa: BLE001 - a damaged checkpoint is reported by the restore
            return
        for name, template in items.items():
            saved = _shapes(metadata[name])
            wanted = _shapes(template)
            for path in sorted(saved.keys() | wanted.keys()):
                if saved.get(path) != wanted.get(path):
                    have = saved.get(path, "no such parameter")
                    want = wanted.get(path, "no such parameter")
                    changed = _config_diff(self.meta(step), config) if config is not None else ""
                    if changed or config is None:
                        fix = f"{changed}; train with the config it was written with, or use another --workdir"
                    else:
                        fix = ("; its config is this one, so another version of jaxgan wrote it: restore it "
                               "with that version, or use another --workdir")
                    raise CheckpointError(
                        f"checkpoint {self.directory}/{step} does not fit this model: {name}/{path} is {have} "
                        f"in the checkpoint but {want} here{fix}"
                    )

    def _restore(self, step: int, config, **items) -> dict:
        args = {name: ocp.args.StandardRestore(_abstract(tree)) for name, tree in items.items()}
        args["meta"] = ocp.args.JsonRestore()
        try:
            # Reading damaged files makes TensorStore print from other threads, metadata reads included.
            with _stderr_of_failures_dropped(on_failure=self.manager.close):
                self._check_shapes(step, config, **items)
                return self.manager.restore(step, args=ocp.args.Composite(**args))
        except CheckpointError:
            raise
        except Exception as e:  # noqa: BLE001 - shapes were checked; Orbax and TensorStore raise many kinds on damaged files
            raise CheckpointError(
                f"checkpoint {self.directory}/{step} cannot be read ({type(e).__name__}: {first_line(e)}); "
                "it may be damaged: move that step's folder away to resume from the previous one"
            ) from None

    def wait(self) -> None:
        """Blocks until pending saves are written."""
        self.manager.wait_until_finished()

    def close(self) -> None:
        self.manager.close()


@contextlib.contextmanager
def _stderr_of_failures_dropped(on_failure):
    """Drops what other threads print to stderr while a restore fails.

    When TensorStore fails to read a damaged file, its asyncio callbacks print
    'Event loop is closed' tracebacks from other threads, up to the manager's
    close; the user gets one line from the CheckpointError instead. A
    successful restore's output is passed on.

    Args:
      on_failure: called (errors ignored) inside the window when the body fails.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as buffer:
        os.dup2(buffer.fileno(), 2)
        failed = True
        try:
            yield
            failed = False
        finally:
            if failed:
                try:
                    on_failure()
                except Exception:  # noqa: BLE001 - already failing
                    pass
                time.sleep(0.5)  # let the stray callbacks run into the buffer
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            if not failed:
                buffer.seek(0)
                os.write(2, buffer.read())


def first_line(e: Exception) -> str:
    """The first line of an exception's message, at most 300 characters."""
    text = str(e).strip()
    return text.splitlines()[0][:300] if text else type(e).__name__


def _shapes(tree) -> dict[str, tuple]:
    """Leaf shapes by path 'a/b/0/c'; Orbax's metadata spells namedtuple fields as dict keys."""
    flat, _ = jax.tree_util.tree_flatten_with_path(tree)

    def name(k):
        for attr in ("key", "name", "idx"):
            if hasattr(k, attr):
                return str(getattr(k, attr))
        return str(k)

    return {"/".join(map(name, path)): tuple(leaf.shape) for path, leaf in flat if hasattr(leaf, "shape")}


# Fields that may change between a run and its resume without touching the model.
_RUN_FIELDS = {"steps", "log_every", "sample_every", "checkpoint_every", "max_to_keep", "num_devices",
               "parallelism", "num_samples", "data_dir"}


def _config_diff(meta: dict, config) -> str:
    def flat(d, prefix=""):
        out = {}
        for k, v in d.items():
            if isinstance(v, dict):
                out.update(flat(v, f"{prefix}{k}."))
            else:
                out[prefix + k] = list(v) if isinstance(v, (list, tuple)) else v
        return out

    old, new = flat(json.loads(meta["config"])), flat(json.loads(config.to_json()))
    changed = [f"{k}: {old.get(k)} -> {new.get(k)}" for k in sorted(old.keys() | new.keys())
               if old.get(k) != new.get(k) and k not in _RUN_FIELDS]
    return f" (config changed: {'; '.join(changed)})" if changed else ""


def config_from_meta(meta: dict) -> ml_collections.ConfigDict:
    """The run's config as saved in a checkpoint's meta item."""
    return ml_collections.ConfigDict(json.loads(meta["config"]))
