//! The core's modules form a tree (issue 14): no module uses, directly or
//! through others, a module that uses it.  A cycle means two files that can
//! only be understood together; this test names the cycle it finds.
//!
//! Edges are what a file names: `use crate::a::b`, `crate::a::b::f(...)`,
//! `super::x`, in code outside `#[cfg(test)]` modules (a test may use
//! whatever it checks against).  A module's edges go to the deepest module
//! that exists; a parent declaring its children (`mod x;`) is not an edge.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::graph::find_cycle;

fn module_name(path: &Path) -> String {
    let rel = path.strip_prefix("src").unwrap().with_extension("");
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
    match code.find("#[cfg(test)]\nmod tests") {
        Some(i) => code[..i].to_string(),
        None => code,
    }
}

/// Paths named after `prefix` (`crate::` or `super::`), with `{a, b::c}`
/// groups expanded.
fn named_paths(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
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

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let files = legrec::spool::layout::find_files(Path::new("src"), ".rs");
    let names: BTreeSet<String> = files.iter().map(|f| module_name(f)).collect();
    let resolve = |path: &str| -> Option<String> {
        let mut p = path.trim_matches(':').to_string();
        loop {
            if names.contains(&p) {
                return Some(p);
            }
            p = p.rsplit_once("::")?.0.to_string();
        }
    };
    let mut g = BTreeMap::new();
    for f in &files {
        let m = module_name(f);
        if m.starts_with("bin") {
            continue;
        }
        let code = non_test_code(&std::fs::read_to_string(f).unwrap());
        let parent = match f.file_name().unwrap().to_str().unwrap() {
            "mod.rs" | "lib.rs" => m.clone(),
            _ => m
                .rsplit_once("::")
                .map_or(String::new(), |(p, _)| p.to_string()),
        };
        let mut deps = BTreeSet::new();
        for p in named_paths(&code, "crate::") {
            deps.extend(resolve(&p));
        }
        for p in named_paths(&code, "super::") {
            let full = if parent.is_empty() {
                p
            } else {
                format!("{parent}::{p}")
            };
            deps.extend(resolve(&full));
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
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(find_cycle(&g).unwrap(), ["a", "b", "a"]);
}

#[test]
fn the_core_modules_form_a_tree() {
    let g = graph();
    assert!(
        g.contains_key("recorder::encode::job")
            && g["recorder::encode::job"].contains("spool::digest")
    );
    if let Some(cycle) = find_cycle(&g) {
        panic!("module cycle: {}", cycle.join(" -> "));
    }
}
