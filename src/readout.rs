//! The last linear-attention layer, computed for the query's read-out only, in low-rank form.
//! Only ŷ = −(label entry of the query after the last layer) enters the loss, and for linear
//! attention with context-only keys that entry is
//!
//!   e_q[d] + Σ_h Σ_i (z_h·e_i)(u_h·e_i),   z_h = W_{K,h}ᵀ W_{Q,h} e_q,   u_h = W_{V,h}ᵀ p_h,
//!
//! with p_h the label row of P's block for head h. Per task that is ~700 multiply-adds instead
//! of a full layer's ~6 000. Gradients are gathered in the product space (∂u_h, ∂W_KQ,h) over a
//! whole batch and mapped back to W_Q, W_K, W_V, P once per batch. `lsa.rs` is the reference
//! this is tested against (tests/fast_path.rs).

use crate::lsa::{LayerShape, TOKEN_CLIP};

#[derive(Clone, Debug)]
pub struct Readout {
    heads: usize,
    width: usize,
    /// u_h = W_Vᵀ p_h, `H × D`.
    u: Vec<f32>,
    /// W_KQ,h = W_Kᵀ W_Q, `H × D × D`.
    kq: Vec<f32>,
    /// Per-task intermediates: z_h (`H × D`), a_hi = u_h·e_i and b_hi = z_h·e_i (`H × N`).
    z: Vec<f32>,
    a: Vec<f32>,
    b: Vec<f32>,
    s: Vec<f32>,
    /// Batch accumulators of ∂L/∂u_h and ∂L/∂W_KQ,h.
    g_u: Vec<f32>,
    g_kq: Vec<f32>,
    clipped: bool,
}

impl Readout {
    pub fn new(s: &LayerShape) -> Self {
        let (h, w, n) = (s.heads, s.width, s.tokens - 1);
        Readout {
            heads: h,
            width: w,
            u: vec![0.0; h * w],
            kq: vec![0.0; h * w * w],
            z: vec![0.0; h * w],
            a: vec![0.0; h * n],
            b: vec![0.0; h * n],
            s: vec![0.0; w],
            g_u: vec![0.0; h * w],
            g_kq: vec![0.0; h * w * w],
            clipped: false,
        }
    }

    /// Form u_h and W_KQ,h from the layer's weights and clear the accumulators.
    pub fn prepare(&mut self, s: &LayerShape, p: &[f32]) {
        let (w, hd) = (self.width, self.heads * self.width);
        let pm = &p[s.p_offset()..];
        for h in 0..self.heads {
            let (wq, wk, wv) = (s.wq(p, h), s.wk(p, h), s.wv(p, h));
            let prow = &pm[(w - 1) * hd + h * w..(w - 1) * hd + (h + 1) * w];
            for a in 0..w {
                self.u[h * w + a] = (0..w).map(|c| wv[c * w + a] * prow[c]).sum();
                for b in 0..w {
                    self.kq[(h * w + a) * w + b] = (0..w).map(|c| wk[c * w + a] * wq[c * w + b]).sum();
                }
            }
        }
        self.g_u.fill(0.0);
        self.g_kq.fill(0.0);
    }

    /// The query's label entry after the layer (ŷ = −this), from the layer's input tokens `e`.
    pub fn forward(&mut self, s: &LayerShape, e: &[f32]) -> f32 {
        let (w, n) = (self.width, s.tokens - 1);
        let eq = &e[n * w..(n + 1) * w];
        let mut out = eq[w - 1];
        for h in 0..self.heads {
            let z = &mut self.z[h * w..(h + 1) * w];
            let kq = &self.kq[h * w * w..(h + 1) * w * w];
            for (zr, row) in z.iter_mut().zip(kq.chunks_exact(w)) {
                *zr = dot(row, eq);
            }
            let u = &self.u[h * w..(h + 1) * w];
            for i in 0..n {
                let ei = &e[i * w..(i + 1) * w];
                let (ai, bi) = dot2(u, z, ei);
                self.a[h * n + i] = ai;
                self.b[h * n + i] = bi;
                out += ai * bi;
            }
        }
        self.clipped = s.clip_tokens && out.abs() >= TOKEN_CLIP;
        if s.clip_tokens {
            out.clamp(-TOKEN_CLIP, TOKEN_CLIP)
        } else {
            out
        }
    }

    /// Backward of `forward` with g = ∂L/∂(output): accumulates the product-space gradients;
    /// with `g_e`, writes ∂L/∂e (the layer's input tokens) into it.
    pub fn backward(&mut self, s: &LayerShape, e: &[f32], g: f32, g_e: Option<&mut [f32]>) {
        let (w, n) = (self.width, s.tokens - 1);
        let g = if self.clipped { 0.0 } else { g };
        let eq = &e[n * w..(n + 1) * w];
        let mut g_e = g_e;
        if let Some(ge) = g_e.as_deref_mut() {
            ge.fill(0.0);
            ge[n * w + w - 1] = g; // the residual path of the label entry
        }
        if g == 0.0 {
            return;
        }
        for h in 0..self.heads {
            let (a, b) = (&self.a[h * n..(h + 1) * n], &self.b[h * n..(h + 1) * n]);
            // s_a = Σ_i a_hi e_i  → ∂z_h = g·s_a ;  Σ_i b_hi e_i → ∂u_h
            self.s.fill(0.0);
            let g_u = &mut self.g_u[h * w..(h + 1) * w];
            for i in 0..n {
                let ei = &e[i * w..(i + 1) * w];
                let (gai, gbi) = (g * a[i], g * b[i]);
                for c in 0..w {
                    self.s[c] += gai * ei[c];
                    g_u[c] += gbi * ei[c];
                }
            }
            // z_h = W_KQ e_q  → ∂W_KQ += ∂z ⊗ e_q
            let g_kq = &mut self.g_kq[h * w * w..(h + 1) * w * w];
            for (row, sr) in g_kq.chunks_exact_mut(w).zip(&self.s) {
                for (gk, x) in row.iter_mut().zip(eq) {
                    *gk += sr * x;
                }
            }
            if let Some(ge) = g_e.as_deref_mut() {
                let (u, z) = (&self.u[h * w..(h + 1) * w], &self.z[h * w..(h + 1) * w]);
                for i in 0..n {
                    let (gbi, gai) = (g * b[i], g * a[i]);
                    for c in 0..w {
                        ge[i * w + c] += gbi * u[c] + gai * z[c];
                    }
                }
                let kq = &self.kq[h * w * w..(h + 1) * w * w];
                for (r, sr) in self.s.iter().enumerate() {
                    for c in 0..w {
                        ge[n * w + c] += sr * kq[r * w + c];
                    }
                }
            }
        }
    }

    /// Map the accumulated ∂u_h, ∂W_KQ,h back to the layer's weights and add them to `grad`:
    /// u = W_Vᵀ p ⇒ ∂W_V += p ⊗ ∂u, ∂p += W_V ∂u;  W_KQ = W_Kᵀ W_Q ⇒ ∂W_Q += W_K ∂W_KQ,
    /// ∂W_K += W_Q ∂W_KQᵀ.
    pub fn finish(&self, s: &LayerShape, p: &[f32], grad: &mut [f32]) {
        let (w, hd, dd) = (self.width, self.heads * self.width, self.width * self.width);
        for h in 0..self.heads {
            let (wq, wk, wv) = (s.wq(p, h), s.wk(p, h), s.wv(p, h));
            let g_u = &self.g_u[h * w..(h + 1) * w];
            let g_kq = &self.g_kq[h * dd..(h + 1) * dd];
            let prow_at = s.p_offset() + (w - 1) * hd + h * w;
            let base = 3 * h * dd;
            for c in 0..w {
                let pc = p[prow_at + c];
                for a in 0..w {
                    grad[base + 2 * dd + c * w + a] += pc * g_u[a];
                }
                grad[prow_at + c] += dot(&wv[c * w..(c + 1) * w], g_u);
                for b in 0..w {
                    let mut gq = 0.0;
                    let mut gk = 0.0;
                    for a in 0..w {
                        gq += wk[c * w + a] * g_kq[a * w + b];
                        gk += wq[c * w + a] * g_kq[b * w + a];
                    }
                    grad[base + c * w + b] += gq;
                    grad[base + dd + c * w + b] += gk;
                }
            }
        }
    }
}

#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// (u·e, z·e) in one pass over e.
#[inline]
fn dot2(u: &[f32], z: &[f32], e: &[f32]) -> (f32, f32) {
    let (mut a, mut b) = (0.0, 0.0);
    for ((uc, zc), ec) in u.iter().zip(z).zip(e) {
        a += uc * ec;
        b += zc * ec;
    }
    (a, b)
}
