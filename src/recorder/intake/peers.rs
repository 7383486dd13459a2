//! Who the recorded channel talked to, and when: the spans the shims
//! report as parties join and leave its bridge, and the agent who answered.

use crate::sidecar::Peer;

/// A party as the PBX describes it when it joins.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeerInfo {
    pub channel: String,
    pub number: String,
    pub name: String,
    pub member: String,
    pub interface: String,
}

/// The peers so far, kept with the recording's other control history.
#[derive(Default)]
pub struct PeerLog {
    pub peers: Vec<Peer>,
    /// A queue said who it connected before the bridge said who joined.
    pending: Option<(String, String)>,
}

impl PeerLog {
    /// `who` joined at `offset`.  Joining again while still joined (the
    /// PBX repeating itself) changes nothing.
    pub fn join(&mut self, who: PeerInfo, at: String, offset: f64) -> bool {
        if self.open(&who.channel).is_some() {
            return false;
        }
        let mut who = who;
        let pending_is_theirs = self
            .pending
            .as_ref()
            .is_some_and(|(_, i)| i.is_empty() || of_interface(&who.channel, i));
        if who.member.is_empty() && pending_is_theirs {
            if let Some((member, interface)) = self.pending.take() {
                (who.member, who.interface) = (member, interface);
            }
        } else if self.pending.as_ref().is_some_and(|(m, _)| *m == who.member) {
            // The queue said it first, the bridge said it too (Asterisk's
            // AgentConnect and MEMBERNAME): not a member still to come.
            self.pending = None;
        }
        let some = |s: String| (!s.is_empty()).then_some(s);
        self.peers.push(Peer {
            channel: who.channel,
            number: who.number,
            name: who.name,
            member: some(who.member),
            interface: some(who.interface),
            joined_at: at,
            joined: offset,
            left_at: None,
            left: None,
        });
        true
    }

    /// `channel` left at `offset`; false when it was not joined.
    pub fn leave(&mut self, channel: &str, at: String, offset: f64) -> bool {
        match self.open(channel) {
            Some(i) => {
                self.peers[i].left_at = Some(at);
                self.peers[i].left = Some(offset);
                true
            }
            None => false,
        }
    }

    /// A queue connected `member` of `interface` (Asterisk's AgentConnect
    /// or MEMBERNAME, mod_callcenter's bridge-agent-start; the interface
    /// may be empty).  A member already named stays where it is, whenever
    /// it is said again.  With an interface, the party whose channel is of
    /// that interface is it, whether still there or gone (the message may
    /// come after a transfer), or else the next of that interface to join;
    /// without one, the party there now without a member, or else the next
    /// to join.
    pub fn queue_member(&mut self, member: String, interface: String) {
        if self
            .peers
            .iter()
            .any(|p| p.member.as_deref() == Some(member.as_str()))
        {
            return;
        }
        let some = |s: String| (!s.is_empty()).then_some(s);
        let target = if interface.is_empty() {
            self.peers
                .iter_mut()
                .rev()
                .find(|p| p.left.is_none() && p.member.is_none())
        } else {
            self.peers
                .iter_mut()
                .rev()
                .find(|p| of_interface(&p.channel, &interface))
        };
        match target {
            Some(p) if p.member.is_none() => {
                p.member = some(member);
                p.interface = some(interface);
            }
            // That party was named already, as another member.
            Some(_) => {}
            None => self.pending = Some((member, interface)),
        }
    }

    /// The recording ended: whoever is still there leaves with it.
    pub fn close_all(&mut self, at: &str, offset: f64) {
        for p in self.peers.iter_mut().filter(|p| p.left.is_none()) {
            p.left_at = Some(at.to_string());
            p.left = Some(offset);
        }
    }

    /// The agent who answered: the member name of the first peer a queue
    /// connected (a transfer later does not change who answered).
    pub fn agent(&self) -> Option<&str> {
        self.peers.iter().find_map(|p| p.member.as_deref())
    }

    fn open(&self, channel: &str) -> Option<usize> {
        self.peers
            .iter()
            .rposition(|p| p.channel == channel && p.left.is_none())
    }
}

/// True when `channel` is a channel of the queue member `interface`:
/// "PJSIP/agent1" has "PJSIP/agent1-00000004", "Local/alice@ctx/n" has
/// "Local/alice@ctx-0001;1" (a Local interface's options are not in its
/// channels' names).
pub fn of_interface(channel: &str, interface: &str) -> bool {
    let base = match interface.strip_prefix("Local/") {
        Some(rest) => match rest.find('/') {
            Some(slash) => &interface[..6 + slash],
            None => interface,
        },
        None => interface,
    };
    !base.is_empty()
        && channel
            .strip_prefix(base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(channel: &str, member: &str) -> PeerInfo {
        PeerInfo {
            channel: channel.into(),
            member: member.into(),
            ..Default::default()
        }
    }

    #[test]
    fn channels_of_an_interface() {
        assert!(of_interface("PJSIP/agent1-00000004", "PJSIP/agent1"));
        assert!(of_interface("Local/alice@ctx-0001;1", "Local/alice@ctx/n"));
        assert!(of_interface("Local/alice@ctx-0001;1", "Local/alice@ctx"));
        assert!(!of_interface("PJSIP/agent10-00000004", "PJSIP/agent1"));
        assert!(!of_interface("PJSIP/bob-1", "PJSIP/agent1"));
        assert!(!of_interface("PJSIP/agent1-1", ""));
    }

    #[test]
    fn a_late_queue_message_names_the_member_who_answered_not_the_transfer_target() {
        let mut log = PeerLog::default();
        log.join(who("Local/alice@q-0001;1", ""), "t0".into(), 1.0);
        log.leave("Local/alice@q-0001;1", "t1".into(), 5.0);
        log.join(who("PJSIP/bob-2", ""), "t1".into(), 5.0);
        log.queue_member("Alice".into(), "Local/alice@q/n".into());
        assert_eq!(log.peers[0].member.as_deref(), Some("Alice"));
        assert_eq!(log.peers[1].member, None);
        // Said again (MEMBERNAME on every later join): nothing moves.
        log.queue_member("Alice".into(), "Local/alice@q/n".into());
        log.join(who("PJSIP/carol-3", ""), "t2".into(), 9.0);
        assert_eq!(log.peers[2].member, None);
    }

    #[test]
    fn a_queue_message_before_the_bridge_waits_for_its_member() {
        let mut log = PeerLog::default();
        log.queue_member("Alice".into(), "PJSIP/a1".into());
        // Someone else first (a transfer target, a pickup): not Alice.
        log.join(who("PJSIP/bob-1", ""), "t0".into(), 1.0);
        log.join(who("PJSIP/a1-2", ""), "t1".into(), 2.0);
        assert_eq!(log.peers[0].member, None);
        assert_eq!(log.peers[1].member.as_deref(), Some("Alice"));
    }

    #[test]
    fn a_member_said_by_the_queue_and_the_bridge_is_one_member() {
        let mut log = PeerLog::default();
        log.queue_member("Alice".into(), "PJSIP/a1".into());
        assert!(log.join(who("PJSIP/a1-1", "Alice"), "t0".into(), 1.0));
        // A party transferred in later is no queue member.
        assert!(log.join(who("PJSIP/bob-2", ""), "t1".into(), 9.0));
        assert_eq!(log.peers[1].member, None);
        assert_eq!(log.agent(), Some("Alice"));
    }

    #[test]
    fn a_transfer_is_two_spans_and_the_first_agent_answered() {
        let mut log = PeerLog::default();
        assert!(log.join(who("PJSIP/a1-1", "Alice"), "t0".into(), 4.0));
        assert!(!log.join(who("PJSIP/a1-1", "Alice"), "t0".into(), 5.0));
        assert!(log.join(who("PJSIP/a2-2", "Bob"), "t1".into(), 30.0));
        assert!(log.leave("PJSIP/a1-1", "t2".into(), 31.0));
        assert!(!log.leave("PJSIP/a1-1", "t2".into(), 32.0));
        log.close_all("t3", 60.0);
        let spans: Vec<_> = log.peers.iter().map(|p| (p.joined, p.left)).collect();
        assert_eq!(spans, [(4.0, Some(31.0)), (30.0, Some(60.0))]);
        assert_eq!(log.agent(), Some("Alice"));
        // Back again after leaving: a new span.
        let mut log = PeerLog::default();
        log.join(who("X", ""), "t".into(), 1.0);
        log.leave("X", "t".into(), 2.0);
        log.join(who("X", ""), "t".into(), 3.0);
        assert_eq!(log.peers.len(), 2);
        assert_eq!(log.agent(), None);
    }

    #[test]
    fn a_queue_may_name_its_member_before_or_after_the_bridge() {
        let mut log = PeerLog::default();
        log.join(who("loopback/phone-a", ""), "t".into(), 4.0);
        log.queue_member("agent1".into(), String::new());
        log.queue_member("agent1".into(), String::new());
        assert_eq!(log.agent(), Some("agent1"));
        let mut log = PeerLog::default();
        log.queue_member("agent1".into(), "loopback/agent".into());
        log.join(who("loopback/agent-a", ""), "t".into(), 4.0);
        assert_eq!(log.peers[0].interface.as_deref(), Some("loopback/agent"));
        assert_eq!(log.agent(), Some("agent1"));
    }
}
