//! Our FLAC encoder against libFLAC (the reference `flac` tool) on the same
//! raw audio, level by level: size relative to the raw 16-bit audio and
//! speed in multiples of real time, one core each.  Every file we write is
//! checked with `flac -t`.  Run by bench/flac-sizes.sh.
//!
//!   flac_sizes LEVELS FILE.raw...      (8 kHz mono signed 16-bit LE)

use std::process::Command;
use std::time::Instant;

use legrec::flac::encoder::{FlacSpec, FlacWriter};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let levels: Vec<u32> = args[0].split(',').map(|l| l.parse().unwrap()).collect();
    let tmp = tempfile::tempdir().unwrap();
    let (ours, theirs) = (
        tmp.path().join("ours.flac"),
        tmp.path().join("libflac.flac"),
    );
    println!(
        "| sound | level | legrec size / raw | legrec speed | libFLAC size / raw | libFLAC speed |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for file in &args[1..] {
        let raw = std::fs::read(file).unwrap();
        let samples: Vec<i16> = raw
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        let seconds = samples.len() as f64 / 8000.0;
        let name = std::path::Path::new(file)
            .file_stem()
            .unwrap()
            .to_string_lossy();
        for &level in &levels {
            let reps = 5;
            let t = Instant::now();
            for _ in 0..reps {
                let f = std::fs::File::create(&ours).unwrap();
                let spec = FlacSpec {
                    channels: 1,
                    sample_rate: 8000,
                    compression_level: level,
                    blocksize: 0,
                    tags: vec![],
                };
                let mut w = FlacWriter::new(f, &spec).unwrap();
                for frame in samples.chunks(160) {
                    w.write(frame).unwrap();
                }
                w.finish().unwrap();
            }
            let speed = seconds * reps as f64 / t.elapsed().as_secs_f64();
            let ok = Command::new("flac")
                .args(["-t", "-s"])
                .arg(&ours)
                .status()
                .unwrap()
                .success();
            assert!(ok, "flac -t refused our file for {name} at level {level}");
            let t = Instant::now();
            for _ in 0..reps {
                let ok = Command::new("flac")
                    .args(["-f", "-s", &format!("-{level}"), "-b", "1152"])
                    .args(["--force-raw-format", "--endian=little", "--sign=signed"])
                    .args(["--channels=1", "--bps=16", "--sample-rate=8000", "-o"])
                    .arg(&theirs)
                    .arg(file)
                    .status()
                    .unwrap()
                    .success();
                assert!(ok);
            }
            let their_speed = seconds * reps as f64 / t.elapsed().as_secs_f64();
            let size =
                |p: &std::path::Path| std::fs::metadata(p).unwrap().len() as f64 / raw.len() as f64;
            println!(
                "| {name} | {level} | {:.3} | {speed:.0}x | {:.3} | {their_speed:.0}x |",
                size(&ours),
                size(&theirs)
            );
        }
    }
}
