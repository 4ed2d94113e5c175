//! One self-attention layer (docs/science.md, "Model"), forward and hand-written backward, for one
//! task's (N+1)×(d+1) token matrix E (rows are tokens, the query last):
//!
//!   linear (LSA):  e_j ← e_j + Σ_h P_h W_{V,h} (Σ_i e_i e_iᵀ) W_{K,h}ᵀ W_{Q,h} e_j
//!   softmax:       e_j ← e_j + Σ_h P_h Σ_i softmax_i(q_j·k_i / √(d+1)) v_i
//!
//! computed in the attention view q = W_Q e, k = W_K e, v = W_V e, o_j = Σ_i a_ji v_i, where the
//! linear layer's weights are the raw scores a_ji = q_j·k_i. Keys and values come from the first
//! S rows: the N context tokens, or all N+1 when the query is put in the keys (a critique toggle).
//! Queries are computed from row `row0` on: 0 normally, N in the last layer, whose only output
//! that matters is the query's read-out (this saves most of the last layer's work). Softmax's
//! exponential is `kernels::exp`, which gives the same bits natively and in wasm.

use crate::arch::{LayerShape, TOKEN_CLIP};
use crate::kernels::{dot, exp, nn_acc, nt_acc, tn_acc};

/// What the forward pass keeps for the backward pass.
#[derive(Clone, Debug)]
pub struct LayerCache {
    pub e_in: Vec<f32>,
    pub e_out: Vec<f32>,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    /// Attention weights a (T×S): softmax probabilities or raw linear scores.
    a: Vec<f32>,
    o: Vec<f32>,
}

impl LayerCache {
    pub fn new(s: &LayerShape) -> Self {
        let (t, w, h) = (s.tokens, s.width, s.heads);
        LayerCache {
            e_in: vec![0.0; t * w],
            e_out: vec![0.0; t * w],
            q: vec![0.0; h * t * w],
            k: vec![0.0; h * s.keys * w],
            v: vec![0.0; h * s.keys * w],
            a: vec![0.0; h * t * s.keys],
            o: vec![0.0; h * t * w],
        }
    }
}

/// Scratch buffers of the backward pass (reused across tasks).
#[derive(Clone, Debug)]
pub struct Scratch {
    g_o: Vec<f32>,
    g_a: Vec<f32>,
    g_q: Vec<f32>,
    g_k: Vec<f32>,
    g_v: Vec<f32>,
}

impl Scratch {
    pub fn new(s: &LayerShape) -> Self {
        let (t, w) = (s.tokens, s.width);
        Scratch {
            g_o: vec![0.0; t * w],
            g_a: vec![0.0; t * s.keys],
            g_q: vec![0.0; t * w],
            g_k: vec![0.0; s.keys * w],
            g_v: vec![0.0; s.keys * w],
        }
    }
}

/// Forward: attends over `c.e_in` and writes `c.e_out` = residual + attention output, where the
/// residual stream is `residual` (the un-normalised tokens when `c.e_in` holds their LayerNorm,
/// see block.rs) or, when `None`, `c.e_in` itself. Rows before `row0` are copied unchanged.
pub fn forward(
    s: &LayerShape,
    p: &[f32],
    row0: usize,
    c: &mut LayerCache,
    residual: Option<&[f32]>,
) {
    let (t, w, sk, hd) = (s.tokens, s.width, s.keys, s.heads * s.width);
    let rows = t - row0;
    let pmat = s.p(p);
    c.e_out.copy_from_slice(residual.unwrap_or(&c.e_in));
    for h in 0..s.heads {
        let q = &mut c.q[h * t * w..(h + 1) * t * w][row0 * w..];
        let k = &mut c.k[h * sk * w..(h + 1) * sk * w];
        let v = &mut c.v[h * sk * w..(h + 1) * sk * w];
        let a = &mut c.a[h * t * sk..(h + 1) * t * sk][row0 * sk..];
        let o = &mut c.o[h * t * w..(h + 1) * t * w][row0 * w..];
        q.fill(0.0);
        k.fill(0.0);
        v.fill(0.0);
        a.fill(0.0);
        o.fill(0.0);
        nt_acc(rows, w, w, &c.e_in[row0 * w..], s.wq(p, h), q);
        nt_acc(sk, w, w, &c.e_in, s.wk(p, h), k);
        nt_acc(sk, w, w, &c.e_in, s.wv(p, h), v);
        nt_acc(rows, w, sk, q, k, a);
        if s.softmax {
            let scale = s.score_scale();
            for row in a.chunks_exact_mut(sk) {
                let max = row.iter().fold(f32::NEG_INFINITY, |m, &z| m.max(z * scale));
                let mut sum = 0.0;
                for z in row.iter_mut() {
                    *z = exp(*z * scale - max);
                    sum += *z;
                }
                for z in row.iter_mut() {
                    *z /= sum;
                }
            }
        }
        nn_acc(rows, sk, w, a, v, o);
        // e_j += P_h o_j, with P_h the h-th D×D column block of P.
        for j in 0..rows {
            let oj = &o[j * w..(j + 1) * w];
            let ej = &mut c.e_out[(row0 + j) * w..(row0 + j + 1) * w];
            for (r, er) in ej.iter_mut().enumerate() {
                *er += dot(&pmat[r * hd + h * w..r * hd + (h + 1) * w], oj);
            }
        }
    }
    if s.clip_tokens {
        for e in &mut c.e_out[row0 * w..] {
            *e = e.clamp(-TOKEN_CLIP, TOKEN_CLIP);
        }
    }
}

#[allow(clippy::too_many_arguments)] // the buffers are separate on purpose: no allocation per task
/// Backward: given `g_out` = ∂L/∂e_out (rows from `row0`), adds ∂L/∂params into `grad` and,
/// when `g_in` is given, writes ∂L/∂e_in into it: through the attention, plus the residual path
/// when `residual_in` (the forward's residual was `c.e_in` itself; otherwise the caller adds
/// `g_out` to the residual stream's gradient). `g_out` is modified (clip mask).
pub fn backward(
    s: &LayerShape,
    p: &[f32],
    row0: usize,
    c: &LayerCache,
    g_out: &mut [f32],
    grad: &mut [f32],
    mut g_in: Option<&mut [f32]>,
    residual_in: bool,
    sc: &mut Scratch,
) {
    let (t, w, sk, hd) = (s.tokens, s.width, s.keys, s.heads * s.width);
    let rows = t - row0;
    let dd = w * w;
    if s.clip_tokens {
        // Clipped entries pass no gradient.
        for (g, e) in g_out.iter_mut().zip(&c.e_out) {
            if e.abs() >= TOKEN_CLIP {
                *g = 0.0;
            }
        }
    }
    let g_rows = &g_out[row0 * w..t * w];
    if let Some(g_in) = g_in.as_deref_mut() {
        g_in.fill(0.0);
        if residual_in {
            g_in[row0 * w..].copy_from_slice(g_rows); // the residual path
        }
    }
    let pmat = s.p(p);
    for h in 0..s.heads {
        let q = &c.q[h * t * w..(h + 1) * t * w][row0 * w..];
        let k = &c.k[h * sk * w..(h + 1) * sk * w];
        let v = &c.v[h * sk * w..(h + 1) * sk * w];
        let a = &c.a[h * t * sk..(h + 1) * t * sk][row0 * sk..];
        let o = &c.o[h * t * w..(h + 1) * t * w][row0 * w..];
        let g_o = &mut sc.g_o[..rows * w];
        let g_a = &mut sc.g_a[..rows * sk];
        // o → P: g_o_j = P_hᵀ g_j ; ∂P_h += Σ_j g_j o_jᵀ
        g_o.fill(0.0);
        {
            let gp = &mut grad[s.p_offset()..s.p_offset() + w * hd];
            for j in 0..rows {
                let gj = &g_rows[j * w..(j + 1) * w];
                let oj = &o[j * w..(j + 1) * w];
                let goj = &mut g_o[j * w..(j + 1) * w];
                for r in 0..w {
                    let g = gj[r];
                    if g == 0.0 {
                        continue;
                    }
                    let prow = &pmat[r * hd + h * w..r * hd + (h + 1) * w];
                    let gprow = &mut gp[r * hd + h * w..r * hd + (h + 1) * w];
                    for cix in 0..w {
                        goj[cix] += g * prow[cix];
                        gprow[cix] += g * oj[cix];
                    }
                }
            }
        }
        // o = a v
        g_a.fill(0.0);
        nt_acc(rows, w, sk, g_o, v, g_a);
        sc.g_v.fill(0.0);
        tn_acc(sk, rows, w, a, g_o, &mut sc.g_v);
        if s.softmax {
            let scale = s.score_scale();
            for (ga, aa) in g_a.chunks_exact_mut(sk).zip(a.chunks_exact(sk)) {
                let inner = dot(ga, aa);
                for (g, p) in ga.iter_mut().zip(aa) {
                    *g = p * (*g - inner) * scale;
                }
            }
        }
        // a = q kᵀ
        let g_q = &mut sc.g_q[..rows * w];
        g_q.fill(0.0);
        nn_acc(rows, sk, w, g_a, k, g_q);
        sc.g_k.fill(0.0);
        tn_acc(sk, rows, w, g_a, q, &mut sc.g_k);
        // q = W_Q e, k = W_K e, v = W_V e
        let (oq, ok, ov) = (s.wq_offset(h), s.wk_offset(h), s.wv_offset(h));
        tn_acc(w, rows, w, g_q, &c.e_in[row0 * w..], &mut grad[oq..oq + dd]);
        tn_acc(w, sk, w, &sc.g_k, &c.e_in, &mut grad[ok..ok + dd]);
        tn_acc(w, sk, w, &sc.g_v, &c.e_in, &mut grad[ov..ov + dd]);
        if let Some(g_in) = g_in.as_deref_mut() {
            nn_acc(rows, w, w, g_q, s.wq(p, h), &mut g_in[row0 * w..]);
            nn_acc(sk, w, w, &sc.g_k, s.wk(p, h), g_in);
            nn_acc(sk, w, w, &sc.g_v, s.wv(p, h), g_in);
        }
    }
}
