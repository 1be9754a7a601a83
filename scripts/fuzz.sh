#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) into build-fuzz/ and runs
# each for SECONDS_PER_TARGET seconds (default 60) on a copy of its seed corpus in
# tests/fuzz/corpus/<target>/ (new inputs never go into the repository). Exits non-zero on the
# first crash, leak, timeout or out-of-memory, and prints the path of the input that caused it.
#
#   bash scripts/fuzz.sh            # 60 s per target
#   bash scripts/fuzz.sh 600        # longer
#   CLINSIM_FUZZ_TARGETS="action_parser" bash scripts/fuzz.sh 30
#   CLINSIM_FUZZ_BUILD=build-asan bash scripts/fuzz.sh 30   # reuse sanitize.sh asan's tree
#   build-fuzz/fuzz/action_parser_fuzzer CRASH_FILE   # replay one input
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
# libFuzzer's seed: 0 draws one; CI fixes it so that a run explores the same way each time.
seed="${CLINSIM_FUZZ_SEED:-0}"
read -r -a targets <<< "${CLINSIM_FUZZ_TARGETS:-case_loader action_parser question_matcher request_handler}"
# CLINSIM_FUZZ_BUILD=build-asan reuses the tree of `scripts/sanitize.sh asan`, which builds the
# fuzz targets too (CI does this); otherwise build-fuzz/ is configured for the targets alone.
build="${CLINSIM_FUZZ_BUILD:-build-fuzz}"
launcher=()
if command -v ccache > /dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache); fi

if ! grep -qs '^CLINSIM_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
  mkdir -p "$build"
  CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLINSIM_FUZZ=ON \
    -DCLINSIM_BUILD_TESTS=OFF -DCLINSIM_BUILD_BENCH=OFF "${launcher[@]}" > "$build/configure.log" 2>&1 \
    || { cat "$build/configure.log"; exit 1; }
fi
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/%/_fuzzer}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
run_root="$build/fuzz-run"
summary=()
for t in "${targets[@]}"; do
  work="$run_root/$t"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp tests/fuzz/corpus/"$t"/* "$work/corpus/"
  dict=()
  if [ -f "tests/fuzz/$t.dict" ]; then dict=(-dict="tests/fuzz/$t.dict"); fi
  echo "fuzz: $t for ${seconds}s (log: $work/log)"
  start=$(date +%s)
  if ! "$build/fuzz/${t}_fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -seed="$seed" \
      -print_final_stats=1 -artifact_prefix="$work/artifacts/" "${dict[@]}" "$work/corpus" \
      > "$work/log" 2>&1; then
    tail -n 60 "$work/log"
    echo "fuzz: $t FAILED; the input that did it:"
    ls -1 "$work"/artifacts/* 2> /dev/null || echo "  (none written; see $work/log)"
    echo "fuzz: replay with $build/fuzz/${t}_fuzzer FILE"
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
  summary+=("$t: ${runs:-?} executions in $(( $(date +%s) - start ))s, corpus $(ls "$work/corpus" | wc -l) inputs")
done
printf 'fuzz: %s\n' "${summary[@]}"
