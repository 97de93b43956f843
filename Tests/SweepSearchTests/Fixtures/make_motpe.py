"""Reference numbers for multi-objective search (MultiObjectiveTPETests, ParetoFrontTests).

1. Optuna's multi-objective TPE on a two-objective problem. The problem is ZDT1
   (Zitzler, Deb and Thiele, 2000) on three parameters a sweep can name:

       x1 = momentum                          uniform in [0, 1]
       x2 = weight_decay                      uniform in [0, 1]
       x3 = log10(learning_rate / 1e-4) / 4   learning_rate log-uniform in [1e-4, 1]
       g  = 1 + 9 (x2 + x3) / 2
       f1 = x1,  f2 = g (1 - sqrt(x1 / g))    both minimised

   Its Pareto front is f2 = 1 - sqrt(f1) (x2 = x3 = 0). For each seed, TPESampler
   (Optuna's defaults for several directions: univariate, 10 startup trials, 24
   candidates, constant liar on, as Sweep runs it) gets 60 trials, with 1 and with 4 in
   flight: trials are asked ahead and told oldest first, exactly as the Swift test's
   `run` helper drives a sampler. Recorded: the hypervolume of the 60 points relative to
   REFERENCE, per seed and the mean, over the 5 seeds the issue asks for; random search's
   the same way, for scale; and TPE's over 30 seeds ("tpe-30"), a steadier mean.

2. Golden values of the building blocks, on seeded random points with many ties:
   Optuna's non-dominated sorting (`_fast_non_domination_rank`), hypervolume
   (`compute_hypervolume`, 2-D and 3-D) and greedy hypervolume subset selection
   (`_solve_hssp`, with TPE's reference point `_get_reference_point`).

Run:  python3 -m venv /tmp/optuna-venv && /tmp/optuna-venv/bin/pip install optuna numpy
      /tmp/optuna-venv/bin/python Tests/SweepSearchTests/Fixtures/make_motpe.py
Writes motpe.json next to this script (half a minute).
"""
import json
import math
import os

import numpy as np
import optuna
from optuna._hypervolume import compute_hypervolume
from optuna._hypervolume.hssp import _solve_hssp
from optuna.samplers._tpe.sampler import _get_reference_point
from optuna.study._multi_objective import _fast_non_domination_rank

optuna.logging.set_verbosity(optuna.logging.ERROR)

REFERENCE = [1.1, 2.0]
TRIALS = 60
SEEDS = [0, 1, 2, 3, 4]
MORE_SEEDS = list(range(30))
IN_FLIGHT = [1, 4]


def zdt1(momentum, weight_decay, learning_rate):
    x1, x2, x3 = momentum, weight_decay, math.log10(learning_rate / 1e-4) / 4
    g = 1 + 9 * (x2 + x3) / 2
    return [x1, g * (1 - math.sqrt(x1 / g))]


def run(sampler, in_flight):
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
    running = []

    def ask():
        trial = study.ask()
        values = zdt1(trial.suggest_float("momentum", 0.0, 1.0),
                      trial.suggest_float("weight_decay", 0.0, 1.0),
                      trial.suggest_float("learning_rate", 1e-4, 1.0, log=True))
        running.append((trial, values))

    for _ in range(in_flight):
        ask()
    points = []
    while running and len(points) < TRIALS:
        trial, values = running.pop(0)
        study.tell(trial, values)
        points.append(values)
        if len(study.trials) < TRIALS:
            ask()
    return points


def hypervolume(points, reference):
    pts = np.array(points, dtype=float)
    ref = np.array(reference, dtype=float)
    pts = pts[np.all(pts < ref, axis=1)]
    return float(compute_hypervolume(pts, ref)) if len(pts) else 0.0


def tpe(seed):
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=10, n_ei_candidates=24,
                                      constant_liar=True, multivariate=False)


def searches():
    out = []
    for in_flight in IN_FLIGHT:
        for name, make, seeds in [
            ("tpe", tpe, SEEDS),
            ("random", lambda s: optuna.samplers.RandomSampler(seed=s), SEEDS),
            ("tpe-30", tpe, MORE_SEEDS),
        ]:
            volumes = [hypervolume(run(make(seed), in_flight), REFERENCE) for seed in seeds]
            out.append({"sampler": name, "in_flight": in_flight, "seeds": seeds,
                        "hypervolumes": volumes, "mean": float(np.mean(volumes))})
    return out


def building_blocks():
    rng = np.random.default_rng(18)
    ranks, volumes, subsets = [], [], []
    for n, m, levels in [(12, 2, 4), (40, 2, 6), (60, 3, 5), (25, 4, 3), (30, 2, 1000)]:
        # Few levels per objective: many equal values and equal points.
        points = rng.integers(0, levels, size=(n, m)).astype(float)
        r = _fast_non_domination_rank(points)
        ranks.append({"points": points.tolist(), "ranks": (r + 1).tolist()})
    for n, m in [(15, 2), (30, 2), (12, 3), (25, 3)]:
        points = rng.random((n, m))
        reference = [1.1] * m
        volumes.append({"points": points.tolist(), "reference": reference,
                        "volume": float(compute_hypervolume(points, np.array(reference)))})
    for n, m, count in [(20, 2, 5), (30, 2, 12), (15, 3, 4), (8, 2, 8)]:
        # One front: points on a convex curve (m = 2) or sphere (m = 3), some repeated.
        u = rng.random((n, m - 1))
        if m == 2:
            front = np.column_stack([u[:, 0], 1 - np.sqrt(u[:, 0])])
        else:
            a, b = u[:, 0] * math.pi / 2, u[:, 1] * math.pi / 2
            front = np.column_stack([np.cos(a) * np.cos(b), np.cos(a) * np.sin(b), np.sin(a)])
        front = np.round(front, 3)
        front[n - 2:] = front[:2]  # two repeats
        reference = _get_reference_point(front)
        chosen = _solve_hssp(front, np.arange(n), count, reference)
        subsets.append({"points": front.tolist(), "count": count, "reference": reference.tolist(),
                        "chosen": sorted(int(i) for i in chosen)})
    return {"ranks": ranks, "hypervolumes": volumes, "subsets": subsets}


def main():
    out = {
        "optuna": optuna.__version__,
        "numpy": np.__version__,
        "problem": "zdt1(momentum, weight_decay, log10(learning_rate/1e-4)/4), both minimised",
        "reference": REFERENCE,
        "trials": TRIALS,
        "searches": searches(),
        "building_blocks": building_blocks(),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "motpe.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    for s in out["searches"]:
        print(f"{s['sampler']:6} {s['in_flight']} in flight: mean {s['mean']:.4f}  per seed "
              + " ".join(f"{v:.4f}" for v in s["hypervolumes"]))


if __name__ == "__main__":
    main()
