//! `legrec user add|del|list`: who may use the recording browser, in
//! `[web] accounts` (never the index, which every shipper writes).

use super::Args;
use crate::web::accounts::Accounts;
use crate::web::config::WebConfig;
use crate::web::users::{self, Role, User};

const USAGE: &str = "legrec user add NAME --role admin|supervisor|agent|auditor \
    [--queues Q,...] [--agent NAME] [--pbx P,...] --password-file F | del NAME | list";

/// The accounts database `[web] accounts` of the config names.
async fn accounts(args: &Args) -> Result<Accounts, String> {
    let path = std::path::PathBuf::from(args.get("config").unwrap_or(super::DEFAULT_CONFIG));
    Accounts::open(&WebConfig::read(&path)?.accounts, 1, None).await
}

/// Shorter passwords are refused: the browser is reached over a network.
const MIN_PASSWORD: usize = 10;

pub async fn run(args: &Args) -> Result<(), String> {
    let words: Vec<&str> = args.words.iter().skip(1).map(String::as_str).collect();
    match words.as_slice() {
        ["add", name] => add(args, name).await,
        ["del", name] => {
            args.only(&["config"])?;
            let index = accounts(args).await?;
            if users::delete(&index, name).await? {
                println!("deleted user {name} and their sessions");
                Ok(())
            } else {
                Err(format!("no user '{name}'"))
            }
        }
        ["list"] => {
            args.only(&["config"])?;
            let index = accounts(args).await?;
            let all = users::list(&index).await?;
            println!("{:<24} {:<11} SCOPE", "NAME", "ROLE");
            for u in &all {
                println!("{:<24} {:<11} {}", u.name, u.role.as_str(), scope(u));
            }
            println!("{} user(s)", all.len());
            Ok(())
        }
        _ => Err(format!("usage: {USAGE}")),
    }
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

async fn add(args: &Args, name: &str) -> Result<(), String> {
    args.only(&["config", "role", "queues", "agent", "pbx", "password-file"])?;
    if !users::valid_name(name) {
        return Err(format!(
            "'{name}' is not a user name (letters, digits and ._@-, at most 64)"
        ));
    }
    let role = args.get("role").ok_or("--role is required")?;
    let role = Role::parse(role)
        .ok_or_else(|| format!("--role {role}: one of admin, supervisor, agent, auditor"))?;
    let queues: Vec<String> = match (role, args.get("queues")) {
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
    let agent = match (role, args.get("agent")) {
        (Role::Agent, Some(a)) if a.trim().is_empty() => return Err("--agent is empty".into()),
        (Role::Agent, a) => a.map(|a| a.trim().to_string()),
        (_, Some(_)) => return Err("--agent is for an agent".into()),
        (_, None) => None,
    };
    // Which PBXs' recordings: a fleet's browser serves many, and a queue
    // of one PBX is not the same-named queue of another.
    let pbxs: Vec<String> = args
        .get("pbx")
        .map(|p| {
            p.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if args.get("pbx").is_some() && pbxs.is_empty() {
        return Err("--pbx names no PBX".into());
    }
    let file = args
        .get("password-file")
        .ok_or("--password-file is required (the password is never an argument: ps shows those)")?;
    let text = std::fs::read_to_string(file).map_err(|e| format!("--password-file {file}: {e}"))?;
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
    let index = accounts(args).await?;
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
