#!/usr/bin/env python3
"""legrec against Asterisk's MixMonitor on the same Asterisk, same calls, one run.

For each N and repeat, each recorder mode in turn (modes alternate so the
ratios hold on a noisy machine): start a sandbox Asterisk, originate N
Local-channel calls in which both sides play the same known signed-linear
sound, switch every call's recorder on and off together (CYCLES times, by
an AMI Redirect of every call) and measure each window's Asterisk CPU
seconds (utime+stime from /proc, the whole process, legrec's threads, the
others), threads and RSS; then let the calls end and measure bytes written per call-second,
samples dropped, and the time from the last hangup to the last complete
file.  Prints a table of medians and the ratios; bench/asterisk.sh writes
them into BENCHMARKS.md.

Beside each repeat, the core benchmark (`bench_core predict`) pushes the
same sound into as many legs in real time, outside Asterisk, and reports
what legrec's encoder threads cost there: the prediction the threads inside
Asterisk are held to.

Usage: asterisk_bench.py MODULE_SO --bench-core PATH [--calls 100,300] [--repeats 3]
       [--modes ...] [--label 16] [--write]
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
MODES = ["none", "mixmonitor", "mixmonitor-rt", "legrec-split", "legrec-stereo", "core-predict"]
CALL_SECONDS = 30
WINDOW = 20
RAMP = 4
PERF_DIR = os.environ.get("LEGREC_BENCH_PERF")
RING_MS = os.environ.get("LEGREC_BENCH_RING_MS")

# The recorders go on and off together, CYCLES times, in the same Asterisk
# with the same channels up: off, on, off, on, ..., off, then on for the
# rest of the call (the recording whose end is timed).  The script switches
# them by AMI: a Redirect of every call to its mode's "-on" or "-off"
# extension, which starts or stops the recorder and goes back to playing
# the sound.  Between switches a call only plays its 30 s sound, as a call
# that is not being measured would (a dialplan that looked at a global
# every few seconds kept 300 calls reopening files and cost 0.2 cores of
# baseline on a machine that has none to spare).  Each window is measured
# on the script's clock once every Redirect was answered and the recorders
# had SETTLE to start or stop; a call's own timing (which lags on a loaded
# machine) never decides what a window holds.  Separate Asterisk runs
# differ by +-0.1 cores at N = 300 whatever they record (thread placement,
# timer coalescing), and even one process's CPU drifts by as much over a
# minute; each "on" window is set against the mean of the "off" windows on
# either side, which cancels a drift that is linear over two windows.  The
# `none` mode switches too, to extensions that record nothing, and shows
# what is left of the noise and what the switching itself costs.
CYCLES = 3
WINDOW_S = 5
SETTLE = 1.0   # the recorders started or stopped
TAIL = 5
PRE = 3
STARTERS = {
    "none": ("NoOp(on)", "NoOp(off)"),
    "mixmonitor": ("MixMonitor(${UNIQUEID}-${r}.wav)", "StopMixMonitor()"),
    "mixmonitor-rt": ("MixMonitor(${UNIQUEID}-${r}.wav,r(${UNIQUEID}-${r}-in.wav)t(${UNIQUEID}-${r}-out.wav))",
                      "StopMixMonitor()"),
    "legrec-split": ("LegRecord(benchsplit,n)", "StopLegRecord()"),
    "legrec-stereo": ("LegRecord(benchstereo,n)", "StopLegRecord()"),
}


def dialplan():
    # A call plays the sweep over and over; a Redirect to MODE-on or
    # MODE-off switches its recorder and sends it back to the sweep, one
    # to `end` hangs it up.
    out = "\n[bench]\nexten => end,1,Hangup()\n"
    for mode, (start, stop) in STARTERS.items():
        out += (f"exten => {mode},1,Answer()\n same => n,Set(r=0)\n"
                f" same => n(loop),Playback(bench-30s)\n same => n,Goto(loop)\n"
                f"exten => {mode}-on,1,Set(r=$[${{r}} + 1])\n same => n,{start}\n same => n,Goto({mode},loop)\n"
                f"exten => {mode}-off,1,{stop}\n same => n,Goto({mode},loop)\n")
    return out


# An upper bound for the time every Redirect takes to be answered (it is
# measured each time; this only sizes the far side's sound).
SWITCH_MAX = 5.0
CALL_LENGTH = PRE + (2 * CYCLES + 1) * (SWITCH_MAX + SETTLE + WINDOW_S) + TAIL + 2 * SWITCH_MAX

POLICIES = """
[benchsplit]
legs = split
[benchstereo]
legs = stereo
"""


def sandbox(*args):
    return subprocess.run([SANDBOX, *args], check=True, capture_output=True, text=True).stdout


def cpu_seconds(stat_path):
    with open(stat_path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def recorder_threads_cpu(pid, prefix="legrec-enc"):
    """CPU seconds of legrec's encoder threads alone: the part of legrec's
    cost that other work on the box cannot blur (the rest is the audiohook
    on the channels' own threads)."""
    total = 0.0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if not f.read().startswith(prefix):
                    continue
            total += cpu_seconds(f"/proc/{pid}/task/{tid}/stat")
        except FileNotFoundError:
            pass
    return total


def channel_threads_cpu(pid):
    """CPU seconds of every thread but legrec's own: the channels' media
    threads and the rest of Asterisk."""
    return cpu_seconds(f"/proc/{pid}/stat") - recorder_threads_cpu(pid, "legrec-")


def steal_seconds():
    """Time the hypervisor gave this machine's CPUs to someone else."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK")


def proc(pid):
    cpu = cpu_seconds(f"/proc/{pid}/stat")
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
        if self.answered(1, 10):
            raise RuntimeError("AMI login refused")

    def send(self, fields):
        msg = "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
        self.s.sendall(msg.encode())

    def answered(self, count, timeout):
        """Read until `count` responses came (events are off, so every
        message is a response); how many failed."""
        self.s.settimeout(timeout)
        buf, got, failed = b"", 0, 0
        deadline = time.monotonic() + timeout
        while got < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{count - got} of {count} AMI actions unanswered")
            chunk = self.s.recv(65536)
            if not chunk:
                raise RuntimeError("AMI closed")
            buf += chunk
            *msgs, buf = buf.split(b"\r\n\r\n")
            for m in msgs:
                if m.startswith(b"Response:"):
                    got += 1
                    failed += not m.startswith(b"Response: Success")
        self.s.settimeout(None)
        return failed

    def close(self):
        self.s.close()


def files_under(path):
    out = []
    for root, _, names in os.walk(path):
        out += [os.path.join(root, n) for n in names]
    return out


def make_sound(path, seconds=CALL_SECONDS, offset=0):
    """The same known sound on both sides: a 30 s sweep with a speech-like
    envelope, repeated, signed linear 8 kHz; `seconds` of it from `offset`
    (the segments of a call together play it through)."""
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", path,
                    "synth", str(CALL_SECONDS), "sine", "200-3000", "tremolo", "3", "80",
                    "repeat", str(int((offset + seconds) // CALL_SECONDS)), "trim", str(offset), str(seconds)],
                   check=True)


def run_predict(bench_core, n):
    """The core benchmark's prediction for 2n legs of the same sound."""
    with tempfile.TemporaryDirectory(prefix="legrec-predict-") as tmp:
        sound = os.path.join(tmp, "bench-30s.sln")
        make_sound(sound)
        out = subprocess.run([bench_core, "predict", str(2 * n), str(WINDOW), sound],
                             check=True, capture_output=True, text=True).stdout
    res = json.loads(out.strip().splitlines()[-1])
    return {"cpu": None, "encoder_cpu": res["encoder_cpu"], "channel_cpu": None, "steal": None, "threads": None,
            "rss_kib": None, "rss_idle_kib": None, "rss_calls_kib": None, "bytes": None,
            "bytes_per_call_second": None, "dropped_samples": res["dropped_frames"] * 160, "drops": None,
            "latency_s": None, "files": 0, "active": f"{res['legs']} legs in the core"}


def measure(pid, seconds, perf_out=None):
    """`seconds` of the running Asterisk: CPU (cores) of the whole process,
    of legrec's encoder threads and of the other threads, threads, RSS."""
    c0, _, _ = proc(pid)
    e0, h0, s0 = recorder_threads_cpu(pid), channel_threads_cpu(pid), steal_seconds()
    t0 = time.monotonic()
    if perf_out:
        # Where the time goes (a profiling run; its CPU figures carry
        # perf's own cost): software clock samples with call graphs.
        subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "499", "-g", "-p", str(pid),
                        "-o", perf_out, "--", "sleep", str(seconds)], check=True, capture_output=True)
    else:
        time.sleep(seconds)
    c1, threads, rss = proc(pid)
    e1, h1, s1 = recorder_threads_cpu(pid), channel_threads_cpu(pid), steal_seconds()
    dt = time.monotonic() - t0
    return {"cpu": (c1 - c0) / dt, "encoder_cpu": (e1 - e0) / dt, "channel_cpu": (h1 - h0) / dt,
            "steal": (s1 - s0) / dt, "threads": threads, "rss": rss}


def channels(tmp):
    out = subprocess.run(["asterisk", "-C", os.path.join(tmp, "etc", "asterisk.conf"), "-rx",
                          "core show channels count"], capture_output=True, text=True).stdout
    return int(out.split()[0]) if out.split() and out.split()[0].isdigit() else 0


def recorded_channels(tmp, mode):
    """The calls' dialplan sides (Local/...;2 in [bench]): the channels
    that are switched, and whose recorders hear the far side."""
    out = subprocess.run(["asterisk", "-C", os.path.join(tmp, "etc", "asterisk.conf"), "-rx",
                          "core show channels concise"], capture_output=True, text=True).stdout
    return [f[0] for f in (line.split("!") for line in out.splitlines())
            if len(f) > 2 and f[0].endswith(";2") and f[1] == "bench"]


def run_point(module, mode, n, port_base):
    tmp = tempfile.mkdtemp(prefix="legrec-bench-")
    sip, ami_port = port_base, port_base + 1
    sandbox("create", tmp, module, str(sip), str(ami_port))
    with open(os.path.join(tmp, "etc", "extensions.conf"), "a") as f:
        f.write(dialplan())
    conf = os.path.join(tmp, "etc", "legrec.conf")
    with open(conf, "a") as f:
        f.write(POLICIES)
    if RING_MS:
        # A trial of another ring size (LEGREC_BENCH_RING_MS): set in the
        # sandbox's [general].
        text = open(conf).read().replace("[general]\n", f"[general]\nring_ms = {RING_MS}\n", 1)
        open(conf, "w").write(text)
    sounds = os.path.join(tmp, "data", "sounds", "en")
    make_sound(os.path.join(sounds, "bench-30s.sln"))
    # The far side talks through the whole call.
    make_sound(os.path.join(sounds, "bench-far.sln"), CALL_LENGTH + 30)
    sandbox("start", tmp)
    pid = int(open(os.path.join(tmp, "run", "asterisk.pid")).read())
    monitor = os.path.join(tmp, "spool", "monitor")
    try:
        _, _, rss_idle = proc(pid)
        ami = Ami(ami_port)

        t0 = time.monotonic()
        for i in range(n):
            ami.send({"Action": "Originate", "Channel": f"Local/{mode}@bench", "Application": "Playback",
                      "Data": "bench-far", "Async": "true", "ActionID": str(i)})
        ami.answered(n, 30)
        # How long the calls took to come up.
        while channels(tmp) < 2 * n and time.monotonic() < t0 + RAMP:
            time.sleep(0.1)
        spread = time.monotonic() - t0
        if channels(tmp) < 2 * n:
            # Calls that never came up (a slow start): measure nothing.
            raise RuntimeError(f"only {channels(tmp)} of {2 * n} channels up")
        time.sleep(PRE)
        calls = recorded_channels(tmp, mode)
        if len(calls) != n:
            raise RuntimeError(f"{len(calls)} of {n} calls in the dialplan")
        switches = []   # (sent, all answered), on the script's clock

        def switch(to):
            # Every call at once, over one AMI session; done when Asterisk
            # answered every Redirect (each call then follows at its next
            # frame).
            t = time.monotonic()
            for ch in calls:
                ami.send({"Action": "Redirect", "Channel": ch, "Context": "bench", "Exten": to, "Priority": "1"})
            failed = ami.answered(len(calls), 30)
            if failed:
                raise RuntimeError(f"{failed} of {len(calls)} Redirects to {to} failed")
            switches.append((t, time.monotonic()))

        windows = []
        for j in range(2 * CYCLES + 1):
            if j:
                switch(f"{mode}-{'on' if j % 2 else 'off'}")
            time.sleep(SETTLE)
            last_on = j == 2 * CYCLES - 1
            perf = os.path.join(PERF_DIR, f"perf-{mode}-{n}.data") if PERF_DIR and last_on else None
            windows.append(measure(pid, WINDOW_S, perf))
        off, on = windows[0::2], windows[1::2]
        switch(f"{mode}-on")
        time.sleep(SETTLE + TAIL)
        switch("end")

        # Seconds each call recorded: from each switch on to the switch
        # after it (off, or the hangup), each switch taken at its middle
        # (the calls follow while Asterisk answers the Redirects, which at
        # N = 300 takes up to seconds).
        middles = [(a + b) / 2 for a, b in switches]
        recorded = sum(middles[k + 1] - middles[k] for k in range(0, len(middles), 2))

        def switched(key):
            # Each "on" window less the mean of the "off" windows either
            # side of it, averaged over the cycles.
            return statistics.mean(on[k][key] - (off[k][key] + off[k + 1][key]) / 2 for k in range(CYCLES))

        # Threads from the last cycle, whose "off" window holds no thread
        # left from setting the calls up; RSS from the first, since memory
        # the first recordings took stays in malloc's arenas after they
        # stop, for the next ones to reuse.
        last = on[-1]
        active = f"{channels(tmp)} channels up at the end of the windows"
        # Wait for the calls to end, then for the last file to be complete.
        deadline = time.monotonic() + CALL_LENGTH + 40
        while time.monotonic() < deadline and channels(tmp) > 0:
            time.sleep(0.05)
        hung_up = time.monotonic()
        latency = 0.0
        recordings = n * (CYCLES + 1)
        if mode.startswith("legrec"):
            while time.monotonic() < hung_up + 10:
                sidecars = [f for f in files_under(os.path.join(tmp, "recordings"))
                            if f.endswith(".json") and not f.endswith(".inprogress.json")]
                if len(sidecars) >= recordings:
                    break
                time.sleep(0.02)
            latency = time.monotonic() - hung_up
            dropped, by_leg, hit = 0, {}, 0
            for sc in sidecars:
                legs = json.load(open(sc))["legs"]
                for leg in legs:
                    dropped += leg["dropped_samples"]
                    by_leg[leg["name"]] = by_leg.get(leg["name"], 0) + leg["dropped_samples"]
                hit += any(leg["dropped_samples"] for leg in legs)
            # Where drops fall (which direction, how many calls) says what
            # held the leg up; see BENCHMARKS.md.
            drops = {"by_leg": by_leg, "recordings": hit}
            out_files = [f for f in files_under(os.path.join(tmp, "recordings")) if f.endswith(".flac")]
        else:
            dropped, drops = None, None
            out_files = [f for f in files_under(monitor) if f.endswith(".wav")]
            if mode == "mixmonitor-rt":
                # The per-leg files only: legrec's split legs are compared
                # with these (the mixed file is counted in its own mode).
                out_files = [f for f in out_files if f.endswith("-in.wav") or f.endswith("-out.wav")]
            # MixMonitor writes the WAV header when its thread closes the file.
            time.sleep(0.5)
            latency = None
        ami.close()
        # What the console said, in every mode: legrec's warnings (an
        # encoder thread behind, and why) and Asterisk's "Exceptionally long
        # voice queue", which says a channel's thread did not read its
        # frames for about 2 s (96 frames queued; Asterisk drops some).
        with open(os.path.join(tmp, "log", "messages"), errors="replace") as f:
            # legrec's lines name its Rust source ("src/recorder/worker.rs:"
            # on 16, "... legrec: " on 22, which also prints the function).
            said = [line.strip() for line in f
                    if ((".rs:" in line or " legrec: " in line) and ("WARNING" in line or "ERROR" in line))
                    or "Exceptionally long" in line]
        long_queues = sum("Exceptionally long" in line for line in said)
        size = sum(os.path.getsize(f) for f in out_files)
        return {"cpu": statistics.mean(w["cpu"] for w in on),
                "encoder_cpu": statistics.mean(w["encoder_cpu"] for w in on),
                "channel_cpu": statistics.mean(w["channel_cpu"] for w in on),
                "steal": statistics.mean(w["steal"] for w in on), "threads": last["threads"],
                "rss_kib": last["rss"], "rss_idle_kib": rss_idle, "rss_calls_kib": last["rss"] - rss_idle,
                "cpu_ab": switched("cpu"), "channel_ab": switched("channel_cpu"),
                "threads_ab": last["threads"] - off[-2]["threads"], "rss_ab_kib": on[0]["rss"] - off[0]["rss"],
                "windows": windows, "spread_s": spread, "switch_s": [b - a for a, b in switches],
                "recorded_s": recorded, "bytes": size,
                "bytes_per_call_second": size / (n * recorded) if n else 0,
                "dropped_samples": dropped, "drops": drops, "long_queues": long_queues, "console": said[:20], "latency_s": latency, "files": len(out_files),
                "active": active}
    finally:
        sandbox("stop", tmp)
        subprocess.run(["rm", "-rf", tmp])


def report(results, counts, modes, repeats, header):
    """Tables of medians, the ratios and the targets, as Markdown."""

    def med(n, mode, key):
        vals = [r[key] for r in results[(n, mode)] if r[key] is not None]
        return statistics.median(vals) if vals else None

    AB = {"cpu": "cpu_ab", "channel_cpu": "channel_ab", "threads": "threads_ab", "rss_calls_kib": "rss_ab_kib"}

    def added(n, mode, key):
        # On less off in the same Asterisk (see run_point), median over
        # repeats.  The `none` row is the same figure with nothing switched:
        # the noise that is left, not subtracted (that would add its noise
        # to every other row).
        return statistics.median(r[AB[key]] for r in results[(n, mode)])

    lines = ["| N | mode | CPU (cores) | added CPU | legrec's threads' CPU | threads | added threads | RSS MiB "
             "| added RSS per call KiB | bytes per call-second | dropped samples | last file complete after hangup |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    ratios, checks = [], {"cpu": [], "cpu_repeats": [], "predicted": [], "bytes": [], "rss": [], "threads": [],
                          "latency": []}
    for n in counts:
        for mode in [m for m in modes if m != "core-predict"]:
            bps, dropped, lat = (med(n, mode, k) for k in ("bytes_per_call_second", "dropped_samples", "latency_s"))
            enc = med(n, mode, "encoder_cpu") if mode.startswith("legrec") else None
            lines.append(
                f"| {n} | {mode} | {med(n, mode, 'cpu'):.3f} | {added(n, mode, 'cpu'):+.3f} | "
                f"{'-' if enc is None else f'{enc:.3f}'} | {med(n, mode, 'threads'):.0f} | "
                f"{added(n, mode, 'threads'):+.0f} | {med(n, mode, 'rss_kib') / 1024:.1f} | "
                f"{added(n, mode, 'rss_calls_kib') / n:+.1f} | {bps:.0f} | "
                f"{'-' if dropped is None else f'{dropped:.0f}'} | {'-' if lat is None else f'{lat:.2f} s'} |")
            if mode.startswith("legrec"):
                checks["rss"].append(added(n, mode, "rss_calls_kib") / n)
                checks["threads"].append(added(n, mode, "threads"))
                checks["latency"].append(max(r["latency_s"] for r in results[(n, mode)]))
        mix_cpu, leg_cpu = added(n, "mixmonitor-rt", "cpu"), added(n, "legrec-split", "cpu")
        enc = med(n, "legrec-split", "encoder_cpu")
        predicted = med(n, "core-predict", "encoder_cpu")
        per_repeat = [a["cpu_ab"] / m["cpu_ab"] for a, m in
                      zip(results[(n, "legrec-split")], results[(n, "mixmonitor-rt")])]
        chan_added = added(n, "legrec-split", "channel_cpu")
        bytes_ratio = med(n, "legrec-split", "bytes_per_call_second") / med(n, "mixmonitor-rt", "bytes_per_call_second")
        cpu_ratio = statistics.median(per_repeat)
        checks["cpu"].append(cpu_ratio)
        checks["cpu_repeats"] += per_repeat
        checks["bytes"].append(bytes_ratio)
        checks["predicted"].append(enc / predicted if predicted > 0 else float("nan"))
        ratios.append(f"| {n} | {cpu_ratio:.2f} | {', '.join(f'{r:.2f}' for r in per_repeat)} | "
                      f"{enc / mix_cpu if mix_cpu > 0 else float('nan'):.2f} | {enc:.3f} | {predicted:.3f} | "
                      f"{enc / predicted if predicted > 0 else float('nan'):.2f} | {chan_added:+.3f} | "
                      f"{chan_added / (n * 2 * 50) * 1e6:+.2f} | {bytes_ratio:.2f} |")
    top = max(counts)
    dropped_top = max(r["dropped_samples"] for m in modes if m.startswith("legrec") for r in results[(top, m)])

    def verdict(ok, text):
        return f"| {text[0]} | {'**met**' if ok else '**missed**'}: {text[1]} |"

    fmt = lambda xs: ", ".join(f"{x:.2f}" for x in xs)
    targets = [
        verdict(all(r <= 0.3 for r in checks["cpu"]),
                ("added CPU: median over repeats ≤ 0.3× MixMonitor per-leg's at every N",
                 f"{fmt(checks['cpu'])} at N = {', '.join(map(str, counts))}")),
        verdict(all(r <= 0.5 for r in checks["cpu_repeats"]),
                ("added CPU: every repeat ≤ 0.5× MixMonitor per-leg's", f"highest {max(checks['cpu_repeats']):.2f}")),
        verdict(all(r <= 1.5 for r in checks["predicted"]),
                ("legrec's threads ≤ 1.5× what the core benchmark predicts for as many legs",
                 f"{fmt(checks['predicted'])} at N = {', '.join(map(str, counts))}")),
        verdict(all(r <= 0.55 for r in checks["bytes"]),
                ("bytes ≤ 0.55× MixMonitor per-leg WAV", f"{fmt(checks['bytes'])}")),
        verdict(dropped_top == 0, (f"zero dropped frames at N = {top}", f"{dropped_top} samples dropped")),
        verdict(all(t <= 2 for t in checks["threads"]),
                ("threads added ≤ the worker count (2)", f"{max(checks['threads']):+.0f} (MixMonitor +1 per call)")),
        verdict(all(r <= 64 for r in checks["rss"]),
                ("RSS added per recording ≤ 64 KiB", f"{min(checks['rss']):.1f}-{max(checks['rss']):.1f} KiB "
                 "(split and stereo, every N)")),
        verdict(all(t <= 1 for t in checks["latency"]),
                ("a complete, verified file within 1 s of hangup",
                 f"the last of N recordings was final at most {max(checks['latency']):.2f} s after the last hangup")),
    ]
    return "\n".join([
        header, "",
        f"Medians of {repeats} repeats. In each run the script switches every call's recorder on and off "
        f"together {CYCLES} times (off, on, ..., off, then on to the end; an AMI Redirect of every call to an "
        f"extension that starts or stops it and goes back to the sound) and measures {WINDOW_S} s windows from "
        f"{SETTLE:.0f} s after Asterisk answered the last Redirect; the CPU, threads and RSS columns are the \"on\" windows'. \"Added\" is each "
        "\"on\" window less the mean of the \"off\" windows either side of it in the same Asterisk, averaged over "
        "the cycles, median over repeats (threads: the last cycle; RSS: the first); the `none` row is the same with "
        "nothing recorded: the noise left.", "",
        *lines, "",
        "| N | legrec added CPU ÷ MixMonitor per-leg added CPU (median of repeats) | per repeat | legrec's own "
        "threads ÷ MixMonitor per-leg added CPU | legrec's threads (cores) | the core predicts | ratio | "
        "added CPU on the other threads (channels) | per frame (µs) | legrec bytes ÷ MixMonitor per-leg bytes |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |", *ratios, "",
        "| target | result |", "| --- | --- |", *targets])


def write_benchmarks_md(text, label):
    """Between this Asterisk's markers: one table per Asterisk series."""
    BEGIN = f"<!-- bench/asterisk.sh writes from here: Asterisk {label} -->"
    END = f"<!-- bench/asterisk.sh writes up to here: Asterisk {label} -->"
    path = os.path.join(REPO, "BENCHMARKS.md")
    doc = open(path).read()
    if BEGIN not in doc or END not in doc:
        sys.exit(f"BENCHMARKS.md has no {BEGIN} ... {END} markers")
    head, rest = doc.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    open(path, "w").write(f"{head}{BEGIN}\n{text}\n{END}{tail}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("module")
    ap.add_argument("--calls", default="100,300")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", default=None)
    ap.add_argument("--modes", default=",".join(m for m in MODES if m != "mixmonitor"),
                    help="a subset, for trying a change quickly (mixmonitor, the mixed file only, is for reference)")
    ap.add_argument("--header", default="", help="the machine and versions, for BENCHMARKS.md")
    ap.add_argument("--write", action="store_true", help="put the tables into BENCHMARKS.md")
    ap.add_argument("--bench-core", required=True, help="the core benchmark binary (bench_core), for the prediction")
    ap.add_argument("--label", default="16", help="the Asterisk series, naming its place in BENCHMARKS.md")
    args = ap.parse_args()
    modes = args.modes.split(",")
    counts = [int(x) for x in args.calls.split(",")]
    results = {}
    port = 17000
    for n in counts:
        for r in range(args.repeats):
            # A different mode first in each repeat, so no mode always runs
            # right after a quiet pause or right after the heaviest one.
            for mode in modes[r % len(modes):] + modes[:r % len(modes)]:
                for attempt in range(3):
                    port += 2
                    try:
                        if mode == "core-predict":
                            res = run_predict(args.bench_core, n)
                        else:
                            res = run_point(args.module, mode, n, port)
                        break
                    except RuntimeError as e:
                        print(f"N={n} {mode}: {e}; again", file=sys.stderr, flush=True)
                else:
                    sys.exit(f"N={n} {mode}: calls did not come up three times")
                results.setdefault((n, mode), []).append(res)
                print(f"N={n} repeat={r + 1} {mode:14} cpu={res['cpu']} encoders={res['encoder_cpu']:.3f} "
                      f"channels={res['channel_cpu']} B-A: cpu={res.get('cpu_ab')} channels={res.get('channel_ab')} "
                      f"threads={res['threads']} rss={res['rss_kib']} KiB (idle {res['rss_idle_kib']}) "
                      f"bytes/call-s={res['bytes_per_call_second']} dropped={res['dropped_samples']} {res['drops'] or ''} "
                      f"latency={res['latency_s']} long_queues={res.get('long_queues')} ({res['active'].splitlines()[0]})", file=sys.stderr, flush=True)
    if args.json:
        json.dump({f"{n}:{m}": v for (n, m), v in results.items()}, open(args.json, "w"), indent=1)
    # MixMonitor's mixed-only mode is for the table, not the targets.
    if set(MODES) - {"mixmonitor"} <= set(modes):
        text = report(results, counts, modes, args.repeats, args.header)
        print(text)
        if args.write:
            write_benchmarks_md(text, args.label)


if __name__ == "__main__":
    main()
