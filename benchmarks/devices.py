"""Train-step images/s against the number of devices (data parallel, pmap).

    python benchmarks/devices.py --preset=fmnist_fc --batch=128 --counts=1,2,4

On a CPU the devices are forced with XLA_FLAGS and share the same cores, so
no speed-up is expected there; on a GPU/TPU host the first N devices are used.
Each count runs in its own process.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path


def worker(preset: str, batch: int, count: int) -> dict:
    sys.path.insert(0, str(Path(__file__).parent))
    import jax
    import numpy as np
    from bench import timed  # also applies train.py's JAX settings

    from jaxgan import configs, parallel

    config = configs.get(preset)
    config.batch_size, config.num_devices = batch, count
    par = parallel.DataParallel(config)
    shape = (config.n_critic, batch) if config.n_critic > 1 else (batch,)
    images = np.random.default_rng(0).integers(0, 256, (*shape, *config.image_shape), np.uint8)

    class Step:
        state = par.put_state(par.gan.init(jax.random.PRNGKey(0)))

        def __call__(self):
            self.state, _ = par.train_step(self.state, images)

        def sync(self):
            jax.block_until_ready(self.state)

    step = Step()
    for _ in range(3):
        step()
    seconds = timed(step, 5, 10)
    return {"devices": par.num_devices, "platform": jax.devices()[0].platform, "seconds_per_step": seconds,
            "images_per_s": batch * config.n_critic / seconds}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="fmnist_fc")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--counts", default="1,2,4")
    parser.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.preset, args.batch, args.worker)))
        return
    rows = []
    for n in map(int, args.counts.split(",")):
        env = dict(os.environ)
        env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count={n}".strip()
        out = subprocess.run([sys.executable, __file__, f"--preset={args.preset}", f"--batch={args.batch}",
                              f"--worker={n}"], env=env, capture_output=True, text=True, check=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    print(f"{args.preset}, global batch {args.batch}, {rows[0]['platform']}:\n")
    print("| devices | ms/step | images/s |\n| --- | --- | --- |")
    for r in rows:
        print(f"| {r['devices']} | {r['seconds_per_step'] * 1e3:.1f} | {r['images_per_s']:.0f} |")


if __name__ == "__main__":
    main()
