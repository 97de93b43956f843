#!/usr/bin/env bash
# make bench: Sweep's training throughput against PyTorch's, measured in the
# same run (absolute times on these machines are noisy), one process per model
# so that peak RSS is per model.
#   bench/run.sh [--seconds S] [--threads T] [--models a,b,c]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=6 threads=1 models="lenet5-cifar28,lenet5-cifar32,lenet5-fashion,rnn-128,lstm-128,gru-128,lstm-32"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2;;
    --threads) threads=$2; shift 2;;
    --models) models=$2; shift 2;;
    *) echo "bench/run.sh: unknown argument $1" >&2; exit 2;;
  esac
done
bin=${SWEEP_BENCH_BIN:-.build/release/sweep-bench}
torch_py=${TORCH_PYTHON:-}
if [ -z "$torch_py" ]; then
  for p in /tmp/torch/bin/python python3; do
    if "$p" -c "import torch" 2>/dev/null; then torch_py=$p; break; fi
  done
fi
ref=../shared/reference/pytorch_throughput.py
[ -f "$ref" ] || ref=bench/pytorch_throughput.py

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for m in ${models//,/ }; do
  "$bin" --model "$m" --seconds "$seconds" --threads "$threads" >> "$out/sweep.jsonl"
  if [ -n "$torch_py" ]; then
    "$torch_py" "$ref" --threads "$threads" --seconds "$seconds" --models "$m" | tail -1 >> "$out/torch.jsonl"
  fi
done
python3 - "$out" <<'PY'
import json, sys, os
d = sys.argv[1]
sweep = [json.loads(l) for l in open(os.path.join(d, "sweep.jsonl"))]
torch = {}
p = os.path.join(d, "torch.jsonl")
if os.path.exists(p):
    for l in open(p):
        torch.update(json.loads(l)["samples_per_s"])
print(f"{'model':16s} {'sweep/s':>9s} {'torch/s':>9s} {'ratio':>6s} {'GFLOP/s':>8s} {'%peak70':>7s} {'RSS MB':>7s}")
for r in sweep:
    t = torch.get(r["model"])
    ratio = f"{r['samples_per_s'] / t:.2f}x" if t else "-"
    ts = f"{t:.1f}" if t else "-"
    print(f"{r['model']:16s} {r['samples_per_s']:9.1f} {ts:>9s} {ratio:>6s} {r['gflops']:8.1f} {100 * r['gflops'] / 70:6.0f}% {r['peak_rss_mb']:7.1f}")
if not torch:
    print("(PyTorch not found: install with python3 -m venv /tmp/torch && /tmp/torch/bin/pip install torch numpy)")
PY
