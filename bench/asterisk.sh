#!/usr/bin/env bash
# legrec against MixMonitor on the same sandbox Asterisk (BENCHMARKS.md,
# "Against MixMonitor") and write the tables there: on Debian 12's Asterisk
# 16 here, or with --asterisk 22 on Debian's Asterisk 22 in the sid root
# (scripts/sid-root), the module built there against 22's headers.  About 30
# minutes per Asterisk with the defaults (2 sizes x 5 modes x 3 repeats, a
# fresh Asterisk each, every call switched on and off by AMI Redirects).
#   bench/asterisk.sh [--asterisk 16|22] [--calls 100,300] [--repeats 3] [--modes ...]
set -euo pipefail
cd "$(dirname "$0")/.."
series=16
if [ "${1:-}" = --asterisk ]; then
	series="$2"
	shift 2
fi
scripts/setup-deps
case "$series" in
16)
	in_root=()
	target=target
	;;
22)
	scripts/sid-root create
	in_root=(scripts/sid-root run env CARGO_TARGET_DIR=target/asterisk22)
	target=target/asterisk22
	;;
*) echo "bench/asterisk.sh: --asterisk 16 or 22" >&2; exit 2 ;;
esac
"${in_root[@]}" make -s rust sounds
"${in_root[@]}" make -s asterisk LEGREC_LIB="$target/release/liblegrec.a" AST_MODULE_SO="$target/app_legrec.so"
"${in_root[@]}" cargo build --release --locked --example bench_core
mkdir -p bench/results
ulimit -n 65536 2>/dev/null || true
level=$(sed -n 's/^compression_level *= *\([0-9]\).*/\1/p' samples/asterisk/legrec.conf)
ring=$(sed -n 's/^;*ring_ms *= *\([0-9]*\).*/\1/p' samples/asterisk/legrec.conf)
header="Run of $(date -u +%Y-%m-%d): $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), \
$("${in_root[@]}" asterisk -V), legrec $(git describe --always --dirty 2>/dev/null || echo '?') release build, \
FLAC level ${level:-5}, ring_ms ${ring:-?}."
echo "# $header"
"${in_root[@]}" python3 bench/asterisk_bench.py "$target/app_legrec.so" \
	--bench-core "$target/release/examples/bench_core" --label "$series" \
	--json "bench/results/asterisk$series.json" --header "$header" --write "$@"
