//! RTP packets in a pcap file, as sipp's play_pcap_audio replays them: a
//! phone's audio in a codec that sip-tester ships no pcap for (G.722).

use std::path::Path;

/// Write one RTP packet of `payload_type` per payload, `ptime_ms` apart,
/// the RTP timestamp advancing `ts_step` a packet, as Ethernet/IPv4/UDP
/// frames of a classic (microsecond) pcap file.  sipp rewrites addresses
/// and ports and paces the packets by the pcap's timestamps.
pub fn write_pcap(path: &Path, payload_type: u8, ts_step: u32, ptime_ms: u32, payloads: &[&[u8]]) {
    let mut out = Vec::new();
    // Magic, version 2.4, no zone, no accuracy, snap length, Ethernet.
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (i, payload) in payloads.iter().enumerate() {
        let i = i as u32;
        let frame = ethernet_ipv4_udp(&rtp(payload_type, i, ts_step, payload));
        let micros = u64::from(i) * u64::from(ptime_ms) * 1000;
        out.extend_from_slice(&((micros / 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&((micros % 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&frame);
    }
    std::fs::write(path, out).unwrap();
}

fn rtp(payload_type: u8, seq: u32, ts_step: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, payload_type & 0x7f];
    p.extend_from_slice(&(seq as u16).to_be_bytes());
    p.extend_from_slice(&seq.wrapping_mul(ts_step).to_be_bytes());
    p.extend_from_slice(&0x1e9a_c0deu32.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

fn ethernet_ipv4_udp(udp_payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00];
    let udp_len = 8 + udp_payload.len();
    let mut ip = vec![0x45, 0];
    ip.extend_from_slice(&((20 + udp_len) as u16).to_be_bytes());
    ip.extend_from_slice(&[0, 0, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]);
    let sum = ip
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum::<u32>();
    let sum = (sum & 0xffff) + (sum >> 16);
    let sum = !(((sum & 0xffff) + (sum >> 16)) as u16);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    f.extend_from_slice(&ip);
    // Source and destination ports; checksum 0: none (IPv4 allows it).
    f.extend_from_slice(&6000u16.to_be_bytes());
    f.extend_from_slice(&6002u16.to_be_bytes());
    f.extend_from_slice(&(udp_len as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(udp_payload);
    f
}
