#!/usr/bin/env bash
# legrec against MixMonitor on the same sandbox Asterisk (BENCHMARKS.md,
# "Against MixMonitor").  About 40 minutes with the defaults.
#   bench/asterisk.sh [--calls 50,100,200,300] [--repeats 3]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps
make -s all
mkdir -p bench/results
ulimit -n 65536 2>/dev/null || true
echo "# $(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(asterisk -V)"
python3 bench/asterisk_bench.py build/app_legrec.so --json bench/results/asterisk.json "$@"
