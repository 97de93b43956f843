"""Golden values for the engine's layers from PyTorch (float32, CPU).

Run with a Python that has torch:  python make_layers.py   (writes layers.json here)

Each case holds, as {"shape": [...], "data": [...]} tensors: the input, the
parameters, the upstream gradient, the forward output, the input gradient and
every parameter gradient (batchnorm: also the running statistics after the step).
Layers run in train mode. The output is the same on every run.
"""

import json
import os
import re

import torch
import torch.nn.functional as F

torch.manual_seed(20240521)
torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)


def tensor(t):
    t = t.detach().to(torch.float32).contiguous()
    # repr of a float32 (shortest decimal that reads back to the same float32)
    return {"shape": list(t.shape), "data": [float(f"{v:.9g}") for v in t.flatten().tolist()]}


def run(module, x, forward=None, params=()):
    x = x.clone().requires_grad_(True)
    before = {name: tensor(p) for name, p in params}
    y = forward(x) if forward else module(x)
    dy = torch.randn_like(y)
    y.backward(dy)
    case = {
        "input": tensor(x),
        "params": before,
        "grad_output": tensor(dy),
        "output": tensor(y),
        "grad_input": tensor(x.grad),
        "grads": {name: tensor(p.grad) for name, p in params},
    }
    return case


def conv(in_ch, out_ch, k, stride, padding, shape):
    m = torch.nn.Conv2d(in_ch, out_ch, k, stride=stride, padding=0)
    with torch.no_grad():
        m.bias.uniform_(-0.5, 0.5)
    x = torch.randn(*shape)
    h, w = shape[2], shape[3]
    if padding == "same":
        # TensorFlow SAME: out = ceil(n / stride), smaller half of the padding first
        def pads(n):
            out = -(-n // stride)
            total = max((out - 1) * stride + k - n, 0)
            return total // 2, total - total // 2
        (top, bottom), (left, right) = pads(h), pads(w)
        forward = lambda t: m(F.pad(t, (left, right, top, bottom)))
    else:
        forward = m
    case = run(m, x, forward, [("weight", m.weight), ("bias", m.bias)])
    case["config"] = {"out_channels": out_ch, "kernel": k, "stride": stride, "padding": padding}
    return case


def batchnorm(module, shape):
    with torch.no_grad():
        module.weight.uniform_(0.5, 1.5)
        module.bias.uniform_(-0.5, 0.5)
    x = 2 * torch.randn(*shape) + 0.5
    module.train()
    case = run(module, x, params=[("weight", module.weight), ("bias", module.bias)])
    case["running_mean"] = tensor(module.running_mean)
    case["running_var"] = tensor(module.running_var)
    case["config"] = {"momentum": module.momentum, "eps": module.eps}
    return case


cases = {}
cases["conv2d_same_stride1"] = conv(3, 4, 3, 1, "same", (2, 3, 6, 5))
cases["conv2d_same_stride1_k5"] = conv(2, 3, 5, 1, "same", (2, 2, 7, 7))
cases["conv2d_valid_stride2"] = conv(3, 4, 3, 2, "valid", (2, 3, 7, 8))
# asymmetric SAME padding (top/left 0, bottom/right 1), which torch's padding= cannot express
cases["conv2d_same_stride2"] = conv(2, 3, 3, 2, "same", (2, 2, 8, 6))
cases["maxpool2d"] = run(torch.nn.MaxPool2d(2), torch.randn(2, 3, 5, 7))
cases["batchnorm2d"] = batchnorm(torch.nn.BatchNorm2d(3, momentum=0.1, eps=1e-5), (4, 3, 3, 5))
cases["batchnorm1d"] = batchnorm(torch.nn.BatchNorm1d(5, momentum=0.2, eps=1e-3), (6, 5))
linear = torch.nn.Linear(6, 4)
cases["dense"] = run(linear, torch.randn(3, 6), params=[("weight", linear.weight), ("bias", linear.bias)])
cases["dense"]["config"] = {"outputs": 4}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers.json")
text = json.dumps({"generator": f"make_layers.py, torch {torch.__version__.split('+')[0]}", "cases": cases},
                  indent=1, sort_keys=True)
# one line per list of numbers
text = re.sub(r"\[\s*([-+0-9.eE,\s]*?)\s*\]", lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)
with open(out, "w") as f:
    f.write(text + "\n")
print("wrote", out)
