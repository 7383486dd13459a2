//! `legrec user add|del|list`: who may use the recording browser, in
//! `[web] accounts` (never the index, which every shipper writes).

use std::path::Path;

use legrec_cli::{User as Args, UserCommand};

use crate::web::accounts::Accounts;
use crate::web::config::WebConfig;
use crate::web::users::{self, Role, User};

/// The accounts database `[web] accounts` of the config names.
async fn accounts(config: Option<&Path>) -> Result<Accounts, String> {
    let path = super::config_path(config);
    Accounts::open(&WebConfig::read(&path)?.accounts, 1, None).await
}

/// Shorter passwords are refused: the browser is reached over a network.
const MIN_PASSWORD: usize = 10;

pub async fn run(args: Args) -> Result<(), String> {
    let config = args.config.as_deref();
    match args.command {
        UserCommand::Add {
            name,
            role,
            queues,
            agent,
            pbx,
            password_file,
        } => {
            let given = Given {
                role,
                queues,
                agent,
                pbx,
                password_file,
            };
            add(config, &name, given).await
        }
        UserCommand::Del { name } => {
            let index = accounts(config).await?;
            if users::delete(&index, &name).await? {
                println!("deleted user {name} and their sessions");
                Ok(())
            } else {
                Err(format!("no user '{name}'"))
            }
        }
        UserCommand::List => {
            let index = accounts(config).await?;
            let all = users::list(&index).await?;
            println!("{:<24} {:<11} SCOPE", "NAME", "ROLE");
            for u in &all {
                println!("{:<24} {:<11} {}", u.name, u.role.as_str(), scope(u));
            }
            println!("{} user(s)", all.len());
            Ok(())
        }
    }
}

/// `legrec user add`'s options as given, checked by `add`.
struct Given {
    role: Option<String>,
    queues: Option<String>,
    agent: Option<String>,
    pbx: Option<String>,
    password_file: Option<std::path::PathBuf>,
}

fn scope(u: &User) -> String {
    let within = if u.pbxs.is_empty() {
        String::new()
    } else {
        format!(", on PBX {}", u.pbxs.join(","))
    };
    let what = match u.role {
        Role::Admin => "everything".into(),
        Role::Auditor => "audit chain and access trail, no audio".into(),
        Role::Supervisor => format!("queues {}", u.queues.join(",")),
        Role::Agent => format!("calls of agent {}", u.agent_name()),
    };
    what + &within
}

async fn add(config: Option<&Path>, name: &str, args: Given) -> Result<(), String> {
    if !users::valid_name(name) {
        return Err(format!(
            "'{name}' is not a user name (letters, digits and ._@-, at most 64)"
        ));
    }
    let role = args.role.as_deref().ok_or("--role is required")?;
    let role = Role::parse(role)
        .ok_or_else(|| format!("--role {role}: one of admin, supervisor, agent, auditor"))?;
    let queues: Vec<String> = match (role, args.queues.as_deref()) {
        (Role::Supervisor, Some(q)) => q
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        (Role::Supervisor, None) => return Err("a supervisor needs --queues Q,...".into()),
        (_, Some(_)) => return Err("--queues is for a supervisor".into()),
        (_, None) => Vec::new(),
    };
    if role == Role::Supervisor && queues.is_empty() {
        return Err("--queues names no queue".into());
    }
    let agent = match (role, args.agent.as_deref()) {
        (Role::Agent, Some(a)) if a.trim().is_empty() => return Err("--agent is empty".into()),
        (Role::Agent, a) => a.map(|a| a.trim().to_string()),
        (_, Some(_)) => return Err("--agent is for an agent".into()),
        (_, None) => None,
    };
    // Which PBXs' recordings: a fleet's browser serves many, and a queue
    // of one PBX is not the same-named queue of another.
    let pbxs: Vec<String> = args
        .pbx
        .as_deref()
        .map(|p| {
            p.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if args.pbx.is_some() && pbxs.is_empty() {
        return Err("--pbx names no PBX".into());
    }
    let path = args
        .password_file
        .as_deref()
        .ok_or("--password-file is required (the password is never an argument: ps shows those)")?;
    let file = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("--password-file {file}: {e}"))?;
    // One line: a trailing newline from `echo` is not part of it.
    let password = text.strip_suffix('\n').unwrap_or(&text);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.contains('\n') {
        return Err(format!("--password-file {file}: more than one line"));
    }
    if password.chars().count() < MIN_PASSWORD {
        return Err(format!(
            "--password-file {file}: the password is shorter than {MIN_PASSWORD} characters"
        ));
    }
    let index = accounts(config).await?;
    let user = User {
        name: name.to_string(),
        role,
        queues,
        pbxs,
        agent,
    };
    let phc = users::hash_password(password)?;
    users::add(&index, &user, &phc).await?;
    println!("added user {name}: {} ({})", role.as_str(), scope(&user));
    Ok(())
}
