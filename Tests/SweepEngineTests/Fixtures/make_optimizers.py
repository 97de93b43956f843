"""Golden values for Sources/SweepEngine/Optimizer.swift (OptimizerTests).

nn.Linear(4, 3) + CrossEntropyLoss (mean) on a fixed batch of 5 samples. For each
optimizer case, 3 training steps (zero_grad, forward, backward, optional
clip_grad_norm_, step) are recorded: the loss and the gradient norm before each
step, and all parameters (weight row-major [out, in], then bias) after it.

Run:  /tmp/torch/bin/python Tests/SweepEngineTests/Fixtures/make_optimizers.py
Writes optimizers.json next to this script; deterministic (fixed seed, 1 thread).
"""
import json
import os

import torch

torch.set_num_threads(1)
torch.manual_seed(1234)
IN, OUT, BATCH, STEPS = 4, 3, 5, 3

inputs = torch.randn(BATCH, IN)
labels = torch.tensor([0, 2, 1, 2, 0])
weight0 = torch.randn(OUT, IN) * 0.5
bias0 = torch.randn(OUT) * 0.1

# name, kind, lr, momentum (None: the engine's default), weight_decay, clip_norm
CASES = [
    ("sgd", "sgd", 0.1, None, 0.0, None),
    ("sgd_wd", "sgd", 0.1, None, 0.1, None),
    ("sgd_clip", "sgd", 0.1, None, 0.0, 0.1),
    ("momentum", "momentum", 0.1, 0.9, 0.0, None),
    ("momentum_wd", "momentum", 0.1, 0.9, 0.1, None),
    ("nesterov", "nesterov", 0.1, 0.9, 0.0, None),
    ("nesterov_wd", "nesterov", 0.1, 0.9, 0.1, None),
    ("adagrad", "adagrad", 0.1, None, 0.0, None),
    ("adagrad_wd", "adagrad", 0.1, None, 0.1, None),
    ("rmsprop", "rmsprop", 0.01, None, 0.0, None),
    ("rmsprop_wd", "rmsprop", 0.01, None, 0.1, None),
    ("rmsprop_momentum", "rmsprop", 0.01, 0.9, 0.0, None),
    ("adam", "adam", 0.01, None, 0.0, None),
    ("adam_wd", "adam", 0.01, None, 0.1, None),
    ("adam_clip", "adam", 0.01, None, 0.0, 0.1),
    ("nadam", "nadam", 0.01, None, 0.0, None),
    ("adamw", "adamw", 0.01, None, 0.01, None),
    ("adamw_wd", "adamw", 0.01, None, 0.1, None),
]


def make_optimizer(kind, params, lr, momentum, wd):
    # foreach=False: the single-tensor reference loops (the CPU default anyway).
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.0, weight_decay=wd, foreach=False)
    if kind == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=wd, foreach=False)
    if kind == "nesterov":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=True,
                               weight_decay=wd, foreach=False)
    if kind == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, weight_decay=wd, foreach=False)
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=momentum or 0.0,
                                   weight_decay=wd, foreach=False)
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=wd, foreach=False)
    if kind == "nadam":
        return torch.optim.NAdam(params, lr=lr, weight_decay=wd, foreach=False)
    if kind == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd, foreach=False)
    raise ValueError(kind)


def floats(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def run(kind, lr, momentum, wd, clip):
    model = torch.nn.Linear(IN, OUT)
    with torch.no_grad():
        model.weight.copy_(weight0)
        model.bias.copy_(bias0)
    opt = make_optimizer(kind, list(model.parameters()), lr, momentum, wd)
    loss_fn = torch.nn.CrossEntropyLoss()
    losses, norms, params = [], [], []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        if clip is not None:
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip, foreach=False)
        else:
            norm = torch.nn.utils.get_total_norm([p.grad for p in model.parameters()], foreach=False)
        opt.step()
        losses.append(loss.item())
        norms.append(float(norm))
        params.append(floats(model.weight) + floats(model.bias))
    return losses, norms, params


cases = []
for name, kind, lr, momentum, wd, clip in CASES:
    losses, norms, params = run(kind, lr, momentum, wd, clip)
    cases.append({
        "name": name, "kind": kind, "lr": lr, "momentum": momentum,
        "weight_decay": wd, "clip_norm": clip,
        "losses": losses, "grad_norms": norms, "params": params,
    })

fixture = {
    "torch": torch.__version__.split("+")[0],
    "inputs_count": IN, "outputs": OUT, "batch": BATCH,
    "inputs": floats(inputs), "labels": labels.tolist(),
    "weight": floats(weight0), "bias": floats(bias0),
    "cases": cases,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optimizers.json")
with open(path, "w") as f:
    json.dump(fixture, f, indent=1)
    f.write("\n")
print(f"wrote {path}: {len(cases)} cases")
