"""Golden values for the engine's recurrent layer from PyTorch (float32, CPU).

Run with a Python that has torch:  python make_recurrent.py   (writes recurrent.json here)

For a tiny nn.RNN (tanh), nn.LSTM and nn.GRU with batch_first=True and a zero
initial state (hidden 6, and hidden 11, which the engine's eight-lane loops run as
one full block and a partial one), and a two-layer nn.LSTM, each case holds as {"shape": [...],
"data": [...]} tensors: the input, the parameters (state_dict names without the
module prefix), the forward output for every step ("output_sequence") and for the
last step ("output_last"), and two backward passes from the same forward: "last"
with an upstream gradient of the last hidden state, "sequence" with one of every
hidden state, each with the input gradient and every parameter gradient.
The output is the same on every run.
"""

import json
import os
import re

import torch

torch.manual_seed(20240607)
torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)

B, T, I, H = 3, 5, 4, 6


def tensor(t):
    t = t.detach().to(torch.float32).contiguous()
    # repr of a float32 (shortest decimal that reads back to the same float32)
    return {"shape": list(t.shape), "data": [float(f"{v:.9g}") for v in t.flatten().tolist()]}


def case(kind, layers=1, hidden=H):
    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](
        I, hidden, num_layers=layers, batch_first=True)
    with torch.no_grad():
        # wider than the default U(±1/√H), so the gates leave their linear range
        for p in module.parameters():
            p.uniform_(-0.6, 0.6)
    x = torch.randn(B, T, I)
    result = {
        "config": {"cell": kind, "hidden": hidden, "layers": layers},
        "input": tensor(x),
        "params": {name: tensor(p) for name, p in module.named_parameters()},
    }
    y, _ = module(x)
    result["output_sequence"] = tensor(y)
    result["output_last"] = tensor(y[:, -1, :])
    for what, dy in [("last", torch.randn(B, hidden)), ("sequence", torch.randn(B, T, hidden))]:
        module.zero_grad()
        xg = x.clone().requires_grad_(True)
        y, _ = module(xg)
        (y[:, -1, :] if what == "last" else y).backward(dy)
        result[what] = {
            "grad_output": tensor(dy),
            "grad_input": tensor(xg.grad),
            "grads": {name: tensor(p.grad) for name, p in module.named_parameters()},
        }
    return result


cases = {kind: case(kind) for kind in ["rnn", "lstm", "gru"]}
cases.update({f"{kind}_h11": case(kind, hidden=11) for kind in ["rnn", "lstm", "gru"]})
cases["lstm_2layers"] = case("lstm", layers=2)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "recurrent.json")
text = json.dumps({"generator": f"make_recurrent.py, torch {torch.__version__.split('+')[0]}", "cases": cases},
                  indent=1, sort_keys=True)
# one line per list of numbers
text = re.sub(r"\[\s*([-+0-9.eE,\s]*?)\s*\]", lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)
with open(out, "w") as f:
    f.write(text + "\n")
print("wrote", out)
