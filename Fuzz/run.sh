#!/usr/bin/env bash
# make fuzz: builds sweep-fuzz with libFuzzer and AddressSanitizer (its own build
# directory, .build/fuzz, so the release build is untouched), then runs each target
# for FUZZ_SECONDS (default 60) under nice, one after another.
#   Fuzz/run.sh [TARGET…]        (default: every directory of Fuzz/corpus)
# Each target starts from its committed seeds (Fuzz/corpus/TARGET, read only) and
# the corpus it grew before (.build/fuzz/corpus/TARGET); its log goes to
# .build/fuzz/TARGET.log and an input that crashes it to .build/fuzz/crashes/TARGET/.
# Exits 1 when any target crashed or reported a sanitizer error.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
out=.build/fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for d in Fuzz/corpus/*/; do targets+=("$(basename "$d")"); done
fi

# sweep-fuzz hands its arguments to libFuzzer (-DFUZZING; Fuzz/CFuzzer says why).
# Swift code gets coverage and ASan from -sanitize; libyaml (C, under Yams) from -Xcc.
# lld: gold (the default) fails on the instrumented objects with an internal error.
# TMPDIR: SwiftPM's lock files for this scratch path stay in it, not in /tmp.
mkdir -p "$out/tmp"
TMPDIR=$PWD/$out/tmp nice -n 10 "${SWIFT:-swift}" build -c release --scratch-path "$out" --product sweep-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING \
  -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld
bin=$out/release/sweep-fuzz

# A trap is reported by libFuzzer (with the Swift runtime's message in the stack), which
# keeps the input; Swift's own backtracer would run first and garble ASan's report.
export SWIFT_BACKTRACE=enable=no
failed=()
for t in "${targets[@]}"; do
  [ -d "Fuzz/corpus/$t" ] || { echo "Fuzz/run.sh: no seed corpus Fuzz/corpus/$t" >&2; exit 2; }
  mkdir -p "$out/corpus/$t" "$out/crashes/$t"
  dict=() && [ -f "Fuzz/$t.dict" ] && dict=(-dict="Fuzz/$t.dict")
  echo "fuzz $t: ${seconds} s, log $out/$t.log"
  status=0
  SWEEP_FUZZ_TARGET=$t nice -n 10 "$bin" -max_total_time="$seconds" -timeout=30 -print_final_stats=1 \
    -artifact_prefix="$out/crashes/$t/" "${dict[@]}" "$out/corpus/$t" "Fuzz/corpus/$t" > "$out/$t.log" 2>&1 || status=$?
  # the last status line (#N DONE cov: … ft: … corp: …) and the final stats
  last=$(grep -E '^#[0-9]+' "$out/$t.log" | tail -1 || true)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/$t.log")
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<< "$last")
  echo "fuzz $t: ${runs:-?} runs (${rate:-?}/s), cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?} inputs"
  if [ "$status" -ne 0 ]; then
    failed+=("$t")
    grep -E '^==[0-9]+== ?ERROR|Swift runtime failure|Fatal error|Test unit written to' "$out/$t.log" | head -5 || true
    echo "fuzz $t: FAILED (exit $status); replay: .build/release/sweep-fuzz $t $out/crashes/$t/<file>"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "make fuzz: ${failed[*]} crashed" >&2
  exit 1
fi
