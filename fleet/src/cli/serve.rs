//! `legrec serve --config FILE [--listen ADDR]`: the recording browser
//! over the index and the spool (`[web]` in legrec.conf; --listen wins
//! over its `listen`).

use super::Args;
use crate::web::config::{parse_listen, WebConfig};
use crate::web::{self, App};

pub async fn run(args: &Args) -> Result<(), String> {
    args.only(&["config", "listen"])?;
    if let Some(w) = args.words.get(1) {
        return Err(format!("legrec serve takes no '{w}'"));
    }
    let config = args.config()?;
    let path = std::path::PathBuf::from(args.get("config").unwrap_or(super::DEFAULT_CONFIG));
    let mut web = WebConfig::read(&path)?;
    if let Some(l) = args.get("listen") {
        web.listen = parse_listen(l).map_err(|e| format!("--listen {e}"))?;
    }
    let (index, accounts) = web::work::open_pools(&config.index, &web.accounts).await?;
    web::serve(App::new(index, accounts, config, web, &path)?).await
}
