#!/usr/bin/env bash
# make bench, runtime part: model=noop tasks through a real coordinator and real
# workers on loopback (tcp://127.0.0.1), results stored durably in SQLite.
#   bench/runtime.sh [--tasks N] [--workers W] [--slots S] [--grid-tasks M] [--page]
# Prints tasks/s beside the peers' figures of ../shared/reference/peers/RESULTS.md,
# and the coordinator's peak RSS for an M-task grid.
set -euo pipefail
cd "$(dirname "$0")/.."
tasks=20000 workers=2 slots=4 grid=100000
while [ $# -gt 0 ]; do
  case "$1" in
    --tasks) tasks=$2; shift 2;;
    --workers) workers=$2; shift 2;;
    --slots) slots=$2; shift 2;;
    --grid-tasks) grid=$2; shift 2;;
    --page) page=1; shift;;
    *) echo "bench/runtime.sh: unknown argument $1" >&2; exit 2;;
  esac
done
bin=${SWEEP_BIN:-.build/release/sweep}
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT

# a noop grid of exactly N tasks: seed × hidden
spec() { python3 bench/noop_grid.py "$1" "$2"; }  # spec FILE N

# the endpoint a coordinator bound: it says "listening on ENDPOINT" (the port the system chose for :*)
endpoint_of() {  # endpoint_of STDERR_FILE PID
  until grep -q 'listening on ' "$1" 2>/dev/null; do
    kill -0 "$2" 2>/dev/null || { cat "$1" >&2; exit 1; }
    sleep 0.01
  done
  sed -n 's/.*listening on //p' "$1" | head -1
}

spec "$dir/noop.yaml" "$tasks"
start=$(date +%s.%N)
# --page: the coordinator serves the live page, and one page is open (its event stream) all along
http=()
[ -n "${page:-}" ] && http=(--http 127.0.0.1:0)
# CPU time of each process (user + system), since the workers share the cores with the coordinator
/usr/bin/time -f "%U %S" -o "$dir/coordinator.time" \
  "$bin" coordinator "$dir/noop.yaml" --bind "tcp://127.0.0.1:*" --db "$dir/sweep.db" "${http[@]}" > "$dir/coordinator.out" 2> "$dir/coordinator.err" &
cpid=$!
endpoint=$(endpoint_of "$dir/coordinator.err" "$cpid")
if [ -n "${page:-}" ]; then
  url=$(sed -n 's/.*live page at \([^ ]*\) .*/\1/p' "$dir/coordinator.err" | head -1)
  curl -s -N "${url}api/events" > "$dir/events.txt" &
  viewer=$!
fi
for _ in $(seq "$workers"); do
  /usr/bin/time -a -f "%U %S" -o "$dir/workers.time" \
    "$bin" worker --connect "$endpoint" --concurrency "$slots" --exit-when-done --quiet &
done
wait $cpid
end=$(date +%s.%N)
if [ -n "${viewer:-}" ]; then kill "$viewer" 2>/dev/null || true; wait "$viewer" 2>/dev/null || true; fi
wait
if [ -n "${page:-}" ]; then echo "  (with the live page open: $(grep -c '^event: update' "$dir/events.txt" || true) updates pushed to it)"; fi
# steady state: first task handed out to last result committed (coordinator clock)
read -r done_tasks span < <(sqlite3 -separator ' ' "$dir/sweep.db" \
  "select count(*), max(finished_at) - min(started_at) from tasks where status = 'completed'")
python3 - "$tasks" "$done_tasks" "$start" "$end" "$workers" "$slots" "$span" "$dir/coordinator.time" "$dir/workers.time" <<'PY'
import sys
n, done, t0, t1, w, s, span = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6], float(sys.argv[7])
cpu = lambda path: sum(float(x) for line in open(path) for x in line.split()[:2] if line[0].isdigit())
print(f"noop throughput, {w}x{s} slots, results committed (synchronous=FULL) before each ACK:")
print(f"  steady state: {done}/{n} tasks in {span:.2f} s = {done / span:,.0f} tasks/s (target >= 10,000)")
print(f"  whole command incl. spec expansion, store creation, worker start: {t1 - t0:.2f} s = {done / (t1 - t0):,.0f} tasks/s")
print(f"  CPU per task, whole commands: coordinator {cpu(sys.argv[8]) / max(done, 1) * 1e6:.0f} us, "
      f"workers {cpu(sys.argv[9]) / max(done, 1) * 1e6:.0f} us (all of them)")
print("  peers on this machine (../shared/reference/peers/RESULTS.md): optuna in-memory 27 /s, optuna SQLite 2 procs 15 /s,")
print("  ray tune defaults 0.62 /s, ray tune reuse_actors 18 /s; pyzmq floor without storage 14,563 /s")
PY

# coordinator memory for a large grid: it loads the grid, waits for workers that never come
spec "$dir/big.yaml" "$grid"
/usr/bin/time -f "%M" -o "$dir/rss" timeout -s INT 20 "$bin" coordinator "$dir/big.yaml" --bind "tcp://127.0.0.1:*" --db "$dir/big.db" > /dev/null 2> "$dir/big.err" || true
echo "coordinator peak RSS with a $grid-task grid: $(( $(tail -1 "$dir/rss") / 1024 )) MB (target < 300 MB)"
