//! The Debian package, as an admin uses it: `make deb` for the installed
//! Asterisk, `apt install ./legrec_*.deb`, the module loaded from where the
//! package put it into an Asterisk running as `asterisk`, a call recorded
//! into the packaged spool, the prune timer's command run as it would run,
//! then `apt purge`: no file of the package left, the recordings kept.
//!
//! Everything outside the package's own files (Asterisk's data, config and
//! module folders, and /etc/alternatives: paths, types, symlink targets,
//! hashes) must be as it was after `apt remove` (the conffile aside) and
//! after `apt purge`, and Asterisk must still play its own prompts: on
//! Debian, `sounds/en` is a symlink update-alternatives manages, and a
//! package that ships files under it takes it away when removed.
//!
//! It installs into this machine's (or the sid root's) real system, so it
//! refuses to run where legrec is installed already, and purges what it
//! installed even when it fails.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::asterisk::{Sandbox, Setup};
use common::Pbx;

const SPOOL: &str = "/var/spool/asterisk/legrec";

/// Both tests install into the one system: one at a time, in this process
/// and across processes (another checkout's test run on the same machine).
static SYSTEM: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Held for the test's length: the in-process lock, and the file whose
/// flock is the cross-process one (released when it closes).
#[allow(dead_code)]
struct OneAtATime(std::sync::MutexGuard<'static, ()>, std::fs::File);

fn one_at_a_time() -> OneAtATime {
    use std::os::unix::io::AsRawFd;
    let inside = SYSTEM.lock().unwrap_or_else(|e| e.into_inner());
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open("/run/lock/legrec-package-test.lock")
        .unwrap();
    // Released when the file closes, with the guard.
    assert_eq!(unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) }, 0);
    OneAtATime(inside, file)
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// dpkg's status of `pkg` ("" when dpkg never heard of it).
fn status(pkg: &str) -> String {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

/// Installed, or removed with its conffile left ("rc"): purge finds it.
fn known(pkg: &str) -> bool {
    let s = status(pkg);
    !s.is_empty() && !s.contains("not-installed")
}

fn apt(args: &[&str]) -> String {
    run(Command::new("apt-get")
        .args(["-y", "-q", "-o", "DPkg::Lock::Timeout=300"])
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// Purges the package when the test ends, passed or not, and puts back the
/// English prompts' symlink should the test end while it is missing.
struct Installed;
impl Drop for Installed {
    fn drop(&mut self) {
        let known: Vec<&str> = ["legrec-dbgsym", "legrec"]
            .into_iter()
            .filter(|p| known(p))
            .collect();
        if !known.is_empty() {
            let _ = Command::new("apt-get")
                .args(["-y", "-q", "purge"])
                .args(&known)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .status();
        }
        if std::fs::symlink_metadata(english_prompts()).is_err() {
            let _ = Command::new("update-alternatives")
                .args(["--auto", "asterisk-prompt-en"])
                .status();
        }
    }
}

/// Asterisk's English prompts: on Debian a symlink of the
/// `asterisk-prompt-en` alternative.
fn english_prompts() -> PathBuf {
    common::asterisk::installed_dir("astdatadir").join("sounds/en")
}

/// What a package could disturb outside its own files: every path under
/// Asterisk's data, config and module folders and /etc/alternatives, with
/// its type, its symlink's target, its file's SHA-256.  Symlinks are not
/// followed: the link itself is what an alternative owns.
fn outside_legrec() -> BTreeMap<PathBuf, String> {
    use sha2::{Digest, Sha256};
    // A file gone between listing and reading is left out, not a failure.
    fn walk(p: &Path, out: &mut BTreeMap<PathBuf, String>) {
        let Ok(meta) = std::fs::symlink_metadata(p) else {
            return;
        };
        let what = if meta.file_type().is_symlink() {
            match std::fs::read_link(p) {
                Ok(target) => format!("link -> {}", target.display()),
                Err(_) => return,
            }
        } else if meta.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .collect();
            entries.sort();
            for e in entries {
                walk(&e, out);
            }
            "dir".to_string()
        } else if meta.is_file() {
            match std::fs::read(p) {
                Ok(bytes) => format!("file {:x}", Sha256::digest(&bytes)),
                Err(_) => return,
            }
        } else {
            "special".to_string()
        };
        out.insert(p.to_path_buf(), what);
    }
    let mut out = BTreeMap::new();
    for root in [
        common::asterisk::installed_dir("astdatadir"),
        common::asterisk::installed_dir("astetcdir"),
        common::asterisk::installed_dir("astmoddir"),
    ] {
        walk(&root, &mut out);
    }
    // Asterisk's alternatives; the rest belong to packages that other
    // installs on this machine may change meanwhile.
    let alternatives = std::fs::read_dir("/etc/alternatives")
        .into_iter()
        .flatten()
        .flatten();
    for e in alternatives.filter(|e| e.file_name().to_string_lossy().starts_with("asterisk")) {
        walk(&e.path(), &mut out);
    }
    out
}

/// The paths that differ between two snapshots, as a readable list.
fn changed(before: &BTreeMap<PathBuf, String>, after: &BTreeMap<PathBuf, String>) -> Vec<String> {
    let mut keys: Vec<&PathBuf> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| {
            format!(
                "{}: {} -> {}",
                k.display(),
                before.get(k).map_or("(absent)", String::as_str),
                after.get(k).map_or("(absent)", String::as_str)
            )
        })
        .collect()
}

/// Asterisk, as installed, plays its own `pbx-transfer` (the prompt an
/// attended transfer needs) on a call.
fn asterisk_plays_its_own_prompts() {
    let mut sb = Sandbox::new();
    sb.append(
        "extensions.conf",
        "\n[legrec-pkg-prompts]\nexten => s,1,Answer()\n same => n,Playback(pbx-transfer)\n same => n,Hangup()\n",
    );
    sb.start();
    sb.cli("channel originate Local/s@legrec-pkg-prompts application Wait 3");
    sb.wait_for("pbx-transfer played", Duration::from_secs(20), || {
        let log = sb.log();
        log.contains("Playing 'pbx-transfer") || log.contains("pbx-transfer does not exist")
    });
    let log = sb.log();
    sb.stop();
    assert!(
        !log.contains("does not exist") && log.contains("Playing 'pbx-transfer"),
        "Asterisk no longer finds its own prompts: {}",
        common::asterisk::tail(&log, 20)
    );
}

fn build_deb(out: &Path) -> (PathBuf, PathBuf) {
    let so = out.join("app_legrec.so");
    run(Command::new("make")
        .current_dir(common::repo())
        .args(["-s", "--no-print-directory", "deb"])
        .arg(format!("BUILD={}", out.display()))
        .arg(format!("AST_MODULE_SO={}", so.display())));
    let mut debs: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "deb"))
        .collect();
    debs.sort();
    assert_eq!(debs.len(), 2, "{debs:?}");
    // legrec-dbgsym_... sorts before legrec_...
    (debs[1].clone(), debs[0].clone())
}

fn field(deb: &Path, name: &str) -> String {
    run(Command::new("dpkg-deb").arg("-f").arg(deb).arg(name))
        .trim()
        .to_string()
}

#[test]
fn the_package_installs_records_and_purges_leaving_the_recordings() {
    let _one = one_at_a_time();
    assert!(
        !known("legrec"),
        "legrec is installed on this system already (or removed, its legrec.conf kept): this test installs and purges it, so it does not run here"
    );
    let out = tempfile::tempdir().unwrap();
    let (deb, dbgsym) = build_deb(out.path());

    // Built for this Asterisk's series and ABI, and nothing else.
    let ast = run(Command::new("dpkg-query").args(["-W", "-f=${Version}", "asterisk"]));
    let major: u32 = ast
        .split(':')
        .nth(1)
        .unwrap()
        .split('.')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let depends = field(&deb, "Depends");
    assert!(
        depends.contains(&format!("asterisk (<< 1:{}~)", major + 1)),
        "{depends}"
    );
    assert!(depends.contains("libflac"), "{depends}");
    let abi = run(Command::new("dpkg-query").args(["-W", "-f=${Provides}", "asterisk"]));
    let abi = abi
        .split(',')
        .map(str::trim)
        .find(|p| p.starts_with("asterisk-"))
        .unwrap();
    assert!(depends.contains(abi), "{depends} lacks {abi}");
    assert!(
        deb.file_name()
            .unwrap()
            .to_string_lossy()
            .ends_with(&format!("+ast{major}_amd64.deb")),
        "{}",
        deb.display()
    );

    let spool_existed = Path::new(SPOOL).exists();
    let _guard = Installed;
    let pristine = outside_legrec();
    apt(&["install", deb.to_str().unwrap(), dbgsym.to_str().unwrap()]);
    let files: Vec<PathBuf> = run(Command::new("dpkg").args(["-L", "legrec"]))
        .lines()
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .collect();
    let module = common::asterisk::installed_dir("astmoddir").join("app_legrec.so");
    let datadir = common::asterisk::installed_dir("astdatadir");
    let docs = datadir.join("documentation/thirdparty/legrec-en_US.xml");
    for f in [
        module.clone(),
        docs.clone(),
        datadir.join("sounds/legrec/legrec-notice.wav"),
        datadir.join("sounds/legrec/legrec-notice.wav16"),
        PathBuf::from("/etc/asterisk/legrec.conf"),
        PathBuf::from("/usr/share/doc/legrec/examples/legrec.conf.sample"),
        PathBuf::from("/usr/bin/legrec"),
        PathBuf::from("/usr/share/man/man1/legrec.1.gz"),
        PathBuf::from("/lib/systemd/system/legrec-prune.timer"),
        PathBuf::from("/lib/systemd/system/legrec-prune.service"),
        PathBuf::from("/lib/systemd/system/legrec-anchor.service"),
    ] {
        assert!(files.contains(&f), "the package lacks {}", f.display());
    }
    assert_eq!(
        run(Command::new("dpkg-query").args(["-W", "-f=${Conffiles}", "legrec"]))
            .split_whitespace()
            .next(),
        Some("/etc/asterisk/legrec.conf")
    );
    // Stripped, with its symbols in legrec-dbgsym where gdb finds them.
    let sections = run(Command::new("readelf").arg("-SW").arg(&module));
    assert!(!sections.contains(".debug_info") && sections.contains(".gnu_debuglink"));
    let dbg = run(Command::new("dpkg").args(["-L", "legrec-dbgsym"]));
    assert_eq!(
        dbg.lines().filter(|l| l.ends_with(".debug")).count(),
        2,
        "{dbg}"
    );
    // The spool belongs to the user Asterisk runs as.
    let owner = run(Command::new("stat").args(["-c", "%U %a", SPOOL]));
    assert_eq!(owner.trim(), "asterisk 750");
    if Path::new("/usr/bin/systemd-analyze").exists() {
        run(Command::new("systemd-analyze")
            .args(["verify", "/lib/systemd/system/legrec-prune.timer"]));
    }

    // The packaged module, loaded as a packaged Asterisk runs, records a
    // queue call into the packaged spool.
    let mut sb = Sandbox::with(Setup {
        module: Some(&module),
        docs: Some(&docs),
        user: Some("asterisk"),
    });
    let conf = std::fs::read_to_string(sb.etc().join("legrec.conf")).unwrap();
    let conf: String = conf
        .lines()
        .map(|l| {
            if l.starts_with("spool_dir") {
                format!("spool_dir = {SPOOL}")
            } else {
                l.into()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(sb.etc().join("legrec.conf"), conf).unwrap();
    sb.append(
        "extensions.conf",
        "\n[legrec-pkg]\nexten => caller,1,Answer()\n same => n,Set(LEGREC_QUEUE=support)\n \
         same => n,LegRecord(support,n)\n same => n,Playback(legrec-test-agent)\n same => n,Hangup()\n",
    );
    sb.start();
    let mods = sb.cli("module show like legrec");
    assert!(mods.contains("app_legrec.so"), "{mods}");
    let maps = std::fs::read_to_string(format!("/proc/{}/maps", sb.pid())).unwrap();
    assert!(
        maps.contains(module.to_str().unwrap()),
        "not loaded from {}",
        module.display()
    );
    let doc = sb.cli("core show application LegRecord");
    assert!(
        doc.contains("[Synopsis]") && doc.contains("LEGREC_STATUS"),
        "{doc}"
    );
    sb.cli("channel originate Local/caller@legrec-pkg application Playback legrec-test-caller");
    let before: Vec<PathBuf> = common::sidecars(Path::new(SPOOL));
    sb.wait_for(
        "the packaged module's recording",
        Duration::from_secs(40),
        || common::sidecars(Path::new(SPOOL)).len() > before.len(),
    );
    sb.stop();
    let made: Vec<PathBuf> = common::sidecars(Path::new(SPOOL))
        .into_iter()
        .filter(|s| !before.contains(s))
        .collect();
    assert_eq!(made.len(), 1);
    let sc = common::read_sidecar(&made[0]);
    assert_eq!(sc.status, "complete");
    let kept: Vec<PathBuf> = sc
        .legs
        .iter()
        .map(|l| made[0].parent().unwrap().join(&l.file))
        .chain([made[0].clone()])
        .collect();
    for f in &kept {
        if f.extension().is_some_and(|e| e == "flac") {
            common::flac_test(f);
        }
        let owner = run(Command::new("stat").args(["-c", "%U"]).arg(f));
        assert_eq!(owner.trim(), "asterisk", "{}", f.display());
    }
    run(Command::new("/usr/bin/legrec").arg("verify").arg(&made[0]));

    // The timer's command, as the unit runs it (as asterisk).
    let unit = std::fs::read_to_string("/lib/systemd/system/legrec-prune.service").unwrap();
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap();
    let pruned = run(Command::new("runuser")
        .args(["-u", "asterisk", "--"])
        .args(exec.split_whitespace()));
    assert!(pruned.contains("0 recording(s) pruned"), "{pruned}");

    // Removed, everything outside the package is as it was but the conffile.
    apt(&["remove", "legrec-dbgsym", "legrec"]);
    let mut removed = outside_legrec();
    let conffile = PathBuf::from("/etc/asterisk/legrec.conf");
    assert!(
        removed.remove(&conffile).is_some(),
        "remove kept no conffile"
    );
    let diff = changed(&pristine, &removed);
    assert!(diff.is_empty(), "apt remove changed: {diff:#?}");
    // legrec-dbgsym has no conffile: remove took it whole.
    apt(&["purge", "legrec"]);
    assert!(!known("legrec") && !known("legrec-dbgsym"));
    let diff = changed(&pristine, &outside_legrec());
    assert!(diff.is_empty(), "apt purge changed: {diff:#?}");
    asterisk_plays_its_own_prompts();
    let stray: Vec<&PathBuf> = files.iter().filter(|f| f.exists()).collect();
    assert!(stray.is_empty(), "left after purge: {stray:?}");
    assert!(!Path::new("/etc/asterisk/legrec.conf").exists());
    for f in &kept {
        assert!(f.exists(), "purge removed the recording {}", f.display());
    }
    // A spool the test made goes; an admin's spool keeps the test's
    // recording (deleting it outside `legrec prune` would break its chain).
    if !spool_existed {
        std::fs::remove_dir_all(SPOOL).unwrap();
    }
}

/// legrec 0.1.0 removed the English prompts' symlink when it was removed
/// or upgraded: installing this package puts it back, in the mode the
/// admin had chosen (automatic, or a manual choice kept manual), and
/// Asterisk plays its prompts again.
#[test]
fn installing_repairs_the_english_prompts_an_earlier_legrec_removed() {
    let _one = one_at_a_time();
    assert!(
        !known("legrec"),
        "legrec is installed on this system already (or removed, its legrec.conf kept): this test installs and purges it, so it does not run here"
    );
    let link = english_prompts();
    let Ok(target) = std::fs::read_link(&link) else {
        panic!(
            "{} is not a symlink here: no alternative to repair",
            link.display()
        );
    };
    let was_manual = alternative_mode() == "manual";
    let chosen = std::fs::canonicalize(&link).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (deb, _) = build_deb(out.path());
    let _guard = Installed;
    let spool_existed = Path::new(SPOOL).exists();
    for manual in [false, true] {
        let mode = if manual {
            run(Command::new("update-alternatives")
                .args(["--set", "asterisk-prompt-en"])
                .arg(&chosen));
            "manual"
        } else {
            run(Command::new("update-alternatives").args(["--auto", "asterisk-prompt-en"]));
            "auto"
        };
        let pristine = outside_legrec();
        std::fs::remove_file(&link).unwrap();
        apt(&["install", deb.to_str().unwrap()]);
        assert_eq!(
            std::fs::read_link(&link).ok().as_ref(),
            Some(&target),
            "the postinst did not put {} back ({mode})",
            link.display()
        );
        assert_eq!(alternative_mode(), mode, "the admin's mode was changed");
        apt(&["purge", "legrec"]);
        let diff = changed(&pristine, &outside_legrec());
        assert!(
            diff.is_empty(),
            "install + purge changed ({mode}): {diff:#?}"
        );
    }
    if !was_manual {
        run(Command::new("update-alternatives").args(["--auto", "asterisk-prompt-en"]));
    }
    asterisk_plays_its_own_prompts();
    // The postinst made an empty spool; purge keeps spools (recordings).
    if !spool_existed {
        std::fs::remove_dir_all(SPOOL).unwrap();
    }
}

/// `auto` or `manual`, as update-alternatives says of asterisk-prompt-en.
fn alternative_mode() -> String {
    run(Command::new("update-alternatives").args(["--query", "asterisk-prompt-en"]))
        .lines()
        .find_map(|l| l.strip_prefix("Status: "))
        .unwrap_or_default()
        .to_string()
}
