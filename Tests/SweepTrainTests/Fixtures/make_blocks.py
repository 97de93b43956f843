"""Golden values for whole blocks of the homework-4 networks from PyTorch (float32, CPU).

Run with a Python that has torch:  python make_blocks.py   (writes blocks.json here)

Residual and Inception are copied as hw4_models.py (the CS577 homework-4 reference)
defines them; each block is held as `block`, as HW4Net holds it, so the parameter names
are HW4Net's state_dict names ("block.0.conv1.weight", "block.b2.2.bias", ...). The
widths are small (4 input channels, 6x6 images, batch 2) instead of 64/128 on 8x8.

Each case holds, as {"shape": [...], "data": [...]} tensors: the input, the parameters,
the upstream gradient, the block's output, the input gradient and every parameter
gradient, keyed by state_dict name.
"""

import json
import os
import re

import torch
import torch.nn as nn

torch.manual_seed(20261208)
torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)


# --- as hw4_models.py ---
class Inception(nn.Module):
    def __init__(self, c=64, w=64):
        super().__init__()
        self.b1 = nn.Sequential(nn.Conv2d(c, w, 3, padding=1), nn.ReLU())
        self.b2 = nn.Sequential(nn.Conv2d(c, w, 3, padding=1), nn.ReLU(), nn.Conv2d(w, w, 3, padding=1), nn.ReLU())
        self.b3 = nn.Sequential(nn.Conv2d(c, w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, stride=1, padding=1))

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x)], dim=1)


class Residual(nn.Module):
    def __init__(self, c=64, w=128):
        super().__init__()
        self.conv1 = nn.Conv2d(c, w, 3, padding=1)
        self.conv2 = nn.Conv2d(w, w, 3, padding=1)
        self.proj = nn.Conv2d(w, c, 1)

    def forward(self, x):
        r = torch.relu(self.conv1(x))
        r = torch.relu(self.conv2(r))
        return torch.relu(x + self.proj(r))
# --- end of hw4_models.py's blocks ---


class Holder(nn.Module):
    """Holds a block under HW4Net's attribute name."""

    def __init__(self, block):
        super().__init__()
        self.block = block

    def forward(self, x):
        return self.block(x)


def tensor(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(f"{v:.9g}") for v in t.flatten().tolist()]}


def run(block, shape, config):
    module = Holder(block)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith(".bias"):
                p.uniform_(-0.3, 0.3)   # default biases are tiny; make them matter
    params = list(module.named_parameters())
    x = torch.randn(*shape).requires_grad_(True)
    before = {name: tensor(p) for name, p in params}
    y = module(x)
    dy = torch.randn_like(y)
    y.backward(dy)
    return {"input": tensor(x), "params": before, "grad_output": tensor(dy), "output": tensor(y),
            "grad_input": tensor(x.grad), "grads": {name: tensor(p.grad) for name, p in params}, "config": config}


c, w = 4, 8
cases = {
    # HW4Net("resnet").block: the residual block, then a 2x2 max pool
    "resnet": run(nn.Sequential(Residual(c, w), nn.MaxPool2d(2)), (2, c, 6, 6), {"channels": c, "width": w}),
    # HW4Net("inception").block: three branches joined on channels
    "inception": run(Inception(c, c), (2, c, 6, 6), {"channels": c, "width": c}),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "blocks.json")
text = json.dumps({"generator": f"make_blocks.py, torch {torch.__version__.split('+')[0]}", "cases": cases},
                  indent=1, sort_keys=True)
text = re.sub(r"\[\s*([-+0-9.eE,\s]*?)\s*\]", lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)
with open(out, "w") as f:
    f.write(text + "\n")
print("wrote", out)
