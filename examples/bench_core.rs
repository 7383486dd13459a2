//! The core's own benchmark (not a test): run by bench/core.sh, written up in
//! BENCHMARKS.md.
//!
//! 1. encode throughput of the whole pipeline (push, ring, worker, FLAC
//!    encoder, hashes, sidecar) against the bare encoder and against the
//!    reference `flac` tool (libFLAC) on the same audio, one core each;
//! 2. push cost p50/p99 and allocations on the pushing thread;
//! 3. memory per live leg;
//! 4. concurrent legs pushed in real time that two workers keep up with,
//!    with zero drops.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use legrec::flac::encoder::{FlacSpec, FlacWriter};
use legrec::policy::config::{RawConfig, Settings};
use legrec::recorder::intake::recording::{CallInfo, Recording};
use legrec::recorder::Core;

/// Counts allocations made by threads that asked to be watched.
struct Counting;
static ALLOCS: AtomicU64 = AtomicU64::new(0);
thread_local!(static WATCHED: Cell<bool> = const { Cell::new(false) });

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if WATCHED.with(|w| w.get()) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        if WATCHED.with(|w| w.get()) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

const FRAME: usize = 160;
const REPEAT: usize = 10;

/// Speech-like 8 kHz audio: modulated harmonics plus noise, deterministic.
fn speech(seconds: usize, seed: u64) -> Vec<i16> {
    let mut x = seed | 1;
    (0..seconds * 8000)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let t = i as f64 / 8000.0;
            let env = (0.5 + 0.5 * (2.0 * std::f64::consts::PI * 3.0 * t).sin()).powi(2);
            let f0 = 120.0 + 30.0 * (t * 0.7).sin();
            let v: f64 = (1..6)
                .map(|h| (2.0 * std::f64::consts::PI * f0 * h as f64 * t).sin() / h as f64)
                .sum();
            let noise = ((x % 2000) as f64 - 1000.0) * 0.3;
            (env * v * 6000.0 + noise) as i16
        })
        .collect()
}

/// A 1 s ring (`ring_ms`; the default was 1 s until 2026-12-01 and is 3 s
/// now), used wherever the benchmark does not need a bigger one: kept so
/// that BENCHMARKS.md's figures stay comparable, and a ring's unused part
/// costs address space only, which the figures do not count.
const RING_MS: u32 = 1000;

fn core(spool: &std::path::Path, workers: usize, ring_ms: u32, level: u32) -> Core {
    let mut raw = RawConfig::default();
    raw.set("general", "spool_dir", spool.to_str().unwrap(), 0);
    raw.set("general", "workers", &workers.to_string(), 0);
    raw.set("general", "ring_ms", &ring_ms.to_string(), 0);
    raw.set("general", "align_slack_ms", "10000", 0);
    raw.set("general", "compression_level", &level.to_string(), 0);
    raw.set("bench", "legs", "split", 0);
    Core::new(Settings::from_raw(&raw).unwrap(), None).unwrap()
}

fn call(i: usize) -> CallInfo {
    CallInfo {
        pbx: "bench".into(),
        channel: format!("Bench/{i}"),
        ..Default::default()
    }
}

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap();
    s.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 4
}

fn raise_fd_limit() {
    unsafe {
        let mut l = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut l);
        l.rlim_cur = l.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &l);
    }
}

/// libFLAC through the reference `flac` tool: the same audio, level and
/// block size, one process (one core), from a raw file on the same disk.
fn libflac(tmp: &std::path::Path, audio: &[i16], level: u32, legs: usize) -> f64 {
    let raw = tmp.join("audio.raw");
    let bytes: Vec<u8> = audio.iter().flat_map(|s| s.to_le_bytes()).collect();
    std::fs::write(&raw, bytes.repeat(REPEAT)).unwrap();
    let t = Instant::now();
    for _ in 0..legs {
        let ok = std::process::Command::new("flac")
            .args([
                "-f",
                "-s",
                &format!("-{level}"),
                "-b",
                "1152",
                "--force-raw-format",
            ])
            .args([
                "--endian=little",
                "--sign=signed",
                "--channels=1",
                "--bps=16",
            ])
            .args(["--sample-rate=8000", "-o"])
            .arg(tmp.join("libflac.flac"))
            .arg(&raw)
            .status()
            .unwrap()
            .success();
        assert!(ok, "flac failed");
    }
    (REPEAT * legs * audio.len()) as f64 / 8000.0 / t.elapsed().as_secs_f64()
}

fn throughput(tmp: &std::path::Path, audio: &[i16], level: u32) -> (f64, f64, f64) {
    let legs = 40;
    let reference = libflac(tmp, audio, level, legs);
    // The bare encoder: one stream, one thread, 160-sample writes.
    let t = Instant::now();
    for i in 0..legs {
        let f = std::fs::File::create(tmp.join(format!("raw{i}.flac"))).unwrap();
        let mut w = FlacWriter::new(
            f,
            &FlacSpec {
                channels: 1,
                sample_rate: 8000,
                compression_level: level,
                blocksize: legrec::flac::encoder::speech_blocksize(8000),
                tags: vec![],
            },
        )
        .unwrap();
        for _ in 0..REPEAT {
            for c in audio.chunks(FRAME) {
                w.write(c).unwrap();
            }
        }
        w.finish().unwrap();
    }
    let raw = (REPEAT * legs * audio.len()) as f64 / 8000.0 / t.elapsed().as_secs_f64();

    // The pipeline: 20 recordings x 2 legs through one worker thread.
    let core = core(&tmp.join("pipe"), 1, 30_000, level);
    let t = Instant::now();
    let recs: Vec<Arc<Recording>> = (0..legs / 2)
        .map(|i| core.start("bench", call(i)).unwrap())
        .collect();
    // Each leg gets the audio REPEAT times; when its ring is full the pusher
    // waits for the worker (this measures the worker, not the ring).
    for _ in 0..REPEAT {
        for c in audio.chunks(FRAME) {
            for r in &recs {
                for leg in 0..2 {
                    while r.push(leg, c, 8000).is_err() {
                        std::thread::sleep(Duration::from_micros(200));
                    }
                }
            }
        }
    }
    for r in &recs {
        r.stop();
    }
    for r in &recs {
        r.wait_outcome(Duration::from_secs(120)).unwrap();
    }
    let pipe = (REPEAT * legs * audio.len()) as f64 / 8000.0 / t.elapsed().as_secs_f64();
    (reference, raw, pipe)
}

struct PushCost {
    p50: f64,
    p99: f64,
    p999: f64,
    allocs: u64,
    /// RSS per leg while the workers keep up.
    normal_kib: f64,
    /// RSS per leg once every ring has been full (a stall).
    stalled_kib: f64,
    dropped: u64,
}

fn push_cost(tmp: &std::path::Path, audio: &[i16]) -> PushCost {
    let core = core(&tmp.join("push"), 2, RING_MS, 5);
    let n_recs = 1000;
    // The latency log (8 MB) is touched before the memory baseline, so it
    // is not counted as the legs' memory.
    let mut lat: Vec<u64> = vec![0; 1_000_000];
    lat.clear();
    let before = rss_kib();
    let recs: Vec<Arc<Recording>> = (0..n_recs)
        .map(|i| core.start("bench", call(i)).unwrap())
        .collect();
    // Normal running first: a frame per leg every 20 ms for a second, as a
    // PBX pushes them, so the workers keep the rings nearly empty.
    for f in 0..50 {
        let c = &audio[f * FRAME..][..FRAME];
        for r in &recs {
            for leg in 0..2 {
                let _ = r.push(leg, c, 8000);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let normal_kib = (rss_kib() - before) as f64 / (2 * n_recs) as f64;
    ALLOCS.store(0, Ordering::Relaxed);
    // Rounds of a ring's worth of frames into each of the 2000 legs, then
    // a pause while the workers drain: 1,000,000 pushes in all.
    let frames = RING_MS as usize / 20;
    for round in 0..1_000_000 / (frames * 2 * n_recs) {
        WATCHED.with(|w| w.set(true));
        for f in 0..frames {
            let c = &audio[(round * frames + f) * FRAME % (audio.len() - FRAME)..][..FRAME];
            for r in &recs {
                for leg in 0..2 {
                    let t = Instant::now();
                    let _ = r.push(leg, c, 8000);
                    lat.push(t.elapsed().as_nanos() as u64);
                }
            }
        }
        WATCHED.with(|w| w.set(false));
        std::thread::sleep(Duration::from_millis(u64::from(RING_MS) + 200));
    }
    let allocs = ALLOCS.load(Ordering::Relaxed);
    let stalled_kib = (rss_kib() - before) as f64 / (2 * n_recs) as f64;
    let dropped = dropped_frames(&recs);
    lat.sort_unstable();
    let p = |q: f64| lat[((lat.len() - 1) as f64 * q) as usize] as f64;
    for r in &recs {
        r.stop();
    }
    drop(core);
    PushCost {
        p50: p(0.5),
        p99: p(0.99),
        p999: p(0.999),
        allocs,
        normal_kib,
        stalled_kib,
        dropped,
    }
}

/// Real-time run: `legs` legs get a 20 ms frame every 20 ms for `secs`.
fn realtime(tmp: &std::path::Path, audio: &[i16], legs: usize, secs: usize) -> (u64, f64) {
    let core = core(&tmp.join(format!("rt{legs}")), 2, RING_MS, 5);
    let recs: Vec<Arc<Recording>> = (0..legs / 2)
        .map(|i| core.start("bench", call(i)).unwrap())
        .collect();
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    for f in 0..secs * 50 {
        let c = &audio[(f * FRAME) % (audio.len() - FRAME)..][..FRAME];
        for r in &recs {
            let _ = r.push(0, c, 8000);
            let _ = r.push(1, c, 8000);
        }
        let next = start + Duration::from_millis(20 * (f as u64 + 1));
        if let Some(d) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(d);
        }
    }
    let cpu = (cpu_seconds() - cpu0) / start.elapsed().as_secs_f64();
    let dropped = dropped_frames(&recs);
    for r in &recs {
        r.stop();
    }
    drop(core);
    (dropped, cpu)
}

/// `bench_core predict LEGS SECS FILE.sln`: what the core predicts legrec's
/// encoder threads cost for LEGS legs of that sound in real time, for the
/// Asterisk benchmark to put beside what they cost inside Asterisk.  Each
/// pair of legs starts at its own offset into the sound, as calls that
/// started at different moments do.  Prints one JSON line.
fn predict(tmp: &std::path::Path, legs: usize, secs: usize, sound: &std::path::Path) {
    let bytes = std::fs::read(sound).unwrap();
    let audio: Vec<i16> = bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    let core = core(&tmp.join("predict"), 2, RING_MS, 5);
    let recs: Vec<Arc<Recording>> = (0..legs / 2)
        .map(|i| core.start("bench", call(i)).unwrap())
        .collect();
    let frames = audio.len() / FRAME;
    // Let the workers settle into their poll first, as the Asterisk
    // benchmark measures after its calls came up.
    let warm = 50 * 2;
    let (mut e0, mut t0) = (0.0, Instant::now());
    let start = Instant::now();
    for f in 0..(secs * 50 + warm) {
        if f == warm {
            (e0, t0) = (encoder_cpu_seconds(), Instant::now());
        }
        for (i, r) in recs.iter().enumerate() {
            let c = &audio[((f + i * 37) % frames) * FRAME..][..FRAME];
            let _ = r.push(0, c, 8000);
            let _ = r.push(1, c, 8000);
        }
        let next = start + Duration::from_millis(20 * (f as u64 + 1));
        if let Some(d) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(d);
        }
    }
    let cpu = (encoder_cpu_seconds() - e0) / t0.elapsed().as_secs_f64();
    let dropped = dropped_frames(&recs);
    for r in &recs {
        r.stop();
    }
    drop(core);
    println!("{{\"legs\": {legs}, \"encoder_cpu\": {cpu:.4}, \"dropped_frames\": {dropped}}}");
}

/// CPU seconds of this process's legrec encoder threads (`legrec-enc*`).
fn encoder_cpu_seconds() -> f64 {
    let mut total = 0.0;
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if !comm.starts_with("legrec-enc") {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        let f: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap()
            .split_whitespace()
            .collect();
        total += (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) / 100.0;
    }
    total
}

fn dropped_frames(recs: &[Arc<Recording>]) -> u64 {
    recs.iter()
        .flat_map(|r| r.legs.iter())
        .map(|l| l.dropped_frames.load(Ordering::Relaxed))
        .sum()
}

fn cpu_seconds() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap();
    let f: Vec<&str> = s.rsplit(')').next().unwrap().split_whitespace().collect();
    (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) / 100.0
}

fn main() {
    raise_fd_limit();
    let tmp = tempfile::tempdir().unwrap();
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("predict") {
        let legs = args[2].parse().expect("LEGS");
        let secs = args[3].parse().expect("SECS");
        predict(tmp.path(), legs, secs, std::path::Path::new(&args[4]));
        return;
    }
    let audio = speech(30, 7);
    println!("# legrec core benchmark");
    // First, in a fresh process: later phases free memory that new legs
    // would reuse, hiding what a leg costs.
    let PushCost {
        p50,
        p99,
        p999,
        allocs,
        normal_kib,
        stalled_kib,
        dropped,
    } = push_cost(tmp.path(), &audio);
    println!("push: p50 {p50:.0} ns, p99 {p99:.0} ns, p99.9 {p999:.0} ns, allocations on the pushing thread {allocs} (1,000,000 pushes, each round a full ring's worth; {dropped} dropped)");
    println!(
        "memory: {normal_kib:.1} KiB RSS per live leg while the workers keep up, {stalled_kib:.1} KiB once every ring was full ({RING_MS} ms ring at 8 kHz, encoder, file)"
    );
    for level in [2, 5] {
        // Alternate the three, three times, and take medians: the ratios
        // hold on a noisy machine.
        let mut runs: Vec<(f64, f64, f64)> = (0..3)
            .map(|_| throughput(tmp.path(), &audio, level))
            .collect();
        let median = |runs: &mut Vec<(f64, f64, f64)>, key: fn(&(f64, f64, f64)) -> f64| {
            runs.sort_by(|a, b| key(a).total_cmp(&key(b)));
            key(&runs[1])
        };
        let reference = median(&mut runs, |r| r.0);
        let raw = median(&mut runs, |r| r.1);
        let pipe = median(&mut runs, |r| r.2);
        let size = |p: &str| std::fs::metadata(tmp.path().join(p)).unwrap().len();
        println!("throughput level {level}: libFLAC (flac tool) {reference:.0}x real time per core, bare encoder {raw:.0}x, pipeline {pipe:.0}x per worker; pipeline/encoder {:.2}, pipeline/libFLAC {:.2} (medians of 3); bytes for 300 s: libFLAC {}, ours {}", pipe / raw, pipe / reference, size("libflac.flac"), size("raw0.flac"));
    }
    let secs: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    for legs in [1000, 2000, 4000, 5000, 6000, 8000] {
        let (dropped, cpu) = realtime(tmp.path(), &audio, legs, secs);
        println!("real time: {legs} legs for {secs} s on 2 workers: {dropped} frames dropped, {cpu:.2} cores busy (pushing included)");
        if dropped > 0 {
            break;
        }
    }
}
