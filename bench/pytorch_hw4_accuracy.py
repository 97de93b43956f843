#!/usr/bin/env python3
"""PyTorch side of the accuracy target of issue "Networks as data": the homework-4
CNNs (../shared/reference/hw4_models.py's HW4Net(kind, 1, 28)) on a Fashion-MNIST
slice, trained with Sweep's data pipeline so the two engines can be compared.

  python bench/pytorch_hw4_accuracy.py [--model cnn|inception|resnet] [--augment none|flip|crop|flip+crop]
      [--seeds 1,2,3] [--train-per-class 500] [--test-per-class 200] [--epochs 3]
      [--batch-size 32] [--lr 1e-3] [--data-dir /usr/share/datasets/fashion-mnist]
      [--reference /work/shared/reference/hw4_models.py] [--exact-init] [--no-dropout]

Results, commands and the machine: bench/README-accuracy.md.

What is reproduced from Sweep (Sources/SweepData, SweepTrain, SweepEngine):
- data (LoadDataset.swift keepingFirst): the first train_per_class training images
  and the first test_per_class test images of each class, in file order;
  validation_fraction=0, so the training split is that whole subset. Mean and std
  are the subset's (channelStatistics over the 5000 kept training images, not all
  60000), and images are normalised as Dataset.gather does; the RNG, IDX reading,
  statistics, normalisation and data order come from pytorch_rnn_accuracy.py
  (its --self-test checks the RNG port against Swift);
- data order: each epoch the index array 0..<N (carried over between epochs) is
  Fisher–Yates shuffled by RNG(seed, 0x5E0F); batches are consecutive slices, the
  last partial one kept (5000 = 156·32 + 8);
- augmentation (Augment.swift, on the normalised training batches only): one
  RNG(seed, 0xA06E) for the run; for each image of each batch in order, `flip`
  draws next() & 1 (1 = mirror), then `crop` draws dy = below(5) − 2 and
  dx = below(5) − 2 (padding 2 for 28×28); output pixel (y, x) reads
  source (y + dy, (mirror ? 27 − x : x) + dx) (shift, then mirror), the
  normalised black (−mean/std) outside the image — torchvision's
  RandomHorizontalFlip + RandomCrop(28, padding=2) before Normalize, with Sweep's
  draws;
- init: Sweep's default `xavier`: every weight Glorot normal
  N(0, 2/(fan_in+fan_out)) with PyTorch's fans (conv: C·k·k → OC·k·k, linear:
  in → out), every bias 0. By default the values come from
  torch.nn.init.xavier_normal_ (seeded by torch.manual_seed(seed)): same scheme,
  different values. With --exact-init they are Sweep's own: RNG(seed, 0x1A17).normal()
  times the Float std, drawn for the weights in state_dict order (biases draw
  nothing), which is the order Sweep's graph declares them (Init.swift);
- model: HW4Net(kind, 1, 28) unchanged (dropout after each pool and in the head,
  as Presets.swift); dropout masks come from torch's generator, not Sweep's
  streams; CrossEntropyLoss (mean); torch.optim.Adam(lr) with defaults; 1 intra-op
  thread; evaluation in eval mode over the whole test subset.
--no-dropout sets every nn.Dropout's p to 0 (with --exact-init the run is then
deterministic, for comparing with a Sweep architecture line without dropout).

Prints one line per seed and a final JSON line.
"""
import argparse
import importlib.util
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_rnn_accuracy import (RNG, STREAM_INIT, _find, channel_statistics, epoch_orders,  # noqa: E402
                                  evaluate, normalise, read_idx_images, read_idx_labels)

STREAM_AUGMENT = 0xA06E


# ---------------------------------------------------------------- data

def keeping_first(per_class, labels):
    """LoadDataset.swift keepingFirst: indices of the first per_class examples of each class, in file order."""
    seen, kept = {}, []
    for i, label in enumerate(labels.tolist()):
        n = seen.get(label, 0)
        if n < per_class:
            seen[label] = n + 1
            kept.append(i)
    return np.array(kept, dtype=np.int64)


def load_slice(directory, train_per_class, test_per_class):
    train_x = read_idx_images(_find(directory, "train-images-idx3-ubyte"))
    train_y = read_idx_labels(_find(directory, "train-labels-idx1-ubyte"))
    test_x = read_idx_images(_find(directory, "t10k-images-idx3-ubyte"))
    test_y = read_idx_labels(_find(directory, "t10k-labels-idx1-ubyte"))
    keep_train = keeping_first(train_per_class, train_y)
    keep_test = keeping_first(test_per_class, test_y)
    train_x, train_y = train_x[keep_train], train_y[keep_train]
    test_x, test_y = test_x[keep_test], test_y[keep_test]
    mean, std = channel_statistics(train_x)  # of the kept training images, as Sweep
    # (N, 1, 28, 28) float32
    return (normalise(train_x, mean, std)[:, None], train_y,
            normalise(test_x, mean, std)[:, None], test_y, mean, std)


class Augment:
    """Augment.swift, on a normalised batch (B, 1, H, W) in place."""

    def __init__(self, kind, seed, black, size):
        self.flip = "flip" in kind
        self.padding = (4 if size >= 32 else 2) if "crop" in kind else 0
        self.black = np.float32(black)
        self.rng = RNG(seed, STREAM_AUGMENT)

    def apply(self, images):
        _, c, h, w = images.shape
        p = self.padding
        for b in range(images.shape[0]):
            mirror = self.flip and (self.rng.next() & 1) == 1
            dy = self.rng.below(2 * p + 1) - p if p > 0 else 0
            dx = self.rng.below(2 * p + 1) - p if p > 0 else 0
            if not mirror and dy == 0 and dx == 0:
                continue
            # shifted[y, x] = image[y + dy, x + dx] (black outside); Swift's out[y, x] =
            # image[y + dy, (mirror ? w − 1 − x : x) + dx] is that, mirrored after the shift
            shifted = np.full((c, h, w), self.black, dtype=np.float32)
            y0, y1 = max(0, -dy), min(h, h - dy)
            x0, x1 = max(0, -dx), min(w, w - dx)
            shifted[:, y0:y1, x0:x1] = images[b][:, y0 + dy:y1 + dy, x0 + dx:x1 + dx]
            images[b] = shifted[:, :, ::-1] if mirror else shifted


# ---------------------------------------------------------------- model

def load_reference(path):
    spec = importlib.util.spec_from_file_location("hw4_models", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sweep_xavier_(weights, seed):
    """Sweep's init=xavier values: one RNG(seed, 0x1A17) for all weights in order;
    each entry std · normal() with std = Float(√(2/(fan_in+fan_out))), row-major."""
    import torch

    rng = RNG(seed, STREAM_INIT)
    for w in weights:
        fan_in, fan_out = w.shape[1] * w[0][0].numel(), w.shape[0] * w[0][0].numel()
        std = np.sqrt(np.float32(2) / np.float32(fan_in + fan_out), dtype=np.float32)
        values = np.empty(w.numel(), dtype=np.float32)
        for i in range(values.size):
            values[i] = std * rng.normal()
        w.copy_(torch.from_numpy(values.reshape(tuple(w.shape))))


def initialise(model, seed, exact):
    import torch

    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    with torch.no_grad():
        if exact:
            sweep_xavier_(weights, seed)
        else:
            torch.manual_seed(seed)
            for w in weights:
                torch.nn.init.xavier_normal_(w)
        for b in biases:
            b.zero_()


# ---------------------------------------------------------------- train / evaluate

def run_seed(seed, args, data, hw4):
    import torch
    import torch.nn as nn

    train_x, train_y, test_x, test_y, black = data
    torch.manual_seed(seed)
    model = hw4.HW4Net(args.model, 1, 28)
    if args.no_dropout:
        for m in model.modules():
            if isinstance(m, nn.Dropout):
                m.p = 0.0
    initialise(model, seed, args.exact_init)
    torch.manual_seed(seed)  # dropout masks
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    lossf = nn.CrossEntropyLoss()
    augment = Augment(args.augment, seed, black, 28) if args.augment != "none" else None
    n = len(train_x)
    t0 = time.perf_counter()
    epochs = []
    for epoch, order in enumerate(epoch_orders(seed, n, args.epochs), 1):
        model.train()
        loss_sum, correct = 0.0, 0
        for start in range(0, n, args.batch_size):
            idx = order[start:start + args.batch_size]
            xb_np = train_x[idx]  # a copy: augmentation rewrites it
            if augment:
                augment.apply(xb_np)
            xb = torch.from_numpy(xb_np)
            yb = torch.from_numpy(train_y[idx])
            opt.zero_grad(set_to_none=True)
            logits = model(xb)
            loss = lossf(logits, yb)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == yb).sum().item()
        test_loss, test_acc = evaluate(model, test_x, test_y, batch=500)
        epochs.append(dict(epoch=epoch, train_loss=loss_sum / n, train_accuracy=correct / n,
                           test_loss=test_loss, test_accuracy=test_acc))
        if args.verbose:
            print(json.dumps(epochs[-1]), flush=True)
    seconds = time.perf_counter() - t0
    last = epochs[-1]
    return dict(seed=seed, seconds=seconds, epochs=epochs, **{k: v for k, v in last.items() if k != "epoch"})


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="cnn", choices=["cnn", "inception", "resnet"])
    ap.add_argument("--augment", default="none", choices=["none", "flip", "crop", "flip+crop"])
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--train-per-class", type=int, default=500)
    ap.add_argument("--test-per-class", type=int, default=200)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--reference", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                        "..", "..", "shared", "reference", "hw4_models.py"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--exact-init", action="store_true",
                    help="initialise with Sweep's own RNG values instead of torch's xavier_normal_")
    ap.add_argument("--no-dropout", action="store_true", help="set every dropout's p to 0")
    ap.add_argument("--verbose", action="store_true", help="print each epoch's metrics")
    args = ap.parse_args()

    import torch
    torch.set_num_threads(args.threads)
    hw4 = load_reference(args.reference)
    seeds = [int(s) for s in args.seeds.split(",") if s]
    train_x, train_y, test_x, test_y, mean, std = load_slice(args.data_dir, args.train_per_class, args.test_per_class)
    black = -mean / std
    print(f"data: {len(train_x)} train, {len(test_x)} test, mean {float(mean):.6f}, std {float(std):.6f}; "
          f"{args.model} augment={args.augment}{' no-dropout' if args.no_dropout else ''}, Adam {args.lr:g}, "
          f"batch {args.batch_size}, {args.epochs} epoch(s), "
          f"init {'sweep-exact' if args.exact_init else 'torch xavier_normal_'}, torch {torch.__version__}",
          flush=True)
    data = (train_x, train_y, test_x, test_y, black)
    results = []
    for seed in seeds:
        r = run_seed(seed, args, data, hw4)
        results.append(r)
        print(f"seed {seed}: test_accuracy {r['test_accuracy']:.4f}  test_loss {r['test_loss']:.4f}  "
              f"train_loss {r['train_loss']:.4f}  train_accuracy {r['train_accuracy']:.4f}  "
              f"({r['seconds']:.1f} s)", flush=True)
    accs = [r["test_accuracy"] for r in results]
    print(json.dumps({
        "model": args.model, "augment": args.augment, "epochs": args.epochs, "batch_size": args.batch_size,
        "lr": args.lr, "init": "exact" if args.exact_init else "xavier_normal_", "no_dropout": args.no_dropout,
        "torch": torch.__version__, "seeds": seeds, "test_accuracy": accs,
        "test_loss": [r["test_loss"] for r in results], "seconds": [r["seconds"] for r in results],
        "mean_test_accuracy": sum(accs) / len(accs),
    }))


if __name__ == "__main__":
    sys.exit(main())
