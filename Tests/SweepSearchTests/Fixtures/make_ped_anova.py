"""Golden values for Sources/SweepSearch/ParameterImportance.swift (ParameterImportanceTests).

Builds a few Optuna studies from fixed trials (parameters drawn by a seeded numpy
generator, objective values computed from them, nothing optimised), runs Optuna's
PedAnovaImportanceEvaluator with its defaults (target_quantile 0.1, region_quantile
1.0, evaluate_on_local True; the evaluator is deterministic and takes no seed) and
writes, per study, the parameters' distributions, the trials and the importances,
both raw (normalize=False) and normalised to sum to 1 (the default), in Optuna's
order (most important first).

The studies cover: a numerical parameter that matters and one that does not, a
log-scale float, a stepped float, integers (linear and log), categoricals (strings
and bools), both directions, a conditional parameter (set on some trials only),
ties in the objective at the quantile's cut-off, and a study of 7 trials.

Run:  /tmp/torch/bin/pip install optuna
      /tmp/torch/bin/python Tests/SweepSearchTests/Fixtures/make_ped_anova.py
Writes ped_anova.json next to this script.
"""
import json
import math
import os
import warnings

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.importance import PedAnovaImportanceEvaluator, get_param_importances
from optuna.trial import create_trial

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.simplefilter("ignore")  # normalize=False is "experimental"; conditional regimes warn


def describe(dist):
    if isinstance(dist, FloatDistribution):
        return {"type": "float", "low": dist.low, "high": dist.high, "log": dist.log, "step": dist.step}
    if isinstance(dist, IntDistribution):
        return {"type": "int", "low": dist.low, "high": dist.high, "log": dist.log}
    return {"type": "categorical", "choices": list(dist.choices)}


def draw(rng, dist):
    if isinstance(dist, CategoricalDistribution):
        return dist.choices[rng.randint(len(dist.choices))]
    if isinstance(dist, IntDistribution):
        if dist.log:
            return int(round(math.exp(rng.uniform(math.log(dist.low), math.log(dist.high)))))
        return int(rng.randint(dist.low, dist.high + 1))
    if dist.step is not None:
        return dist.low + dist.step * rng.randint(round((dist.high - dist.low) / dist.step) + 1)
    if dist.log:
        return float(math.exp(rng.uniform(math.log(dist.low), math.log(dist.high))))
    return float(rng.uniform(dist.low, dist.high))


def study(name, direction, space, n, seed, objective, active=lambda params, name: True):
    rng = np.random.RandomState(seed)
    s = optuna.create_study(direction=direction)
    trials = []
    for _ in range(n):
        params = {p: draw(rng, d) for p, d in space.items()}
        params = {p: v for p, v in params.items() if active(params, p)}
        value = float(objective(params, rng))
        s.add_trial(create_trial(params=params, distributions={p: space[p] for p in params}, value=value))
        trials.append({"params": params, "value": value})
    evaluator = PedAnovaImportanceEvaluator()
    raw = get_param_importances(s, evaluator=evaluator, normalize=False)
    normalized = get_param_importances(s, evaluator=evaluator)
    return {
        "name": name,
        "direction": direction,
        "parameters": [{"name": p, "distribution": describe(d)} for p, d in space.items()],
        "trials": trials,
        "raw": [[p, v] for p, v in raw.items()],
        "importances": [[p, v] for p, v in normalized.items()],
    }


studies = [
    # x matters most, lr (log scale) and the optimizer matter, noise does not.
    study("minimize: float, log float, categorical", "minimize", {
        "x": FloatDistribution(-5, 5),
        "noise": FloatDistribution(0, 1),
        "lr": FloatDistribution(1e-5, 1e-1, log=True),
        "optimizer": CategoricalDistribution(["sgd", "adam", "rmsprop"]),
    }, 120, 1, lambda p, rng: (p["x"] - 1) ** 2 + 0.5 * (math.log10(p["lr"]) + 2.5) ** 2
        + {"sgd": 0.0, "adam": -3.0, "rmsprop": -1.0}[p["optimizer"]] + 0.1 * rng.normal()),
    # An accuracy: hidden (log int) and batchnorm (bool) matter, dropout (stepped) a little, seed not.
    study("maximize: integers, stepped float, bool", "maximize", {
        "hidden": IntDistribution(16, 256, log=True),
        "layers": IntDistribution(1, 6),
        "dropout": FloatDistribution(0.0, 0.5, step=0.05),
        "batchnorm": CategoricalDistribution([True, False]),
        "seed": IntDistribution(0, 9),
    }, 80, 2, lambda p, rng: 0.9 - 0.02 * (math.log2(p["hidden"]) - 7) ** 2 - 0.3 * (p["dropout"] - 0.2) ** 2
        - 0.002 * p["layers"] + (0.03 if p["batchnorm"] else 0.0) + 0.005 * rng.normal()),
    # momentum is set only where optimizer is "momentum" (Optuna's conditional regimes).
    study("minimize: conditional parameter", "minimize", {
        "optimizer": CategoricalDistribution(["sgd", "momentum", "adam"]),
        "momentum": FloatDistribution(0.5, 0.99),
        "lr": FloatDistribution(1e-4, 1.0, log=True),
    }, 150, 3, lambda p, rng: (math.log10(p["lr"]) + 2) ** 2
        + (4 * (p["momentum"] - 0.9) ** 2 if "momentum" in p else 0.3)
        + (0.0 if p["optimizer"] == "adam" else 0.2) + 0.05 * rng.normal(),
        active=lambda params, name: name != "momentum" or params["optimizer"] == "momentum"),
    # 30 trials, the top 3; values rounded to integers tie at the cut-off, so more are kept.
    study("minimize: 30 trials with ties", "minimize", {
        "a": FloatDistribution(0, 1),
        "c": CategoricalDistribution(["p", "q", "r", "s"]),
        "k": IntDistribution(0, 3),
    }, 30, 4, lambda p, rng: round(2 * p["a"] + 0.5 * p["k"] + (0.4 if p["c"] in ("p", "q") else 0.0))),
    # Seven trials: the top quantile is a single trial.
    study("maximize: 7 trials", "maximize", {
        "u": FloatDistribution(-1, 1),
        "v": FloatDistribution(1, 100, log=True),
        "w": CategoricalDistribution(["x", "y"]),
    }, 7, 5, lambda p, rng: -abs(p["u"]) + 0.1 * math.log(p["v"]) + (0.2 if p["w"] == "x" else 0.0)),
]

out = {"optuna": optuna.__version__, "numpy": np.__version__, "studies": studies}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ped_anova.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
for s in studies:
    print(s["name"], s["importances"])
