//! A search over the index as one SQL statement: every filter a bound
//! parameter, sorting and paging done by the database.

use serde::Serialize;

/// What `legrec search` and the browser ask.  Empty fields do not filter.
#[derive(Clone, Debug, Default)]
pub struct Query {
    pub caller: Option<String>,
    pub callee: Option<String>,
    pub queue: Option<String>,
    /// The queue member who answered, or any party's member name.
    pub agent: Option<String>,
    pub pbx: Option<String>,
    pub status: Option<String>,
    pub consent: Option<String>,
    /// Milliseconds since the epoch; `from` inclusive, `to` exclusive.
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub min_duration: Option<f64>,
    pub max_duration: Option<f64>,
    /// Only these queues (a supervisor's scope); None = all.
    pub queues_in: Option<Vec<String>>,
    /// Only these PBXs (a user's `--pbx`); None = all.
    pub pbxs_in: Option<Vec<String>>,
    /// Only calls this agent took part in (an agent's scope).
    pub party: Option<String>,
    pub sort: Sort,
    pub descending: bool,
    pub limit: u32,
    pub offset: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Sort {
    #[default]
    Started,
    Duration,
    Caller,
    Queue,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Sort> {
        Some(match s {
            "started" => Sort::Started,
            "duration" => Sort::Duration,
            "caller" => Sort::Caller,
            "queue" => Sort::Queue,
            _ => return None,
        })
    }
    fn column(self) -> &'static str {
        match self {
            Sort::Started => "started_ms",
            Sort::Duration => "duration",
            Sort::Caller => "caller",
            Sort::Queue => "queue",
        }
    }
}

/// One recording in a list of results.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Summary {
    pub id: String,
    pub pbx: String,
    pub policy: String,
    pub queue: String,
    pub caller: String,
    pub caller_name: String,
    pub callee: String,
    pub agent: Option<String>,
    pub started_at: String,
    pub duration: f64,
    pub status: String,
    pub consent: String,
    pub law: Option<String>,
    pub masks: i64,
    pub pauses: i64,
    pub location: String,
}

pub const SUMMARY_COLUMNS: &str = "id, pbx, policy, queue, caller, caller_name, callee, agent, \
    started_at, duration, status, consent, law, masks, pauses, location";

/// A bound value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    Real(f64),
}

/// The statement and its values, `$1`.. in order (each used once, which
/// both SQLite and PostgreSQL read the same way).
pub struct Sql {
    pub text: String,
    pub values: Vec<Value>,
}

impl Sql {
    fn bind(&mut self, v: Value) -> String {
        self.values.push(v);
        format!("${}", self.values.len())
    }
}

impl Query {
    pub fn to_sql(&self) -> Sql {
        let mut sql = Sql {
            text: String::new(),
            values: Vec::new(),
        };
        let mut conds: Vec<String> = Vec::new();
        let eq = [
            ("caller", &self.caller),
            ("callee", &self.callee),
            ("queue", &self.queue),
            ("pbx", &self.pbx),
            ("status", &self.status),
            ("consent", &self.consent),
        ];
        for (col, v) in eq {
            if let Some(v) = v {
                let p = sql.bind(Value::Text(v.clone()));
                conds.push(format!("{col} = {p}"));
            }
        }
        for name in [&self.agent, &self.party].into_iter().flatten() {
            let a = sql.bind(Value::Text(name.clone()));
            let m = sql.bind(Value::Text(name.clone()));
            conds.push(format!(
                "(agent = {a} OR EXISTS (SELECT 1 FROM recording_peers p \
                 WHERE p.pbx = recordings.pbx AND p.id = recordings.id AND p.member = {m}))"
            ));
        }
        if let Some(t) = self.from_ms {
            let p = sql.bind(Value::Int(t));
            conds.push(format!("started_ms >= {p}"));
        }
        if let Some(t) = self.to_ms {
            let p = sql.bind(Value::Int(t));
            conds.push(format!("started_ms < {p}"));
        }
        if let Some(d) = self.min_duration {
            let p = sql.bind(Value::Real(d));
            conds.push(format!("duration >= {p}"));
        }
        if let Some(d) = self.max_duration {
            let p = sql.bind(Value::Real(d));
            conds.push(format!("duration <= {p}"));
        }
        for (col, within) in [("queue", &self.queues_in), ("pbx", &self.pbxs_in)] {
            let Some(within) = within else { continue };
            if within.is_empty() {
                conds.push("1 = 0".into());
            } else {
                let ps: Vec<String> = within
                    .iter()
                    .map(|q| sql.bind(Value::Text(q.clone())))
                    .collect();
                conds.push(format!("{col} IN ({})", ps.join(", ")));
            }
        }
        let order = if self.descending { "DESC" } else { "ASC" };
        // The id breaks ties so pages never repeat or skip a row.
        sql.text = format!(
            "SELECT {SUMMARY_COLUMNS} FROM recordings{}{} ORDER BY {} {order}, id {order}",
            if conds.is_empty() { "" } else { " WHERE " },
            conds.join(" AND "),
            self.sort.column(),
        );
        let limit = sql.bind(Value::Int(i64::from(self.limit.clamp(1, 1000))));
        let offset = sql.bind(Value::Int(self.offset.min(i64::MAX as u64) as i64));
        sql.text
            .push_str(&format!(" LIMIT {limit} OFFSET {offset}"));
        sql
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_bound_never_spliced() {
        let q = Query {
            caller: Some("'; DROP TABLE recordings; --".into()),
            queues_in: Some(vec!["a".into(), "b".into()]),
            limit: 50,
            descending: true,
            ..Default::default()
        };
        let sql = q.to_sql();
        assert!(!sql.text.contains("DROP"));
        assert_eq!(
            sql.text,
            format!(
                "SELECT {SUMMARY_COLUMNS} FROM recordings WHERE caller = $1 AND queue IN ($2, $3) \
                 ORDER BY started_ms DESC, id DESC LIMIT $4 OFFSET $5"
            )
        );
        assert_eq!(sql.values.len(), 5);
    }
}
