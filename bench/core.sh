#!/usr/bin/env bash
# The core's benchmark (BENCHMARKS.md, "Core"): pipeline against raw libFLAC,
# push cost and allocations, memory per leg, legs sustained in real time.
#   bench/core.sh [SECONDS_PER_REAL_TIME_STEP]     (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps
cargo build --release --locked --example bench_core
echo "# $(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), libFLAC $(dpkg-query -W -f='${Version}' libflac12 2>/dev/null || echo '?')"
target/release/examples/bench_core "${1:-10}"
