//! What each role may see, within the user's PBXs (`--pbx`) if named.  A search is narrowed in SQL (Query's
//! queues_in and party); one recording fetched by id is checked here by
//! the same rule, so a page and the list never disagree.

use super::users::{Role, User};
use crate::index::{Query, Record};

impl User {
    /// The name an agent has in recordings: `--agent`, else the user name.
    pub fn agent_name(&self) -> &str {
        self.agent.as_deref().unwrap_or(&self.name)
    }

    pub fn restrict(&self, q: &mut Query) {
        if !self.pbxs.is_empty() {
            q.pbxs_in = Some(self.pbxs.clone());
        }
        match self.role {
            Role::Supervisor => q.queues_in = Some(self.queues.clone()),
            Role::Agent => q.party = Some(self.agent_name().to_string()),
            Role::Admin | Role::Auditor => {}
        }
    }

    /// Query::party's rule: the agent who answered, or any peer's member.
    pub fn may_see(&self, r: &Record) -> bool {
        if !self.pbxs.is_empty() && !self.pbxs.contains(&r.summary.pbx) {
            return false;
        }
        match self.role {
            Role::Admin | Role::Auditor => true,
            Role::Supervisor => self.queues.contains(&r.summary.queue),
            Role::Agent => {
                let me = self.agent_name();
                r.summary.agent.as_deref() == Some(me)
                    || r.sidecar["peers"]
                        .as_array()
                        .is_some_and(|ps| ps.iter().any(|p| p["member"].as_str() == Some(me)))
            }
        }
    }
}
