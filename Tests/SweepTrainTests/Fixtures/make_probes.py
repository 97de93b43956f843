"""Golden occlusion and Grad-CAM maps from PyTorch (float32, CPU), for NetworkProbeTests.

Run with a Python that has torch:  python make_probes.py   (writes probes.json here)

A small conv net, written in Sweep's architecture language as
    conv(4, 3) relu maxpool(2) conv(6, 3) relu flatten dense(classes)
on 1x8x8 images, 10 classes; as one nn.Sequential `net`, so the state_dict names are
Sweep's ("net.0.weight", "net.3.bias", "net.6.weight", ...). Weights and two images are
seeded random values. The formulas are the standard ones:
- occlusion (Zeiler & Fergus): the softmax probability of image 0's predicted class with a
  patch x patch square set to the fill value (0, the normalised mean) at every stride
  pixels, row by row;
- Grad-CAM (Selvaraju et al.): A the output of net[4] (the ReLU after the last conv),
  alpha_k the mean over positions of d(logit of the class)/dA_k, map = ReLU(sum_k alpha_k A_k),
  for the class whose map has the most positive cells.
"""

import json
import os
import re

import torch
import torch.nn as nn

torch.manual_seed(20261206)
torch.set_num_threads(1)

net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, padding=1),
                    nn.ReLU(), nn.Flatten(), nn.Linear(6 * 4 * 4, 10))
for p in net.parameters():
    nn.init.normal_(p, std=0.15)
net.eval()
images = torch.randn(2, 1, 8, 8)
patch, stride, fill = 3, 2, 0.0


def tensor(t):
    return {"shape": list(t.shape), "data": [round(float(v), 8) for v in t.detach().flatten()]}


def occlusion(image):
    rows = (8 - patch) // stride + 1
    batch = image.repeat(rows * rows, 1, 1, 1).clone()
    for i in range(rows):
        for j in range(rows):
            batch[i * rows + j, :, i * stride:i * stride + patch, j * stride:j * stride + patch] = fill
    with torch.no_grad():
        return torch.softmax(net(batch), dim=1)[:, label].reshape(rows, rows)


def grad_cam(image, cls):
    x = image.unsqueeze(0)
    a = net[:5](x)
    a.retain_grad()
    logits = net[5:](a)
    logits[0, cls].backward()
    alpha = a.grad[0].mean(dim=(1, 2))
    return torch.relu((alpha[:, None, None] * a[0]).sum(dim=0))


with torch.no_grad():
    probabilities = torch.softmax(net(images), dim=1)
label = int(probabilities[0].argmax())   # occlusion of the class the net gives image 0
# the class whose map has the most positive cells (ties to the lower class): a map worth comparing
cam_class = max(range(10), key=lambda c: (int((grad_cam(images[1], c) > 0).sum()), -c))
cases = {
    "params": {"net." + name: tensor(p) for name, p in net.named_parameters()},   # as a module holding `net`
    "images": tensor(images),
    "probabilities": tensor(probabilities),
    "occlusion": {"label": label, "patch": patch, "stride": stride, "fill": fill, "map": tensor(occlusion(images[0]))},
    "grad_cam": {"class": cam_class, "node": 4, "map": tensor(grad_cam(images[1], cam_class))},
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "probes.json")
text = json.dumps({"generator": f"make_probes.py, torch {torch.__version__.split('+')[0]}", **cases},
                  indent=1, sort_keys=True)
text = re.sub(r"\[\s*([-+0-9.eE,\s]*?)\s*\]", lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)
with open(out, "w") as f:
    f.write(text + "\n")
print("wrote", out)
