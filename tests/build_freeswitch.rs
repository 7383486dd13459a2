//! build.rs and a FreeSWITCH installed after the first build: cargo runs
//! the FreeSWITCH detection again when a freeswitch.pc appears where
//! scripts/find-freeswitch looks, without `cargo clean`, and does not run it
//! on every build.  Checked on a scratch crate whose build script is the
//! same detection (buildsrc/freeswitch.rs), with the search list pointed at
//! empty folders.

use std::path::Path;
use std::process::Command;

fn cargo(krate: &Path, target: &Path, search: &str, pc_dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(krate)
        .env("CARGO_TARGET_DIR", target)
        .env("LEGREC_FREESWITCH_SEARCH", search)
        .env("PKG_CONFIG_LIBDIR", pc_dir)
        .env_remove("PKG_CONFIG_PATH")
        .env_remove("FREESWITCH_PREFIX")
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "cargo {args:?}: {stderr}");
    String::from_utf8_lossy(&out.stdout).to_string() + &stderr
}

#[test]
fn a_freeswitch_installed_after_the_first_build_is_found_without_cargo_clean() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let krate = tmp.path().join("probe");
    std::fs::create_dir_all(krate.join("src")).unwrap();
    std::fs::write(
        krate.join("Cargo.toml"),
        "[package]\nname = \"probe\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(
        krate.join("build.rs"),
        format!(
            "include!({:?});\nfn main() {{ detect_freeswitch(std::path::Path::new({:?})); }}\n",
            repo.join("buildsrc/freeswitch.rs"),
            repo.join("scripts/find-freeswitch"),
        ),
    )
    .unwrap();
    std::fs::write(
        krate.join("src/main.rs"),
        "fn main() { println!(\"has_freeswitch={}\", cfg!(has_freeswitch)); }\n",
    )
    .unwrap();
    // Two prefixes to look in, both empty folders' children; pkg-config
    // looks only in an empty folder.
    let opt = tmp.path().join("opt");
    let local = tmp.path().join("usr-local");
    let pc_dir = tmp.path().join("pkgconfig");
    for d in [&opt, &local, &pc_dir] {
        std::fs::create_dir_all(d).unwrap();
    }
    let search = format!(
        "{}:{}",
        local.join("freeswitch").display(),
        opt.join("freeswitch").display()
    );
    let target = tmp.path().join("target");
    let run = |args: &[&str]| cargo(&krate, &target, &search, &pc_dir, args);

    assert!(run(&["run", "-q"]).contains("has_freeswitch=false"));
    // Nothing changed: the build script is not run again.
    let again = run(&["build", "-v"]);
    assert!(again.contains("Fresh probe"), "{again}");

    // FreeSWITCH's `make install` into the second prefix.
    let pc = opt.join("freeswitch/lib/pkgconfig");
    std::fs::create_dir_all(&pc).unwrap();
    std::fs::write(
        pc.join("freeswitch.pc"),
        "prefix=/nowhere\nName: FreeSWITCH\nDescription: fake\nVersion: 1.10.12\n",
    )
    .unwrap();
    let after = run(&["run", "-q"]);
    assert!(
        after.contains("has_freeswitch=true"),
        "the FreeSWITCH installed after the first build was not seen: {after}"
    );
    let again = run(&["build", "-v"]);
    assert!(again.contains("Fresh probe"), "{again}");
}
