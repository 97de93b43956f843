#!/usr/bin/env bash
# make bench: Sweep's training throughput against PyTorch's, measured in the
# same run (absolute times on these machines are noisy), one process per model
# so that peak RSS is per model.
#   bench/run.sh [--seconds S] [--rounds R] [--threads T] [--models a,b,c] [--kernels SET]
# --kernels avx2 measures an AVX2 CPU on an AVX-512 one: Sweep runs SWEEP_KERNELS=avx2, and
# PyTorch is held to AVX2 as well (ATen's CPU capability, oneDNN's ISA and MKL's
# instructions), as it would be on such a CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=4 rounds=3 threads=1 models="lenet5-cifar28,lenet5-cifar32,lenet5-fashion,rnn-128,lstm-128,gru-128,lstm-32,cnn-cifar32,inception-cifar32,resnet-cifar32,cnn-fashion"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2;;
    --threads) threads=$2; shift 2;;
    --rounds) rounds=$2; shift 2;;
    --models) models=$2; shift 2;;
    --kernels) export SWEEP_KERNELS=$2; shift 2;;
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
if [ "${SWEEP_KERNELS:-}" = avx2 ]; then
  export ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2
  echo "AVX2 on this CPU: Sweep with SWEEP_KERNELS=avx2, PyTorch with ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2"
fi
ref=../shared/reference/pytorch_throughput.py
[ -f "$ref" ] || ref=bench/pytorch_throughput.py

# The 1-minute load average before and after: PyTorch's rate drops more than Sweep's
# when other processes share the cores, which inflates the ratio on a busy machine.
load() { cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?"; }
load_start=$(load)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Rounds alternate Sweep and PyTorch on each model, and the table takes the median
# of each side: load from other processes then hits both sides alike.
for m in ${models//,/ }; do
  for _ in $(seq "$rounds"); do
    "$bin" --model "$m" --seconds "$seconds" --threads "$threads" >> "$out/sweep.jsonl"
    if [ -n "$torch_py" ]; then
      "$torch_py" "$ref" --threads "$threads" --seconds "$seconds" --models "$m" | tail -1 >> "$out/torch.jsonl"
    fi
  done
done
echo "$load_start $(load)" > "$out/load"
# What augmentation costs: flip+crop on every batch of cnn-cifar32, as a share of the step.
"$bin" --model cnn-cifar32 --seconds "$seconds" --threads "$threads" --augment flip+crop > "$out/augment.json"
# What the activation trace costs (target: at most 3% of a training step), in epochs of 6
# steps (the end of every epoch has its point and histograms) and of 63 (about ten points).
for m in cnn-cifar32 lenet5-fashion lstm-128; do
  for e in 6 63; do
    "$bin" --model "$m" --seconds "$seconds" --threads "$threads" --trace "$e" >> "$out/trace.jsonl"
  done
done
python3 - "$out" <<'PY'
import json, sys, os, statistics
d = sys.argv[1]
sweep, torch, versions = {}, {}, set()
for l in open(os.path.join(d, "sweep.jsonl")):
    r = json.loads(l)
    sweep.setdefault(r["model"], []).append(r)
p = os.path.join(d, "torch.jsonl")
if os.path.exists(p):
    for l in open(p):
        r = json.loads(l)
        versions.add(r.get("torch", "?"))
        for k, v in r["samples_per_s"].items():
            torch.setdefault(k, []).append(v)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
# PyTorch's version beside the CPU: its rates, and so the ratios, move between releases
kernels = ", ".join(sorted({r.get("kernels", "?") for rs in sweep.values() for r in rs}))
print(f"CPU: {cpu}; kernels: {kernels}" + (f"; PyTorch {', '.join(sorted(versions))}" if versions else ""))
# "rounds": the lowest and highest ratio of one round's Sweep to the same round's PyTorch, which
# shows how far the machine's load moved the median
# "peak": GFLOP/s of a 512x512x512 GEMM of the same kernel set, timed right after each of
# Sweep's windows (sweep-bench), and "of peak" the model's GFLOP/s as a share of it, per round:
# a cloud VM's speed moves with its host's load, and the share moves less
print(f"{'model':16s} {'sweep/s':>9s} {'torch/s':>9s} {'ratio':>6s} {'GFLOP/s':>8s} {'peak':>6s} {'of peak':>7s} {'RSS MB':>7s} {'rounds':>11s}   (medians of {len(next(iter(sweep.values())))} alternating rounds)")
for m, rs in sweep.items():
    s = statistics.median(r["samples_per_s"] for r in rs)
    g = statistics.median(r["gflops"] for r in rs)
    peak = statistics.median(r["gemm_peak_gflops"] for r in rs)
    share = statistics.median(r["gflops"] / r["gemm_peak_gflops"] for r in rs)
    rss = max(r["peak_rss_mb"] for r in rs)
    t = statistics.median(torch[m]) if m in torch else None
    ratio = f"{s / t:.2f}x" if t else "-"
    ts = f"{t:.1f}" if t else "-"
    pairs = [r["samples_per_s"] / v for r, v in zip(rs, torch.get(m, []))]
    spread = f"{min(pairs):.2f}-{max(pairs):.2f}x" if pairs else "-"
    print(f"{m:16s} {s:9.1f} {ts:>9s} {ratio:>6s} {g:8.1f} {peak:6.1f} {100 * share:6.0f}% {rss:7.1f} {spread:>11s}")
a = json.load(open(os.path.join(d, "augment.json")))
print(f"augment=flip+crop on cnn-cifar32: {100 * a['augment_share']:.2f}% of a training step ({a['samples_per_s']:.1f} samples/s)")
for l in open(os.path.join(d, "trace.jsonl")):
    t = json.loads(l)
    print(f"activation trace on {t['model']}, epochs of {t['trace_epoch_steps']} steps: +{100 * t['trace_share']:.2f}% of a training step")
load = open(os.path.join(d, "load")).read().split()
print(f"load average (1 min): {load[0]} before, {load[1]} after")
if not torch:
    print("(PyTorch not found: install with python3 -m venv /tmp/torch && /tmp/torch/bin/pip install torch numpy)")
PY
