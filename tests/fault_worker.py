"""Runs the trainer in a subprocess with one fault injected (see test_reliability).

    python fault_worker.py kill_during_save WORKDIR STEP   # SIGKILL while step's async save is in flight
    python fault_worker.py disk_full WORKDIR STEP          # the save of STEP fails with ENOSPC
"""

import errno
import os
import signal
import sys

import orbax.checkpoint as ocp

from jaxgan.console import setup_jax  # noqa: E402

setup_jax()  # as the command line does, so runs compare bitwise with CLI runs

from jaxgan import checkpoint, configs, trainer  # noqa: E402

# The flags of clirun.LONG, as a config.
STEPS, CHECKPOINT_EVERY = 300, 25


def main(mode, workdir, target):
    config = configs.get("digits")
    config.steps, config.log_every, config.checkpoint_every, config.sample_every = STEPS, 5, CHECKPOINT_EVERY, 0
    config.eval_every = 0
    save = checkpoint.Checkpointer.save

    def kill_during_save(self, state, meta, force=False, metrics=None):
        started = save(self, state, meta, force, metrics)
        if int(state.step) == target:
            # The save returns once the write is under way in the background.
            assert os.path.isdir(os.path.join(self.directory, f"{target}.orbax-checkpoint-tmp")) or not os.path.isdir(
                os.path.join(self.directory, str(target))), "save already finished"
            os.kill(os.getpid(), signal.SIGKILL)
        return started

    manager_save = ocp.CheckpointManager.save

    def disk_full(self, step, *args, **kwargs):
        if step == target:
            raise OSError(errno.ENOSPC, "No space left on device")
        return manager_save(self, step, *args, **kwargs)

    if mode == "kill_during_save":
        checkpoint.Checkpointer.save = kill_during_save
    else:
        ocp.CheckpointManager.save = disk_full
    try:
        trainer.train(config, workdir)
    except trainer.TrainingError as e:
        print(f"jaxgan: error: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
