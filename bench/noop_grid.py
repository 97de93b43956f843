"""Writes a model=noop grid spec of exactly N tasks (seed x hidden, run_cap N).

  python3 bench/noop_grid.py FILE N [DURATION_MS]

Shared by bench/runtime.sh and bench/scale.sh.
"""
import sys

path, n = sys.argv[1], int(sys.argv[2])
duration = int(sys.argv[3]) if len(sys.argv) > 3 else 0
a = 100
b = (n + a - 1) // a
with open(path, "w") as f:
    f.write(f"name: noop-{n}\nmethod: grid\nrun_cap: {n}\nparameters:\n  model: {{value: noop}}\n")
    if duration:
        f.write(f"  duration_ms: {{value: {duration}}}\n")
    f.write("  seed: {values: [" + ", ".join(str(i) for i in range(1, a + 1)) + "]}\n")
    f.write("  hidden: {values: [" + ", ".join(str(i) for i in range(1, b + 1)) + "]}\n")
