# Sourced by scripts/demo and scripts/demo-freeswitch: show_recording SPOOL
# waits up to a minute for the first recording under SPOOL to be finished,
# lists its files, checks them with flac and `legrec verify`, and describes
# the recording with `legrec info`.
show_recording() {
	local spool="$1" sidecar="" folder f
	for _ in $(seq 1 600); do
		sidecar=$(find "$spool" -name '*.json' ! -name '*.inprogress.json' | head -n1)
		[ -n "$sidecar" ] && break
		sleep 0.1
	done
	[ -n "$sidecar" ] || { echo "demo: the call did not finish" >&2; return 1; }
	folder=$(dirname "$sidecar")
	echo "== the files"
	ls -l "$folder"
	for f in "$folder"/*.flac; do
		printf '%s: ' "$(basename "$f")"
		flac -t -s "$f" && echo "flac -t ok, $(metaflac --show-total-samples "$f") samples at $(metaflac --show-sample-rate "$f") Hz"
	done
	echo "== legrec verify"
	target/release/legrec verify "$spool"
	echo "== legrec info"
	target/release/legrec info "$(basename "$sidecar" .json)" --spool "$spool"
}
