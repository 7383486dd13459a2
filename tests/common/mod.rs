//! Helpers shared by the integration tests: building C against the
//! header, decoding with the real `flac` tool, reading sidecars.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use legrec::sidecar::Sidecar;

pub mod anchored;
pub mod asterisk;
pub mod freeswitch;
pub mod graph;
pub mod keys;
pub mod pbx;
pub mod rtp;
pub mod sipp;
pub mod tsa;
pub mod webhook;

// In scope wherever `common::*` is, for the sandboxes' waits; a test
// binary without a PBX does not use it.
#[allow(unused_imports)]
pub use pbx::Pbx;

/// target/<profile>/ of the test binary.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// target/<profile>/liblegrec.a, brought up to date.  `cargo test` builds
/// the library only as an rlib for the tests, so the static library the C
/// programs link against is built here (once per test binary): a C test
/// must never run against yesterday's core.
pub fn staticlib() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let mut cmd = Command::new(cargo);
            cmd.current_dir(repo()).args(["build", "--lib", "--quiet"]);
            if target_dir().ends_with("release") {
                cmd.arg("--release");
            }
            assert!(
                cmd.status().expect("cargo runs").success(),
                "building liblegrec.a failed"
            );
            let lib = target_dir().join("liblegrec.a");
            assert!(lib.exists(), "{} missing", lib.display());
            lib
        })
        .clone()
}

/// Compile a C program of tests/c against include/legrec.h and the static
/// library of the code under test.
pub fn compile_c(source: &str, out: &Path) {
    let lib = staticlib();
    let status = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-O1", "-I"])
        .arg(repo().join("include"))
        .arg(repo().join("tests/c").join(source))
        .arg(&lib)
        .args(["-lFLAC", "-lpthread", "-ldl", "-lm", "-o"])
        .arg(out)
        .status()
        .expect("cc runs");
    assert!(status.success(), "compiling {source} failed");
}

/// `flac -t`: the reference decoder accepts the file.
pub fn flac_test(file: &Path) {
    let out = Command::new("flac")
        .args(["-t", "-s"])
        .arg(file)
        .output()
        .expect("flac(1) installed");
    assert!(
        out.status.success(),
        "flac -t {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Decode with the reference `flac` tool into interleaved samples.
pub fn flac_decode(file: &Path) -> Vec<i16> {
    let raw = file.with_extension("raw-test");
    let out = Command::new("flac")
        .args([
            "-d",
            "-s",
            "-f",
            "--force-raw-format",
            "--endian=little",
            "--sign=signed",
            "-o",
        ])
        .arg(&raw)
        .arg(file)
        .output()
        .expect("flac(1) installed");
    assert!(
        out.status.success(),
        "flac -d {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&raw).unwrap();
    std::fs::remove_file(&raw).unwrap();
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

pub fn sidecars(root: &Path) -> Vec<PathBuf> {
    legrec::spool::layout::find_files(root, ".json")
        .into_iter()
        .filter(|p| !p.to_string_lossy().ends_with(".inprogress.json"))
        .collect()
}

pub fn read_sidecar(p: &Path) -> Sidecar {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

pub fn leg_path(sidecar: &Path, sc: &Sidecar, name: &str) -> PathBuf {
    let leg = sc
        .legs
        .iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("no leg {name}"));
    sidecar.parent().unwrap().join(&leg.file)
}

/// `legrec COMMAND PATH` with the binary cargo built.
pub fn legrec_cli(command: &str, path: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_legrec"))
        .arg(command)
        .arg(path)
        .output()
        .unwrap()
}

/// `legrec repair PATH`, which must succeed.
pub fn legrec_repair(path: &Path) {
    let out = legrec_cli("repair", path);
    assert!(
        out.status.success(),
        "repair: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `legrec verify PATH`: whether it passed, and what it printed.
pub fn legrec_verify(path: &Path) -> (bool, String) {
    let out = legrec_cli("verify", path);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Bytes an unprivileged writer may still put on `path`'s file system.
pub fn free_bytes(path: &Path) -> u64 {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::statvfs(c.as_ptr(), &mut st) }, 0);
    st.f_bavail as u64 * st.f_frsize as u64
}

/// A process's resident memory in KiB ("self" or a pid).
pub fn rss_kib(pid: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// How many files a process has open ("self" or a pid).
pub fn open_files(pid: &str) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

/// How many FLAC files a folder holds.
pub fn flac_count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "flac"))
        .count()
}

/// Poll `cond` every 100 ms until it holds; on timeout fail with `what` and
/// the tail of the PBX's log.
pub fn wait_until(
    what: &str,
    timeout: std::time::Duration,
    mut cond: impl FnMut() -> bool,
    log: impl Fn() -> String,
) {
    let end = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < end {
        if cond() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!(
        "timed out waiting for {what}\n--- log tail ---\n{}",
        asterisk::tail(&log(), 40)
    );
}

/// A small tmpfs, unmounted when dropped.
pub struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    pub fn mount(path: &std::path::Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(path).unwrap();
        let st = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(path)
            .status()
            .unwrap();
        assert!(
            st.success(),
            "mounting a tmpfs needs root (CI runs as root)"
        );
        Tmpfs(path.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A small ext4 file system on a loop device, for a disk that can be frozen
/// (`fsfreeze`): every write to it, a new file or folder included, then
/// waits in the kernel until it thaws, as on a network mount that hangs.
/// Unmounted when dropped.
pub struct Ext4 {
    mount: PathBuf,
    image: PathBuf,
}

impl Ext4 {
    /// `size_mib` MiB at `path`.
    pub fn mount(path: &Path, size_mib: u32) -> Ext4 {
        Ext4::make(path, size_mib, &[])
    }

    /// The same with only `inodes` files and folders (a handful go to the
    /// file system itself): a disk that runs out of them, and says so
    /// (ENOSPC), while blocks are left. Blocks cannot run out for root: ext4
    /// keeps a reserve for metadata.
    pub fn mount_with_inodes(path: &Path, size_mib: u32, inodes: u32) -> Ext4 {
        Ext4::make(path, size_mib, &["-N", &inodes.to_string()])
    }

    fn make(path: &Path, size_mib: u32, mkfs: &[&str]) -> Ext4 {
        std::fs::create_dir_all(path).unwrap();
        let image = path.with_extension("ext4.img");
        let f = std::fs::File::create(&image).unwrap();
        f.set_len(u64::from(size_mib) << 20).unwrap();
        let run = |cmd: &mut Command| {
            let st = cmd.status().unwrap();
            assert!(
                st.success(),
                "{cmd:?} failed (needs root and loop devices; CI has both)"
            );
        };
        run(Command::new("mkfs.ext4")
            .args(["-q", "-F", "-m", "0"])
            .args(mkfs)
            .arg(&image));
        run(Command::new("mount")
            .args(["-o", "loop"])
            .arg(&image)
            .arg(path));
        Ext4 {
            mount: path.to_path_buf(),
            image,
        }
    }

    /// Freeze it until the guard is dropped.  Declare the guard after
    /// anything whose drop writes there (a Core, a sandbox Asterisk): a
    /// writer waits uninterruptibly, so it must thaw first.
    pub fn freeze(&self) -> Frozen {
        let st = Command::new("fsfreeze")
            .arg("-f")
            .arg(&self.mount)
            .status()
            .unwrap();
        assert!(st.success(), "fsfreeze -f {}", self.mount.display());
        Frozen(self.mount.clone())
    }
}

impl Drop for Ext4 {
    fn drop(&mut self) {
        let _ = Command::new("fsfreeze")
            .arg("-u")
            .arg(&self.mount)
            .stderr(std::process::Stdio::null())
            .status();
        let _ = Command::new("umount").arg("-l").arg(&self.mount).status();
        let _ = std::fs::remove_file(&self.image);
    }
}

/// A frozen `Ext4`; thawed when dropped.
pub struct Frozen(PathBuf);

impl Frozen {
    pub fn thaw(self) {}
}

impl Drop for Frozen {
    fn drop(&mut self) {
        let _ = Command::new("fsfreeze").arg("-u").arg(&self.0).status();
    }
}

/// The samples of an 8 kHz recording from `from_s` to `to_s` seconds,
/// clamped to its length.
pub fn window(x: &[i16], from_s: f64, to_s: f64) -> &[i16] {
    let a = ((from_s * 8000.0) as usize).min(x.len());
    let b = ((to_s * 8000.0) as usize).min(x.len());
    &x[a..b]
}

/// scripts/memcheck-asterisk and -freeswitch: keep the reports valgrind
/// wrote in a sandbox's `log_dir` (valgrind.<pid>) in LEGREC_VALGRIND_LOGS.
pub fn keep_valgrind_logs(log_dir: &Path) {
    let Some(keep) = std::env::var_os("LEGREC_VALGRIND_LOGS") else {
        return;
    };
    let _ = std::fs::create_dir_all(&keep);
    for e in std::fs::read_dir(log_dir).into_iter().flatten().flatten() {
        let name = e.file_name();
        if name.to_string_lossy().starts_with("valgrind.") {
            let _ = std::fs::copy(e.path(), Path::new(&keep).join(name));
        }
    }
}
