// Whether the FreeSWITCH tests are compiled in (cfg has_freeswitch), as
// scripts/find-freeswitch finds a FreeSWITCH, and what makes cargo ask
// again.  Included by build.rs, and by the scratch crate of
// tests/build_freeswitch.rs.
//
// Cargo reruns a build script when a `rerun-if-changed` path is newer than
// its last run.  The freeswitch.pc files find-freeswitch looks for cannot
// be named while they are missing: cargo reruns a script on every build
// when such a path does not exist.  A directory is scanned recursively
// (every entry's mtime), so watching /opt or /usr/local whole could be
// slow.  Instead, for each freeswitch.pc looked for, the nearest folder on
// its path that exists is watched: installing creates the first missing
// folder inside it, which changes its mtime, and the recursive scan only
// covers that folder (the prefix's parent, or a pkg-config folder of .pc
// files).  Once the file exists it is watched itself.  A folder holding
// this crate or its target dir is not watched (our own builds would change
// it every time), nor one of more than WATCH_LIMIT entries: for those,
// FREESWITCH_PREFIX (an environment variable cargo watches) names the
// install.

const WATCH_LIMIT: usize = 20_000;

fn detect_freeswitch(script: &std::path::Path) {
    use std::path::{Path, PathBuf};

    println!("cargo::rustc-check-cfg=cfg(has_freeswitch)");
    for var in [
        "FREESWITCH_PREFIX",
        "LEGREC_FREESWITCH_SEARCH",
        "PKG_CONFIG_PATH",
        "PKG_CONFIG_LIBDIR",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed={}", script.display());
    let run = |args: &[&str]| {
        std::process::Command::new(script)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
    };
    if run(&[]).is_some_and(|prefix| !prefix.trim().is_empty()) {
        println!("cargo:rustc-cfg=has_freeswitch");
    }

    let ours: Vec<PathBuf> = ["CARGO_MANIFEST_DIR", "OUT_DIR"]
        .iter()
        .filter_map(std::env::var_os)
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    // Entries under `dir`, counting no further than `limit`.
    fn entries(dir: &Path, limit: usize) -> usize {
        let mut n = 0;
        let mut todo = vec![dir.to_path_buf()];
        while let Some(d) = todo.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                n += 1;
                if n > limit {
                    return n;
                }
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    todo.push(e.path());
                }
            }
        }
        n
    }
    for pc in run(&["--candidates"]).unwrap_or_default().lines() {
        let pc = Path::new(pc);
        if pc.exists() {
            println!("cargo:rerun-if-changed={}", pc.display());
            continue;
        }
        let Some(folder) = pc.ancestors().skip(1).find(|a| a.is_dir()) else {
            continue;
        };
        let real = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf());
        if ours.iter().any(|o| o.starts_with(&real)) {
            println!(
                "cargo:warning={} holds this build: not watched for a FreeSWITCH install; set FREESWITCH_PREFIX after installing one",
                folder.display()
            );
        } else if entries(folder, WATCH_LIMIT) > WATCH_LIMIT {
            println!(
                "cargo:warning={} has over {WATCH_LIMIT} entries: not watched for a FreeSWITCH install; set FREESWITCH_PREFIX after installing one",
                folder.display()
            );
        } else {
            println!("cargo:rerun-if-changed={}", folder.display());
        }
    }
}
