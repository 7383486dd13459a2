//! sipp (Debian's sip-tester) as a SIP phone, for both PBXs: a caller that
//! calls a service, or a phone that answers; either sends A-law audio (the
//! speech pcap sip-tester ships, or a tone made here) and presses keys as
//! RFC 2833 events (sip-tester's pcaps).

use std::net::UdpSocket;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// What the phone does once the call is up, in order.
#[derive(Clone, Copy, Debug)]
pub enum Step {
    /// Start sending the 7 s of A-law audio of g711a.pcap.
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
        Step::Audio => Some("pcap/g711a.pcap".into()),
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

/// 7 s of TONE_HZ as an Ethernet pcap of 20 ms RTP packets (payload type 8),
/// the shape of sip-tester's g711a.pcap.  sipp sends each UDP payload from
/// its own media port, so the addresses here do not matter.
fn tone_pcap() -> Vec<u8> {
    const PACKETS: u32 = 350;
    let mut out = Vec::new();
    // pcap header: version 2.4, snaplen 65535, Ethernet.
    for word in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
        out.extend_from_slice(&word.to_le_bytes());
    }
    for n in 0..PACKETS {
        let payload: Vec<u8> = (0..160)
            .map(|i| {
                let t = f64::from(n * 160 + i) / 8000.0;
                alaw_encode((8000.0 * (2.0 * std::f64::consts::PI * TONE_HZ * t).sin()) as i16)
            })
            .collect();
        let mut rtp = vec![0x80, if n == 0 { 0x88 } else { 0x08 }];
        rtp.extend_from_slice(&(n as u16).to_be_bytes());
        rtp.extend_from_slice(&(n * 160).to_be_bytes());
        rtp.extend_from_slice(&0x1e9a_7e57u32.to_be_bytes());
        rtp.extend_from_slice(&payload);
        let udp_len = (8 + rtp.len()) as u16;
        let mut ip = vec![
            0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
        ];
        ip[2..4].copy_from_slice(&(20 + udp_len).to_be_bytes());
        let sum: u32 = ip
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum();
        let sum = !((sum & 0xffff) + (sum >> 16)) as u16;
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        let mut pkt = vec![0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00];
        pkt.extend_from_slice(&ip);
        // UDP: ports, length, no checksum.
        for field in [6000u16, 6000, udp_len, 0] {
            pkt.extend_from_slice(&field.to_be_bytes());
        }
        pkt.extend_from_slice(&rtp);
        let usec = n * 20_000;
        for word in [
            usec / 1_000_000,
            usec % 1_000_000,
            pkt.len() as u32,
            pkt.len() as u32,
        ] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(&pkt);
    }
    out
}

/// A folder with the scenario and the pcaps it names.
fn workdir(scenario: &str) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/usr/share/sip-tester", work.path().join("pcap")).unwrap();
    std::fs::write(work.path().join("tone.pcap"), tone_pcap()).unwrap();
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
    let script = script(steps);
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
m=audio [auto_media_port] RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
]]></send>
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
    let work = workdir(&scenario);
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
m=audio [auto_media_port] RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
]]></send>
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
    let work = workdir(&scenario);
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
