//! Small dense matrix kernels on row-major `f32` slices: the token matrices here are only
//! (N+1)×(d+1), so plain loops written for the auto-vectoriser beat a general matrix library
//! (no allocation, no dispatch) — see `benches/`. Also the one exponential of softmax attention,
//! shared by both engines.

/// c (m×n) += a (m×k) · b (k×n)
#[inline]
pub fn nn_acc(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    let (a, b, c) = (&a[..m * k], &b[..k * n], &mut c[..m * n]);
    for i in 0..m {
        let ci = &mut c[i * n..(i + 1) * n];
        for p in 0..k {
            let aip = a[i * k + p];
            let bp = &b[p * n..(p + 1) * n];
            for (cij, bpj) in ci.iter_mut().zip(bp) {
                *cij += aip * bpj;
            }
        }
    }
}

/// c (m×n) += a (m×k) · bᵀ, with b stored n×k
#[inline]
pub fn nt_acc(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    let (a, b, c) = (&a[..m * k], &b[..n * k], &mut c[..m * n]);
    for i in 0..m {
        let ai = &a[i * k..(i + 1) * k];
        for j in 0..n {
            c[i * n + j] += dot(ai, &b[j * k..(j + 1) * k]);
        }
    }
}

/// c (m×n) += aᵀ · b, with a stored k×m and b stored k×n
#[inline]
pub fn tn_acc(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    let (a, b, c) = (&a[..k * m], &b[..k * n], &mut c[..m * n]);
    for p in 0..k {
        let bp = &b[p * n..(p + 1) * n];
        for i in 0..m {
            let api = a[p * m + i];
            if api == 0.0 {
                continue;
            }
            for (cij, bpj) in c[i * n..(i + 1) * n].iter_mut().zip(bp) {
                *cij += api * bpj;
            }
        }
    }
}

/// Dot product with eight partial sums, so the compiler can vectorise it (a single running f32
/// sum must be added in order and stays scalar).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; 8];
    let (ca, ra) = a.split_at(n - n % 8);
    let (cb, rb) = b.split_at(n - n % 8);
    for (x, y) in ca.chunks_exact(8).zip(cb.chunks_exact(8)) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

/// e^x from additions and multiplications only, so that every build computes the same bits:
/// `f32::exp` is the platform's `expf` (glibc's natively, a port of musl's in wasm), and the two
/// differ in the last bit for some arguments. A Cody–Waite reduction x = k·ln 2 + r,
/// |r| ≤ ln 2 / 2, then Cephes' degree-7 polynomial for e^r, scaled by 2^k built from its bits.
/// Relative error below 1.5e-7, about one ulp (tested). Arguments are clamped to [−87, 88], where
/// e^x is a normal f32; NaN stays NaN. Branch-free, so the lane engine's loops over lanes
/// vectorise.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 = LN2_HI − LN2_LO, LN2_HI with 9 bits so that k·LN2_HI is exact.
    const LN2_HI: f32 = 355.0 / 512.0;
    const LN2_LO: f32 = 2.121_944_4e-4;
    // Adding 1.5·2²³ rounds to an integer (to even), which then sits in the low mantissa bits.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let t = x * LOG2E + ROUND;
    let k = t - ROUND;
    let r = x - k * LN2_HI + k * LN2_LO;
    let p = (((((1.987_569_1e-4 * r + 1.398_2e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5)
        * (r * r)
        + r
        + 1.0;
    // 2^k: the biased exponent k + 127 in the exponent field.
    let two_k = f32::from_bits(t.to_bits().wrapping_sub(ROUND.to_bits()).wrapping_add(127) << 23);
    p * two_k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_a_few_ulp_everywhere() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x <= 88.0 {
            let want = (x as f64).exp();
            let err = ((exp(x) as f64 - want) / want).abs();
            worst = worst.max(err);
            x += 0.001_37;
        }
        assert!(worst < 1.5e-7, "worst relative error {worst:.3e}");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-1000.0), exp(-87.0));
        assert!(exp(-87.0) >= f32::MIN_POSITIVE);
        assert!(exp(1000.0).is_finite());
        assert!(exp(f32::NAN).is_nan());
    }

    fn naive(
        m: usize,
        k: usize,
        n: usize,
        a: impl Fn(usize, usize) -> f32,
        b: impl Fn(usize, usize) -> f32,
    ) -> Vec<f32> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| a(i, p) * b(p, j)).sum();
            }
        }
        c
    }

    #[test]
    fn kernels_match_naive_products() {
        let (m, k, n) = (3, 4, 5);
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.91).cos()).collect();
        let want = naive(m, k, n, |i, p| a[i * k + p], |p, j| b[p * n + j]);
        let mut c = vec![0.0; m * n];
        nn_acc(m, k, n, &a, &b, &mut c);
        assert!(c.iter().zip(&want).all(|(x, y)| (x - y).abs() < 1e-6));
        // bᵀ stored n×k
        let bt: Vec<f32> = (0..n * k).map(|idx| b[(idx % k) * n + idx / k]).collect();
        let mut c = vec![0.0; m * n];
        nt_acc(m, k, n, &a, &bt, &mut c);
        assert!(c.iter().zip(&want).all(|(x, y)| (x - y).abs() < 1e-6));
        // aᵀ stored k×m
        let at: Vec<f32> = (0..k * m).map(|idx| a[(idx % m) * k + idx / m]).collect();
        let mut c = vec![0.0; m * n];
        tn_acc(m, k, n, &at, &b, &mut c);
        assert!(c.iter().zip(&want).all(|(x, y)| (x - y).abs() < 1e-6));
    }
}
