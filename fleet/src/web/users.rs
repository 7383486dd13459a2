//! The people who may use the browser, in the accounts database's
//! `browser_users` table (web/accounts.rs: never where a shipper can
//! write): a name, a role with its scope, and an Argon2id hash of the
//! password.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, PasswordVerifier};
use serde::Serialize;
use sqlx::Row;

use super::accounts::Accounts;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything.
    Admin,
    /// The recordings of their queues.
    Supervisor,
    /// The calls they took part in, and who listened to them.
    Agent,
    /// The audit chain and the access trail; never the audio.
    Auditor,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "admin" => Role::Admin,
            "supervisor" => Role::Supervisor,
            "agent" => Role::Agent,
            "auditor" => Role::Auditor,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Agent => "agent",
            Role::Auditor => "auditor",
        }
    }

    pub fn hears_audio(self) -> bool {
        self != Role::Auditor
    }

    /// Reads the whole audit chain and every access.
    pub fn audits(self) -> bool {
        matches!(self, Role::Admin | Role::Auditor)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    /// A supervisor's queues.
    pub queues: Vec<String>,
    /// The PBXs whose recordings they may see; empty: every PBX.
    pub pbxs: Vec<String>,
    /// The name an agent has in the recordings (the queue member name).
    pub agent: Option<String>,
}

/// Letters, digits and `._@-`: a name shows in pages and the audit chain.
pub fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b))
}

/// A PHC string (`$argon2id$v=19$...`), with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing the password: {e}"))
}

pub fn verify_password(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

fn sql_err(what: &'static str) -> impl Fn(sqlx::Error) -> String {
    move |e| format!("users: {what}: {e}")
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

pub async fn add(accounts: &Accounts, user: &User, phc: &str) -> Result<(), String> {
    if get(accounts, &user.name).await?.is_some() {
        return Err(format!(
            "user '{}' exists (legrec user del {0} first)",
            user.name
        ));
    }
    sqlx::query(
        "INSERT INTO browser_users (name, role, queues, pbxs, agent, password, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&user.name)
    .bind(user.role.as_str())
    .bind(serde_json::to_string(&user.queues).expect("strings serialize"))
    .bind(serde_json::to_string(&user.pbxs).expect("strings serialize"))
    .bind(user.agent.clone())
    .bind(phc)
    .bind(now_ms())
    .execute(accounts.pool())
    .await
    .map_err(sql_err("add"))?;
    Ok(())
}

/// Removes the user and ends their sessions; false if there was none.
pub async fn delete(accounts: &Accounts, name: &str) -> Result<bool, String> {
    let mut tx = accounts.pool().begin().await.map_err(sql_err("begin"))?;
    sqlx::query("DELETE FROM browser_sessions WHERE name = $1")
        .bind(name)
        .execute(&mut *tx)
        .await
        .map_err(sql_err("delete"))?;
    let n = sqlx::query("DELETE FROM browser_users WHERE name = $1")
        .bind(name)
        .execute(&mut *tx)
        .await
        .map_err(sql_err("delete"))?
        .rows_affected();
    tx.commit().await.map_err(sql_err("commit"))?;
    Ok(n > 0)
}

pub async fn list(accounts: &Accounts) -> Result<Vec<User>, String> {
    let rows =
        sqlx::query("SELECT name, role, queues, pbxs, agent FROM browser_users ORDER BY name")
            .fetch_all(accounts.pool())
            .await
            .map_err(sql_err("list"))?;
    rows.iter().map(user_of).collect()
}

/// The user `name` and their password hash.
pub async fn get(accounts: &Accounts, name: &str) -> Result<Option<(User, String)>, String> {
    let row = sqlx::query(
        "SELECT name, role, queues, pbxs, agent, password FROM browser_users WHERE name = $1",
    )
    .bind(name)
    .fetch_optional(accounts.pool())
    .await
    .map_err(sql_err("get"))?;
    match row {
        None => Ok(None),
        Some(r) => {
            let phc: String = r.try_get("password").map_err(sql_err("get"))?;
            Ok(Some((user_of(&r)?, phc)))
        }
    }
}

pub fn user_of(r: &sqlx::any::AnyRow) -> Result<User, String> {
    let name: String = r.try_get("name").map_err(sql_err("row"))?;
    let role: String = r.try_get("role").map_err(sql_err("row"))?;
    let queues: String = r.try_get("queues").map_err(sql_err("row"))?;
    let pbxs: String = r.try_get("pbxs").map_err(sql_err("row"))?;
    Ok(User {
        pbxs: serde_json::from_str(&pbxs).map_err(|e| format!("users: '{name}' pbxs: {e}"))?,
        role: Role::parse(&role).ok_or_else(|| format!("users: '{name}' has role '{role}'"))?,
        queues: serde_json::from_str(&queues)
            .map_err(|e| format!("users: '{name}' queues: {e}"))?,
        agent: r.try_get("agent").map_err(sql_err("row"))?,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_hashes_verify_only_their_password() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password(&h, "correct horse"));
        assert!(!verify_password(&h, "correct horsf"));
        assert!(!verify_password("not a hash", "correct horse"));
        assert_ne!(h, hash_password("correct horse").unwrap(), "salted");
    }

    #[test]
    fn names() {
        assert!(valid_name("alice.smith@example.org"));
        assert!(!valid_name("alice smith"));
        assert!(!valid_name("<b>"));
        assert!(!valid_name(""));
    }
}
