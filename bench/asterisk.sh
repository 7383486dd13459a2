#!/usr/bin/env bash
# legrec against MixMonitor on the same sandbox Asterisk (BENCHMARKS.md,
# "Against MixMonitor") and write the tables there.  About 70 minutes with
# the defaults (4 sizes x 5 modes x 5 repeats, a fresh Asterisk each).
#   bench/asterisk.sh [--calls 50,100,200,300] [--repeats 5]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps
make -s all
mkdir -p bench/results
ulimit -n 65536 2>/dev/null || true
level=$(sed -n 's/^compression_level *= *\([0-9]\).*/\1/p' samples/asterisk/legrec.conf)
ring=$(sed -n 's/^;*ring_ms *= *\([0-9]*\).*/\1/p' samples/asterisk/legrec.conf)
header="Run of $(date -u +%Y-%m-%d): $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), \
$(asterisk -V), legrec $(git describe --always --dirty 2>/dev/null || echo '?') release build, \
FLAC level ${level:-5}, ring_ms ${ring:-?}."
echo "# $header"
python3 bench/asterisk_bench.py build/app_legrec.so --json bench/results/asterisk.json \
	--header "$header" --write "$@"
