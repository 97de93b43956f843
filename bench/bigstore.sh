#!/usr/bin/env bash
# make bench, reading a big store: a finished sweep of N model=noop tasks (default
# 100,000), then the time and peak memory of `sweep status` and `sweep leaderboard
# --top 5`, and how soon a freshly started `sweep dashboard` serves the live page with
# its data in place (the page arrives with its sections filled in), and its size.
#   bench/bigstore.sh [--tasks N] [--db FILE]   (--db: reuse or keep that store)
set -euo pipefail
cd "$(dirname "$0")/.."
tasks=100000 db=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tasks) tasks=$2; shift 2;;
    --db) db=$2; shift 2;;
    *) echo "bench/bigstore.sh: unknown argument $1" >&2; exit 2;;
  esac
done
bin=${SWEEP_BIN:-.build/release/sweep}
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT
[ -n "$db" ] || db=$dir/big.db

if [ ! -f "$db" ]; then
  python3 bench/noop_grid.py "$dir/noop.yaml" "$tasks"
  t0=$(date +%s.%N)
  "$bin" run "$dir/noop.yaml" --db "$db" --workers 2 --http off > /dev/null 2> "$dir/run.err" || { cat "$dir/run.err" >&2; exit 1; }
  echo "a finished $tasks-task noop sweep written in $(python3 -c "print(f'{$(date +%s.%N) - $t0:.1f}')") s"
fi

measure() {  # measure LABEL TARGET COMMAND...: best of 3 (the page cache warm), seconds and peak RSS
  local label=$1 target=$2; shift 2
  for _ in 1 2 3; do /usr/bin/time -f "%e %M" -a -o "$dir/$label.time" "$@" > /dev/null; done
  sort -n "$dir/$label.time" | head -1 | while read -r s kb; do
    printf "  %-28s %5.2f s  %4d MB   (target %s)\n" "$label" "$s" $((kb / 1024)) "$target"
  done
}
echo "reading a $(sqlite3 "$db" 'select count(*) from tasks')-task store:"
measure "sweep status" "< 0.3 s, < 100 MB" "$bin" status --db "$db"
measure "sweep leaderboard --top 5" "< 0.3 s, < 100 MB" "$bin" leaderboard --db "$db" --top 5

# the live page: a dashboard started cold, the page asked for at once, three times
for _ in 1 2 3; do
  "$bin" dashboard --db "$db" --http 127.0.0.1:0 > /dev/null 2> "$dir/dash.err" &
  pid=$!
  until grep -q 'live page at ' "$dir/dash.err" 2>/dev/null; do kill -0 $pid 2>/dev/null || { cat "$dir/dash.err" >&2; exit 1; }; sleep 0.01; done
  url=$(sed -n 's/.*live page at \([^ ]*\) .*/\1/p' "$dir/dash.err" | head -1)
  curl -s -o "$dir/page.html" -w "%{time_total} %{size_download}\n" "$url" >> "$dir/page.time"
  grep -q 'class="leaderboard"' "$dir/page.html" || { echo "bench/bigstore.sh: the page came without its leaderboard" >&2; exit 1; }
  curl -s -o /dev/null -w "%{time_total}\n" "${url}api/leaderboard?page=1000" >> "$dir/pager.time"
  grep VmHWM "/proc/$pid/status" | awk '{print $2}' >> "$dir/page.rss"
  kill -INT $pid; wait $pid 2>/dev/null || true
done
sort -n "$dir/page.time" | head -1 | while read -r s bytes; do
  printf "  %-28s %5.2f s  %4d KB page, dashboard peak RSS %d MB   (target < 1 s)\n" "live page, first data" "$s" $((bytes / 1024)) \
    $(( $(sort -n "$dir/page.rss" | tail -1) / 1024 ))
done
printf "  %-28s %5.2f s\n" "a later leaderboard page" "$(sort -n "$dir/pager.time" | head -1)"
