//! The lane engine's softmax layers (docs/science.md, "Model"). Through the same products
//! W_KQ = W_Kᵀ W_Q and W_PV = P_h W_V as the linear layers (q_j·k_i = e_iᵀ W_KQ e_j and
//! P_h Σ_i a_ji W_V e_i = W_PV m_j), a head h updates query token j by
//!
//!   z_j = W_KQ e_j,   a_ji = softmax_i(z_j·e_i / √D) over the keys i,   m_j = Σ_i a_ji e_i,
//!   e_j ← e_j + Σ_h W_PV m_j.
//!
//! The read-out computes only the query's label entry, e_q[d] + Σ_h u_h·m_q (u_h the label row
//! of W_PV). Backward, per head and query token j, from g_j = ∂L/∂(e_j after the layer):
//!
//!   ∂m_j = W_PVᵀ g_j,   ∂s_ji = a_ji (∂m_j·e_i − ∂m_j·m_j) / √D,   ∂z_j = Σ_i ∂s_ji e_i,
//!   ∂W_PV += g_j m_jᵀ,   ∂W_KQ += ∂z_j e_jᵀ,
//!   ∂e_i += a_ji ∂m_j + ∂s_ji z_j (keys),   ∂e_j += W_KQᵀ ∂z_j (queries).
//!
//! The exponential is `kernels::exp`, the reference path's too: the same bits on every build.

use super::{
    add, add_outer, add_transposed, madd, madds, mul, prod_offset, scaled, sub, Batched, LANES, V,
    Z,
};
use crate::arch::Arch;
use crate::kernels;

/// What the softmax layers keep for the backward pass, and the backward's scratch.
#[derive(Clone, Debug)]
pub(super) struct SoftCache {
    /// The score scale 1/√D.
    scale: f32,
    /// Full layers (all but the last), per layer and head: z_j and m_j (T×D lanes each) and
    /// the attention weights a_ji (T×S).
    z: Vec<V>,
    att: Vec<V>,
    m: Vec<V>,
    /// The read-out, per head: z, m of the query (D each) and its attention weights (S).
    rz: Vec<V>,
    ratt: Vec<V>,
    rm: Vec<V>,
    /// Backward scratch of one head: ∂m_j, ∂z_j (T×D each) and ∂s_ji (T×S).
    g_m: Vec<V>,
    g_z: Vec<V>,
    g_s: Vec<V>,
}

impl SoftCache {
    /// The buffers for `arch`; none for linear attention.
    pub(super) fn new(arch: &Arch) -> Self {
        let s = arch.shape();
        let (w, t, keys, h) = (s.width, s.tokens, s.keys, s.heads);
        let on = usize::from(arch.softmax);
        let full = on * (arch.layers - 1) * h;
        SoftCache {
            scale: s.score_scale(),
            z: vec![Z; full * t * w],
            att: vec![Z; full * t * keys],
            m: vec![Z; full * t * w],
            rz: vec![Z; on * h * w],
            ratt: vec![Z; on * h * keys],
            rm: vec![Z; on * h * w],
            g_m: vec![Z; on * t * w],
            g_z: vec![Z; on * t * w],
            g_s: vec![Z; on * t * keys],
        }
    }
}

/// The larger of a and b, lane by lane.
#[inline(always)]
fn max(mut a: V, b: V) -> V {
    for lane in 0..LANES {
        if b[lane] > a[lane] {
            a[lane] = b[lane];
        }
    }
    a
}

/// e^(s − top), lane by lane.
#[inline(always)]
fn exp_below(mut s: V, top: V) -> V {
    for lane in 0..LANES {
        s[lane] = kernels::exp(s[lane] - top[lane]);
    }
    s
}

/// 1/a, lane by lane.
#[inline(always)]
fn recip(mut a: V) -> V {
    for x in a.iter_mut() {
        *x = 1.0 / *x;
    }
    a
}

/// One query token `q` attending to the keys (the first `keys` tokens of `e`, D = `w` wide):
/// z = W_KQ q, a_i = softmax_i(scale · z·e_i) (shifted by the largest score, as the reference
/// path does), m = Σ_i a_i e_i.
#[inline(always)]
fn attend(
    (w, keys, scale): (usize, usize, f32),
    kq: &[f32],
    e: &[V],
    q: &[V],
    z: &mut [V],
    att: &mut [V],
    m: &mut [V],
) {
    for (za, kqa) in z[..w].iter_mut().zip(kq.chunks_exact(w)) {
        let mut acc = Z;
        for (&kqab, qb) in kqa.iter().zip(q) {
            acc = madds(acc, kqab, *qb);
        }
        *za = acc;
    }
    let mut top = [f32::NEG_INFINITY; LANES];
    for (s, ei) in att[..keys].iter_mut().zip(e.chunks_exact(w)) {
        let mut acc = Z;
        for (zc, eic) in z[..w].iter().zip(ei) {
            acc = madd(acc, *zc, *eic);
        }
        *s = scaled(acc, scale);
        top = max(top, *s);
    }
    let mut sum = Z;
    for s in att[..keys].iter_mut() {
        *s = exp_below(*s, top);
        sum = add(sum, *s);
    }
    let inv = recip(sum);
    for s in att[..keys].iter_mut() {
        *s = mul(*s, inv);
    }
    for (c, mc) in m[..w].iter_mut().enumerate() {
        let mut acc = Z;
        for (ai, ei) in att[..keys].iter().zip(e.chunks_exact(w)) {
            acc = madd(acc, *ai, ei[c]);
        }
        *mc = acc;
    }
}

/// The backward of `attend` from ∂m (`g_m`): writes ∂s_i (the score scale included) to `g_s`
/// and ∂z to `g_z`.
#[inline(always)]
fn attend_back(
    (w, keys, scale): (usize, usize, f32),
    e: &[V],
    att: &[V],
    m: &[V],
    g_m: &[V],
    g_s: &mut [V],
    g_z: &mut [V],
) {
    // Σ_i a_i ∂a_i = ∂m·m
    let (g_m, m) = (&g_m[..w], &m[..w]);
    let mut inner = Z;
    for (gmc, mc) in g_m.iter().zip(m) {
        inner = madd(inner, *gmc, *mc);
    }
    for ((gs, ai), ei) in g_s[..keys].iter_mut().zip(att).zip(e.chunks_exact(w)) {
        let mut ga = Z;
        for (gmc, eic) in g_m.iter().zip(ei) {
            ga = madd(ga, *gmc, *eic);
        }
        *gs = scaled(mul(*ai, sub(ga, inner)), scale);
    }
    for (c, gzc) in g_z[..w].iter_mut().enumerate() {
        let mut acc = Z;
        for (gsi, ei) in g_s[..keys].iter().zip(e.chunks_exact(w)) {
            acc = madd(acc, *gsi, ei[c]);
        }
        *gzc = acc;
    }
}

impl Batched {
    /// A full softmax layer (all but the last): e[layer + 1] = e[layer] + Σ_h W_PV,h m_j,h for
    /// every token j (clipped by the caller).
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    pub(super) fn forward_full_softmax(&mut self, layer: usize) {
        let (w, t, keys, heads) = (self.w, self.t, self.keys, self.arch.heads);
        let dd = w * w;
        let (done, rest) = self.e.split_at_mut(layer + 1);
        let (e, out) = (&done[layer], &mut rest[0]);
        let sc = &mut self.soft;
        let dims = (w, keys, sc.scale);
        out.copy_from_slice(e);
        for h in 0..heads {
            let o = prod_offset(&self.arch, layer, h);
            let (kq, pv) = (&self.prod.kq[o..o + dd], &self.prod.pv[o..o + dd]);
            let lh = layer * heads + h;
            for j in 0..t {
                let (r, ra) = ((lh * t + j) * w, (lh * t + j) * keys);
                let m = &mut sc.m[r..r + w];
                let q = &e[j * w..(j + 1) * w];
                let (z, att) = (&mut sc.z[r..r + w], &mut sc.att[ra..ra + keys]);
                attend(dims, kq, e, q, z, att, m);
                for (oa, pva) in out[j * w..(j + 1) * w].iter_mut().zip(pv.chunks_exact(w)) {
                    let mut acc = *oa;
                    for (&pvab, mb) in pva.iter().zip(&*m) {
                        acc = madds(acc, pvab, *mb);
                    }
                    *oa = acc;
                }
            }
        }
    }

    /// The softmax read-out: the query's label entry after the last layer, e_q[d] + Σ_h u_h·m_h
    /// (unclipped); keeps z, a, m of every head for the backward pass.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    pub(super) fn readout_softmax(&mut self) -> V {
        let (w, keys, heads, last) = (self.w, self.keys, self.arch.heads, self.arch.layers - 1);
        let (dd, n) = (w * w, self.t - 1);
        let e = &self.e[last];
        let q = &e[n * w..(n + 1) * w];
        let sc = &mut self.soft;
        let dims = (w, keys, sc.scale);
        let mut out = q[w - 1];
        for h in 0..heads {
            let o = prod_offset(&self.arch, last, h);
            let kq = &self.prod.kq[o..o + dd];
            let u = &self.prod.pv[o + (w - 1) * w..o + dd];
            let m = &mut sc.rm[h * w..(h + 1) * w];
            let (z, att) = (
                &mut sc.rz[h * w..(h + 1) * w],
                &mut sc.ratt[h * keys..(h + 1) * keys],
            );
            attend(dims, kq, e, q, z, att, m);
            for c in 0..w {
                out = madds(out, u[c], m[c]);
            }
        }
        out
    }

    /// Backward of the softmax read-out from g = ∂L/∂(query label entry) per lane: accumulates
    /// the product gradients when `weights`; with `need_in`, writes ∂L/∂(read-out input) to
    /// `self.g`.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    pub(super) fn backward_readout_softmax(&mut self, g: V, weights: bool, need_in: bool) {
        let (w, keys, heads, last) = (self.w, self.keys, self.arch.heads, self.arch.layers - 1);
        let (dd, n) = (w * w, self.t - 1);
        let e = &self.e[last];
        let q = &e[n * w..(n + 1) * w];
        let sc = &mut self.soft;
        let dims = (w, keys, sc.scale);
        if need_in {
            self.g.fill(Z);
            self.g[n * w + w - 1] = g;
        }
        for h in 0..heads {
            let o = prod_offset(&self.arch, last, h);
            let kq = &self.prod.kq[o..o + dd];
            let u = &self.prod.pv[o + (w - 1) * w..o + dd];
            let (z, att, m) = (
                &sc.rz[h * w..(h + 1) * w],
                &sc.ratt[h * keys..(h + 1) * keys],
                &sc.rm[h * w..(h + 1) * w],
            );
            // Only the label row u of W_PV reaches the read-out: ∂m = g u, ∂u += g m.
            let g_m = &mut sc.g_m[..w];
            for (gm, uc) in g_m.iter_mut().zip(u) {
                *gm = scaled(g, *uc);
            }
            let (g_s, g_z) = (&mut sc.g_s[..keys], &mut sc.g_z[..w]);
            attend_back(dims, e, att, m, g_m, g_s, g_z);
            if weights {
                for (acc, mb) in self.acc_pv[o + (w - 1) * w..o + dd].iter_mut().zip(m) {
                    *acc = madd(*acc, g, *mb);
                }
                add_outer(&mut self.acc_kq[o..o + dd], g_z, q);
            }
            if need_in {
                add_transposed(&mut self.g[n * w..(n + 1) * w], kq, g_z);
                for i in 0..keys {
                    for c in 0..w {
                        let gi = madd(self.g[i * w + c], att[i], g_m[c]);
                        self.g[i * w + c] = madd(gi, g_s[i], z[c]);
                    }
                }
            }
        }
    }

    /// Backward of full softmax layer `layer` from ∂L/∂e[layer + 1] in `self.g` (clip mask
    /// applied): accumulates the product gradients when `weights`; with `need_in`, writes
    /// ∂L/∂e[layer] to `self.g2`.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    pub(super) fn backward_full_softmax(&mut self, layer: usize, weights: bool, need_in: bool) {
        let (w, t, keys, heads) = (self.w, self.t, self.keys, self.arch.heads);
        let dd = w * w;
        let e = &self.e[layer];
        let (gg, g2) = (&self.g, &mut self.g2);
        let sc = &mut self.soft;
        let dims = (w, keys, sc.scale);
        if need_in {
            g2.copy_from_slice(gg); // the residual path
        }
        for h in 0..heads {
            let o = prod_offset(&self.arch, layer, h);
            let (kq, pv) = (&self.prod.kq[o..o + dd], &self.prod.pv[o..o + dd]);
            let lh = layer * heads + h;
            let (z, att, m) = (
                &sc.z[lh * t * w..(lh + 1) * t * w],
                &sc.att[lh * t * keys..(lh + 1) * t * keys],
                &sc.m[lh * t * w..(lh + 1) * t * w],
            );
            let (g_m, g_s, g_z) = (&mut sc.g_m, &mut sc.g_s, &mut sc.g_z);
            for j in 0..t {
                // ∂m_j = W_PVᵀ g_j
                let (gm, gj) = (&mut g_m[j * w..(j + 1) * w], &gg[j * w..(j + 1) * w]);
                for (b, gmb) in gm.iter_mut().enumerate() {
                    let mut acc = Z;
                    for (pva, gja) in pv.chunks_exact(w).zip(gj) {
                        acc = madds(acc, pva[b], *gja);
                    }
                    *gmb = acc;
                }
                let (r, ra) = (j * w, j * keys);
                attend_back(
                    dims,
                    e,
                    &att[ra..ra + keys],
                    &m[r..r + w],
                    &g_m[r..r + w],
                    &mut g_s[ra..ra + keys],
                    &mut g_z[r..r + w],
                );
            }
            if weights {
                // ∂W_PV += Σ_j g_j m_jᵀ ; ∂W_KQ += Σ_j ∂z_j e_jᵀ
                let (acc_pv, acc_kq) = (&mut self.acc_pv[o..o + dd], &mut self.acc_kq[o..o + dd]);
                let rows = acc_pv.chunks_exact_mut(w).zip(acc_kq.chunks_exact_mut(w));
                for (a, (pa, ka)) in rows.enumerate() {
                    for (b, (pab, kab)) in pa.iter_mut().zip(ka.iter_mut()).enumerate() {
                        let (mut p, mut k) = (*pab, *kab);
                        let gm = gg.chunks_exact(w).zip(m.chunks_exact(w));
                        let ze = g_z.chunks_exact(w).zip(e.chunks_exact(w));
                        for ((gj, mj), (gzj, ej)) in gm.zip(ze).take(t) {
                            p = madd(p, gj[a], mj[b]);
                            k = madd(k, gzj[a], ej[b]);
                        }
                        (*pab, *kab) = (p, k);
                    }
                }
            }
            if need_in {
                // queries: ∂e_j += W_KQᵀ ∂z_j
                for j in 0..t {
                    add_transposed(&mut g2[j * w..(j + 1) * w], kq, &g_z[j * w..(j + 1) * w]);
                }
                // keys: ∂e_i += Σ_j a_ji ∂m_j + ∂s_ji z_j
                for (i, g2i) in g2.chunks_exact_mut(w).enumerate().take(keys) {
                    for (c, out) in g2i.iter_mut().enumerate() {
                        let mut acc = *out;
                        let am = att.chunks_exact(keys).zip(g_m.chunks_exact(w));
                        let sz = g_s.chunks_exact(keys).zip(z.chunks_exact(w));
                        for ((aj, gmj), (gsj, zj)) in am.zip(sz).take(t) {
                            acc = madd(acc, aj[i], gmj[c]);
                            acc = madd(acc, gsj[i], zj[c]);
                        }
                        *out = acc;
                    }
                }
            }
        }
    }
}
