#!/usr/bin/env bash
# Configures and builds everything into build/ (the program is build/clinsim).
# Extra arguments go to cmake's configure step, e.g. -DCLINSIM_SANITIZE=address,undefined.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE="${CLINSIM_BUILD_TYPE:-RelWithDebInfo}" "$@"
cmake --build build -j "$(nproc)"
