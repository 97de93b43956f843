"""Golden values for the engine's merges (Add, Concat) from PyTorch (float32, CPU).

Run with a Python that has torch:  python make_merges.py   (writes merges.json here)

The case layout of make_layers.py for layers with several inputs: "inputs" and
"grad_inputs" hold one tensor per input, keyed "0", "1", ...; then the upstream
gradient and the output. Add is x0 + x1 (+ x2); Concat is torch.cat(dim=1): channels of
(B, C, H, W), features of (B, N).
"""

import json
import os
import re

import torch

torch.manual_seed(20261207)
torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)


def tensor(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(f"{v:.9g}") for v in t.flatten().tolist()]}


def run(forward, shapes, config):
    xs = [torch.randn(*s).requires_grad_(True) for s in shapes]
    y = forward(xs)
    dy = torch.randn_like(y)
    y.backward(dy)
    return {"inputs": {str(k): tensor(x) for k, x in enumerate(xs)}, "grad_output": tensor(dy), "output": tensor(y),
            "grad_inputs": {str(k): tensor(x.grad) for k, x in enumerate(xs)}, "config": config}


def add(shapes):
    return run(lambda xs: sum(xs[1:], xs[0]), shapes, {"kind": "add"})


def concat(shapes):
    return run(lambda xs: torch.cat(xs, dim=1), shapes, {"kind": "concat"})


cases = {
    "add": add([(2, 3, 4, 5)] * 2),
    "add_three": add([(2, 2, 3, 3)] * 3),
    "concat": concat([(2, 2, 3, 4), (2, 3, 3, 4), (2, 1, 3, 4)]),
    "concat_features": concat([(3, 5), (3, 2)]),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "merges.json")
text = json.dumps({"generator": f"make_merges.py, torch {torch.__version__.split('+')[0]}", "cases": cases},
                  indent=1, sort_keys=True)
text = re.sub(r"\[\s*([-+0-9.eE,\s]*?)\s*\]", lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)
with open(out, "w") as f:
    f.write(text + "\n")
print("wrote", out)
