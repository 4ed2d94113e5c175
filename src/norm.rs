//! LayerNorm of each token (Ba et al. 2016), as the paper's code applies it when its
//! `layer_norm` switch is on (Haiku's `hk.LayerNorm` over the D entries of a token, with a learned
//! scale and offset per entry, ε = 10⁻⁵):
//!
//!   n = x̂ ⊙ scale + offset,   x̂ = (e − μ) · r,   r = 1/√(σ² + ε),
//!
//! μ and σ² the mean and (population) variance of the token's entries. Backward, from
//! g = ∂L/∂n:  ∂scale += g ⊙ x̂,  ∂offset += g,  and with ĝ = g ⊙ scale,
//!
//!   ∂e = r · (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)).
//!
//! A normalised token forgets its own size: (x_i, y_i) and (α x_i, α y_i) give the same n (up
//! to ε), which is why a model that attends over normalised tokens answers test inputs scaled by
//! α almost as it answers the training inputs (the out-of-distribution chart).

/// Haiku's default ε.
pub const EPS: f32 = 1e-5;

/// What the forward pass keeps for the backward pass, for T tokens of width D.
#[derive(Clone, Debug)]
pub struct NormCache {
    /// x̂ (T×D) and r (T).
    xhat: Vec<f32>,
    rstd: Vec<f32>,
}

impl NormCache {
    pub fn new(tokens: usize, width: usize) -> Self {
        NormCache {
            xhat: vec![0.0; tokens * width],
            rstd: vec![0.0; tokens],
        }
    }
}

/// Normalises rows `row0..` of `e` (rows of width `w`) into the same rows of `out`; `p` holds
/// the scale (w entries) then the offset (w entries).
pub fn forward(w: usize, row0: usize, e: &[f32], p: &[f32], out: &mut [f32], c: &mut NormCache) {
    let (scale, offset) = p[..2 * w].split_at(w);
    let inv_w = 1.0 / w as f32;
    for (j, row) in e.chunks_exact(w).enumerate().skip(row0) {
        let mean = row.iter().sum::<f32>() * inv_w;
        let var = row.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() * inv_w;
        let r = 1.0 / (var + EPS).sqrt();
        c.rstd[j] = r;
        let xhat = &mut c.xhat[j * w..(j + 1) * w];
        let out = &mut out[j * w..(j + 1) * w];
        for a in 0..w {
            xhat[a] = (row[a] - mean) * r;
            out[a] = xhat[a] * scale[a] + offset[a];
        }
    }
}

/// Backward of rows `row0..` from `g_n` = ∂L/∂n: adds ∂L/∂(scale, offset) to `grad` (2w entries)
/// and ∂L/∂e to `g_e`.
pub fn backward(
    w: usize,
    row0: usize,
    c: &NormCache,
    p: &[f32],
    g_n: &[f32],
    grad: &mut [f32],
    g_e: &mut [f32],
) {
    let scale = &p[..w];
    let (g_scale, g_offset) = grad[..2 * w].split_at_mut(w);
    let inv_w = 1.0 / w as f32;
    let rows = g_n.len() / w;
    for j in row0..rows {
        let g = &g_n[j * w..(j + 1) * w];
        let xhat = &c.xhat[j * w..(j + 1) * w];
        let (mut mean_g, mut mean_gx) = (0.0, 0.0);
        for a in 0..w {
            g_scale[a] += g[a] * xhat[a];
            g_offset[a] += g[a];
            let gh = g[a] * scale[a];
            mean_g += gh;
            mean_gx += gh * xhat[a];
        }
        mean_g *= inv_w;
        mean_gx *= inv_w;
        let r = c.rstd[j];
        let ge = &mut g_e[j * w..(j + 1) * w];
        for a in 0..w {
            ge[a] += r * (g[a] * scale[a] - mean_g - xhat[a] * mean_gx);
        }
    }
}
