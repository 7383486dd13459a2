#!/usr/bin/env bash
# Our FLAC encoder against libFLAC on telephone audio (BENCHMARKS.md,
# "The FLAC encoder"): a sweep, real recorded speech (Asterisk's English
# prompts), synthetic speech (espeak-ng), each also passed through G.711
# mu-law as a phone call would be.  About a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps
cargo build --release --locked --example flac_sizes
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
raw=(-t raw -r 8000 -c 1 -b 16 -e signed-integer)
sox -n "${raw[@]}" "$dir/sweep.raw" synth 30 sine 200-3000 tremolo 3 80
# 60 of Asterisk's prompts, a few minutes of one human voice.
mapfile -t prompts < <(ls /usr/share/asterisk/sounds/en/*.gsm | sort | head -120 | tail -60)
sox "${prompts[@]}" "${raw[@]}" "$dir/prompts.raw"
espeak-ng -w "$dir/espeak.wav" "Thank you for calling the support line. Your call may be recorded for quality and training purposes. Please tell me your account number and the reason for your call today, and I will do my best to help you resolve the problem quickly."
sox "$dir/espeak.wav" "${raw[@]}" "$dir/espeak.raw"
for s in sweep prompts espeak; do
	sox "${raw[@]}" "$dir/$s.raw" -t raw -r 8000 -c 1 -e u-law "$dir/$s.ul"
	sox -t raw -r 8000 -c 1 -e u-law "$dir/$s.ul" "${raw[@]}" "$dir/$s-ulaw.raw"
done
target/release/examples/flac_sizes 0,2,5,8 "$dir"/{sweep,sweep-ulaw,prompts,prompts-ulaw,espeak,espeak-ulaw}.raw
