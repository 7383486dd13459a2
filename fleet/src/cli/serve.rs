//! `legrec serve --config FILE [--listen ADDR]`: the recording browser
//! over the index and the spool (`[web]` in legrec.conf; --listen wins
//! over its `listen`).

use legrec_cli::Serve;

use crate::web::config::{parse_listen, WebConfig};
use crate::web::{self, App};

pub async fn run(args: Serve) -> Result<(), String> {
    let config = super::config(args.config.as_deref())?;
    let path = super::config_path(args.config.as_deref());
    let mut web = WebConfig::read(&path)?;
    if let Some(l) = &args.listen {
        web.listen = parse_listen(l).map_err(|e| format!("--listen {e}"))?;
    }
    let (index, accounts) = web::work::open_pools(&config.index, &web.accounts).await?;
    web::serve(App::new(index, accounts, config, web, &path)?).await
}
