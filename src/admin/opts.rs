//! Options as the `legrec` tool takes them, by hand (another issue moves
//! the tools to clap): `--name VALUE` for each name a command knows,
//! anything not starting with `-` positional.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct Opts {
    values: BTreeMap<String, String>,
    pub positional: Vec<String>,
}

/// Parse `args`, each of `names` taking a value (`--spool` and `--config`
/// are known to every command).
pub fn parse(args: &[&str], names: &[&str]) -> Result<Opts, String> {
    let mut o = Opts {
        values: BTreeMap::new(),
        positional: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg.starts_with('-') {
            if !names.contains(arg) && !["--spool", "--config"].contains(arg) {
                return Err(format!("unknown option {arg}"));
            }
            let v = it.next().ok_or_else(|| format!("{arg} needs a value"))?;
            o.values.insert(arg.to_string(), v.to_string());
        } else {
            o.positional.push(arg.to_string());
        }
    }
    Ok(o)
}

impl Opts {
    pub fn get(&self, name: &str) -> Option<String> {
        self.values.get(name).cloned()
    }

    /// The spool: `--spool`, else `--config`'s spool_dir (read by
    /// `spool_of`), else `default`.
    pub fn spool(
        &self,
        default: &Path,
        spool_of: &dyn Fn(&Path) -> Result<PathBuf, String>,
    ) -> Result<PathBuf, String> {
        match (self.get("--spool"), self.get("--config")) {
            (Some(s), _) => Ok(PathBuf::from(s)),
            (None, Some(c)) => spool_of(Path::new(&c)),
            (None, None) => Ok(default.to_path_buf()),
        }
    }
}
