#!/usr/bin/env bash
# Issue 18's pbt targets on sweeps/fashion-rnn-pbt.yaml (real training on the
# embedded Fashion-MNIST data, `sweep run` with local workers):
#   bench/pbt.sh [--workers N] [--seeds S]
# For each seed (default 3): the pbt spec, then the same spec with method: random
# and run_cap: 8, which draws the same 8 members (same ids) and trains them without
# exploit, on the same epoch budget. Prints per seed the best test accuracy and the
# wall time of each, then the means. Targets: pbt's mean best >= random's; pbt's
# wall time within 15% of random's (on 2 cores: --workers 2).
set -euo pipefail
cd "$(dirname "$0")/.."
workers=$(nproc) seeds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) workers=$2; shift 2;;
    --seeds) seeds=$2; shift 2;;
    *) echo "bench/pbt.sh: unknown argument $1" >&2; exit 2;;
  esac
done
bin=${SWEEP_BIN:-.build/release/sweep}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
spec=sweeps/fashion-rnn-pbt.yaml

run() {  # run NAME SPEC: prints "best seconds"
  local start end
  start=$(date +%s.%N)
  "$bin" run "$2" --workers "$workers" --db "$dir/$1.db" > "$dir/$1.out" 2> "$dir/$1.err" || { cat "$dir/$1.err" >&2; exit 1; }
  end=$(date +%s.%N)
  printf '%s %s\n' "$(sqlite3 "$dir/$1.db" "select max(json_extract(metrics, '$.test_accuracy')) from tasks")" \
    "$(echo "$end - $start" | bc -l)"
}

printf '%-5s %10s %8s %10s %8s %8s\n' seed pbt_best pbt_s random_best random_s exploits
sums="0 0 0 0"
for seed in $(seq "$seeds"); do
  sed -e "s/^seed: .*/seed: $seed/" -e "s/^name: .*/name: pbt-$seed/" "$spec" > "$dir/pbt-$seed.yaml"
  sed -e "s/^seed: .*/seed: $seed/" -e "s/^name: .*/name: random-$seed/" -e 's/^method: pbt/method: random\nrun_cap: 8/' \
      -e '/^pbt:/d' "$spec" > "$dir/random-$seed.yaml"
  read -r pb ps < <(run "pbt-$seed" "$dir/pbt-$seed.yaml")
  read -r rb rs < <(run "random-$seed" "$dir/random-$seed.yaml")
  exploits=$(sqlite3 "$dir/pbt-$seed.db" "select count(*) from pbt_lineage")
  printf '%-5s %10.4f %8.1f %10.4f %8.1f %8s\n' "$seed" "$pb" "$ps" "$rb" "$rs" "$exploits"
  sums=$(echo "$sums" | awk -v a="$pb" -v b="$ps" -v c="$rb" -v d="$rs" '{print $1+a, $2+b, $3+c, $4+d}')
done
echo "$sums" | awk -v n="$seeds" '{printf "mean  %10.4f %8.1f %10.4f %8.1f   (pbt wall / random wall = %.3f)\n", $1/n, $2/n, $3/n, $4/n, $2/$4}'
