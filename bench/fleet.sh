#!/usr/bin/env bash
# The fleet benchmark (BENCHMARKS.md, "Shipping and search"):
# - N recordings (default 10,000) made by the real core, shipped to a
#   SeaweedFS (scripts/seaweedfs) by `legrec ship --once` and copied by
#   `aws s3 cp --recursive` (awscli, from PyPI) to the same server, side by
#   side, REPEATS times (default 3), the order alternating; the shipper's
#   RSS sampled every 0.2 s;
# - search p50/p99 over ROWS (default 1,000,000) synthetic recordings in a
#   private PostgreSQL (scripts/postgres), through the index's own code.
#   bench/fleet.sh [N] [REPEATS] [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}; repeats=${2:-3}; rows=${3:-1000000}
tools=${LEGREC_TOOLS:-/opt/legrec-tools}
scripts/setup-deps >/dev/null
[ -x "$tools/bin/aws" ] || "$tools/bin/pip" install -q awscli
cargo build --release --locked -q -p legrec-fleet --bin legrec-fleet --example bench_fleet
bin=target/release/legrec-fleet
ex=target/release/examples/bench_fleet
w=$(mktemp -d /var/tmp/legrec-bench.XXXXXX)
port=$((30000 + $$ % 1000 * 16))
cleanup() { scripts/seaweedfs stop "$w/weed" || true; scripts/postgres stop "$w/pg" || true; rm -rf "$w"; }
trap cleanup EXIT

echo "== $n recordings by the core"
t0=$(date +%s.%N)
$ex record "$n" "$w/spool"
echo "recorded in $(echo "$(date +%s.%N) - $t0" | bc) s: $(find "$w/spool/p" -type f | wc -l) files, $(du -sh "$w/spool/p" | cut -f1)"

# Each bucket is a collection with volumes of its own.
endpoint=$(LEGREC_WEED_VOLUMES=200 scripts/seaweedfs start "$w/weed" "$port")
export AWS_ACCESS_KEY_ID=legrec AWS_SECRET_ACCESS_KEY=legrec-secret AWS_DEFAULT_REGION=us-east-1
aws="$tools/bin/aws --endpoint-url $endpoint"

rss_sample() { # pid out
	while kill -0 "$1" 2>/dev/null; do
		awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null >>"$2" || true
		sleep 0.2
	done
}

for r in $(seq "$repeats"); do
	for who in $( [ $((r % 2)) = 1 ] && echo "legrec aws" || echo "aws legrec"); do
		spool="$w/spool-$who-$r"
		cp -a "$w/spool" "$spool"
		rm -f "$spool/index.sqlite"*
		$aws s3 mb "s3://$who-$r" >/dev/null
		t0=$(date +%s.%N)
		if [ "$who" = aws ]; then
			$aws s3 cp --recursive --only-show-errors "$spool/p" "s3://$who-$r/site/p"
		else
			printf '[general]\nspool_dir = %s\n[storage]\nurl = s3://%s/site\nendpoint = %s\naccess_key = legrec\nsecret_key = legrec-secret\nconcurrency = 10\npbx_name = bench\n' \
				"$spool" "$who-$r" "$endpoint" >"$w/legrec-$r.conf"
			: >"$w/rss-$r"
			$bin ship --once --config "$w/legrec-$r.conf" 2>"$w/ship-$r.log" &
			pid=$!
			rss_sample $pid "$w/rss-$r" &
			wait $pid
		fi
		secs=$(echo "$(date +%s.%N) - $t0" | bc)
		objects=$($aws s3 ls --recursive "s3://$who-$r/" | wc -l)
		echo "repeat $r $who: $secs s, $objects objects"
		if [ "$who" = legrec ]; then
			sort -n "$w/rss-$r" | awk '{a[NR]=$1} END {printf "  shipper RSS KiB: min %d median %d max %d (%d samples)\n", a[1], a[int((NR+1)/2)], a[NR], NR}'
			total=$(wc -l <"$w/rss-$r"); q=$((total / 4))
			if [ "$q" -gt 0 ]; then
				head -n "$q" "$w/rss-$r" | sort -n | awk '{a[NR]=$1} END {printf "  first quarter median %d KiB", a[int((NR+1)/2)]}'
				tail -n "$q" "$w/rss-$r" | sort -n | awk '{a[NR]=$1} END {printf ", last quarter median %d KiB\n", a[int((NR+1)/2)]}'
			fi
			tail -1 "$w/ship-$r.log"
		fi
		rm -rf "$spool"
	done
done

echo "== search over $rows synthetic recordings in PostgreSQL"
url=$(scripts/postgres start "$w/pg" $((port + 15)))
for _ in 1 2 3; do $ex search "$url" "$rows"; done
