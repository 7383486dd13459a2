//! The man page, legrec(1), from the same definitions as `--help`:
//! clap_mangen writes the name, synopsis, description and the list of
//! commands; each command then gets a section of its own with its usage,
//! what it does and its options.

use std::io::{self, Write};

use clap::{Arg, Command};
use clap_mangen::roff::{bold, italic, roman, Roff};
use clap_mangen::Man;

/// Writes legrec(1) for `root` (the built `legrec` command).
pub fn render(mut root: Command, out: &mut dyn Write) -> io::Result<()> {
    root.build();
    let man = Man::new(root.clone())
        .title("LEGREC")
        .section("1")
        .manual("legrec call recorder")
        .source(format!("legrec {}", root.get_version().unwrap_or_default()));
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    let mut page = Roff::new();
    page.control("SH", ["COMMANDS"]);
    for sub in root.get_subcommands().filter(|c| shown_command(c)) {
        command(&mut page, sub);
    }
    // The after-help's paragraphs "Files: ..." and "Exit status: ..." are
    // the page's sections of those names.
    let after = root
        .get_after_long_help()
        .map(|a| a.to_string())
        .unwrap_or_default();
    for paragraph in after.split("\n\n") {
        if let Some((head, text)) = paragraph.split_once(": ") {
            if ["Files", "Exit status"].contains(&head) {
                page.control("SH", [head.to_uppercase().as_str()]);
                page.text([roman(text.replace('\n', " "))]);
            }
        }
    }
    page.control("SH", ["SEE ALSO"]);
    page.text([
        bold("asterisk"),
        roman("(8); in Asterisk: "),
        bold("core show application LegRecord"),
        roman(", "),
        bold("legrec show recordings"),
        roman("; the README in /usr/share/doc/legrec."),
    ]);
    out.write_all(page.render().as_bytes())
}

/// One command's section, then its subcommands'.
fn command(page: &mut Roff, cmd: &Command) {
    let mut cmd = cmd.clone();
    let usage = cmd.render_usage().to_string();
    let usage = usage.trim_start_matches("Usage:").trim();
    page.control("SS", [cmd.get_bin_name().unwrap_or(cmd.get_name())]);
    page.text([bold(usage)]);
    let about = cmd.get_long_about().or(cmd.get_about());
    for paragraph in about
        .map(|a| a.to_string())
        .unwrap_or_default()
        .split("\n\n")
    {
        page.control("PP", []);
        page.text([roman(paragraph.replace('\n', " "))]);
    }
    for arg in cmd.get_arguments().filter(|a| shown(a)) {
        option(page, arg);
    }
    for sub in cmd.get_subcommands().filter(|c| shown_command(c)) {
        command(page, sub);
    }
}

fn shown(arg: &Arg) -> bool {
    !arg.is_hide_set() && !["help", "version"].contains(&arg.get_id().as_str())
}

fn option(page: &mut Roff, arg: &Arg) {
    page.control("TP", []);
    let value = arg
        .get_value_names()
        .map(|v| v.join(" "))
        .unwrap_or_default();
    let mut head = Vec::new();
    if let Some(s) = arg.get_short() {
        head.push(bold(format!("-{s}")));
    }
    if let Some(l) = arg.get_long() {
        if !head.is_empty() {
            head.push(roman(", "));
        }
        head.push(bold(format!("--{l}")));
    }
    if arg.get_long().is_none() && arg.get_short().is_none() {
        head.push(italic(value));
    } else if arg.get_action().takes_values() {
        head.push(roman(" "));
        head.push(italic(value));
    }
    page.text(head);
    let help = arg.get_long_help().or(arg.get_help());
    page.text([roman(help.map(|h| h.to_string()).unwrap_or_default())]);
}

/// Not the hidden ones, nor clap's own `help`.
fn shown_command(cmd: &Command) -> bool {
    !cmd.is_hide_set() && cmd.get_name() != "help"
}
