//! mod_legrec on a real FreeSWITCH (built from source; see the README),
//! started in a sandbox folder: a loopback call through a mod_callcenter
//! queue, the API, events, reload, and a consent opt-out by DTMF.  Where no
//! FreeSWITCH is found these tests are reported as ignored.

mod common;

use std::time::Duration;

use common::asterisk::{beep_windows, rms, tone_share};
use common::freeswitch::Sandbox;
use common::*;

const RATE: f64 = 8000.0;

const DIALPLAN: &str = r#"
  <extension name="queue"><condition field="destination_number" expression="^rec$">
    <action application="answer"/>
    <action application="set" data="legrec_queue=support"/>
    <action application="legrec" data="support"/>
    <action application="callcenter" data="support@default"/>
  </condition></extension>
  <!-- The queue's agent contact is loopback/agent: mod_callcenter waits for
       a loopback agent leg to be bridged on to the agent's phone. -->
  <extension name="agent"><condition field="destination_number" expression="^agent$">
    <action application="bridge" data="loopback/agentphone/default"/>
  </condition></extension>
  <extension name="agentphone"><condition field="destination_number" expression="^agentphone$">
    <action application="answer"/>
    <action application="playback" data="tone_stream://%(3000,0,1000)"/>
    <action application="hangup"/>
  </condition></extension>
  <extension name="park"><condition field="destination_number" expression="^park$">
    <action application="answer"/>
    <action application="park"/>
  </condition></extension>
  <extension name="second"><condition field="destination_number" expression="^second$">
    <action application="playback" data="tone_stream://%(3000,0,1000)"/>
    <action application="hangup"/>
  </condition></extension>
  <extension name="beep"><condition field="destination_number" expression="^beep$">
    <action application="answer"/>
    <action application="legrec" data="beeping"/>
    <action application="playback" data="silence_stream://12000"/>
    <action application="hangup"/>
  </condition></extension>
  <extension name="hooked"><condition field="destination_number" expression="^hooked$">
    <action application="answer"/>
    <action application="legrec" data="hooked"/>
    <action application="playback" data="silence_stream://1500"/>
    <action application="hangup"/>
  </condition></extension>
  <extension name="nosound"><condition field="destination_number" expression="^nosound$">
    <action application="answer"/>
    <action application="legrec" data="nosound"/>
    <action application="playback" data="silence_stream://1500"/>
    <action application="hangup"/>
  </condition></extension>
  <extension name="optout"><condition field="destination_number" expression="^optout$">
    <action application="answer"/>
    <action application="legrec" data="optout"/>
    <action application="set" data="api_result=${legrec_status}"/>
    <action application="log" data="INFO legrec_status=${legrec_status}"/>
    <action application="sleep" data="4000"/>
    <action application="hangup"/>
  </condition></extension>
  <extension name="agentonly"><condition field="destination_number" expression="^agentonly$">
    <action application="answer"/>
    <action application="legrec" data="agentonly"/>
    <action application="log" data="INFO legrec_status=${legrec_status}"/>
    <action application="playback" data="tone_stream://%(30000,0,1000)"/>
    <action application="hangup"/>
  </condition></extension>
"#;

const OPTOUT_POLICY: &str = r#"
    <policy name="beeping">
      <param name="notice" value=""/>
      <param name="beep_interval" value="5"/>
    </policy>
    <policy name="nosound">
      <param name="notice" value="no-such-notice.wav"/>
    </policy>
    <policy name="optout">
      <param name="notice" value=""/>
      <param name="consent" value="opt-out"/>
      <param name="consent_prompt" value="legrec-optout.wav"/>
      <param name="consent_timeout" value="6"/>
    </policy>
    <policy name="agentonly">
      <param name="notice" value=""/>
      <param name="consent" value="opt-out"/>
      <param name="consent_prompt" value="legrec-optout.wav"/>
      <param name="consent_timeout" value="6"/>
      <param name="declined_action" value="agent-only"/>
    </policy>
  </policies>"#;

fn sandbox() -> Sandbox {
    let mut sb = Sandbox::new(DIALPLAN);
    let conf = sb.conf().join("legrec.conf.xml");
    let text = std::fs::read_to_string(&conf)
        .unwrap()
        .replace("  </policies>", OPTOUT_POLICY);
    std::fs::write(&conf, text).unwrap();
    sb.start();
    sb
}

/// The uuid of the parked loopback leg (the channel list is updated in the
/// background).
fn parked_uuid(sb: &Sandbox) -> String {
    let mut uuid = String::new();
    sb.wait_for("the parked channel", Duration::from_secs(5), || {
        let list = sb.api("show channels");
        let found = list
            .lines()
            .find(|l| l.contains("loopback/park-b"))
            .and_then(|l| l.split(',').next());
        uuid = found.unwrap_or_default().to_string();
        found.is_some()
    });
    uuid
}

#[test]
#[cfg_attr(
    not(has_freeswitch),
    ignore = "FreeSWITCH not found by scripts/find-freeswitch: skipped"
)]
fn a_callcenter_queue_call_records_caller_and_agent_on_aligned_legs() {
    let sb = sandbox();
    let events = sb.events();
    let out = sb.api("originate loopback/rec/default &playback(tone_stream://%(12000,0,500))");
    assert!(out.starts_with("+OK"), "{out}");
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(40));
    let sc = read_sidecar(&sidecars[0]);
    assert_eq!(sc.status, "complete");
    assert!(sc.pbx.starts_with("FreeSWITCH 1."), "{}", sc.pbx);
    assert_eq!(sc.channel, "loopback/rec-b");
    assert_eq!(sc.queue, "support");
    for leg in &sc.legs {
        flac_test(&sidecars[0].parent().unwrap().join(&leg.file));
        assert_eq!(leg.dropped_samples, 0);
    }
    let li = flac_decode(&leg_path(&sidecars[0], &sc, "in"));
    let lo = flac_decode(&leg_path(&sidecars[0], &sc, "out"));
    assert!(
        li.len().abs_diff(lo.len()) <= 160,
        "legs {} vs {}",
        li.len(),
        lo.len()
    );
    let len = li.len() as f64 / RATE;
    let t = |s: &str| humantime::parse_rfc3339(s).unwrap();
    let call = t(sc.ended_at.as_deref().unwrap())
        .duration_since(t(&sc.started_at))
        .unwrap()
        .as_secs_f64();
    assert!(
        (len - call).abs() < 0.5,
        "recorded {len:.2} s of a {call:.2} s call"
    );
    // Caller's 500 Hz in `in`; the notice, then the agent's 1000 Hz in `out`.
    assert!(tone_share(window(&li, 1.0, len - 1.0), RATE, 500.0) > 0.8);
    let notice = window(&lo, 0.2, 3.5);
    assert!(
        rms(notice) > 300.0 && tone_share(notice, RATE, 1000.0) < 0.2,
        "notice first"
    );
    let agent = (5..(len as usize * 4 - 2))
        .map(|q| window(&lo, q as f64 / 4.0, q as f64 / 4.0 + 0.5))
        .filter(|w| tone_share(w, RATE, 1000.0) > 0.8)
        .count();
    assert!(
        agent >= 8,
        "the agent's tone for 2 s or more in out ({agent} quarter seconds)"
    );
    assert_eq!(sc.notice[0].party, "caller");
    let (ok, text) = legrec_verify(&sb.recordings());
    assert!(ok, "{text}");
    // Who talked: mod_callcenter's agent, joined and left in recording time.
    assert_eq!(sc.agent.as_deref(), Some("agent1"), "{:#?}", sc.peers);
    let p = sc
        .peers
        .iter()
        .find(|p| p.member.is_some())
        .expect("the agent's leg");
    let left = p.left.expect("the agent left");
    assert!(
        p.joined > 2.0 && left > p.joined + 1.5,
        "after the notice, for the agent's tone: {p:?}"
    );

    let start = events.wait("legrec::start", Duration::from_secs(5));
    assert!(start.contains(&format!("Legrec-Id: {}", sc.id)), "{start}");
    let stop = events.wait("legrec::stop", Duration::from_secs(5));
    assert!(stop.contains("Legrec-Status: COMPLETE"), "{stop}");
    assert!(stop.contains("Legrec-Agent: agent1"), "{stop}");
    // Core log lines reach FreeSWITCH's log, with the session's uuid.
    let log = sb.log();
    let line = log
        .lines()
        .find(|l| l.contains(&format!("recording {} started", sc.id)))
        .expect("start logged");
    assert!(line.starts_with(&sc.uniqueid), "{line}");
}

#[test]
#[cfg_attr(
    not(has_freeswitch),
    ignore = "FreeSWITCH not found by scripts/find-freeswitch: skipped"
)]
fn the_api_starts_masks_pauses_and_stops_and_reload_keeps_a_good_config() {
    let sb = sandbox();
    let out = sb.api("originate loopback/park/default &playback(tone_stream://%(20000,0,500))");
    assert!(out.starts_with("+OK"), "{out}");
    let uuid = parked_uuid(&sb);
    // Nobody can press a key for an API start: refused before any file.
    assert!(sb
        .api(&format!("legrec start {uuid} optout"))
        .starts_with("-ERR"));
    assert!(
        !sb.recordings().join("optout").exists(),
        "a refused start left files behind"
    );
    assert!(sb
        .api(&format!("legrec start {uuid} support"))
        .contains("+OK RECORDING"));
    assert!(sb
        .api(&format!("uuid_getvar {uuid} legrec_status"))
        .contains("RECORDING"));
    assert!(sb.api("legrec status").contains("loopback/park-b"));
    std::thread::sleep(Duration::from_millis(1000));
    assert!(sb.api(&format!("legrec mask {uuid}")).starts_with("+OK"));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(sb.api(&format!("legrec unmask {uuid}")).starts_with("+OK"));
    assert!(
        sb.api(&format!("legrec unmask {uuid}")).starts_with("-ERR"),
        "second unmask refused"
    );
    assert!(sb.api(&format!("legrec pause {uuid}")).starts_with("+OK"));
    std::thread::sleep(Duration::from_millis(1000));
    assert!(sb.api(&format!("legrec resume {uuid}")).starts_with("+OK"));
    assert!(sb
        .api("legrec mask 00000000-0000-0000-0000-000000000000")
        .contains("-ERR no such session"));

    // Reload: a broken value is refused and named; a good change is taken.
    let conf = sb.conf().join("legrec.conf.xml");
    let good = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(
        &conf,
        good.replace(r#""legs" value="split""#, r#""legs" value="sideways""#),
    )
    .unwrap();
    sb.api("reloadxml");
    let out = sb.api("legrec reload");
    assert!(
        out.contains("-ERR") && out.contains("[support] legs = 'sideways'"),
        "{out}"
    );
    std::fs::write(
        &conf,
        good.replace("</policies>", r#"<policy name="extra"/></policies>"#),
    )
    .unwrap();
    sb.api("reloadxml");
    assert!(sb.api("legrec reload").contains("+OK"));
    assert!(
        sb.api("legrec policies").contains("extra,"),
        "a policy at every default"
    );
    assert!(
        sb.api("legrec status").contains("loopback/park-b"),
        "the live recording goes on"
    );

    assert!(sb.api(&format!("legrec stop {uuid}")).starts_with("+OK"));
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(10));
    let sc = read_sidecar(&sidecars[0]);
    assert_eq!(sc.masks.len(), 1);
    assert_eq!(sc.masks[0].by, "api");
    assert_eq!(sc.pauses.len(), 1);
    let li = flac_decode(&leg_path(&sidecars[0], &sc, "in"));
    let m = &sc.masks[0];
    assert!(
        rms(window(
            &li,
            m.start_offset + 0.2,
            m.end_offset.unwrap() - 0.2
        )) < 1.0,
        "masked = silence"
    );
    assert!(tone_share(window(&li, 0.2, m.start_offset - 0.1), RATE, 500.0) > 0.8);
    sb.api("hupall");
}

#[test]
#[cfg_attr(
    not(has_freeswitch),
    ignore = "FreeSWITCH not found by scripts/find-freeswitch: skipped"
)]
fn a_consent_opt_out_by_dtmf_keeps_nothing() {
    let sb = sandbox();
    let events = sb.events();
    // The calling side presses 1 (RFC 2833 over loopback) 1.5 s in.
    let out = sb.api("originate loopback/optout/default sleep:1500,send_dtmf:1,sleep:6000 inline");
    assert!(out.starts_with("+OK"), "{out}");
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(20));
    let sc = read_sidecar(&sidecars[0]);
    assert_eq!(sc.status, "declined", "{:?}", sc.consent);
    assert!(sc.legs.is_empty());
    assert_eq!(sc.consent.digit.as_deref(), Some("1"));
    let flacs = flac_count(sidecars[0].parent().unwrap());
    assert_eq!(flacs, 0);
    assert!(sb.log().contains("legrec_status=DECLINED"));
    let ev = events.wait("legrec::consent", Duration::from_secs(5));
    assert!(ev.contains("Legrec-Status: DECLINED"), "{ev}");
    let (ok, text) = legrec_verify(&sb.recordings());
    assert!(ok, "{text}");
}

#[test]
#[cfg_attr(
    not(has_freeswitch),
    ignore = "FreeSWITCH not found by scripts/find-freeswitch: skipped"
)]
fn the_recording_follows_the_session_through_a_transfer() {
    let sb = sandbox();
    sb.api("originate loopback/park/default &playback(tone_stream://%(20000,0,500))");
    let uuid = parked_uuid(&sb);
    assert!(sb
        .api(&format!("legrec start {uuid} support"))
        .contains("+OK"));
    std::thread::sleep(Duration::from_millis(2000));
    assert!(sb
        .api(&format!("uuid_transfer {uuid} second XML default"))
        .starts_with("+OK"));
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(15));
    assert_eq!(sidecars.len(), 1, "one recording across the transfer");
    let sc = read_sidecar(&sidecars[0]);
    let lo = flac_decode(&leg_path(&sidecars[0], &sc, "out"));
    let li = flac_decode(&leg_path(&sidecars[0], &sc, "in"));
    let len = lo.len() as f64 / RATE;
    assert!(len > 4.0, "{len} s: before and after the transfer");
    assert!(
        tone_share(window(&li, 0.2, 1.8), RATE, 500.0) > 0.8,
        "caller before the transfer"
    );
    // The 3 s tone played after the transfer, wherever the hangup's timing
    // puts the end of the file.
    let after = (4..(len as usize * 2))
        .filter(|h| {
            tone_share(
                window(&lo, *h as f64 / 2.0, *h as f64 / 2.0 + 0.5),
                RATE,
                1000.0,
            ) > 0.8
        })
        .count();
    let profile: Vec<String> = (0..(len as usize * 2))
        .map(|h| {
            let w = window(&lo, h as f64 / 2.0, h as f64 / 2.0 + 0.5);
            format!(
                "{:.1}s:{:.0}/{:.2}",
                h as f64 / 2.0,
                rms(w),
                tone_share(w, RATE, 1000.0)
            )
        })
        .collect();
    assert!(
        after >= 4,
        "the tone after the transfer for 2 s or more ({after} half seconds): {profile:?} {:?}",
        sc.ended_at
    );
}

#[test]
#[cfg_attr(
    not(has_freeswitch),
    ignore = "FreeSWITCH not found by scripts/find-freeswitch: skipped"
)]
fn the_warning_beep_is_heard_every_interval() {
    let sb = sandbox();
    assert!(sb
        .api("originate loopback/beep/default &park")
        .starts_with("+OK"));
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(30));
    let sc = read_sidecar(&sidecars[0]);
    let lo = flac_decode(&leg_path(&sidecars[0], &sc, "out"));
    let (on, starts) = beep_windows(&lo, 0.7);
    assert_eq!(starts.len(), 2, "two beeps in 12 s: {on:?}");
    for (k, s) in starts.iter().enumerate() {
        let at = *s as f64 / 10.0;
        assert!(
            (at - 5.0 * (k + 1) as f64).abs() <= 0.3,
            "beep {k} at {at} s"
        );
    }
    assert_eq!(sc.beeps.as_ref().unwrap().count, 2);
    sb.api("hupall");
}

#[test]
#[cfg_attr(
    not(has_freeswitch),
    ignore = "FreeSWITCH not found by scripts/find-freeswitch: skipped"
)]
fn a_notice_that_cannot_be_played_is_not_listed_as_played() {
    // Before the redesign mod_legrec noted the notice before playing it, so
    // a missing sound still appeared in the sidecar as played.
    let sb = sandbox();
    let out = sb.api("originate loopback/nosound/default &playback(silence_stream://3000)");
    assert!(out.starts_with("+OK"), "{out}");
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(20));
    let sc = read_sidecar(&sidecars[0]);
    assert_eq!(sc.status, "complete");
    assert!(sc.notice.is_empty(), "{:?}", sc.notice);
    let log = sb.log();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("no-such-notice"))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("could not play recording notice")),
        "{lines:#?}"
    );
}

#[test]
#[cfg_attr(
    not(has_freeswitch),
    ignore = "FreeSWITCH not found by scripts/find-freeswitch: skipped"
)]
fn unloading_the_module_finalizes_an_agent_only_declined_recording_and_freeswitch_goes_on() {
    let sb = sandbox();
    // The caller presses 1: declined, and agent-only keeps recording what
    // the caller hears, so the media bug stays on the session.
    let out =
        sb.api("originate loopback/agentonly/default sleep:1500,send_dtmf:1,sleep:30000 inline");
    assert!(out.starts_with("+OK"), "{out}");
    sb.wait_for("the refusal", Duration::from_secs(15), || {
        sb.log().contains("legrec_status=DECLINED")
    });
    std::thread::sleep(Duration::from_millis(1000));
    let out = sb.api("unload mod_legrec");
    assert!(out.contains("+OK"), "unload: {out}");
    // Media goes on flowing through the session for a while.
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        sb.api("status").contains("UP"),
        "FreeSWITCH died after the unload: {}",
        common::asterisk::tail(&sb.log(), 20)
    );
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(10));
    let sc = read_sidecar(&sidecars[0]);
    assert_eq!(sc.status, "declined", "{:?}", sc.consent);
    let names: Vec<&str> = sc.legs.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["out"], "only what the caller heard is kept");
    for leg in &sc.legs {
        flac_test(&sidecars[0].parent().unwrap().join(&leg.file));
    }
    assert!(
        legrec::spool::layout::markers(&sb.recordings()).is_empty(),
        "the recording was finalized"
    );
    let (ok, text) = legrec_verify(&sb.recordings());
    assert!(ok, "{text}");
    sb.api("hupall");
    std::thread::sleep(Duration::from_millis(500));
    assert!(sb.api("status").contains("UP"), "FreeSWITCH died at hangup");
}

#[test]
#[cfg_attr(
    not(has_freeswitch),
    ignore = "FreeSWITCH not found by scripts/find-freeswitch: skipped"
)]
fn on_finish_runs_the_policys_command_with_the_final_sidecar() {
    use std::os::unix::fs::PermissionsExt;
    let mut sb = Sandbox::new(DIALPLAN);
    let ran = sb.path().join("ran.txt");
    let hook = sb.path().join("on-finish.sh");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\ntest -f \"$1\" && echo \"$1 $LEGREC_STATUS\" >> {}\n",
            ran.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let conf = sb.conf().join("legrec.conf.xml");
    let policy = format!(
        "<policy name=\"hooked\"><param name=\"notice\" value=\"\"/><param name=\"on_finish\" value=\"{}\"/></policy>\n  </policies>",
        hook.display()
    );
    let text = std::fs::read_to_string(&conf)
        .unwrap()
        .replace("  </policies>", &policy);
    std::fs::write(&conf, text).unwrap();
    sb.start();
    let out = sb.api("originate loopback/hooked/default &playback(silence_stream://3000)");
    assert!(out.starts_with("+OK"), "{out}");
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(20));
    sb.wait_for("the on_finish command", Duration::from_secs(10), || {
        ran.exists()
    });
    assert_eq!(
        std::fs::read_to_string(&ran).unwrap().trim(),
        format!("{} complete", sidecars[0].display())
    );
}
