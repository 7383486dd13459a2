#!/usr/bin/env python3
"""legrec against Asterisk's MixMonitor on the same Asterisk, same calls, one run.

For each N and repeat, each recorder mode in turn (modes alternate so the
ratios hold on a noisy machine): start a sandbox Asterisk, originate N
Local-channel calls in which both sides play the same known 30 s
signed-linear sound, measure over a steady 20 s window Asterisk's CPU
seconds (utime+stime from /proc), threads and RSS, then let the calls end
and measure bytes written per call-second, frames dropped, and the time
from the last hangup to the last complete file.  Prints a table of medians
and the ratios; bench/asterisk.sh writes them into BENCHMARKS.md.

Usage: asterisk_bench.py MODULE_SO [--calls 50,100,200,300] [--repeats 3]
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SANDBOX = os.path.join(REPO, "scripts", "asterisk-sandbox")
MODES = ["none", "mixmonitor", "mixmonitor-rt", "legrec-split", "legrec-stereo"]
CALL_SECONDS = 30
WINDOW = 20
RAMP = 4

DIALPLAN = """
[bench]
exten => none,1,Answer()
 same => n,Playback(bench-30s)
 same => n,Hangup()
exten => mixmonitor,1,Answer()
 same => n,MixMonitor(${UNIQUEID}.wav)
 same => n,Playback(bench-30s)
 same => n,Hangup()
exten => mixmonitor-rt,1,Answer()
 same => n,MixMonitor(${UNIQUEID}.wav,r(${UNIQUEID}-in.wav)t(${UNIQUEID}-out.wav))
 same => n,Playback(bench-30s)
 same => n,Hangup()
exten => legrec-split,1,Answer()
 same => n,LegRecord(benchsplit,n)
 same => n,Playback(bench-30s)
 same => n,Hangup()
exten => legrec-stereo,1,Answer()
 same => n,LegRecord(benchstereo,n)
 same => n,Playback(bench-30s)
 same => n,Hangup()
"""

POLICIES = """
[benchsplit]
legs = split
[benchstereo]
legs = stereo
"""


def sandbox(*args):
    return subprocess.run([SANDBOX, *args], check=True, capture_output=True, text=True).stdout


def proc(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    threads = rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                threads = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return cpu, threads, rss


class Ami:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.recv(1024)
        self.send({"Action": "Login", "Username": "legrec", "Secret": "legrec", "Events": "off"})

    def send(self, fields):
        msg = "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
        self.s.sendall(msg.encode())

    def close(self):
        self.s.close()


def files_under(path):
    out = []
    for root, _, names in os.walk(path):
        out += [os.path.join(root, n) for n in names]
    return out


def run_point(module, mode, n, port_base):
    tmp = tempfile.mkdtemp(prefix="legrec-bench-")
    sip, ami_port = port_base, port_base + 1
    sandbox("create", tmp, module, str(sip), str(ami_port))
    with open(os.path.join(tmp, "etc", "extensions.conf"), "a") as f:
        f.write(DIALPLAN)
    with open(os.path.join(tmp, "etc", "legrec.conf"), "a") as f:
        f.write(POLICIES)
    sound = os.path.join(tmp, "data", "sounds", "en", "bench-30s.sln")
    # The same known sound on both sides: a 30 s sweep with speech-like
    # envelope, signed linear 8 kHz.
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", sound,
                    "synth", str(CALL_SECONDS), "sine", "200-3000", "tremolo", "3", "80"], check=True)
    sandbox("start", tmp)
    pid = int(open(os.path.join(tmp, "run", "asterisk.pid")).read())
    monitor = os.path.join(tmp, "spool", "monitor")
    try:
        ami = Ami(ami_port)
        for i in range(n):
            ami.send({"Action": "Originate", "Channel": f"Local/{mode}@bench", "Application": "Playback",
                      "Data": "bench-30s", "Async": "true", "ActionID": str(i)})
        time.sleep(RAMP)
        up = subprocess.run(["asterisk", "-C", os.path.join(tmp, "etc", "asterisk.conf"), "-rx",
                             "core show channels count"], capture_output=True, text=True).stdout
        if int(up.split()[0]) < 2 * n:
            # Calls that never came up (a slow start): measure nothing.
            raise RuntimeError(f"only {up.split()[0]} of {2 * n} channels up")
        c0, _, _ = proc(pid)
        t0 = time.monotonic()
        time.sleep(WINDOW)
        c1, threads, rss = proc(pid)
        cpu = (c1 - c0) / (time.monotonic() - t0)
        active = subprocess.run(["asterisk", "-C", os.path.join(tmp, "etc", "asterisk.conf"), "-rx",
                                 "core show channels count"], capture_output=True, text=True).stdout
        # Wait for the calls to end, then for the last file to be complete.
        deadline = time.monotonic() + CALL_SECONDS + 30
        while time.monotonic() < deadline:
            out = subprocess.run(["asterisk", "-C", os.path.join(tmp, "etc", "asterisk.conf"), "-rx",
                                  "core show channels count"], capture_output=True, text=True).stdout
            if out.strip().startswith("0 active channels"):
                break
            time.sleep(0.05)
        hung_up = time.monotonic()
        latency = 0.0
        if mode.startswith("legrec"):
            while time.monotonic() < hung_up + 10:
                sidecars = [f for f in files_under(os.path.join(tmp, "recordings"))
                            if f.endswith(".json") and not f.endswith(".inprogress.json")]
                if len(sidecars) >= n:
                    break
                time.sleep(0.02)
            latency = time.monotonic() - hung_up
            dropped = 0
            for sc in sidecars:
                for leg in json.load(open(sc))["legs"]:
                    dropped += leg["dropped_samples"]
            out_files = [f for f in files_under(os.path.join(tmp, "recordings")) if f.endswith(".flac")]
        else:
            dropped = None
            out_files = [f for f in files_under(monitor) if f.endswith(".wav")]
            if mode == "mixmonitor-rt":
                # The per-leg files only: legrec's split legs are compared
                # with these (the mixed file is counted in its own mode).
                out_files = [f for f in out_files if f.endswith("-in.wav") or f.endswith("-out.wav")]
            # MixMonitor writes the WAV header when its thread closes the file.
            time.sleep(0.5)
            latency = None
        ami.close()
        size = sum(os.path.getsize(f) for f in out_files)
        return {"cpu": cpu, "threads": threads, "rss_kib": rss, "bytes": size,
                "bytes_per_call_second": size / (n * CALL_SECONDS) if n else 0,
                "dropped_samples": dropped, "latency_s": latency, "files": len(out_files),
                "active": active.strip()}
    finally:
        sandbox("stop", tmp)
        subprocess.run(["rm", "-rf", tmp])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("module")
    ap.add_argument("--calls", default="50,100,200,300")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    counts = [int(x) for x in args.calls.split(",")]
    results = {}
    port = 17000
    for n in counts:
        for r in range(args.repeats):
            for mode in MODES:
                for attempt in range(3):
                    port += 2
                    try:
                        res = run_point(args.module, mode, n, port)
                        break
                    except RuntimeError as e:
                        print(f"N={n} {mode}: {e}; again", file=sys.stderr, flush=True)
                else:
                    sys.exit(f"N={n} {mode}: calls did not come up three times")
                results.setdefault((n, mode), []).append(res)
                print(f"N={n} repeat={r + 1} {mode:14} cpu={res['cpu']:.3f} threads={res['threads']} "
                      f"rss={res['rss_kib']} KiB bytes/call-s={res['bytes_per_call_second']:.0f} "
                      f"dropped={res['dropped_samples']} latency={res['latency_s']} ({res['active']})",
                      file=sys.stderr, flush=True)

    def med(n, mode, key):
        vals = [r[key] for r in results[(n, mode)] if r[key] is not None]
        return statistics.median(vals) if vals else None

    lines = ["| N | mode | CPU (cores) | added CPU | threads | added threads | RSS MiB | added RSS per call KiB "
             "| bytes per call-second | dropped samples | last file complete after hangup |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    ratios = []
    for n in counts:
        base = {k: med(n, "none", k) for k in ("cpu", "threads", "rss_kib")}
        for mode in MODES:
            cpu, thr, rss = (med(n, mode, k) for k in ("cpu", "threads", "rss_kib"))
            bps = med(n, mode, "bytes_per_call_second")
            dropped = med(n, mode, "dropped_samples")
            lat = med(n, mode, "latency_s")
            lines.append(
                f"| {n} | {mode} | {cpu:.3f} | {cpu - base['cpu']:+.3f} | {thr:.0f} | {thr - base['threads']:+.0f} "
                f"| {rss / 1024:.1f} | {(rss - base['rss_kib']) / n:+.1f} | {bps:.0f} | "
                f"{'-' if dropped is None else f'{dropped:.0f}'} | {'-' if lat is None else f'{lat:.2f} s'} |")
        mix_cpu = med(n, "mixmonitor-rt", "cpu") - base["cpu"]
        leg_cpu = med(n, "legrec-split", "cpu") - base["cpu"]
        mix_b = med(n, "mixmonitor-rt", "bytes_per_call_second")
        leg_b = med(n, "legrec-split", "bytes_per_call_second")
        ratios.append(f"| {n} | {leg_cpu / mix_cpu if mix_cpu > 0 else float('nan'):.2f} | "
                      f"{leg_b / mix_b if mix_b else float('nan'):.2f} |")
    table = "\n".join(lines)
    ratio_table = "\n".join(["| N | legrec added CPU ÷ MixMonitor per-leg added CPU | legrec bytes ÷ MixMonitor per-leg bytes |",
                             "| --- | --- | --- |"] + ratios)
    print(table)
    print()
    print(ratio_table)
    if args.json:
        json.dump({f"{n}:{m}": v for (n, m), v in results.items()}, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
