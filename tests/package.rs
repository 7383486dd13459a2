//! The Debian package, as an admin uses it: `make deb` for the installed
//! Asterisk, `apt install ./legrec_*.deb`, the module loaded from where the
//! package put it into an Asterisk running as `asterisk`, a call recorded
//! into the packaged spool, the prune timer's command run as it would run,
//! then `apt purge`: no file of the package left, the recordings kept.
//!
//! It installs into this machine's (or the sid root's) real system, so it
//! refuses to run where legrec is installed already, and purges what it
//! installed even when it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::asterisk::{Sandbox, Setup};

const SPOOL: &str = "/var/spool/asterisk/legrec";

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

fn installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("ok installed"))
        .unwrap_or(false)
}

fn apt(args: &[&str]) -> String {
    run(Command::new("apt-get")
        .args(["-y", "-q", "-o", "DPkg::Lock::Timeout=300"])
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// Purges the package when the test ends, passed or not.
struct Installed;
impl Drop for Installed {
    fn drop(&mut self) {
        if installed("legrec") {
            let _ = Command::new("apt-get")
                .args(["-y", "-q", "purge", "legrec-dbgsym", "legrec"])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .status();
        }
    }
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
    assert!(
        !installed("legrec"),
        "legrec is installed on this system already: this test installs and purges it, so it does not run here"
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
        datadir.join("sounds/en/legrec-notice.wav"),
        datadir.join("sounds/en/legrec-notice.wav16"),
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
    run(Command::new("/usr/bin/legrec").args(["verify", SPOOL]));

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

    apt(&["purge", "legrec-dbgsym", "legrec"]);
    assert!(!installed("legrec"));
    let stray: Vec<&PathBuf> = files.iter().filter(|f| f.exists()).collect();
    assert!(stray.is_empty(), "left after purge: {stray:?}");
    assert!(!Path::new("/etc/asterisk/legrec.conf").exists());
    for f in &kept {
        assert!(f.exists(), "purge removed the recording {}", f.display());
    }
    // The test's own recording goes; an admin's spool stays as it was.
    for f in &kept {
        std::fs::remove_file(f).unwrap();
    }
    if !spool_existed {
        std::fs::remove_dir_all(SPOOL).unwrap();
    }
}
