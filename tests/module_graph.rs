//! The modules of the core (src/) and of the fleet (fleet/src) each form a
//! tree (issues 14, 26): no module uses, directly or through others, a
//! module that uses it.  A cycle means two files that can only be
//! understood together; this test names the cycle it finds.
//!
//! Edges are what a file names: `use crate::a::b`, `crate::a::b::f(...)`,
//! `super::x`, `self::x`, and a child by its relative path (`use
//! child::Item`, `child::f(...)` where the file declares `mod child;`), in
//! code outside `#[cfg(test)]` modules (a test may use whatever it checks
//! against).  A module's edges go to the deepest module that exists; a
//! parent declaring its children (`mod x;`, or re-exporting them with
//! `pub use x::Item`) is not an edge, but a parent using one is, so a
//! child that uses its parent makes a cycle.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::graph::find_cycle;

fn module_name(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts.join("::")
}

/// The code of a file without its `#[cfg(test)]` module and comments.
fn non_test_code(text: &str) -> String {
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    // A visibility (`pub(in crate::a)`) names a module but uses nothing.
    let code = code.replace("(in crate::", "(").replace("(in super::", "(");
    match code.find("#[cfg(test)]\nmod tests") {
        Some(i) => code[..i].to_string(),
        None => code,
    }
}

/// Paths named after `prefix` (`crate::`, `super::`, `self::` or a
/// child's `name::`), with `{a, b::c}` groups expanded.  Not a prefix
/// that is itself the tail of a longer path (`a::child::`).
fn named_paths(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let head = rest[..end].trim_end_matches(':');
        if rest[end..].starts_with('{') {
            let close = rest[end..].find('}').map_or(rest.len(), |c| end + c);
            for item in rest[end + 1..close].split(',') {
                let item = item.trim().split(" as ").next().unwrap().trim();
                let item = item.split("::{").next().unwrap();
                if item.is_empty() || item == "self" {
                    out.push(head.to_string());
                } else if head.is_empty() {
                    out.push(item.to_string());
                } else {
                    out.push(format!("{head}::{item}"));
                }
            }
        } else {
            out.push(head.to_string());
        }
    }
    out
}

/// The children a file declares (`mod x;`, `pub mod x;`, `pub(crate) mod
/// x;`), whose relative paths are uses.
fn declared_children(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|l| {
            let l = l.trim();
            let rest = l
                .strip_prefix("pub ")
                .or_else(|| l.strip_prefix("pub(crate) "))
                .unwrap_or(l);
            let name = rest.strip_prefix("mod ")?.strip_suffix(';')?;
            Some(name.trim().to_string())
        })
        .collect()
}

/// The module graph of the crate whose root folder is `root` (relative to
/// the workspace's root).
fn graph(root: &str) -> BTreeMap<String, BTreeSet<String>> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = base.join(root);
    let files = legrec::spool::layout::find_files(&root, ".rs");
    let names: BTreeSet<String> = files.iter().map(|f| module_name(&root, f)).collect();
    let resolve = |path: &str| -> Option<String> {
        let mut p = path.trim_matches(':').to_string();
        loop {
            if names.contains(&p) {
                return Some(p);
            }
            p = p.rsplit_once("::")?.0.to_string();
        }
    };
    let within = |module: &str, p: &str| -> String {
        if module.is_empty() {
            p.to_string()
        } else {
            format!("{module}::{p}")
        }
    };
    let mut g = BTreeMap::new();
    for f in &files {
        let m = module_name(&root, f);
        if m.starts_with("bin") || m == "main" {
            continue;
        }
        let code = non_test_code(&std::fs::read_to_string(f).unwrap());
        let parent = m
            .rsplit_once("::")
            .map_or(String::new(), |(p, _)| p.to_string());
        let mut deps = BTreeSet::new();
        for p in named_paths(&code, "crate::") {
            deps.extend(resolve(&p));
        }
        for p in named_paths(&code, "super::") {
            deps.extend(resolve(&within(&parent, &p)));
        }
        // A parent re-exporting its children (`pub use child::Item`)
        // declares them, as `mod child;` does: it uses nothing.
        let own: String = code
            .lines()
            .filter(|l| !l.trim_start().starts_with("pub use "))
            .collect::<Vec<_>>()
            .join("\n");
        for p in named_paths(&own, "self::") {
            deps.extend(resolve(&within(&m, &p)));
        }
        for child in declared_children(&code) {
            for p in named_paths(&own, &format!("{child}::")) {
                deps.extend(resolve(&within(&m, &format!("{child}::{p}"))));
            }
        }
        deps.remove(&m);
        // The crate root declares every module; that is not a use.
        deps.remove("");
        g.insert(m, deps);
    }
    g
}

#[test]
fn the_parser_sees_groups_and_paths() {
    let code = "use crate::a::{b, c::d as e};\nlet x = crate::f::g(1);\nuse super::h;";
    assert_eq!(named_paths(code, "crate::"), ["a::b", "a::c::d", "f::g"]);
    assert_eq!(named_paths(code, "super::"), ["h"]);
    // A child named by its relative path, not as the tail of another.
    let code = "mod kid;\nuse kid::{a, b::c};\nlet y = kid::f();\nlet z = other::kid::g();";
    assert_eq!(declared_children(code), ["kid"]);
    assert_eq!(named_paths(code, "kid::"), ["a", "b::c", "f"]);
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(find_cycle(&g).unwrap(), ["a", "b", "a"]);
}

#[test]
fn the_core_modules_form_a_tree() {
    let g = graph("src");
    assert!(
        g.contains_key("recorder::encode::job")
            && g["recorder::encode::job"].contains("spool::digest")
    );
    if let Some(cycle) = find_cycle(&g) {
        panic!("module cycle in src/: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_fleet_modules_form_a_tree() {
    let g = graph("fleet/src");
    // Seen through each kind of path: crate::, super::, a child's own.
    assert!(g["cli::index"].contains("index") && g["cli::index"].contains("spool_index"));
    assert!(g["web::pages"].contains("web::ids"));
    assert!(g["config"].contains("config::section"));
    if let Some(cycle) = find_cycle(&g) {
        panic!("module cycle in fleet/src: {}", cycle.join(" -> "));
    }
}
