//! The lane engine's LayerNorm and MLP block (the switches of critique 1, with linear attention;
//! the maths of `norm.rs` and `mlp.rs`, 16 tasks per SIMD block):
//!
//!   x = LayerNorm(e) before attention, which reads x while the residual stream keeps e;
//!   h = e + Attn(x);   out = h + W_2 GELU(W_1 u),  u = LayerNorm'(h) or h.
//!
//! Their weights act on each token alone, so there is no product form: the kernels here map token
//! rows lane by lane, and their weight gradients are gathered per lane in `Extras::acc` (the
//! parameters after the attention's, in `arch.rs` order) and summed once per batch.

use super::{
    add, add_outer, add_transposed, clip, madd, madds, mul, prod_offset, scaled, sub, Batched,
    LANES, V, Z,
};
use crate::arch::{Arch, LayerShape, TOKEN_CLIP};
use crate::mlp::{gelu, gelu_grad};
use crate::norm::EPS;

/// Buffers of the LayerNorm and MLP parts, for one block of LANES tasks (empty when off).
#[derive(Clone, Debug)]
pub(super) struct Extras {
    /// Per layer, the attention input x = LayerNorm(e) (T×D), its x̂ (T×D) and r (T).
    pub(super) x: Vec<Vec<V>>,
    xhat: Vec<Vec<V>>,
    rstd: Vec<Vec<V>>,
    /// Per layer with an MLP: h = the tokens after attention (T×D), the MLP input u (T×D; its
    /// x̂ and r with LayerNorm), and the pre-activations and activations (T×M each).
    pub(super) h: Vec<Vec<V>>,
    u: Vec<Vec<V>>,
    uhat: Vec<Vec<V>>,
    urstd: Vec<Vec<V>>,
    pre: Vec<Vec<V>>,
    act: Vec<Vec<V>>,
    /// The read-out with an MLP: per head, the attention's m_h = Σ_i b_hi x_i (D each).
    pub(super) rm: Vec<V>,
    /// Backward scratch: ∂L/∂u (T×D) and ∂L/∂a (M).
    g_u: Vec<V>,
    g_a: Vec<V>,
    /// Gradient accumulators of the extra parameters per weight set, per lane.
    pub(super) acc: Vec<V>,
}

impl Extras {
    pub(super) fn new(arch: &Arch) -> Self {
        let s = arch.shape();
        let (t, w, m, layers) = (s.tokens, s.width, s.mlp, arch.layers);
        let per = |on: bool, size: usize| vec![vec![Z; if on { size } else { 0 }]; layers];
        let (ln, mlp) = (arch.layernorm, m > 0);
        let mlp_ln = ln && mlp;
        Extras {
            x: per(ln, t * w),
            xhat: per(ln, t * w),
            rstd: per(ln, t),
            h: per(mlp, t * w),
            u: per(mlp_ln, t * w),
            uhat: per(mlp_ln, t * w),
            urstd: per(mlp_ln, t),
            pre: per(mlp, t * m),
            act: per(mlp, t * m),
            rm: vec![Z; if mlp { s.heads * w } else { 0 }],
            g_u: vec![Z; if mlp { t * w } else { 0 }],
            g_a: vec![Z; m],
            acc: vec![Z; arch.sets() * extras(&s)],
        }
    }
}

/// Parameters of a layer after the attention's (the LayerNorms and the MLP).
pub(super) fn extras(s: &LayerShape) -> usize {
    s.n_params() - s.attn_params()
}

/// Offset of layer `layer`'s extra parameters in `Extras::acc` (relative offsets as in arch.rs,
/// less `attn_params`).
pub(super) fn acc_offset(arch: &Arch, layer: usize) -> usize {
    arch.set_of(layer) * extras(&arch.shape())
}

/// LayerNorm of rows `rows` of `e` (width `w`) into `out`, keeping x̂ and r; `p` = scale then
/// offset.
#[inline(never)]
pub(super) fn norm_rows(
    w: usize,
    rows: std::ops::Range<usize>,
    e: &[V],
    p: &[f32],
    (out, xhat, rstd): (&mut [V], &mut [V], &mut [V]),
) {
    let (scale, offset) = p[..2 * w].split_at(w);
    let inv_w = 1.0 / w as f32;
    for j in rows {
        let row = &e[j * w..(j + 1) * w];
        let mut mean = Z;
        for v in row {
            mean = add(mean, *v);
        }
        mean = scaled(mean, inv_w);
        let mut var = Z;
        for v in row {
            let c = sub(*v, mean);
            var = madd(var, c, c);
        }
        let mut r = scaled(var, inv_w);
        for x in r.iter_mut() {
            *x = 1.0 / (*x + EPS).sqrt();
        }
        rstd[j] = r;
        for a in 0..w {
            let xh = mul(sub(row[a], mean), r);
            xhat[j * w + a] = xh;
            let mut o = [offset[a]; LANES];
            o = madds(o, scale[a], xh);
            out[j * w + a] = o;
        }
    }
}

/// LayerNorm's backward on rows `rows`, in place: `g` holds ∂L/∂(normalised rows) and becomes
/// ∂L/∂(input rows). Adds ∂L/∂(scale, offset) to `acc` (2w lanes) when `weights`.
#[inline(never)]
pub(super) fn norm_back_rows(
    w: usize,
    rows: std::ops::Range<usize>,
    p: &[f32],
    (xhat, rstd): (&[V], &[V]),
    g: &mut [V],
    acc: Option<&mut [V]>,
) {
    let scale = &p[..w];
    let inv_w = 1.0 / w as f32;
    let mut acc = acc;
    for j in rows {
        let gj = &mut g[j * w..(j + 1) * w];
        let xh = &xhat[j * w..(j + 1) * w];
        if let Some(acc) = acc.as_deref_mut() {
            let (a_scale, a_offset) = acc[..2 * w].split_at_mut(w);
            for a in 0..w {
                a_scale[a] = madd(a_scale[a], gj[a], xh[a]);
                a_offset[a] = add(a_offset[a], gj[a]);
            }
        }
        let (mut mean_g, mut mean_gx) = (Z, Z);
        for a in 0..w {
            let gh = scaled(gj[a], scale[a]);
            mean_g = add(mean_g, gh);
            mean_gx = madd(mean_gx, gh, xh[a]);
        }
        mean_g = scaled(mean_g, inv_w);
        mean_gx = scaled(mean_gx, inv_w);
        let r = rstd[j];
        for a in 0..w {
            let inner = sub(sub(scaled(gj[a], scale[a]), mean_g), mul(xh[a], mean_gx));
            gj[a] = mul(r, inner);
        }
    }
}

/// The MLP on rows `rows`: out_j = h_j + W_2 GELU(W_1 u_j), keeping the pre-activations and
/// activations; clipped in deep stacks. `w1` is M×D, `w2` D×M.
#[inline(never)]
#[allow(clippy::too_many_arguments)] // the buffers are separate on purpose
fn mlp_rows(
    (w, m, clip): (usize, usize, bool),
    rows: std::ops::Range<usize>,
    (w1, w2): (&[f32], &[f32]),
    u: &[V],
    h: &[V],
    pre: &mut [V],
    act: &mut [V],
    out: &mut [V],
) {
    for j in rows {
        let uj = &u[j * w..(j + 1) * w];
        let (pre_j, act_j) = (&mut pre[j * m..(j + 1) * m], &mut act[j * m..(j + 1) * m]);
        for ((pk, ak), w1k) in pre_j
            .iter_mut()
            .zip(act_j.iter_mut())
            .zip(w1.chunks_exact(w))
        {
            let mut a = Z;
            for (&w1kc, ujc) in w1k.iter().zip(uj) {
                a = madds(a, w1kc, *ujc);
            }
            *pk = a;
            let mut z = a;
            for v in z.iter_mut() {
                *v = gelu(*v);
            }
            *ak = z;
        }
        let (h_j, out_j) = (&h[j * w..(j + 1) * w], &mut out[j * w..(j + 1) * w]);
        for ((oj, hj), w2r) in out_j.iter_mut().zip(h_j).zip(w2.chunks_exact(m)) {
            let mut o = *hj;
            for (&w2rk, ak) in w2r.iter().zip(&*act_j) {
                o = madds(o, w2rk, *ak);
            }
            if clip {
                for v in o.iter_mut() {
                    *v = v.clamp(-TOKEN_CLIP, TOKEN_CLIP);
                }
            }
            *oj = o;
        }
    }
}

/// ∂L/∂a_j = (W_2ᵀ g_j) ⊙ GELU'(a_j) into `g_a` (M lanes) for token j from its output gradient
/// `g_j`, accumulating ∂W_2 += g_j act_jᵀ into `acc_w2` when given.
#[inline(never)]
fn mlp_back_act(
    (w, m): (usize, usize),
    w2: &[f32],
    gj: &[V],
    (pre, act): (&[V], &[V]),
    g_a: &mut [V],
    acc_w2: Option<&mut [V]>,
) {
    if let Some(acc) = acc_w2 {
        add_outer(&mut acc[..w * m], &gj[..w], &act[..m]);
    }
    let g_a = &mut g_a[..m];
    g_a.fill(Z);
    add_transposed(g_a, &w2[..w * m], &gj[..w]);
    for (g, p) in g_a.iter_mut().zip(pre) {
        let mut d = *p;
        for v in d.iter_mut() {
            *v = gelu_grad(*v);
        }
        *g = mul(*g, d);
    }
}

/// ∂L/∂u_j = W_1ᵀ ∂a_j into `g_u` (D lanes), accumulating ∂W_1 += ∂a_j u_jᵀ when given.
#[inline(never)]
fn mlp_back_in(
    (w, m): (usize, usize),
    w1: &[f32],
    g_a: &[V],
    uj: &[V],
    g_u: &mut [V],
    acc_w1: Option<&mut [V]>,
) {
    if let Some(acc) = acc_w1 {
        add_outer(&mut acc[..m * w], &g_a[..m], &uj[..w]);
    }
    let g_u = &mut g_u[..w];
    g_u.fill(Z);
    add_transposed(g_u, &w1[..m * w], &g_a[..m]);
}

/// Zero the lanes of `g` where the clipped value `out` sat at the clip (no gradient there).
#[inline(never)]
pub(super) fn mask_clipped(g: &mut [V], out: &[V]) {
    for (gv, ov) in g.iter_mut().zip(out) {
        for lane in 0..LANES {
            if ov[lane].abs() >= TOKEN_CLIP {
                gv[lane] = 0.0;
            }
        }
    }
}

/// The layer's weights `p` (one set): W_1, W_2, and the pre-MLP LayerNorm's scale and offset.
fn mlp_weights<'a>(s: &LayerShape, p: &'a [f32]) -> (&'a [f32], &'a [f32], &'a [f32]) {
    let (o1, o2, mw) = (s.mlp_w1_offset(), s.mlp_w2_offset(), s.mlp * s.width);
    (&p[o1..o1 + mw], &p[o2..o2 + mw], &p[s.norm_mlp_offset()..])
}

impl Extras {
    /// The pre-attention LayerNorm of layer `layer`: x[layer] from the layer input `e`, every row.
    #[inline(never)]
    pub(super) fn norm_attn(&mut self, s: &LayerShape, p: &[f32], layer: usize, e: &[V]) {
        let w = s.width;
        let pn = &p[s.norm_attn_offset()..];
        let bufs = (
            &mut self.x[layer][..],
            &mut self.xhat[layer][..],
            &mut self.rstd[layer][..],
        );
        norm_rows(w, 0..s.tokens, e, pn, bufs);
    }

    /// Backward of layer `layer`'s pre-attention LayerNorm, in place on `g` (∂L/∂x → ∂L/∂e, every
    /// row), accumulating its parameter gradients into `acc` at `acc_at` when `weights`.
    #[inline(never)]
    pub(super) fn norm_attn_back(
        &mut self,
        s: &LayerShape,
        p: &[f32],
        (layer, acc_at): (usize, usize),
        g: &mut [V],
        weights: bool,
    ) {
        let w = s.width;
        let pn = &p[s.norm_attn_offset()..];
        let o = acc_at + s.norm_attn_offset() - s.attn_params();
        let acc = weights.then(|| &mut self.acc[o..o + 2 * w]);
        let cache = (&self.xhat[layer][..], &self.rstd[layer][..]);
        norm_back_rows(w, 0..s.tokens, pn, cache, g, acc);
    }

    /// The MLP of layer `layer` on rows `rows`: out from h[layer] (through the pre-MLP LayerNorm
    /// with `layernorm`).
    #[inline(never)]
    pub(super) fn mlp_forward(
        &mut self,
        s: &LayerShape,
        p: &[f32],
        layer: usize,
        rows: std::ops::Range<usize>,
        out: &mut [V],
    ) {
        let (w, m) = (s.width, s.mlp);
        let (w1, w2, pn) = mlp_weights(s, p);
        let h = &self.h[layer];
        let u: &[V] = if s.layernorm {
            let bufs = (
                &mut self.u[layer][..],
                &mut self.uhat[layer][..],
                &mut self.urstd[layer][..],
            );
            norm_rows(w, rows.clone(), h, pn, bufs);
            &self.u[layer]
        } else {
            h
        };
        let (pre, act) = (&mut self.pre[layer], &mut self.act[layer]);
        mlp_rows((w, m, s.clip_tokens), rows, (w1, w2), u, h, pre, act, out);
    }

    /// Backward of layer `layer`'s MLP on rows `rows`, in place on `g`: from ∂L/∂out (clip mask
    /// applied here) to ∂L/∂h, the residual plus the MLP's path. Accumulates W_1, W_2 (and the
    /// pre-MLP LayerNorm's) gradients at `acc_at` when `weights`. `out` is the layer's output.
    #[inline(never)]
    pub(super) fn mlp_backward(
        &mut self,
        s: &LayerShape,
        p: &[f32],
        (layer, acc_at): (usize, usize),
        rows: std::ops::Range<usize>,
        (g, out): (&mut [V], &[V]),
        weights: bool,
    ) {
        let (w, m) = (s.width, s.mlp);
        let (w1, w2, pn) = mlp_weights(s, p);
        if s.clip_tokens {
            mask_clipped(
                &mut g[rows.start * w..rows.end * w],
                &out[rows.start * w..rows.end * w],
            );
        }
        let (o1, o2) = (
            acc_at + s.mlp_w1_offset() - s.attn_params(),
            acc_at + s.mlp_w2_offset() - s.attn_params(),
        );
        let u: &[V] = if s.layernorm {
            &self.u[layer]
        } else {
            &self.h[layer]
        };
        let (pre, act) = (&self.pre[layer], &self.act[layer]);
        for j in rows.clone() {
            let (acc_w1, acc_w2) = self.acc[o1..].split_at_mut(o2 - o1);
            let gj = &g[j * w..(j + 1) * w];
            let cache = (&pre[j * m..(j + 1) * m], &act[j * m..(j + 1) * m]);
            mlp_back_act(
                (w, m),
                w2,
                gj,
                cache,
                &mut self.g_a,
                weights.then_some(acc_w2),
            );
            let uj = &u[j * w..(j + 1) * w];
            let gu = &mut self.g_u[j * w..(j + 1) * w];
            mlp_back_in((w, m), w1, &self.g_a, uj, gu, weights.then_some(acc_w1));
        }
        if s.layernorm {
            let o = acc_at + s.norm_mlp_offset() - s.attn_params();
            let acc = weights.then(|| &mut self.acc[o..o + 2 * w]);
            let cache = (&self.uhat[layer][..], &self.urstd[layer][..]);
            norm_back_rows(w, rows.clone(), pn, cache, &mut self.g_u, acc);
        }
        for (gv, gu) in g[rows.start * w..rows.end * w]
            .iter_mut()
            .zip(&self.g_u[rows.start * w..rows.end * w])
        {
            *gv = add(*gv, *gu);
        }
    }
}

impl Batched {
    /// The linear read-out with an MLP: the query's whole token after attention,
    /// h_q = e_q + Σ_h W_PV,h m_h with m_h = Σ_i b_hi x_i, b_hi = z_h·x_i, z_h = W_KQ,h x_q
    /// (x = e, or LayerNorm(e)), clipped in deep stacks, then the MLP on it into e[K]'s query
    /// row; returns its label entry. Keeps z, b, m for the backward pass.
    #[inline(never)]
    pub(super) fn readout_linear_mlp(&mut self) -> V {
        let (w, t, keys, last) = (self.w, self.t, self.keys, self.arch.layers - 1);
        let (n, dd) = (t - 1, w * w);
        let s = self.arch.shape();
        let (done, rest) = self.e.split_at_mut(last + 1);
        let e = &done[last];
        let x: &[V] = if self.arch.norm_before(last) {
            &self.ext.x[last]
        } else {
            e
        };
        let xq = &x[n * w..(n + 1) * w];
        let hq = &mut self.ext.h[last][n * w..(n + 1) * w];
        hq.copy_from_slice(&e[n * w..(n + 1) * w]);
        for h in 0..self.arch.heads {
            let o = prod_offset(&self.arch, last, h);
            let (kq, pv) = (&self.prod.kq[o..o + dd], &self.prod.pv[o..o + dd]);
            let z = &mut self.z[h * w..(h + 1) * w];
            for a in 0..w {
                let mut acc = Z;
                for b in 0..w {
                    acc = madds(acc, kq[a * w + b], xq[b]);
                }
                z[a] = acc;
            }
            let m = &mut self.ext.rm[h * w..(h + 1) * w];
            m.fill(Z);
            for i in 0..keys {
                let xi = &x[i * w..(i + 1) * w];
                let mut b = Z;
                for c in 0..w {
                    b = madd(b, z[c], xi[c]);
                }
                self.rb[h * keys + i] = b;
                for c in 0..w {
                    m[c] = madd(m[c], b, xi[c]);
                }
            }
            for r in 0..w {
                let mut acc = hq[r];
                for c in 0..w {
                    acc = madds(acc, pv[r * w + c], m[c]);
                }
                hq[r] = acc;
            }
        }
        if s.clip_tokens {
            for v in hq.iter_mut() {
                clip(v);
            }
        }
        let p = self.arch.layer_params(&self.params, last);
        let out = &mut rest[0];
        self.ext.mlp_forward(&s, p, last, n..t, out);
        out[n * w + w - 1]
    }

    /// Backward of `readout_linear_mlp` from g = ∂L/∂(label entry of the output) per lane:
    /// through the MLP to ∂L/∂h_q (left in g2's query row), then the attention. Accumulates
    /// every gradient when `weights`; with `need_in`, writes ∂L/∂(read-out input) to `self.g`
    /// (with LayerNorm: ∂L/∂x, without the residual path, which the caller adds).
    #[inline(never)]
    pub(super) fn backward_readout_linear_mlp(&mut self, g: V, weights: bool, need_in: bool) {
        let (w, t, keys, last) = (self.w, self.t, self.keys, self.arch.layers - 1);
        let (n, dd) = (t - 1, w * w);
        let s = self.arch.shape();
        let p = self.arch.layer_params(&self.params, last);
        let acc_at = acc_offset(&self.arch, last);
        let gq = &mut self.g2[n * w..(n + 1) * w];
        gq.fill(Z);
        gq[w - 1] = g;
        let g_out = (&mut self.g2[..], &self.e[last + 1][..]);
        self.ext
            .mlp_backward(&s, p, (last, acc_at), n..t, g_out, weights);
        if s.clip_tokens {
            mask_clipped(
                &mut self.g2[n * w..(n + 1) * w],
                &self.ext.h[last][n * w..(n + 1) * w],
            );
        }
        let norm = self.arch.norm_before(last);
        let x: &[V] = if norm {
            &self.ext.x[last]
        } else {
            &self.e[last]
        };
        let gh = &self.g2[n * w..(n + 1) * w];
        if need_in {
            self.g.fill(Z);
            if !norm {
                self.g[n * w..(n + 1) * w].copy_from_slice(gh);
            }
        }
        let xq = &x[n * w..(n + 1) * w];
        for h in 0..self.arch.heads {
            let o = prod_offset(&self.arch, last, h);
            let (kq, pv) = (&self.prod.kq[o..o + dd], &self.prod.pv[o..o + dd]);
            let (z, m) = (
                &self.z[h * w..(h + 1) * w],
                &self.ext.rm[h * w..(h + 1) * w],
            );
            // h_q += W_PV m ⇒ ∂m = W_PVᵀ ∂h_q, ∂W_PV += ∂h_q mᵀ
            let mut gm = [Z; 64];
            let gm = &mut gm[..w];
            add_transposed(gm, pv, gh);
            if weights {
                add_outer(&mut self.acc_pv[o..o + dd], gh, m);
            }
            // m = Σ_i b_i x_i, b_i = z·x_i ⇒ ∂b_i = ∂m·x_i, ∂x_i += b_i ∂m + ∂b_i z,
            // ∂z = Σ_i ∂b_i x_i
            let mut gz = [Z; 64];
            let gz = &mut gz[..w];
            for i in 0..keys {
                let xi = &x[i * w..(i + 1) * w];
                let mut gb = Z;
                for c in 0..w {
                    gb = madd(gb, gm[c], xi[c]);
                }
                for c in 0..w {
                    gz[c] = madd(gz[c], gb, xi[c]);
                }
                if need_in {
                    let b = self.rb[h * keys + i];
                    for c in 0..w {
                        let gi = madd(self.g[i * w + c], b, gm[c]);
                        self.g[i * w + c] = madd(gi, gb, z[c]);
                    }
                }
            }
            // z = W_KQ x_q ⇒ ∂W_KQ += ∂z x_qᵀ, ∂x_q += W_KQᵀ ∂z
            if weights {
                add_outer(&mut self.acc_kq[o..o + dd], gz, xq);
            }
            if need_in {
                add_transposed(&mut self.g[n * w..(n + 1) * w], kq, gz);
            }
        }
    }
}
