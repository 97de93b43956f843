#!/usr/bin/env bash
# make bench, search part (issue 8): what early stopping saves and what TPE finds,
# on the reduced RNN study of sweeps/fashion-rnn-cells-hyperband.yaml (real
# training on Fashion-MNIST, `sweep run` with local workers).
#   bench/search.sh [--workers N] [--seeds S]
# 1. the grid without early stopping, then with hyperband (ASHA): epochs trained
#    and the best test accuracy of each (targets: under 40% of the grid's epochs,
#    best within 1 point of the grid's best);
# 2. sweeps/fashion-rnn-bayes.yaml (TPE) and the same spec with method: random, on
#    the same budget: how many tasks each needs to come within 1 point of the
#    grid's best (target: bayes fewer than random), over S seeds (default 3);
# 3. model=noop's synthetic objective (a noisy bowl over the learning rate, best
#    near 3e-3 with adam), 30 tasks a sweep through the same real coordinator and
#    workers: TPE's best test_loss against random's, over 10 seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
workers=$(nproc) seeds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) workers=$2; shift 2;;
    --seeds) seeds=$2; shift 2;;
    *) echo "bench/search.sh: unknown argument $1" >&2; exit 2;;
  esac
done
bin=${SWEEP_BIN:-.build/release/sweep}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

hyperband=sweeps/fashion-rnn-cells-hyperband.yaml
bayes=sweeps/fashion-rnn-bayes.yaml
sed -e '/^early_terminate:/d' -e 's/^name: .*/name: fashion-rnn-cells-grid/' "$hyperband" > "$dir/grid.yaml"
for seed in $(seq "$seeds"); do
  sed -e "s/^seed: .*/seed: $seed/" -e "s/^name: .*/name: fashion-rnn-bayes-$seed/" "$bayes" > "$dir/bayes-$seed.yaml"
  sed -e "s/^seed: .*/seed: $seed/" -e "s/^name: .*/name: fashion-rnn-random-$seed/" -e 's/^method: bayes/method: random/' "$bayes" > "$dir/random-$seed.yaml"
done

run() {  # run NAME SPEC
  local start end
  start=$(date +%s.%N)
  "$bin" run "$2" --workers "$workers" --db "$dir/$1.db" > "$dir/$1.out" 2> "$dir/$1.err" || { cat "$dir/$1.err" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$1 $(python3 -c "print(f'{$end - $start:.1f}')")" >> "$dir/times"
}
echo "search: the reduced RNN study (54-task grid, 9 epochs, 3,000 training images), $workers local workers"
run grid "$dir/grid.yaml"
run hyperband "$hyperband"
for seed in $(seq "$seeds"); do
  run "bayes-$seed" "$dir/bayes-$seed.yaml"
  run "random-$seed" "$dir/random-$seed.yaml"
done

for seed in $(seq 10); do
  for method in bayes random; do
    cat > "$dir/bowl-$method-$seed.yaml" <<YAML
name: bowl-$method-$seed
method: $method
run_cap: 30
seed: $seed
metric: {name: test_loss, goal: minimize}
parameters:
  model: {value: noop}
  learning_rate: {distribution: log_uniform_values, min: 1.0e-6, max: 1.0}
  optimizer: {values: [sgd, momentum, rmsprop, adam]}
YAML
    run "bowl-$method-$seed" "$dir/bowl-$method-$seed.yaml"
  done
done

python3 - "$dir" "$seeds" <<'PY'
import json, sqlite3, sys
d = sys.argv[1]
times = dict(line.split() for line in open(f"{d}/times"))
def tasks(name):
    db = sqlite3.connect(f"{d}/{name}.db")
    rows = db.execute("select idx, status, metrics from tasks order by idx").fetchall()
    return [(i, s, json.loads(m or "{}")) for i, s, m in rows]
def best(rows):
    return max((m.get("test_accuracy") or 0) for _, s, m in rows if s in ("completed", "stopped"))
def epochs(rows):
    return sum(m.get("epoch") or 0 for _, _, m in rows)
grid, hb = tasks("grid"), tasks("hyperband")
g_best, h_best = best(grid), best(hb)
g_epochs, h_epochs = epochs(grid), epochs(hb)
stopped = sum(s == "stopped" for _, s, _ in hb)
print(f"  grid:      {len(grid)} tasks, {g_epochs} epochs, best test_accuracy {g_best:.4f}, {times['grid']} s")
print(f"  hyperband: {len(hb)} tasks ({stopped} stopped), {h_epochs} epochs = {h_epochs / g_epochs:.0%} of the grid's "
      f"({'under' if h_epochs < 0.4 * g_epochs else 'NOT under'} 40%), best {h_best:.4f} "
      f"({(h_best - g_best) * 100:+.2f} points: {'within' if h_best >= g_best - 0.01 else 'NOT within'} 1), {times['hyperband']} s")
level = g_best - 0.01
seeds = int(sys.argv[2])
summary = {}
for method in ("bayes", "random"):
    needed, bests = [], []
    for seed in range(1, seeds + 1):
        rows = tasks(f"{method}-{seed}")
        running, reached = 0.0, None
        for i, s, m in rows:   # in the order proposed
            running = max(running, m.get("test_accuracy") or 0)
            if reached is None and running >= level: reached = i + 1
        # a search that never got there counts as needing one task more than its budget
        needed.append(reached or len(rows) + 1)
        bests.append(running)
        print(f"  {method} seed {seed}: {len(rows)} tasks, best {running:.4f}, reached {level:.4f} (grid best - 1 point) "
              + (f"after {reached} task(s)" if reached else "never") + f", {times[f'{method}-{seed}']} s")
    summary[method] = sum(needed) / seeds
    print(f"  {method}: mean tasks to reach it {summary[method]:.1f}, mean best {sum(bests) / seeds:.4f}")
print(f"  bayes needs {'fewer' if summary['bayes'] < summary['random'] else 'NOT fewer'} tasks than random "
      f"({summary['bayes']:.1f} vs {summary['random']:.1f}, mean of {seeds} seeds)")
bowl = {}
for method in ("bayes", "random"):
    bests = [min(m["test_loss"] for _, s, m in tasks(f"bowl-{method}-{seed}") if s == "completed") for seed in range(1, 11)]
    bowl[method] = bests
wins = sum(b < r for b, r in zip(bowl["bayes"], bowl["random"]))
print(f"  noop bowl, 30 tasks, 10 seeds: mean best test_loss bayes {sum(bowl['bayes']) / 10:.3f}, random "
      f"{sum(bowl['random']) / 10:.3f}; bayes better on {wins} of 10 seeds")
PY
