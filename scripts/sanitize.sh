#!/usr/bin/env bash
# Builds and tests under sanitizers with clang, each in its own build directory (benchmarks off,
# -O1 with line tables, to keep the builds short):
#   bash scripts/sanitize.sh asan   # AddressSanitizer + UndefinedBehaviorSanitizer + LeakSanitizer:
#                                   # the whole ctest suite, in build-asan/. The libFuzzer targets
#                                   # are built in the same tree (CLINSIM_FUZZ=ON), so that
#                                   # `CLINSIM_FUZZ_BUILD=build-asan bash scripts/fuzz.sh` reuses it.
#   bash scripts/sanitize.sh tsan   # ThreadSanitizer: the server tests (server_test,
#                                   # llm_roles_test, soak_test), in build-tsan/. Not clean yet
#                                   # (gRPC's uninstrumented handoffs): see docs/security.md.
# UBSan findings fail the run (-fno-sanitize-recover=undefined). Extra arguments go to ctest (asan,
# e.g. -R Server) or to each test binary (tsan, e.g. --gtest_filter='Server*').
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
shift || true
launcher=()
if command -v ccache > /dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache); fi
if ! command -v clang++ > /dev/null; then
  echo "sanitize.sh: clang++ not found; run scripts/install-deps.sh" >&2
  exit 1
fi
case "$mode" in
  asan)
    build=build-asan
    options=(-DCLINSIM_SANITIZE=address,undefined -DCLINSIM_FUZZ=ON)
    targets=(all)
    export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1}"
    # Tests that sweep every case take every 8th (tests/testing/fixtures.h); the plain build runs all.
    export CLINSIM_TEST_CASE_STRIDE="${CLINSIM_TEST_CASE_STRIDE:-8}"
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
    ;;
  tsan)
    build=build-tsan
    options=(-DCLINSIM_SANITIZE=thread)
    targets=(server_test llm_roles_test soak_test)
    # gRPC, protobuf and Abseil come from Debian, not instrumented: see tests/tsan.supp and
    # common/tsan_absl_sync.cc.
    export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1:suppressions=$PWD/tests/tsan.supp}"
    ;;
  *)
    echo "usage: scripts/sanitize.sh asan|tsan [ctest args]" >&2
    exit 2
    ;;
esac
mkdir -p "$build"
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE= -DCMAKE_C_FLAGS="-O1 -gline-tables-only" \
  -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" -DCLINSIM_BUILD_BENCH=OFF "${options[@]}" "${launcher[@]}" \
  > "$build/configure.log" 2>&1 || { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"
if [ "$mode" = tsan ]; then
  # Only these binaries are built, so they run directly rather than through ctest.
  for t in "${targets[@]}"; do
    echo "sanitize.sh: $t under ThreadSanitizer"
    "$build/tests/$t" "$@"
  done
else
  ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "$@"
fi
