//! One FLAC frame from one block of samples.
//!
//! What libFLAC does at its lower and middle levels, in the few forms
//! telephone audio needs: CONSTANT subframes for silence, "wasted bits"
//! (audio decoded from G.711 or GSM has its low 2-3 bits always zero, about
//! 15% of a raw leg), the fixed polynomial predictors, optionally linear
//! prediction (LPC) from a Tukey-windowed autocorrelation, and partitioned
//! Rice coding of the residual; VERBATIM when nothing beats it.  Stereo
//! files choose among independent, left/side, right/side and mid/side by
//! a quick estimate.
//!
//! Nothing here keeps state between frames: the buffers live in a
//! [`Scratch`] owned by the encoding thread and reused by every stream it
//! writes.

use super::bits::{crc16, crc8, BitWriter};
use super::kernels;

/// How hard to look for a small encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effort {
    /// 0 = fixed predictors only.
    pub max_lpc_order: usize,
    pub max_partition_order: u32,
}

impl Effort {
    /// libFLAC's 0-8 scale, roughly: 0-2 fixed predictors, 3-8 LPC.
    pub fn from_level(level: u32) -> Effort {
        let (max_lpc_order, max_partition_order) = match level {
            0 | 1 => (0, 3),
            2 => (0, 4),
            3 => (6, 4),
            4 => (8, 4),
            5 => (8, 5),
            6 => (8, 6),
            _ => (12, 6),
        };
        Effort {
            max_lpc_order,
            max_partition_order,
        }
    }
}

const MAX_RICE_PARAM: u32 = 14;

/// Reused buffers; one per encoding thread.
#[derive(Default)]
pub struct Scratch {
    channels: [Vec<i32>; 4],
    shifted: Vec<i32>,
    work: Work,
    pool: Vec<Vec<u32>>,
    bits: BitWriter,
}

/// The predictors' work buffers.
#[derive(Default)]
struct Work {
    window: Vec<f64>,
    windowed: Vec<f64>,
    sums: Vec<u64>,
    predicted: Vec<i64>,
    predicted_narrow: Vec<i32>,
}

enum Kind {
    Constant(i32),
    Verbatim,
    Fixed {
        order: usize,
    },
    Lpc {
        order: usize,
        precision: u32,
        shift: i32,
        coefs: [i32; 32],
    },
}

/// How one channel will be written, with its cost in bits.
struct Plan {
    kind: Kind,
    wasted: u32,
    bits: u64,
    rice: Rice,
    /// Folded residual (zigzag), for Fixed and Lpc.
    residual: Vec<u32>,
}

#[derive(Clone, Default)]
struct Rice {
    partition_order: u32,
    params: Vec<u32>,
}

/// Encode one block (`channels` slices of equal length, 16-bit samples)
/// as frame `number`; returns the frame's bytes (borrowed from `s`).
pub fn encode<'s>(
    s: &'s mut Scratch,
    interleaved: &[i16],
    channels: usize,
    number: u64,
    sample_rate: u32,
    effort: Effort,
) -> &'s [u8] {
    let n = interleaved.len() / channels;
    for (c, buf) in s.channels.iter_mut().enumerate().take(channels) {
        buf.clear();
        if channels == 1 {
            // Split legs are mono: a plain widening copy, which vectorizes.
            buf.extend(interleaved.iter().map(|&v| i32::from(v)));
            continue;
        }
        buf.extend(
            interleaved
                .iter()
                .skip(c)
                .step_by(channels)
                .map(|&v| i32::from(v)),
        );
    }
    let (assignment, plans) = if channels == 2 {
        stereo_plans(s, n, effort)
    } else {
        let plans = (0..channels)
            .map(|c| plan_channel(s, c, 16, effort))
            .collect::<Vec<_>>();
        ((channels - 1) as u8, plans)
    };

    let mut w = std::mem::take(&mut s.bits);
    w.clear();
    write_header(&mut w, n, number, sample_rate, assignment);
    for (i, plan) in plans.iter().enumerate() {
        let src = source_of(assignment, i);
        let bps = 16 + u32::from(is_side(assignment, i));
        write_subframe(&mut w, plan, &s.channels[src], bps);
    }
    w.align();
    let crc = crc16(&w.bytes);
    w.bytes.extend_from_slice(&crc.to_be_bytes());
    for p in plans {
        give_back(&mut s.pool, p.residual);
    }
    s.bits = w;
    &s.bits.bytes
}

/// Which scratch channel holds subframe `i` for a channel assignment:
/// 0 = left/mono, 1 = right, 2 = side, 3 = mid.
fn source_of(assignment: u8, i: usize) -> usize {
    match (assignment, i) {
        (8, 1) | (9, 0) | (10, 1) => 2,
        (9, 1) => 1,
        (10, 0) => 3,
        (_, i) => i,
    }
}

fn is_side(assignment: u8, i: usize) -> bool {
    source_of(assignment, i) == 2
}

fn stereo_plans(s: &mut Scratch, n: usize, effort: Effort) -> (u8, Vec<Plan>) {
    let (l, r) = (
        std::mem::take(&mut s.channels[0]),
        std::mem::take(&mut s.channels[1]),
    );
    s.channels[2].clear();
    s.channels[2].extend(l.iter().zip(&r).map(|(a, b)| a - b));
    s.channels[3].clear();
    s.channels[3].extend(l.iter().zip(&r).map(|(a, b)| (a + b) >> 1));
    s.channels[0] = l;
    s.channels[1] = r;
    debug_assert_eq!(s.channels[3].len(), n);
    // Pick the pair from a cheap estimate (the best fixed predictor's
    // residual), as libFLAC does, then plan only those two in full.
    let estimate = |x: &[i32]| -> u64 {
        if x.len() <= 8 {
            return x.len() as u64 * 17;
        }
        let (_, sum) = best_fixed_order_and_sum(x);
        best_param((x.len() - 4) as u64, 2 * sum).1
    };
    let est: Vec<u64> = (0..4).map(|c| estimate(&s.channels[c])).collect();
    let choices = [(1u8, 0, 1), (8, 0, 2), (9, 2, 1), (10, 3, 2)];
    let &(assignment, a, b) = choices
        .iter()
        .min_by_key(|(_, a, b)| est[*a] + est[*b])
        .expect("four choices");
    let bps = |c: usize| if c == 2 { 17 } else { 16 };
    let first = plan_channel(s, a, bps(a), effort);
    let second = plan_channel(s, b, bps(b), effort);
    (assignment, vec![first, second])
}

/// The cheapest way to write channel `c` of the block: constant, verbatim,
/// a fixed predictor or LPC, whichever needs the fewest bits.
fn plan_channel(s: &mut Scratch, c: usize, bps: u32, effort: Effort) -> Plan {
    let x = &s.channels[c];
    let n = x.len();
    let header = 8;
    if x.iter().all(|&v| v == x[0]) {
        return Plan {
            kind: Kind::Constant(x[0]),
            wasted: 0,
            bits: header + u64::from(bps),
            rice: Rice::default(),
            residual: Vec::new(),
        };
    }
    // Low bits zero in every sample are written once, not per sample.
    let wasted = x.iter().fold(0, |a, &v| a | v).trailing_zeros();
    let y: &[i32] = if wasted > 0 {
        s.shifted.clear();
        s.shifted.extend(x.iter().map(|&v| v >> wasted));
        &s.shifted
    } else {
        x
    };
    let shape = Shape {
        ebps: bps - wasted,
        header: header + u64::from(wasted),
        wasted,
        effort,
    };
    let mut best = Plan {
        kind: Kind::Verbatim,
        wasted,
        bits: shape.header + n as u64 * u64::from(shape.ebps),
        rice: Rice::default(),
        residual: Vec::new(),
    };
    let mut spare = s.pool.pop().unwrap_or_default();
    if n > 8 {
        let fixed = fixed_plan(y, &shape, &mut s.work, spare);
        spare = keep_cheaper(&mut best, fixed);
    }
    if effort.max_lpc_order > 0 && n > 2 * effort.max_lpc_order {
        spare = match lpc_plan(y, &shape, &mut s.work, spare) {
            Ok(lpc) => keep_cheaper(&mut best, lpc),
            Err(unused) => unused,
        };
    }
    give_back(&mut s.pool, spare);
    best
}

/// What every candidate of one channel shares.
struct Shape {
    /// Bits per sample once the wasted bits are gone.
    ebps: u32,
    /// Subframe header bits, wasted-bits field included.
    header: u64,
    wasted: u32,
    effort: Effort,
}

/// Keep the cheaper of `best` and `candidate`; the other's residual
/// buffer comes back for reuse.
fn keep_cheaper(best: &mut Plan, candidate: Plan) -> Vec<u32> {
    if candidate.bits < best.bits {
        std::mem::replace(best, candidate).residual
    } else {
        candidate.residual
    }
}

/// The best fixed predictor, its residual written into `residual`.
fn fixed_plan(y: &[i32], shape: &Shape, work: &mut Work, mut residual: Vec<u32>) -> Plan {
    let order = best_fixed_order(y);
    kernels::fixed_residual(y, order, &mut residual);
    let (rice_bits, rice) = rice_plan(
        &residual,
        y.len(),
        order,
        shape.effort.max_partition_order,
        &mut work.sums,
    );
    Plan {
        kind: Kind::Fixed { order },
        wasted: shape.wasted,
        bits: shape.header + order as u64 * u64::from(shape.ebps) + rice_bits,
        rice,
        residual,
    }
}

/// LPC with quantized coefficients, or the buffer back when there is no
/// usable predictor or its residual would overflow.
fn lpc_plan(
    y: &[i32],
    shape: &Shape,
    work: &mut Work,
    mut residual: Vec<u32>,
) -> Result<Plan, Vec<u32>> {
    let max_order = shape.effort.max_lpc_order;
    let Some((order, precision, shift, coefs)) =
        lpc_coefficients(y, max_order, &mut work.window, &mut work.windowed)
    else {
        return Err(residual);
    };
    // 32-bit sums when they cannot overflow (libFLAC's test).
    let order_bits = usize::BITS - (order - 1).leading_zeros();
    let fits = if shape.ebps + precision + order_bits <= 32 {
        kernels::lpc_predict_narrow(y, &coefs[..order], &mut work.predicted_narrow);
        kernels::lpc_residual(y, &work.predicted_narrow, shift, &mut residual)
    } else {
        kernels::lpc_predict_wide(y, &coefs[..order], &mut work.predicted);
        kernels::lpc_residual(y, &work.predicted, shift, &mut residual)
    };
    if !fits {
        return Err(residual);
    }
    let (rice_bits, rice) = rice_plan(
        &residual,
        y.len(),
        order,
        shape.effort.max_partition_order,
        &mut work.sums,
    );
    // Warm-up samples, precision (4) and shift (5), then the coefficients.
    let bits = shape.header
        + order as u64 * u64::from(shape.ebps)
        + 4
        + 5
        + order as u64 * u64::from(precision)
        + rice_bits;
    Ok(Plan {
        kind: Kind::Lpc {
            order,
            precision,
            shift,
            coefs,
        },
        wasted: shape.wasted,
        bits,
        rice,
        residual,
    })
}

/// Return a residual buffer for the next subframe (a few are enough).
fn give_back(pool: &mut Vec<Vec<u32>>, v: Vec<u32>) {
    if v.capacity() > 0 && pool.len() < 8 {
        pool.push(v);
    }
}

/// The fixed predictor order (0-4) with the smallest sum of absolute
/// residuals, all orders measured over the same samples.
fn best_fixed_order(x: &[i32]) -> usize {
    best_fixed_order_and_sum(x).0
}

fn best_fixed_order_and_sum(x: &[i32]) -> (usize, u64) {
    let sums = kernels::fixed_sums(x);
    let order = (0..5).min_by_key(|&o| sums[o]).unwrap_or(0);
    (order, sums[order])
}

/// Bits of `count` values summing to `sum` under Rice parameter `k`
/// (estimated as libFLAC does: the quotients' sum is about `sum >> k`).
#[inline]
fn rice_bits(count: u64, sum: u64, k: u32) -> u64 {
    count * (u64::from(k) + 1) + (sum >> k)
}

fn best_param(count: u64, sum: u64) -> (u32, u64) {
    if count == 0 {
        return (0, 0);
    }
    let mean = sum / count;
    let guess = if mean == 0 {
        0
    } else {
        63 - mean.leading_zeros()
    }
    .min(MAX_RICE_PARAM);
    let mut best = (guess, rice_bits(count, sum, guess));
    for k in [guess.saturating_sub(1), (guess + 1).min(MAX_RICE_PARAM)] {
        let b = rice_bits(count, sum, k);
        if b < best.1 {
            best = (k, b);
        }
    }
    best
}

/// Choose the partition order and per-partition Rice parameters for the
/// residual of a block of `n` samples after `order` warm-up samples.
/// Returns the cost in bits (coding method and order fields included).
fn rice_plan(
    r: &[u32],
    n: usize,
    order: usize,
    max_order: u32,
    sums: &mut Vec<u64>,
) -> (u64, Rice) {
    let mut top = 0;
    while top < max_order && n.is_multiple_of(1 << (top + 1)) && (n >> (top + 1)) > order {
        top += 1;
    }
    // Sums at the finest order, then each coarser order's sums merged
    // pairwise after them: level `l` starts at offset 2^(top+1) - 2^(l+1).
    kernels::partition_sums(r, n >> top, order, sums);
    let mut from = 0;
    for level in (0..top).rev() {
        let parts = 1usize << level;
        for p in 0..parts {
            let merged = sums[from + 2 * p] + sums[from + 2 * p + 1];
            sums.push(merged);
        }
        from += 2 * parts;
    }
    let level_sums = |level: u32| {
        let start = (1usize << (top + 1)) - (1usize << (level + 1));
        &sums[start..start + (1usize << level)]
    };
    let count = |level: u32, p: usize| ((n >> level) - if p == 0 { order } else { 0 }) as u64;
    let (bits, level) = (0..=top)
        .map(|level| {
            let bits: u64 = level_sums(level)
                .iter()
                .enumerate()
                .map(|(p, &sum)| 4 + best_param(count(level, p), sum).1)
                .sum();
            (2 + 4 + bits, level)
        })
        .min_by_key(|&(bits, level)| (bits, std::cmp::Reverse(level)))
        .expect("level 0 is always tried");
    let params = level_sums(level)
        .iter()
        .enumerate()
        .map(|(p, &sum)| best_param(count(level, p), sum).0)
        .collect();
    (
        bits,
        Rice {
            partition_order: level,
            params,
        },
    )
}

/// Linear prediction: Tukey(0.5)-windowed autocorrelation, Levinson-Durbin,
/// the order libFLAC's estimate prefers, coefficients quantized with error
/// feedback.  Returns (order, precision, shift, coefficients).
fn lpc_coefficients(
    y: &[i32],
    max_order: usize,
    window: &mut Vec<f64>,
    windowed: &mut Vec<f64>,
) -> Option<(usize, u32, i32, [i32; 32])> {
    let n = y.len();
    if window.len() != n {
        tukey(window, n, 0.5);
    }
    let mut autoc = [0f64; 33];
    kernels::autocorrelation(y, window, windowed, &mut autoc[..=max_order]);
    if autoc[0] <= 0.0 {
        return None;
    }
    // Levinson-Durbin, keeping each order's coefficients and error.
    let mut a = [0f64; 33];
    let mut per_order = [[0f64; 32]; 32];
    let mut errors = [0f64; 32];
    let mut err = autoc[0];
    for m in 1..=max_order {
        let mut k = autoc[m];
        for j in 1..m {
            k -= a[j] * autoc[m - j];
        }
        k /= err;
        let prev = a;
        a[m] = k;
        for j in 1..m {
            a[j] = prev[j] - k * prev[m - j];
        }
        err *= 1.0 - k * k;
        if err.is_nan() || err < 0.0 {
            err = 0.0;
        }
        per_order[m - 1][..m].copy_from_slice(&a[1..=m]);
        errors[m - 1] = err;
    }
    let precision = qlp_precision(n);
    let error_scale = 0.5 / n as f64;
    let order = (1..=max_order).min_by_key(|&o| {
        let e = errors[o - 1];
        let bps = if e > 0.0 {
            (0.5 * (error_scale * e).log2()).max(0.0)
        } else {
            0.0
        };
        (bps * (n - o) as f64) as u64 + (o as u64) * u64::from(precision)
    })?;
    let lp = &per_order[order - 1][..order];
    let cmax = lp.iter().fold(0f64, |m, c| m.max(c.abs()));
    if cmax.is_nan() || cmax <= 0.0 || !cmax.is_finite() {
        return None;
    }
    // One bit of the precision is the sign.
    let bits = precision as i32 - 1;
    let log2cmax = cmax.log2().floor() as i32 + 1;
    let shift = (bits - log2cmax).min(15);
    if shift < 0 {
        return None;
    }
    let (qmax, qmin) = ((1i32 << bits) - 1, -(1i32 << bits));
    let mut coefs = [0i32; 32];
    let mut error = 0f64;
    let scale = f64::from(1u32 << shift);
    for (q, &c) in coefs.iter_mut().zip(lp) {
        error += c * scale;
        let v = (error.round() as i32).clamp(qmin, qmax);
        error -= f64::from(v);
        *q = v;
    }
    Some((order, precision, shift, coefs))
}

/// libFLAC's choice of coefficient precision for 16-bit audio.
fn qlp_precision(block: usize) -> u32 {
    match block {
        0..=192 => 7,
        193..=384 => 8,
        385..=576 => 9,
        577..=1152 => 10,
        1153..=2304 => 11,
        2305..=4608 => 12,
        _ => 13,
    }
}

fn tukey(w: &mut Vec<f64>, n: usize, p: f64) {
    w.clear();
    w.resize(n, 1.0);
    let np = (p / 2.0 * n as f64) as usize;
    if np < 2 {
        return;
    }
    let np1 = (np - 1) as f64;
    for i in 0..np {
        let v = 0.5 - 0.5 * (std::f64::consts::PI * i as f64 / np1).cos();
        w[i] = v;
        w[n - 1 - i] = v;
    }
}

fn write_header(w: &mut BitWriter, n: usize, number: u64, sample_rate: u32, assignment: u8) {
    let (bs_code, bs_extra) = match n {
        192 => (1, None),
        576 => (2, None),
        1152 => (3, None),
        2304 => (4, None),
        4608 => (5, None),
        256 => (8, None),
        512 => (9, None),
        1024 => (10, None),
        2048 => (11, None),
        4096 => (12, None),
        _ if n <= 256 => (6, Some((8, n - 1))),
        _ => (7, Some((16, n - 1))),
    };
    let sr_code = match sample_rate {
        8000 => 4,
        16000 => 5,
        22050 => 6,
        24000 => 7,
        32000 => 8,
        44100 => 9,
        48000 => 10,
        96000 => 11,
        _ => 0, // from STREAMINFO
    };
    w.put(16, 0xfff8); // sync, reserved 0, fixed block size
    w.put(4, bs_code);
    w.put(4, sr_code);
    w.put(4, u64::from(assignment));
    w.put(3, 0b100); // 16 bits per sample
    w.put(1, 0);
    // The frame number, UTF-8 style (up to 36 bits in FLAC).
    if number < 0x80 {
        w.put(8, number);
    } else {
        let mut extra = 1;
        while extra < 6 && number >= 1u64 << (6 + 5 * extra) {
            extra += 1;
        }
        let lead = (0xff00u64 >> (extra + 1)) & 0xff;
        w.put(8, lead | (number >> (6 * extra)));
        for i in (0..extra).rev() {
            w.put(8, 0x80 | ((number >> (6 * i)) & 0x3f));
        }
    }
    if let Some((bits, v)) = bs_extra {
        w.put(bits, v as u64);
    }
    w.align();
    let crc = crc8(&w.bytes);
    w.put(8, u64::from(crc));
}

fn write_subframe(w: &mut BitWriter, plan: &Plan, x: &[i32], bps: u32) {
    let ebps = bps - plan.wasted;
    let kind = match plan.kind {
        Kind::Constant(_) => 0,
        Kind::Verbatim => 1,
        Kind::Fixed { order } => 8 | order as u64,
        Kind::Lpc { order, .. } => 32 | (order as u64 - 1),
    };
    w.put(1, 0);
    w.put(6, kind);
    if plan.wasted > 0 {
        w.put(1, 1);
        w.put(plan.wasted - 1, 0);
        w.put(1, 1);
    } else {
        w.put(1, 0);
    }
    let sample = |i: usize| i64::from(x[i] >> plan.wasted);
    match &plan.kind {
        Kind::Constant(v) => w.put_signed(bps, i64::from(*v)),
        Kind::Verbatim => {
            for i in 0..x.len() {
                w.put_signed(ebps, sample(i));
            }
        }
        Kind::Fixed { order } => {
            for i in 0..*order {
                w.put_signed(ebps, sample(i));
            }
            write_residual(w, plan, *order, x.len());
        }
        Kind::Lpc {
            order,
            precision,
            shift,
            coefs,
        } => {
            for i in 0..*order {
                w.put_signed(ebps, sample(i));
            }
            w.put(4, u64::from(precision - 1));
            w.put_signed(5, i64::from(*shift));
            for &c in &coefs[..*order] {
                w.put_signed(*precision, i64::from(c));
            }
            write_residual(w, plan, *order, x.len());
        }
    }
}

fn write_residual(w: &mut BitWriter, plan: &Plan, order: usize, n: usize) {
    let level = plan.rice.partition_order;
    w.put(2, 0); // 4-bit Rice parameters
    w.put(4, u64::from(level));
    let len = n >> level;
    let mut start = 0;
    for (p, &k) in plan.rice.params.iter().enumerate() {
        let end = (p + 1) * len - order;
        w.put(4, u64::from(k));
        for &u in &plan.residual[start..end] {
            w.rice(k, u);
        }
        start = end;
    }
}
