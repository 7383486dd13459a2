//! sipp (Debian's sip-tester) as a SIP phone, for both PBXs: a caller that
//! calls a service, or a phone that answers; either sends A-law audio (the
//! speech pcap sip-tester ships, a tone made here, or the RTP of another
//! codec's pcap, see `Voice`) and presses keys as RFC 2833 events
//! (sip-tester's pcaps).

use std::net::UdpSocket;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The one codec a phone offers, and the RTP it sends as `Step::Audio`.
pub struct Voice<'a> {
    pub payload_type: u8,
    /// The SDP's rtpmap for it: "PCMA/8000", "G722/8000".
    pub rtpmap: &'a str,
    /// A pcap of RTP packets of that payload type, replayed as recorded.
    pub pcap: &'a str,
}

/// The 7 s of A-law audio that sip-tester ships.
pub const ALAW: Voice<'static> = Voice {
    payload_type: 8,
    rtpmap: "PCMA/8000",
    pcap: "/usr/share/sip-tester/g711a.pcap",
};

/// What the phone does once the call is up, in order.
#[derive(Clone, Copy, Debug)]
pub enum Step {
    /// Start sending the voice's audio (the 7 s of g711a.pcap by default).
    Audio,
    /// Start sending 7 s of a TONE_HZ tone, A-law: a sound whose every
    /// quarter second a test can tell in a recording.
    Tone,
    /// Press `0`-`9`, `*` or `#` (RFC 2833, 140 ms).  sipp plays one pcap
    /// at a time: a key interrupts the audio, so send Audio again after it.
    /// Each key's pcap has its own fixed RTP sequence numbers (1: 7984, 2:
    /// 8042 ... 9: 8293, `*`: 8397, `#`: 8436, 0: 12080), and FreeSWITCH
    /// drops an event numbered up to 100 below the last one: after a 7
    /// a 5 is lost, a 9 is not.
    Key(char),
    /// Let this many milliseconds go by.
    Wait(u64),
}

fn pcap(step: Step) -> Option<String> {
    match step {
        Step::Audio => Some("voice.pcap".into()),
        Step::Tone => Some("tone.pcap".into()),
        Step::Key('*') => Some("pcap/dtmf_2833_star.pcap".into()),
        Step::Key('#') => Some("pcap/dtmf_2833_pound.pcap".into()),
        Step::Key(d @ '0'..='9') => Some(format!("pcap/dtmf_2833_{d}.pcap")),
        Step::Key(k) => panic!("sip-tester has no pcap for the key {k:?}"),
        Step::Wait(_) => None,
    }
}

fn script(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| match (s, pcap(*s)) {
            (_, Some(p)) => {
                format!("  <nop><action><exec play_pcap_audio=\"{p}\"/></action></nop>\n")
            }
            (Step::Wait(ms), None) => format!("  <pause milliseconds=\"{ms}\"/>\n"),
            _ => unreachable!(),
        })
        .collect()
}

/// The frequency of `Step::Tone`.
pub const TONE_HZ: f64 = 1000.0;

/// A-law as G.711 encodes it (the inverse of the decoders the tests use).
fn alaw_encode(pcm: i16) -> u8 {
    const SEG_END: [i32; 8] = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
    let mut v = i32::from(pcm) >> 3;
    let mask = if v >= 0 {
        0xd5
    } else {
        v = -v - 1;
        0x55
    };
    let Some(seg) = SEG_END.iter().position(|&end| v <= end) else {
        return 0x7f ^ mask;
    };
    let shift = if seg < 2 { 1 } else { seg };
    (((seg as i32) << 4 | (v >> shift) & 0x0f) as u8) ^ mask
}

/// 7 s of TONE_HZ as 20 ms A-law RTP packets (payload type 8) in a pcap,
/// the shape of sip-tester's g711a.pcap.
fn write_tone_pcap(path: &std::path::Path) {
    let payloads: Vec<Vec<u8>> = (0..350u32)
        .map(|n| {
            (0..160)
                .map(|i| {
                    let t = f64::from(n * 160 + i) / 8000.0;
                    alaw_encode((8000.0 * (2.0 * std::f64::consts::PI * TONE_HZ * t).sin()) as i16)
                })
                .collect()
        })
        .collect();
    let payloads: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    super::rtp::write_pcap(path, 8, 160, 20, &payloads);
}

/// A folder with the scenario and the pcaps it names.
fn workdir(scenario: &str, voice: &Voice) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/usr/share/sip-tester", work.path().join("pcap")).unwrap();
    std::os::unix::fs::symlink(voice.pcap, work.path().join("voice.pcap")).unwrap();
    write_tone_pcap(&work.path().join("tone.pcap"));
    std::fs::write(work.path().join("scenario.xml"), scenario).unwrap();
    work
}

fn sipp(work: &Path, local_port: u16) -> Command {
    let mut cmd = Command::new("sipp");
    cmd.current_dir(work).args([
        "-sf",
        "scenario.xml",
        "-m",
        "1",
        "-i",
        "127.0.0.1",
        "-p",
        &local_port.to_string(),
        "-timeout",
        "40s",
        "-timeout_error",
        "-nostdin",
    ]);
    cmd
}

/// Call `service` at 127.0.0.1:`port`, do `steps`, hang up; sipp's output.
/// The PBX must not hang up first (sipp fails on a BYE it did not send).
pub fn call(port: u16, service: &str, steps: &[Step]) -> Output {
    call_with(port, service, steps, &ALAW)
}

/// `call`, offering and sending `voice`.
pub fn call_with(port: u16, service: &str, steps: &[Step], voice: &Voice) -> Output {
    let script = script(steps);
    let media = sdp_media(voice);
    let scenario = format!(
        r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="legrec caller">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: [service] <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
{media}]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: [service] <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0

]]></send>
{script}  <send retrans="500"><![CDATA[
BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: [service] <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>
</scenario>
"#
    );
    let work = workdir(&scenario, voice);
    sipp(work.path(), 0)
        .args(["-s", service])
        .arg(format!("127.0.0.1:{port}"))
        .output()
        .expect("sipp (sip-tester) installed")
}

/// A phone answering one call on 127.0.0.1:`port`: it answers, does
/// `steps`, then waits for the other side to hang up.  Wait for it with
/// `Answering::wait`; it is killed if dropped.
pub fn answer(port: u16, steps: &[Step]) -> Answering {
    let script = script(steps);
    let media = sdp_media(&ALAW);
    let scenario = format!(
        r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="legrec phone">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
{media}]]></send>
  <recv request="ACK" rtd="true" crlf="true"/>
{script}  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
</scenario>
"#
    );
    let work = workdir(&scenario, &ALAW);
    let child = sipp(work.path(), port)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sipp (sip-tester) installed");
    // Listening once the port is taken (a call sent before is refused).
    let end = Instant::now() + Duration::from_secs(10);
    while UdpSocket::bind(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < end, "sipp never listened on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    Answering {
        child: Some(child),
        _work: work,
    }
}

/// The SDP's audio lines offering `voice` and RFC 2833 keys.
fn sdp_media(voice: &Voice) -> String {
    let pt = voice.payload_type;
    format!(
        "m=audio [auto_media_port] RTP/AVP {pt} 101\na=rtpmap:{pt} {}\na=rtpmap:101 telephone-event/8000\na=fmtp:101 0-15\n",
        voice.rtpmap
    )
}

pub struct Answering {
    child: Option<Child>,
    _work: tempfile::TempDir,
}

impl Answering {
    /// sipp's output once the call is over.
    pub fn wait(mut self) -> Output {
        self.child.take().unwrap().wait_with_output().unwrap()
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
