//! Small dense matrix kernels on row-major `f32` slices: the token matrices here are only
//! (N+1)×(d+1), so plain loops written for the auto-vectoriser beat a general matrix library
//! (no allocation, no dispatch) — see `benches/`.

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

#[cfg(test)]
mod tests {
    use super::*;

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
