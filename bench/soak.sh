#!/usr/bin/env bash
# The soaks of RELIABILITY.md ("Load and leaks"): 1,000 legs in the core for
# 10 minutes with calls ending and starting all the time, then 300 recorded
# calls on a sandbox Asterisk for 5 minutes under reloads and refused
# unloads, then unload/load cycles.  About 17 minutes.  The same tests run
# in CI for 30 s and 50 calls x 20 s.
#   bench/soak.sh [CORE_SECONDS [ASTERISK_CALLS [ASTERISK_SECONDS]]]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps
make -s all
mkdir -p bench/results
ulimit -n 65536 2>/dev/null || true
out=bench/results/soak.txt
{
	echo "# $(date -u +%Y-%m-%d), $(nproc) cores, $(asterisk -V)"
	LEGREC_SOAK_SECONDS="${1:-600}" cargo test --release --locked --test soak_core -- --nocapture 2>&1 |
		grep -E '^soak:|test result'
	LEGREC_SOAK_CALLS="${2:-300}" LEGREC_SOAK_SECONDS="${3:-300}" \
		cargo test --release --locked --test asterisk_load -- --nocapture 2>&1 | grep -E '^load:|test result'
} | tee "$out"
