//! A search as the pages' form and `GET /api/recordings` give it: every
//! parameter checked (an unknown one, a date that is none, a range that
//! ends before it starts: a 400 naming it) and turned into the index's
//! Query, narrowed to the user's scope.

use serde::{Deserialize, Serialize};

use super::users::User;
use crate::index::{Query, Sort};
use crate::moment;

pub const PAGE: u32 = 50;
/// How deep a search may page: 200 pages of 50.  Each page deeper makes
/// the database step over every row before it, so a page ten million
/// deep kept a connection busy for seconds; nobody reads 10,000 results
/// in order, they narrow the search (a date range, a caller).
const MAX_OFFSET: u64 = 10_000;

/// The query string.  Empty values (an untouched form field) do not filter.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub from: Option<String>,
    pub to: Option<String>,
    pub caller: Option<String>,
    pub callee: Option<String>,
    pub queue: Option<String>,
    pub agent: Option<String>,
    pub pbx: Option<String>,
    pub status: Option<String>,
    pub consent: Option<String>,
    pub min_duration: Option<String>,
    pub max_duration: Option<String>,
    pub sort: Option<String>,
    pub order: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl Params {
    pub fn query(&self, user: &User) -> Result<Query, String> {
        let text = |name: &str, v: &Option<String>| -> Result<Option<String>, String> {
            match given(v) {
                Some(s) if s.len() > 200 => Err(format!("{name}: longer than 200 characters")),
                s => Ok(s.map(str::to_string)),
            }
        };
        let seconds = |name: &str, v: &Option<String>| -> Result<Option<f64>, String> {
            given(v)
                .map(|s| match s.parse::<f64>() {
                    Ok(d) if d.is_finite() && (0.0..=1e7).contains(&d) => Ok(d),
                    _ => Err(format!("{name} '{s}': not a number of seconds")),
                })
                .transpose()
        };
        let from_ms = given(&self.from).map(moment::parse).transpose()?;
        // A day as `to` means through that day, as people read a form.
        let to_ms = given(&self.to)
            .map(|s| moment::parse(s).map(|t| if s.len() == 10 { t + 86_400_000 } else { t }))
            .transpose()?;
        if let (Some(f), Some(t)) = (from_ms, to_ms) {
            if f >= t {
                return Err("from is not before to".into());
            }
        }
        let min_duration = seconds("min_duration", &self.min_duration)?;
        let max_duration = seconds("max_duration", &self.max_duration)?;
        if let (Some(a), Some(b)) = (min_duration, max_duration) {
            if a > b {
                return Err("min_duration is more than max_duration".into());
            }
        }
        let sort = match given(&self.sort) {
            None => Sort::Started,
            Some(s) => Sort::parse(s)
                .ok_or_else(|| format!("sort '{s}': one of started, duration, caller, queue"))?,
        };
        let descending = match given(&self.order) {
            None | Some("desc") => true,
            Some("asc") => false,
            Some(o) => return Err(format!("order '{o}': asc or desc")),
        };
        let limit = match given(&self.limit) {
            None => PAGE,
            Some(s) => match s.parse::<u32>() {
                Ok(n) if (1..=1000).contains(&n) => n,
                _ => return Err(format!("limit '{s}': 1 to 1000")),
            },
        };
        let offset = match given(&self.offset) {
            None => 0,
            Some(s) => match s.parse::<u64>() {
                Ok(n) if n <= MAX_OFFSET => n,
                _ => {
                    return Err(format!(
                        "offset '{s}': 0 to {MAX_OFFSET} (narrow the search to go further)"
                    ))
                }
            },
        };
        let mut q = Query {
            caller: text("caller", &self.caller)?,
            callee: text("callee", &self.callee)?,
            queue: text("queue", &self.queue)?,
            agent: text("agent", &self.agent)?,
            pbx: text("pbx", &self.pbx)?,
            status: text("status", &self.status)?,
            consent: text("consent", &self.consent)?,
            from_ms,
            to_ms,
            min_duration,
            max_duration,
            sort,
            descending,
            limit,
            offset,
            ..Default::default()
        };
        user.restrict(&mut q);
        Ok(q)
    }

    /// This search's query string with `offset`, `sort` and `order`
    /// replaced, for the page's links.
    pub fn link(&self, offset: u64, sort: Option<&str>, order: Option<&str>) -> String {
        let filters = [
            ("from", &self.from),
            ("to", &self.to),
            ("caller", &self.caller),
            ("callee", &self.callee),
            ("queue", &self.queue),
            ("agent", &self.agent),
            ("pbx", &self.pbx),
            ("status", &self.status),
            ("consent", &self.consent),
            ("min_duration", &self.min_duration),
            ("max_duration", &self.max_duration),
        ];
        let mut pairs: Vec<(&str, String)> = filters
            .iter()
            .filter_map(|(k, v)| given(v).map(|v| (*k, v.to_string())))
            .collect();
        let offset = (offset > 0).then(|| offset.to_string());
        for (k, v) in [
            ("sort", sort.or(given(&self.sort)).map(str::to_string)),
            ("order", order.or(given(&self.order)).map(str::to_string)),
            ("limit", given(&self.limit).map(str::to_string)),
            ("offset", offset),
        ] {
            if let Some(v) = v {
                pairs.push((k, v));
            }
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::users::Role;

    fn user(role: Role) -> User {
        User {
            name: "u".into(),
            role,
            queues: vec!["sales".into()],
            pbxs: Vec::new(),
            agent: Some("alice".into()),
        }
    }

    fn params(pairs: &str) -> Result<Params, String> {
        serde_urlencoded::from_str(pairs).map_err(|e| e.to_string())
    }

    #[test]
    fn scope_is_added_and_bad_values_named() {
        let q = params("caller=5551001&queue=&sort=duration&order=asc")
            .unwrap()
            .query(&user(Role::Supervisor))
            .unwrap();
        assert_eq!(q.caller.as_deref(), Some("5551001"));
        assert_eq!(q.queue, None);
        assert_eq!(q.queues_in, Some(vec!["sales".to_string()]));
        assert!(!q.descending && q.sort == Sort::Duration);
        let q = params("").unwrap().query(&user(Role::Agent)).unwrap();
        assert_eq!(q.party.as_deref(), Some("alice"));
        assert_eq!(q.limit, PAGE);
        assert!(params("callr=1").unwrap_err().contains("callr"));
        for (bad, what) in [
            ("from=yesterday", "'yesterday'"),
            ("from=2026-12-02&to=2026-12-01", "from is not before to"),
            ("limit=0", "limit"),
            ("limit=100000", "limit"),
            ("offset=-1", "offset"),
            ("min_duration=-3", "min_duration"),
            ("min_duration=NaN", "min_duration"),
            ("min_duration=9&max_duration=3", "more than"),
            ("sort=id", "sort"),
            ("order=up", "order"),
        ] {
            let e = params(bad).unwrap().query(&user(Role::Admin)).unwrap_err();
            assert!(e.contains(what), "{bad}: {e}");
        }
        // A day as `to` includes that day.
        let q = params("from=2026-12-01&to=2026-12-01")
            .unwrap()
            .query(&user(Role::Admin))
            .unwrap();
        assert_eq!(q.to_ms.unwrap() - q.from_ms.unwrap(), 86_400_000);
    }

    #[test]
    fn links_keep_the_search() {
        let p = params("caller=5551001&queue=&offset=50").unwrap();
        assert_eq!(p.link(100, None, None), "caller=5551001&offset=100");
        assert_eq!(
            p.link(0, Some("duration"), Some("asc")),
            "caller=5551001&sort=duration&order=asc"
        );
    }
}
