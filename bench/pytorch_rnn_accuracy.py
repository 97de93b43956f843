#!/usr/bin/env python3
"""PyTorch side of issue 3's accuracy target: a row RNN on Fashion-MNIST trained
with Sweep's exact data pipeline, so the two engines can be compared.

  python bench/pytorch_rnn_accuracy.py [--seeds 1,2,3] [--cell lstm] [--hidden 64]
      [--epochs 1] [--batch-size 32] [--lr 1e-3]
      [--data-dir /usr/share/datasets/fashion-mnist] [--exact-init] [--self-test]

What is reproduced from Sweep (Sources/SweepData, SweepTrain, SweepEngine):
- data: the IDX files in file order, validation_fraction=0 (all 60000 training
  images), per-channel mean/std of the training pixels scaled to [0,1] (computed
  in Double, rounded to Float), images normalised in float32 as
  x·scale + shift with scale = 1/(255·std), shift = −mean/std (Dataset.gather);
- data order: each epoch the index array 0..<N (carried over between epochs) is
  Fisher–Yates shuffled by RNG(seed, stream 0x5E0F) (RNG.swift: xoshiro256**
  seeded by SplitMix64, below(n) = next() % n); batches are consecutive slices of
  batch_size, the last partial batch kept;
- init: Sweep's default `xavier`: every weight Glorot normal
  N(0, 2/(fan_in+fan_out)) with PyTorch's fans (weight_ih: I → G·H,
  weight_hh: H → G·H, dense: H → 10), every bias 0. By default the values come
  from torch.nn.init.xavier_normal_ (seeded by torch.manual_seed(seed)): same
  scheme, different values. With --exact-init the values are Sweep's own:
  RNG(seed, stream 0x1A17).normal() (Box–Muller in Double) times the Float std,
  drawn in declaration order weight_ih_l0, weight_hh_l0, fc.weight (row-major,
  PyTorch's layout; biases draw nothing). That order is the state_dict order the
  issue asks the Swift RNN to follow; if the Swift model declares its parameters
  differently, --exact-init values will differ from Sweep's (the scheme does not).
- model: the image's 28 rows are 28 time steps of 28 pixels → nn.LSTM/GRU/RNN
  (batch_first) → last hidden state → nn.Linear(H, 10); CrossEntropyLoss (mean);
  torch.optim.Adam(lr) with defaults; 1 intra-op thread.

Prints one line per seed and a final JSON line.
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np

MASK = (1 << 64) - 1
STREAM_INIT = 0x1A17
STREAM_SHUFFLE = 0x5E0F


# ---------------------------------------------------------------- RNG.swift port

def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class RNG:
    """Bit-exact port of Sweep's RNG (Sources/SweepEngine/RNG.swift)."""

    def __init__(self, seed, stream=None):
        if stream is not None:
            # UInt64(bitPattern: Int64(seed)) &* 0x9E3779B97F4A7C15 ^ stream
            seed = ((seed & MASK) * 0x9E3779B97F4A7C15 & MASK) ^ stream
        x = seed & MASK
        s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & MASK
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            s.append(z ^ (z >> 31))
        self.s = s

    def next(self):
        s0, s1, s2, s3 = self.s
        result = (_rotl((s1 * 5) & MASK, 7) * 9) & MASK
        t = (s1 << 17) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def uniform(self):
        """Float in [0,1), 24 bits (returned as np.float32)."""
        return np.float32(float(self.next() >> 40) * (1.0 / 16777216.0))

    def uniform_double(self):
        return float(self.next() >> 11) * (1.0 / 9007199254740992.0)

    def normal(self):
        """Box–Muller in Double, rounded to Float (returned as np.float32)."""
        u1 = self.uniform_double()
        while u1 <= 0:
            u1 = self.uniform_double()
        u2 = self.uniform_double()
        return np.float32(math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2))

    def below(self, n):
        return self.next() % n

    def shuffle(self, a):
        """Fisher–Yates in place on a Python list, as RNG.shuffle."""
        for i in range(len(a) - 1, 0, -1):
            j = self.below(i + 1)
            a[i], a[j] = a[j], a[i]


# ---------------------------------------------------------------- data (SweepData port)

def _read(path):
    with open(path, "rb") as f:
        data = f.read()
    return gzip.decompress(data) if path.endswith(".gz") else data


def _find(directory, name):
    for candidate in (name, name + ".gz"):
        p = os.path.join(directory, candidate)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f"{name}[.gz] not found in {directory}")


def read_idx_images(path):
    b = _read(path)
    magic, count, rows, cols = struct.unpack(">IIII", b[:16])
    assert magic == 0x803, f"{path}: bad magic {magic:#x}"
    assert len(b) - 16 == count * rows * cols, f"{path}: size mismatch"
    return np.frombuffer(b, dtype=np.uint8, offset=16).reshape(count, rows, cols)


def read_idx_labels(path):
    b = _read(path)
    magic, count = struct.unpack(">II", b[:8])
    assert magic == 0x801, f"{path}: bad magic {magic:#x}"
    assert len(b) - 8 == count, f"{path}: size mismatch"
    labels = np.frombuffer(b, dtype=np.uint8, offset=8).astype(np.int64)
    assert labels.max() < 10
    return labels


def channel_statistics(pixels):
    """LoadDataset.swift channelStatistics for one channel: integer sums, Double
    arithmetic, rounded to Float; std floored at 1e-6."""
    flat = pixels.reshape(-1).astype(np.uint64)
    total = int(flat.sum())
    squares = int((flat * flat).sum())
    n = float(flat.size)
    m = float(total) / (n * 255)
    mean_square = float(squares) / (n * 255 * 255)
    std = max(math.sqrt(max(mean_square - m * m, 0.0)), 1e-6)
    return np.float32(m), np.float32(std)


def normalise(pixels, mean, std):
    """Dataset.gather: Float(x) * scale + shift, scale = 1/(255·std), shift = −mean/std, in Float."""
    scale = np.float32(1) / (np.float32(255) * std)
    shift = -mean / std
    x = pixels.astype(np.float32) * scale
    x += shift
    return x


def load_fashion_mnist(directory):
    train_x = read_idx_images(_find(directory, "train-images-idx3-ubyte"))
    train_y = read_idx_labels(_find(directory, "train-labels-idx1-ubyte"))
    test_x = read_idx_images(_find(directory, "t10k-images-idx3-ubyte"))
    test_y = read_idx_labels(_find(directory, "t10k-labels-idx1-ubyte"))
    assert len(train_x) == len(train_y) and len(test_x) == len(test_y)
    # validation_fraction = 0: the training split is every training image in file order.
    mean, std = channel_statistics(train_x)
    return (normalise(train_x, mean, std), train_y,
            normalise(test_x, mean, std), test_y, mean, std)


def epoch_orders(seed, n, epochs):
    """The index order of each epoch, as Trainer.run: one shuffle stream, the
    array carried over between epochs."""
    rng = RNG(seed, STREAM_SHUFFLE)
    order = list(range(n))
    for _ in range(epochs):
        rng.shuffle(order)
        yield np.array(order, dtype=np.int64)


# ---------------------------------------------------------------- model

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def make_model(cell, hidden, inputs=28, classes=10):
    import torch.nn as nn

    class RowRNN(nn.Module):
        """As ../shared/reference/pytorch_throughput.py's RowRNN."""

        def __init__(self):
            super().__init__()
            kind = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
            self.rnn = kind(inputs, hidden, batch_first=True)
            self.fc = nn.Linear(hidden, classes)

        def forward(self, x):
            out, _ = self.rnn(x)
            return self.fc(out[:, -1, :])

    return RowRNN()


def sweep_xavier_values(seed, shapes):
    """Sweep's init=xavier values: for each weight (declaration order) of shape
    (fan_out, fan_in), std (Float) · RNG(seed, 0x1A17).normal(), row-major."""
    rng = RNG(seed, STREAM_INIT)
    out = []
    for fan_out, fan_in in shapes:
        std = np.sqrt(np.float32(2) / np.float32(fan_in + fan_out), dtype=np.float32)
        w = np.empty(fan_out * fan_in, dtype=np.float32)
        for i in range(w.size):
            w[i] = std * rng.normal()
        out.append(w.reshape(fan_out, fan_in))
    return out


def initialise(model, seed, exact):
    import torch

    rnn, fc = model.rnn, model.fc
    weights = [rnn.weight_ih_l0, rnn.weight_hh_l0, fc.weight]  # declaration order
    with torch.no_grad():
        if exact:
            values = sweep_xavier_values(seed, [tuple(w.shape) for w in weights])
            for w, v in zip(weights, values):
                w.copy_(torch.from_numpy(v))
        else:
            torch.manual_seed(seed)
            for w in weights:
                torch.nn.init.xavier_normal_(w)
        for b in (rnn.bias_ih_l0, rnn.bias_hh_l0, fc.bias):
            b.zero_()


# ---------------------------------------------------------------- train / evaluate

def evaluate(model, x, y, batch=1000):
    import torch
    import torch.nn.functional as F

    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(x), batch):
            xb = torch.from_numpy(x[start:start + batch])
            yb = torch.from_numpy(y[start:start + batch])
            logits = model(xb)
            loss_sum += F.cross_entropy(logits, yb, reduction="sum").item()
            correct += (logits.argmax(1) == yb).sum().item()
    return loss_sum / len(x), correct / len(x)


def run_seed(seed, args, data):
    import torch
    import torch.nn as nn

    train_x, train_y, test_x, test_y = data
    model = make_model(args.cell, args.hidden)
    initialise(model, seed, args.exact_init)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    lossf = nn.CrossEntropyLoss()
    n = len(train_x)
    t0 = time.perf_counter()
    train_loss = train_acc = float("nan")
    for epoch, order in enumerate(epoch_orders(seed, n, args.epochs), 1):
        model.train()
        loss_sum, correct = 0.0, 0
        for start in range(0, n, args.batch_size):
            idx = order[start:start + args.batch_size]
            xb = torch.from_numpy(train_x[idx])
            yb = torch.from_numpy(train_y[idx])
            opt.zero_grad(set_to_none=True)
            logits = model(xb)
            loss = lossf(logits, yb)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == yb).sum().item()
        train_loss, train_acc = loss_sum / n, correct / n
    seconds = time.perf_counter() - t0
    test_loss, test_acc = evaluate(model, test_x, test_y)
    return dict(seed=seed, train_loss=train_loss, train_accuracy=train_acc,
                test_loss=test_loss, test_accuracy=test_acc,
                samples_per_second=n * args.epochs / seconds)


# ---------------------------------------------------------------- self-test

# Values printed by a Swift program compiled with a copy of Sources/SweepEngine/RNG.swift
# (swiftc -O RNG.swift main.swift).
SWIFT_NEXT_SEED1_SHUFFLE = [12806532926607692034, 5857285158163447004,
                            14540149355588278947, 6379930760295681574]
SWIFT_NORMAL_BITS_SEED1_INIT = [1070855635, 3172939684, 1069787812, 1060889891]
SWIFT_NEXT_SEED_MINUS7_SHUFFLE = [4057779972225178776, 12586421935309930349]
SWIFT_UNIFORM_BITS_SEED_MINUS7_THIRD = 1059005806
# RNG(seed, 0x5E0F).shuffle of 0..<60000, twice: (first five, last three) then first five.
SWIFT_SHUFFLES = {
    1: ([23245, 15034, 7093, 4273, 26698], [5271, 40500, 32034], [37386, 58593, 12648, 15398, 25931]),
    2: ([44915, 28990, 18960, 35165, 523], [33142, 39343, 20537], [53928, 11525, 17077, 43227, 31909]),
    3: ([17169, 21016, 54770, 23574, 48597], [1903, 16395, 21150], [59074, 39362, 28093, 46837, 55551]),
}
# First three values of Float((2/(28+256)).squareRoot()) * normal() on RNG(1, 0x1A17).
SWIFT_XAVIER_BITS_LSTM64 = [1041124456, 3142961041, 1040407579]


def _bits(f):
    return int(np.float32(f).view(np.uint32))


def self_test():
    r = RNG(1, STREAM_SHUFFLE)
    assert [r.next() for _ in range(4)] == SWIFT_NEXT_SEED1_SHUFFLE, "next() differs"
    r = RNG(1, STREAM_INIT)
    assert [_bits(r.normal()) for _ in range(4)] == SWIFT_NORMAL_BITS_SEED1_INIT, "normal() differs"
    r = RNG(-7, STREAM_SHUFFLE)
    assert [r.next() for _ in range(2)] == SWIFT_NEXT_SEED_MINUS7_SHUFFLE, "negative seed differs"
    assert _bits(r.uniform()) == SWIFT_UNIFORM_BITS_SEED_MINUS7_THIRD, "uniform() differs"
    for seed, (first, last, second_first) in SWIFT_SHUFFLES.items():
        orders = list(epoch_orders(seed, 60000, 2))
        assert list(orders[0][:5]) == first and list(orders[0][-3:]) == last, f"shuffle seed {seed} differs"
        assert list(orders[1][:5]) == second_first, f"second-epoch shuffle seed {seed} differs"
        assert sorted(orders[1].tolist()) == list(range(60000))
    (w,) = sweep_xavier_values(1, [(256, 28)])
    assert [_bits(v) for v in w.reshape(-1)[:3]] == SWIFT_XAVIER_BITS_LSTM64, "xavier values differ"
    print("self-test: RNG port matches Swift (next, normal, uniform, negative seed, "
          "60000-element shuffles for seeds 1-3 over 2 epochs, xavier values): OK")


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--cell", default="lstm", choices=sorted(GATES))
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--exact-init", action="store_true",
                    help="initialise with Sweep's own RNG values instead of torch's xavier_normal_")
    ap.add_argument("--self-test", action="store_true", help="check the RNG port against Swift values and exit")
    args = ap.parse_args()

    if args.self_test:
        self_test()
        return

    import torch
    torch.set_num_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",") if s]
    train_x, train_y, test_x, test_y, mean, std = load_fashion_mnist(args.data_dir)
    print(f"data: {len(train_x)} train, {len(test_x)} test, mean {float(mean):.6f}, std {float(std):.6f}; "
          f"{args.cell}-{args.hidden}, Adam {args.lr:g}, batch {args.batch_size}, {args.epochs} epoch(s), "
          f"init {'sweep-exact' if args.exact_init else 'torch xavier_normal_'}, torch {torch.__version__}",
          flush=True)
    data = (train_x, train_y, test_x, test_y)
    results = []
    for seed in seeds:
        r = run_seed(seed, args, data)
        results.append(r)
        print(f"seed {seed}: test_accuracy {r['test_accuracy']:.4f}  test_loss {r['test_loss']:.4f}  "
              f"train_loss {r['train_loss']:.4f}  train_accuracy {r['train_accuracy']:.4f}  "
              f"({r['samples_per_second']:.0f} samples/s)", flush=True)
    accs = [r["test_accuracy"] for r in results]
    losses = [r["test_loss"] for r in results]
    print(json.dumps({
        "cell": args.cell, "hidden": args.hidden, "epochs": args.epochs, "batch_size": args.batch_size,
        "lr": args.lr, "init": "exact" if args.exact_init else "xavier_normal_", "torch": torch.__version__,
        "seeds": seeds, "test_accuracy": accs, "test_loss": losses,
        "mean_test_accuracy": sum(accs) / len(accs), "mean_test_loss": sum(losses) / len(losses),
    }))


if __name__ == "__main__":
    sys.exit(main())
