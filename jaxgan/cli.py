"""The ``train.py`` / ``jaxgan-train`` command line (absl flags + ml_collections).

    python train.py                                   # the digits preset into runs/digits
    python train.py --config=fmnist_dcgan --workdir=runs/dc --config.batch_size=128
    python train.py --config=path/to/my_config.py     # a file with get_config()

Any config field can be overridden with ``--config.FIELD=VALUE``. Running
the same command again resumes from the workdir's latest checkpoint.
"""

from __future__ import annotations

import os
import sys

import jax
from absl import app, flags, logging
from ml_collections import config_flags

from jaxgan import configs
from jaxgan.console import fail, quiet_libraries, setup_jax

setup_jax()

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Folder for checkpoints, samples and logs; default runs/<preset name>.")
flags.DEFINE_bool(
    "distributed", False,
    "Call jax.distributed.initialize() (multi-host). On TPU pods and SLURM the environment "
    "gives the rest; elsewhere also pass --coordinator_address, --num_processes and --process_id.",
)
flags.DEFINE_string("coordinator_address", None, "host:port of process 0 (implies --distributed).")
flags.DEFINE_integer("num_processes", None, "Number of processes (implies --distributed).")
flags.DEFINE_integer("process_id", None, "This process's id, 0 .. num_processes - 1 (implies --distributed).")

def resolve_preset_names(argv: list[str]) -> list[str]:
    """Rewrites ``--config=NAME`` to the preset's file, so flags take names or paths."""
    out = list(argv)
    for i, arg in enumerate(out):
        value, prefix = None, None
        if arg.startswith("--config="):
            prefix, value = "--config=", arg[len("--config="):]
        elif arg == "--config" and i + 1 < len(out):
            prefix, value = None, out[i + 1]
        if value is None or os.path.exists(value) or value.split(":")[0].endswith(".py"):
            continue
        if value not in configs.names():
            fail(f"unknown preset {value!r}; choose one of {', '.join(configs.names())}, or give a config file path")
        if prefix:
            out[i] = prefix + configs.path(value)
        else:
            out[i + 1] = configs.path(value)
    return out


def define_config_flag() -> None:
    """Defines --config; ml_collections reads the --config.FIELD overrides from sys.argv here."""
    config_flags.DEFINE_config_file(
        "config", configs.path(configs.DEFAULT),
        f"A preset name ({', '.join(configs.names())}) or a config file path. "
        "Override fields with --config.FIELD=VALUE.",
        lock_config=True,
    )


def parse_flags(argv: list[str]) -> list[str]:
    """absl's parsing with a one-line error instead of usage text."""
    try:
        define_config_flag()
        if any(arg in ("-h", "--help", "--helpshort") for arg in argv[1:]):
            # absl's --help lists the main module's flags only, and train.py defines none.
            print(__doc__.strip() + "\n\n" + FLAGS.module_help(__name__))
            sys.exit(0)
        rest = FLAGS(argv)
        FLAGS.config  # noqa: B018 - loads the config file and applies overrides now
    except flags.Error as e:
        fail(f"{e}; see --help")
    except (KeyError, AttributeError, TypeError, ValueError) as e:
        fail(f"bad --config or --config.FIELD override ({e}): use a preset name or file, and fields the config has; see --help")
    if len(rest) > 1:
        fail(f"unexpected arguments {rest[1:]}; flags look like --workdir=DIR")
    return rest


def initialize_distributed() -> None:
    explicit = (FLAGS.coordinator_address, FLAGS.num_processes, FLAGS.process_id)
    if FLAGS.distributed or any(v is not None for v in explicit):
        jax.distributed.initialize(
            coordinator_address=FLAGS.coordinator_address,
            num_processes=FLAGS.num_processes,
            process_id=FLAGS.process_id,
        )
        logging.info("process %d of %d", jax.process_index(), jax.process_count())


def main(argv) -> None:
    from jaxgan import trainer
    from jaxgan.checkpoint import CheckpointError
    from jaxgan.data import DataError

    del argv
    quiet_libraries()
    config = FLAGS.config
    workdir = FLAGS.workdir or os.path.join("runs", config.name)
    initialize_distributed()
    logging.info("training %s in %s", config.name, os.path.abspath(workdir))
    try:
        trainer.train(config, workdir)
    except trainer.Interrupted as e:
        sys.exit(128 + e.signum)
    except (trainer.TrainingError, DataError, CheckpointError, ValueError) as e:
        if os.environ.get("JAXGAN_DEBUG"):
            raise
        fail(str(e), code=1)
    logging.info("done: samples in %s, checkpoints in %s", os.path.join(workdir, "samples"), os.path.join(workdir, "checkpoints"))


def run() -> None:
    """Console-script entry point (jaxgan-train)."""
    sys.argv = resolve_preset_names(sys.argv)
    app.run(main, flags_parser=parse_flags)
