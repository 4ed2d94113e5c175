//! The MLP block of a standard transformer layer, which the paper's main experiments leave out
//! (critique 1): after attention, every token h_j is updated through its own residual connection,
//!
//!   h_j ← h_j + W_2 GELU(W_1 u_j),   u_j = h_j, or LayerNorm(h_j) with `layernorm` (block.rs),
//!
//! with W_1 (M×D) and W_2 (D×M), no biases (the paper's code, `MLP` in its `src/attn.py`, with
//! `use_bias = False` as its experiments set it), and GELU in the tanh form that JAX uses by
//! default:
//!
//!   GELU(a) = a/2 · (1 + tanh(c (a + 0.044715 a³))),   c = √(2/π).
//!
//! tanh is computed from `kernels::exp`, so the page and the CLI agree to the last bit.

use crate::arch::{LayerShape, TOKEN_CLIP};
use crate::kernels::{exp, nn_acc, nt_acc, tn_acc};

/// √(2/π).
const C: f32 = 0.797_884_6;
const CUBIC: f32 = 0.044_715;

/// tanh(z) = 1 − 2/(e^{2z} + 1) (`kernels::exp` clamps its argument, so this stays finite).
#[inline]
fn tanh(z: f32) -> f32 {
    1.0 - 2.0 / (exp(2.0 * z) + 1.0)
}

/// GELU, tanh form.
#[inline]
pub fn gelu(a: f32) -> f32 {
    0.5 * a * (1.0 + tanh(C * (a + CUBIC * a * a * a)))
}

/// dGELU/da.
#[inline]
pub fn gelu_grad(a: f32) -> f32 {
    let t = tanh(C * (a + CUBIC * a * a * a));
    0.5 * (1.0 + t) + 0.5 * a * (1.0 - t * t) * C * (1.0 + 3.0 * CUBIC * a * a)
}

/// What the forward pass keeps for the backward pass.
#[derive(Clone, Debug)]
pub struct MlpCache {
    /// The tokens after the block (T×D): h + W_2 GELU(W_1 u), clipped in deep stacks.
    pub out: Vec<f32>,
    /// Pre-activations a = W_1 u and activations GELU(a) (T×M each).
    a: Vec<f32>,
    act: Vec<f32>,
    /// Backward scratch: ∂L/∂a (T×M).
    g_a: Vec<f32>,
}

impl MlpCache {
    pub fn new(s: &LayerShape) -> Self {
        let (t, w, m) = (s.tokens, s.width, s.mlp);
        MlpCache {
            out: vec![0.0; t * w],
            a: vec![0.0; t * m],
            act: vec![0.0; t * m],
            g_a: vec![0.0; t * m],
        }
    }
}

/// Forward: `c.out` = `h` + W_2 GELU(W_1 `u`) on rows `row0..` (rows before are copies of `h`);
/// `p` is the layer's parameters.
pub fn forward(s: &LayerShape, p: &[f32], row0: usize, u: &[f32], h: &[f32], c: &mut MlpCache) {
    let (t, w, m) = (s.tokens, s.width, s.mlp);
    let rows = t - row0;
    let (w1, w2) = weights(s, p);
    c.out.copy_from_slice(h);
    let a = &mut c.a[row0 * m..];
    a.fill(0.0);
    nt_acc(rows, w, m, &u[row0 * w..], w1, a);
    let act = &mut c.act[row0 * m..];
    for (z, x) in act.iter_mut().zip(a.iter()) {
        *z = gelu(*x);
    }
    nt_acc(rows, m, w, act, w2, &mut c.out[row0 * w..]);
    if s.clip_tokens {
        for e in &mut c.out[row0 * w..] {
            *e = e.clamp(-TOKEN_CLIP, TOKEN_CLIP);
        }
    }
}

/// Backward from `g_out` = ∂L/∂out (rows from `row0`; the clip mask is applied to it in place,
/// and the caller adds it to ∂L/∂h, the residual path): adds ∂L/∂W_1, ∂L/∂W_2 to `grad` (the
/// layer's gradient) and writes ∂L/∂u to rows `row0..` of `g_u`.
#[allow(clippy::too_many_arguments)] // the buffers are separate on purpose: no allocation per task
pub fn backward(
    s: &LayerShape,
    p: &[f32],
    row0: usize,
    u: &[f32],
    c: &mut MlpCache,
    g_out: &mut [f32],
    grad: &mut [f32],
    g_u: &mut [f32],
) {
    let (t, w, m) = (s.tokens, s.width, s.mlp);
    let rows = t - row0;
    if s.clip_tokens {
        // Clipped entries pass no gradient.
        for (g, e) in g_out.iter_mut().zip(&c.out) {
            if e.abs() >= TOKEN_CLIP {
                *g = 0.0;
            }
        }
    }
    let (w1, w2) = weights(s, p);
    let g = &g_out[row0 * w..t * w];
    let (o1, o2) = (s.mlp_w1_offset(), s.mlp_w2_offset());
    // out = h + W_2 act ⇒ ∂W_2 += Σ_j g_j act_jᵀ, ∂act_j = W_2ᵀ g_j
    let act = &c.act[row0 * m..];
    tn_acc(w, rows, m, g, act, &mut grad[o2..o2 + w * m]);
    let g_a = &mut c.g_a[row0 * m..];
    g_a.fill(0.0);
    nn_acc(rows, w, m, g, w2, g_a);
    for (ga, x) in g_a.iter_mut().zip(&c.a[row0 * m..]) {
        *ga *= gelu_grad(*x);
    }
    // a = W_1 u ⇒ ∂W_1 += Σ_j ∂a_j u_jᵀ, ∂u_j = W_1ᵀ ∂a_j
    tn_acc(m, rows, w, g_a, &u[row0 * w..], &mut grad[o1..o1 + m * w]);
    let gu = &mut g_u[row0 * w..t * w];
    gu.fill(0.0);
    nn_acc(rows, m, w, g_a, w1, gu);
}

/// W_1 (M×D) and W_2 (D×M) inside a layer's parameters.
fn weights<'a>(s: &LayerShape, p: &'a [f32]) -> (&'a [f32], &'a [f32]) {
    let (o1, o2, mw) = (s.mlp_w1_offset(), s.mlp_w2_offset(), s.mlp * s.width);
    (&p[o1..o1 + mw], &p[o2..o2 + mw])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gelu_matches_its_formula_and_its_derivative() {
        for i in -80..=80 {
            let a = i as f32 * 0.1;
            let x = a as f64;
            let c = (2.0 / std::f64::consts::PI).sqrt();
            let want = 0.5 * x * (1.0 + (c * (x + 0.044715 * x * x * x)).tanh());
            assert!(
                (gelu(a) as f64 - want).abs() < 1e-6 * want.abs().max(1.0),
                "{a}"
            );
            let h = 1e-3f64;
            let g = |x: f64| 0.5 * x * (1.0 + (c * (x + 0.044715 * x * x * x)).tanh());
            let num = (g(x + h) - g(x - h)) / (2.0 * h);
            assert!((gelu_grad(a) as f64 - num).abs() < 1e-5, "{a}");
        }
        assert_eq!(gelu(0.0), 0.0);
        assert!(gelu(100.0).is_finite() && gelu(-100.0).abs() < 1e-6);
    }
}
