"""Golden values for the engine's general pooling layers from PyTorch (float32, CPU).

Run with a Python that has torch:  python make_pools.py   (writes pools.json here)

Same case layout as make_layers.py: input, upstream gradient, output, input gradient.
Stride 1 keeps the size with padding (K - 1) / 2, as the architecture language's
maxpool(K, 1) and avgpool(K, 1) do; average pooling counts padding (count_include_pad).
"""

import json
import os
import re

import torch

torch.manual_seed(20261206)
torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)


def tensor(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(f"{v:.9g}") for v in t.flatten().tolist()]}


def run(module, shape, config):
    x = torch.randn(*shape).requires_grad_(True)
    y = module(x)
    dy = torch.randn_like(y)
    y.backward(dy)
    return {"input": tensor(x), "params": {}, "grad_output": tensor(dy), "output": tensor(y),
            "grad_input": tensor(x.grad), "grads": {}, "config": config}


def pool(kind, k, stride, shape):
    padding = (k - 1) // 2 if stride == 1 else 0
    cls = torch.nn.MaxPool2d if kind == "max" else torch.nn.AvgPool2d
    return run(cls(k, stride=stride, padding=padding), shape, {"kind": kind, "kernel": k, "stride": stride})


cases = {
    "maxpool_k3_s1": pool("max", 3, 1, (2, 3, 6, 5)),
    "maxpool_k3_s2": pool("max", 3, 2, (2, 2, 7, 8)),
    "avgpool_k3_s1": pool("average", 3, 1, (2, 3, 6, 5)),
    "avgpool_k2_s2": pool("average", 2, 2, (2, 2, 7, 8)),
    "avgpool_k3_s2": pool("average", 3, 2, (2, 2, 7, 8)),
    "globalavgpool": run(torch.nn.AdaptiveAvgPool2d(1), (3, 4, 5, 6), {}),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pools.json")
text = json.dumps({"generator": f"make_pools.py, torch {torch.__version__.split('+')[0]}", "cases": cases},
                  indent=1, sort_keys=True)
text = re.sub(r"\[\s*([-+0-9.eE,\s]*?)\s*\]", lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)
with open(out, "w") as f:
    f.write(text + "\n")
print("wrote", out)
