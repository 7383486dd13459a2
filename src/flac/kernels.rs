//! The encoder's per-sample loops, each compiled twice more for the vector
//! units most x86-64 servers have (AVX2, SSE4.1) and picked at run time.
//!
//! Rust builds for the x86-64 baseline (SSE2), which has no 32-bit vector
//! multiply and no sign extension to 64 bits, so these loops ran as
//! shuffles; with the dispatch the same source becomes 8-lane code where
//! the CPU allows.  Each loop is written so that its lanes are independent
//! (no running recurrence), which is what lets the compiler vectorize it.
//! Results are identical on every path: integer arithmetic, and floating
//! point without fused multiply-add (Rust never contracts `a * b + c`).

use multiversion::multiversion;

/// Sums of absolute residuals of the fixed predictors of order 0-4, all
/// over samples 4.. so that they compare.
#[multiversion(targets("x86_64+avx2", "x86_64+sse4.1"))]
pub fn fixed_sums(x: &[i32]) -> [u64; 5] {
    let mut sums = [0u64; 5];
    if x.len() < 5 {
        return sums;
    }
    let n = x.len() - 4;
    // |x| < 2^17, so even the 4th difference (< 2^21) fits in i32.
    let (x0, x1, x2, x3, x4) = (&x[4..], &x[3..3 + n], &x[2..2 + n], &x[1..1 + n], &x[..n]);
    for i in 0..n {
        let e0 = x0[i];
        let e1 = e0 - x1[i];
        let e2 = e1 - (x1[i] - x2[i]);
        let e3 = e2 - (x1[i] - 2 * x2[i] + x3[i]);
        let e4 = e3 - (x1[i] - 3 * x2[i] + 3 * x3[i] - x4[i]);
        sums[0] += u64::from(e0.unsigned_abs());
        sums[1] += u64::from(e1.unsigned_abs());
        sums[2] += u64::from(e2.unsigned_abs());
        sums[3] += u64::from(e3.unsigned_abs());
        sums[4] += u64::from(e4.unsigned_abs());
    }
    sums
}

/// Zigzag: 0, -1, 1, -2 ... as 0, 1, 2, 3 ..., the form Rice codes.
#[inline(always)]
pub fn fold(r: i32) -> u32 {
    ((r << 1) ^ (r >> 31)) as u32
}

/// The folded residual of the fixed predictor of `order` (0-4).
#[multiversion(targets("x86_64+avx2", "x86_64+sse4.1"))]
pub fn fixed_residual(x: &[i32], order: usize, out: &mut Vec<u32>) {
    out.clear();
    let n = x.len();
    if n <= order {
        return;
    }
    let m = n - order;
    let at = |back: usize| &x[order - back..order - back + m];
    match order {
        0 => out.extend(x.iter().map(|&a| fold(a))),
        1 => out.extend(at(0).iter().zip(at(1)).map(|(&a, &b)| fold(a - b))),
        2 => out.extend(
            at(0)
                .iter()
                .zip(at(1))
                .zip(at(2))
                .map(|((&a, &b), &c)| fold(a - 2 * b + c)),
        ),
        3 => out.extend(
            at(0)
                .iter()
                .zip(at(1))
                .zip(at(2))
                .zip(at(3))
                .map(|(((&a, &b), &c), &d)| fold(a - 3 * b + 3 * c - d)),
        ),
        _ => out.extend(
            at(0)
                .iter()
                .zip(at(1))
                .zip(at(2))
                .zip(at(3))
                .zip(at(4))
                .map(|((((&a, &b), &c), &d), &e)| fold(a - 4 * b + 6 * c - 4 * d + e)),
        ),
    }
}

/// Autocorrelation of `y` times `window` at lags 0..autoc.len().
#[multiversion(targets("x86_64+avx2", "x86_64+sse4.1"))]
pub fn autocorrelation(y: &[i32], window: &[f64], windowed: &mut Vec<f64>, autoc: &mut [f64]) {
    windowed.clear();
    windowed.extend(y.iter().zip(window).map(|(&v, &w)| f64::from(v) * w));
    let n = windowed.len();
    for (lag, a) in autoc.iter_mut().enumerate() {
        if lag >= n {
            *a = 0.0;
            continue;
        }
        let (x, y) = (&windowed[lag..], &windowed[..n - lag]);
        // Eight independent running sums: one sum may not be reordered,
        // so a single accumulator would serialize on the add latency.
        let mut lanes = [0f64; 8];
        let (cx, cy) = (x.chunks_exact(8), y.chunks_exact(8));
        let tail: f64 = cx
            .remainder()
            .iter()
            .zip(cy.remainder())
            .map(|(a, b)| a * b)
            .sum();
        for (a, b) in cx.zip(cy) {
            for k in 0..8 {
                lanes[k] += a[k] * b[k];
            }
        }
        *a = lanes.iter().sum::<f64>() + tail;
    }
}

/// Predictions of quantized LPC (before the shift), coefficient-major so
/// that the inner loop runs along the samples; `mac` is one multiply-add
/// in the accumulator's width.
#[inline(always)]
fn lpc_predict<T: Copy + Default>(
    y: &[i32],
    coefs: &[i32],
    out: &mut Vec<T>,
    mac: impl Fn(T, i32, i32) -> T,
) {
    let order = coefs.len();
    let m = y.len() - order;
    out.clear();
    out.resize(m, T::default());
    for (j, &q) in coefs.iter().enumerate() {
        let past = &y[order - 1 - j..order - 1 - j + m];
        for (s, &v) in out.iter_mut().zip(past) {
            *s = mac(*s, q, v);
        }
    }
}

/// [`lpc_predict`] in 32 bits.  The caller makes sure the sums fit: bits
/// per sample + coefficient precision + log2(order) <= 32, as libFLAC checks.
#[multiversion(targets("x86_64+avx2", "x86_64+sse4.1"))]
pub fn lpc_predict_narrow(y: &[i32], coefs: &[i32], out: &mut Vec<i32>) {
    lpc_predict(y, coefs, out, |s, q, v| s.wrapping_add(q.wrapping_mul(v)));
}

/// [`lpc_predict`] in 64 bits, for wide samples or high orders.
#[multiversion(targets("x86_64+avx2", "x86_64+sse4.1"))]
pub fn lpc_predict_wide(y: &[i32], coefs: &[i32], out: &mut Vec<i64>) {
    lpc_predict(y, coefs, out, |s, q, v| s + i64::from(q) * i64::from(v));
}

/// Folded residual `y[order + i] - (predicted[i] >> shift)`; false when a
/// residual would not fit the format (|r| >= 2^30: a predictor gone wild).
#[multiversion(targets("x86_64+avx2", "x86_64+sse4.1"))]
pub fn lpc_residual<P: Copy + Into<i64>>(
    y: &[i32],
    predicted: &[P],
    shift: i32,
    out: &mut Vec<u32>,
) -> bool {
    out.clear();
    let order = y.len() - predicted.len();
    let mut wild = 0u64;
    out.extend(predicted.iter().zip(&y[order..]).map(|(&p, &v)| {
        let r = i64::from(v) - (p.into() >> shift);
        wild |= (r + (1 << 30)) as u64 >> 31;
        ((r << 1) ^ (r >> 63)) as u32
    }));
    wild == 0
}

/// Sum of each run of `len` values (the first one `len - first_short`
/// long): Rice partition sums at the finest partition order.
#[multiversion(targets("x86_64+avx2", "x86_64+sse4.1"))]
pub fn partition_sums(r: &[u32], len: usize, first_short: usize, sums: &mut Vec<u64>) {
    sums.clear();
    let first = len - first_short;
    sums.push(r[..first].iter().map(|&u| u64::from(u)).sum());
    sums.extend(
        r[first..]
            .chunks(len)
            .map(|c| c.iter().map(|&u| u64::from(u)).sum::<u64>()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_sums_match_the_recurrence() {
        let x: Vec<i32> = (0..300).map(|i| ((i * 7919) % 2001) - 1000).collect();
        let mut want = [0u64; 5];
        for i in 4..x.len() {
            let v = |k: usize| i64::from(x[i - k]);
            let e = [
                v(0),
                v(0) - v(1),
                v(0) - 2 * v(1) + v(2),
                v(0) - 3 * v(1) + 3 * v(2) - v(3),
                v(0) - 4 * v(1) + 6 * v(2) - 4 * v(3) + v(4),
            ];
            for o in 0..5 {
                want[o] += e[o].unsigned_abs();
            }
        }
        assert_eq!(fixed_sums(&x), want);
    }

    #[test]
    fn narrow_and_wide_predictions_agree() {
        let y: Vec<i32> = (0..500).map(|i| ((i * 31337) % 65535) - 32768).collect();
        let coefs = [511, -300, 200, -100, 50, -25, 12, -6];
        let (mut a, mut b) = (Vec::new(), Vec::new());
        lpc_predict_narrow(&y, &coefs, &mut a);
        lpc_predict_wide(&y, &coefs, &mut b);
        assert!(a.iter().zip(&b).all(|(&a, &b)| i64::from(a) == b));
        let (mut ra, mut rb) = (Vec::new(), Vec::new());
        assert!(lpc_residual(&y, &a, 9, &mut ra));
        assert!(lpc_residual(&y, &b, 9, &mut rb));
        assert_eq!(ra, rb);
    }

    #[test]
    fn a_wild_residual_is_refused() {
        let y = [0, 0, 1 << 30];
        let mut out = Vec::new();
        assert!(!lpc_residual(&y, &[0i64, 0], 0, &mut out));
        assert!(lpc_residual(&y[..2], &[0i64], 0, &mut out));
    }

    #[test]
    fn partition_sums_split_as_asked() {
        let r: Vec<u32> = (0..16).collect();
        let mut sums = Vec::new();
        partition_sums(&r, 5, 2, &mut sums); // runs of 3, 5, 5, 3
        assert_eq!(sums, vec![3, 25, 50, 42]);
    }
}
