"""The NumPy peer of `etascape bench`: what a researcher without a GPU writes.

Plain GD on Rosenbrock, float32, vectorized over N particles with the bench's workload
(lr log-spaced over [1e-6, 1e-4], start (-1.5, 2), 100 steps), no stop checks. Prints
one JSON object: particle-steps per second on this machine's CPU.

    python3 bench/numpy_peer.py [N] [STEPS] [OUT.json]
"""
import json
import sys
import time

import numpy as np


def run(n: int, steps: int) -> dict:
    f = np.float32
    lr = np.exp(np.linspace(np.log(1e-6), np.log(1e-4), n)).astype(f)
    x = np.full(n, -1.5, dtype=f)
    y = np.full(n, 2.0, dtype=f)
    # Buffers reused in place: the fastest NumPy a careful user writes.
    d = np.empty(n, dtype=f)
    gx = np.empty(n, dtype=f)
    gy = np.empty(n, dtype=f)
    t = np.empty(n, dtype=f)

    def step() -> None:
        # f = (1 - x)^2 + 100 (y - x^2)^2
        np.multiply(x, x, out=d)
        np.subtract(y, d, out=d)  # d = y - x^2
        np.multiply(d, f(200.0), out=gy)  # gy = 200 d
        np.multiply(gy, x, out=gx)
        np.multiply(gx, f(-2.0), out=gx)  # -400 x d
        np.subtract(x, f(1.0), out=t)
        np.multiply(t, f(2.0), out=t)  # 2 (x - 1)
        np.add(gx, t, out=gx)
        np.multiply(gx, lr, out=gx)
        np.multiply(gy, lr, out=gy)
        np.subtract(x, gx, out=x)
        np.subtract(y, gy, out=y)

    step()  # warm-up
    rounds = 0
    start = time.perf_counter()
    while True:
        for _ in range(steps):
            step()
        rounds += 1
        if time.perf_counter() - start >= 1.0:
            break
    seconds = time.perf_counter() - start
    return {
        "name": "numpy float32, vectorized",
        "numpy": np.__version__,
        "particles": n,
        "steps": steps * rounds,
        "seconds": seconds,
        "particle_steps_per_second": n * steps * rounds / seconds,
        "finite": bool(np.isfinite(x).all() and np.isfinite(y).all()),
    }


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 20
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    result = json.dumps(run(n, steps), indent=2)
    if len(sys.argv) > 3:
        with open(sys.argv[3], "w") as fh:
            fh.write(result + "\n")
    print(result)
