//! Each shim's files call one another without cycles (a file that calls
//! another is never called back by it, directly or around a loop), and the
//! call graph written at the top of legrec_ast.h / legrec_fs.h is the one
//! the sources have.  Read from the sources: a call added on one side only
//! fails here.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::graph::find_cycle;

type Graph = BTreeMap<String, BTreeSet<String>>;

fn sources(dir: &str) -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "c"))
        .map(|e| {
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect()
}

fn identifiers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("legrec_"))
}

/// The functions a file defines for the others: a non-static definition
/// starting at column 0 (`int legrec_x(...)` followed by its body).
fn defined(text: &str) -> BTreeSet<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = BTreeSet::new();
    for (i, l) in lines.iter().enumerate() {
        let starts_body = l.trim_end().ends_with('{')
            || lines
                .iter()
                .skip(i + 1)
                .find(|n| !n.starts_with('\t') && !n.starts_with(' '))
                .is_some_and(|n| n.starts_with('{'));
        if l.starts_with(|c: char| c.is_ascii_lowercase())
            && !l.starts_with("static")
            && !l.trim_end().ends_with(';')
            && l.contains('(')
            && starts_body
        {
            let head = &l[..l.find('(').unwrap()];
            if let Some(name) = identifiers(head).last() {
                out.insert(name.to_string());
            }
        }
    }
    out
}

/// file -> the files whose functions it calls or names.
fn calls(files: &BTreeMap<String, String>) -> Graph {
    let owner: BTreeMap<String, String> = files
        .iter()
        .flat_map(|(f, text)| defined(text).into_iter().map(move |d| (d, f.clone())))
        .collect();
    files
        .iter()
        .map(|(f, text)| {
            let to = identifiers(text)
                .filter_map(|w| owner.get(w))
                .filter(|o| *o != f)
                .cloned()
                .collect();
            (f.clone(), to)
        })
        .collect()
}

/// The graph as the header's comment writes it: `a.c -> b.c, c.c` lines,
/// a line of `->` continued on the next comment lines; `(none)` for a leaf.
fn documented(header: &str) -> Graph {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(header);
    let text = std::fs::read_to_string(path).unwrap();
    let comment = &text[..text.find("*/").unwrap()];
    let mut graph = Graph::new();
    let mut current: Option<String> = None;
    for line in comment.lines() {
        let line = line.trim_start_matches([' ', '/', '*']).trim();
        let names_only = !line.is_empty()
            && line
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .all(|t| t.ends_with(".c"));
        let rest = match line.split_once("->") {
            Some((from, rest)) if from.trim().ends_with(".c") => {
                let from = from.trim().to_string();
                graph.entry(from.clone()).or_default();
                current = Some(from);
                rest
            }
            _ if current.is_some() && names_only => line,
            _ => {
                current = None;
                continue;
            }
        };
        let from = current.clone().unwrap();
        for to in rest.split(',').map(str::trim).filter(|t| t.ends_with(".c")) {
            graph.get_mut(&from).unwrap().insert(to.to_string());
        }
    }
    graph
}

fn check(dir: &str, header: &str) {
    let graph = calls(&sources(dir));
    if let Some(c) = find_cycle(&graph) {
        panic!(
            "{dir}: the files call around in a cycle: {}",
            c.join(" -> ")
        );
    }
    assert_eq!(
        documented(header),
        graph,
        "{header}: the documented call graph vs the sources'"
    );
}

#[test]
fn the_asterisk_shims_files_call_each_other_without_cycles_as_documented() {
    check("c-shim/asterisk", "c-shim/asterisk/legrec_ast.h");
}

#[test]
fn the_freeswitch_shims_files_call_each_other_without_cycles_as_documented() {
    check("c-shim/freeswitch", "c-shim/freeswitch/legrec_fs.h");
}
