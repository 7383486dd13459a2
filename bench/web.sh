#!/usr/bin/env bash
# The recording browser's benchmark (BENCHMARKS.md, "The recording browser"):
# - legrec serve over HTTP on ROWS (default 1,000,000) synthetic recordings
#   in a private PostgreSQL (scripts/postgres; filled by bench_fleet, as
#   bench/fleet.sh does): the search page and GET /api/recordings for
#   several searches and scopes, REPEATS (default 200) requests each with
#   curl; p50, p99, max and the answer's size;
# - one recording of an hour made by the real core: time to the first byte
#   of its audio (the <audio> element's first request, Range: bytes=0-,
#   by a listener new to the trail, so with the audit entry's fsync), of a
#   seek to the middle, its waveform and its page (which hashes every
#   file); HOUR_REPEATS (default 5) times, every repeat listed;
# - the hour's page and the access trail again once the audit chain has
#   CHAIN (default 1,000,000) more entries, beside what the page did before
#   (the whole chain read for the recording's lines, bench_web scan);
# - the weight of the pages and the assets they load.
#   bench/web.sh [ROWS] [REPEATS] [HOUR_REPEATS] [CHAIN]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}; repeats=${2:-200}; hour_repeats=${3:-5}; chain=${4:-1000000}
cargo build --release --locked -q -p legrec-fleet --bin legrec-fleet --example bench_fleet --example bench_web
bin=target/release/legrec-fleet
w=$(mktemp -d /var/tmp/legrec-bench-web.XXXXXX)
port=$((31000 + $$ % 1000 * 16))
server=
cleanup() {
	if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
	scripts/postgres stop "$w/pg" >/dev/null 2>&1 || true
	rm -rf "$w"
}
trap cleanup EXIT

url=$(scripts/postgres start "$w/pg" $((port + 15)))
echo "== $rows synthetic recordings in PostgreSQL (bench_fleet; its own index-level search for reference)"
target/release/examples/bench_fleet search "$url" "$rows"
echo "== one recording of an hour by the core"
target/release/examples/bench_web hour "$w/spool"
conf=$w/legrec.conf
printf '[general]\nspool_dir = %s\n[storage]\nindex = %s\npbx_name = bench-hour\n[p]\nlegs = both\n[web]\nlisten = 127.0.0.1:%s\nlogin_failures = 1000\n' \
	"$w/spool" "$url" "$port" >"$conf"
$bin index --config "$conf"
printf 'bench-password-1\n' >"$w/pw"
$bin user add admin --role admin --password-file "$w/pw" --config "$conf" >/dev/null
$bin user add sup --role supervisor --queues q3,q7 --password-file "$w/pw" --config "$conf" >/dev/null
$bin user add agent7 --role agent --password-file "$w/pw" --config "$conf" >/dev/null
$bin user add auditor --role auditor --password-file "$w/pw" --config "$conf" >/dev/null
$bin serve --config "$conf" >"$w/serve.log" 2>&1 &
server=$!
until grep -q listening "$w/serve.log"; do sleep 0.1; done
base=http://127.0.0.1:$port
login() { # USER -> a cookie jar of a new session
	curl -sf -c "$w/jar-$1" -H 'Content-Type: application/json' \
		-d "{\"user\":\"$1\",\"password\":\"bench-password-1\"}" "$base/api/login" >/dev/null
}
login admin; login sup; login agent7

stats() { # NAME: lines "ms bytes status" on stdin
	sort -n | awk -v n="$1" '{t[NR]=$1; s=$2; c=$3}
		END {printf "%-44s p50 %8.2f ms  p99 %8.2f ms  max %8.2f ms  %7d bytes  HTTP %s  (%d requests)\n",
			n, t[int(NR*0.5+0.5)], t[int(NR*0.99+0.5)], t[NR], s, c, NR}'
}
# measure NAME USER PATH-MAKER: REPEATS requests, the path of the i-th by PATH-MAKER i
measure() {
	for i in $(seq "$repeats"); do
		curl -s -b "$w/jar-$2" -o /dev/null -w '%{time_total} %{size_download} %{http_code}\n' "$base$($3 "$i")" |
			awk '{printf "%.3f %s %s\n", $1 * 1000, $2, $3}'
	done | stats "$1"
}
newest() { echo "/recordings"; }
caller() { printf '/recordings?caller=555%07d\n' $(($1 * 7919 % 100000)); }
queue_day() { echo "/recordings?queue=q$(($1 % 20))&from=2025-01-01&to=2025-01-01"; }
page_far() { echo "/recordings?offset=$(($1 * 50 % 10000))"; }
api_queue() { echo "/api/recordings?queue=q$(($1 % 20))&limit=100"; }
by_duration() { echo "/recordings?sort=duration"; }
by_caller() { echo "/recordings?sort=caller&order=asc"; }

echo "== searches over $rows rows through legrec serve ($repeats requests each)"
measure "search page, newest 50 (admin)" admin newest
measure "search page, one caller" admin caller
measure "search page, one queue, one day" admin queue_day
measure "search page, offsets up to 10,000" admin page_far
measure "API, one queue, 100" admin api_queue
measure "search page, supervisor of 2 queues" sup newest
measure "search page, agent (calls taken part in)" agent7 newest
measure "search page, sorted by duration" admin by_duration
measure "search page, sorted by caller" admin by_caller

sidecar=$(find "$w/spool" -name '*.json' ! -name '*.inprogress.json' | head -1)
id=$(basename "$sidecar" .json)
stereo=$(dirname "$sidecar")/$id.flac
size=$(stat -c %s "$stereo")
echo "== a recording of an hour: $id, stereo $size bytes, legs $(stat -c %s "$(dirname "$sidecar")/$id-in.flac") bytes each"
for r in $(seq "$hour_repeats"); do
	login admin
	first=$(curl -s -b "$w/jar-admin" -H 'Range: bytes=0-' -o /dev/null -w '%{http_code} %{time_starttransfer} %{time_total}' \
		"$base/api/recordings/$id/audio/stereo")
	seek=$(curl -s -b "$w/jar-admin" -H "Range: bytes=$((size / 2))-" -o /dev/null -w '%{http_code} %{time_starttransfer}' \
		"$base/api/recordings/$id/audio/stereo")
	peaks=$(curl -s -b "$w/jar-admin" -o /dev/null -w '%{http_code} %{time_total} %{size_download}' "$base/api/recordings/$id/peaks/in")
	page=$(curl -s -b "$w/jar-admin" -o /dev/null -w '%{http_code} %{time_total} %{size_download}' "$base/recordings/$id")
	echo "$first $seek $peaks $page" | awk -v r="$r" '{printf "repeat %s: first audio byte %.1f ms (HTTP %s; whole file %.0f ms), seek to the middle %.1f ms (HTTP %s), waveform %.0f ms (%d bytes), page %.0f ms (%d bytes)\n",
		r, $2 * 1000, $1, $3 * 1000, $5 * 1000, $4, $7 * 1000, $8, $10 * 1000, $11}'
done

echo "== the same page once the audit chain has $chain more entries"
target/release/examples/bench_web chain "$w/spool" "$chain"
login auditor
page() { curl -s -b "$w/jar-$1" -o /dev/null -w '%{http_code} %{time_total}\n' "$base$2"; }
echo "first page after the chain grew (the server reads the new lines once): $(page admin "/recordings/$id" | awk '{printf "%.0f ms (HTTP %s)", $2 * 1000, $1}')"
for r in $(seq "$hour_repeats"); do
	now=$(page admin "/recordings/$id" | awk '{printf "%.0f ms (HTTP %s)", $2 * 1000, $1}')
	trail=$(page auditor /trail | awk '{printf "%.0f ms (HTTP %s)", $2 * 1000, $1}')
	before=$(target/release/examples/bench_web scan "$w/spool" "$id" | awk '{printf "%.0f ms (%d entries)", $1, $2}')
	echo "repeat $r: the page $now; the trail page (500 newest accesses) $trail; the whole-chain read each page made before $before"
done

echo "== page weight"
weigh() { curl -s -b "$w/jar-admin" -o /dev/null -w '%{size_download}' "$base$1"; }
css=$(weigh /assets/style.css)
ours=$(( $(weigh /assets/recording.js) + $(weigh /assets/together.js) ))
js=$(( $(weigh /assets/wavesurfer.min.js) + $(weigh /assets/regions.min.js) + $(weigh /assets/timeline.min.js) + ours ))
echo "search page (50 rows): $(weigh /recordings) bytes HTML + $css bytes CSS; no script"
echo "recording page: $(weigh "/recordings/$id") bytes HTML + $css bytes CSS + $js bytes of script (wavesurfer.js and plugins $((js - ours)), ours $ours) + 2 waveforms of $(weigh "/api/recordings/$id/peaks/in") bytes; nothing else (the audio streams by ranges)"
