//! Bit packing and the two CRCs of a FLAC frame.

/// MSB-first bit writer into a reusable byte buffer.
#[derive(Default)]
pub struct BitWriter {
    pub bytes: Vec<u8>,
    acc: u64,
    /// Bits in `acc` not yet moved to `bytes` (always < 32 between calls).
    n: u32,
}

impl BitWriter {
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.acc = 0;
        self.n = 0;
    }

    /// Append the low `bits` (at most 32) bits of `value`.
    #[inline]
    pub fn put(&mut self, bits: u32, value: u64) {
        debug_assert!(bits <= 32);
        if bits == 0 {
            return;
        }
        self.acc = (self.acc << bits) | (value & ((1u64 << bits) - 1));
        self.n += bits;
        if self.n >= 32 {
            self.n -= 32;
            self.bytes
                .extend_from_slice(&((self.acc >> self.n) as u32).to_be_bytes());
        }
    }

    /// A signed value in `bits` two's-complement bits.
    #[inline]
    pub fn put_signed(&mut self, bits: u32, value: i64) {
        self.put(bits, value as u64);
    }

    /// One Rice-coded value: the quotient in unary (zeros, then a one), then
    /// the `k` low bits.
    #[inline]
    pub fn rice(&mut self, k: u32, u: u32) {
        let q = u >> k;
        let low = (1u64 << k) | u64::from(u & ((1u32 << k) - 1));
        if u64::from(q) + 1 + u64::from(k) <= 32 {
            self.put(q + 1 + k, low);
        } else {
            let mut zeros = q;
            while zeros >= 32 {
                self.put(32, 0);
                zeros -= 32;
            }
            self.put(zeros, 0);
            self.put(1 + k, low);
        }
    }

    /// Pad with zeros to a byte boundary and move every bit to `bytes`.
    pub fn align(&mut self) {
        let pad = (8 - self.n % 8) % 8;
        self.put(pad, 0);
        while self.n >= 8 {
            self.n -= 8;
            self.bytes.push((self.acc >> self.n) as u8);
        }
    }
}

// FLAC's two CRCs are the catalogued CRC-8/SMBUS and CRC-16/UMTS.  The
// frame CRC runs over every byte written, so it uses a 16-way sliced table
// (one table lookup per byte was a tenth of all encoding time).
static CRC8: crc::Crc<u8> = crc::Crc::<u8>::new(&crc::CRC_8_SMBUS);
static CRC16: crc::Crc<u16, crc::Table<16>> =
    crc::Crc::<u16, crc::Table<16>>::new(&crc::CRC_16_UMTS);

/// CRC-8 of a frame header (polynomial x^8 + x^2 + x + 1).
pub fn crc8(data: &[u8]) -> u8 {
    CRC8.checksum(data)
}

/// CRC-16 of a whole frame (polynomial x^16 + x^15 + x^2 + 1).
pub fn crc16(data: &[u8]) -> u16 {
    CRC16.checksum(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_come_out_msb_first_across_word_boundaries() {
        let mut w = BitWriter::default();
        w.put(3, 0b101);
        w.put(32, 0xdead_beef);
        w.rice(2, 9); // q = 2: 0 0 1, then 01
        w.put_signed(4, -3); // 1101
        w.align();
        // 101 + deadbeef + 00101 + 1101, padded
        let mut want = String::from("101");
        want += &format!("{:032b}", 0xdead_beefu32);
        want += "001011101";
        while want.len() % 8 != 0 {
            want.push('0');
        }
        let got: String = w.bytes.iter().map(|b| format!("{b:08b}")).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn long_unary_runs() {
        let mut w = BitWriter::default();
        w.rice(0, 70);
        w.align();
        let got: String = w.bytes.iter().map(|b| format!("{b:08b}")).collect();
        assert_eq!(&got[..71], format!("{}1", "0".repeat(70)));
    }

    #[test]
    fn crcs_match_known_values() {
        // CRC-8/SMBUS and CRC-16/UMTS (BUYPASS) of "123456789".
        assert_eq!(crc8(b"123456789"), 0xf4);
        assert_eq!(crc16(b"123456789"), 0xfee8);
    }
}
