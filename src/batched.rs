//! The lane engine: 16 tasks at a time in SIMD lanes (the independent lanes also hide the
//! latency of each add). Linear layers are in "C-form": a linear layer maps every token by the
//! same matrix,
//!
//!   e_j ← (I + A) e_j,   A = Σ_h W_PV,h C W_KQ,h,   C = Σ_{i∈keys} e_i e_iᵀ,
//!
//! with the products W_KQ = W_Kᵀ W_Q and W_PV = P_h W_V formed once per batch (`arch.rs`). The
//! last layer (the read-out) only computes the query's label entry,
//! e_q[d] + Σ_h Σ_i (z_h·e_i)(u_h·e_i) with z_h = W_KQ,h e_q and u_h the label row of W_PV,h.
//! Softmax layers weight each query's keys differently, so they have no C-form: they attend
//! token by token through the same products (`batched/softmax.rs`). Gradients are gathered per
//! lane for the products and mapped back to W_Q, W_K, W_V, P once per batch. `lsa.rs` (the
//! attention view, one task at a time) is the reference this is tested against in
//! tests/fast_path.rs.
//!
//! Classic tokens (`classic.rs`) run here too: their layers have the same form on wider tokens
//! (2N + 1 tokens of width d + 10, laid out per lane in `load`); their first layer is softmax and
//! their second the linear read-out, so the kind of attention is chosen per layer.
//!
//! With LayerNorm or an MLP (critique 1; linear attention only, see `Arch::engine`) a layer
//! attends over x = LayerNorm(e) while its residual stream keeps e, and an MLP maps each token
//! after attention; their kernels are in `batched/blocks.rs`. With an MLP the read-out needs the
//! query's whole token after attention, e_q + Σ_h W_PV,h m_h with m_h = Σ_i (z_h·x_i) x_i.
//!
//! Names: `layer` is a layer index (`layers` = K), `lane` a SIMD lane (one task of the block),
//! `h` a head, `w` the token width D, `t` the tokens T, `keys` the key tokens S.

mod blocks;
mod softmax;

use crate::arch::{add_head_product_grads, head_products, Arch, TOKEN_CLIP};
use crate::task::Tasks;
use blocks::{acc_offset, extras, mask_clipped, Extras};
use softmax::SoftCache;

/// Whether x86_64 may use its AVX2 build of the engine when the CPU has it (the benchmark turns
/// it off to measure the portable 128-bit build that wasm's SIMD corresponds to).
pub static ALLOW_AVX2: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

#[cfg(target_arch = "x86_64")]
fn use_avx2() -> bool {
    ALLOW_AVX2.load(std::sync::atomic::Ordering::Relaxed)
        && std::arch::is_x86_feature_detected!("avx2")
}

// Inlining. On x86_64 every kernel is inlined (`inline(always)`) into the AVX2 build's entry
// point, so that all of it is compiled with AVX2. In wasm the layer kernels (each full layer,
// the read-out and their backward passes, here and in `softmax.rs`) are kept as functions of
// their own (`inline(never)`): the browser's optimising compiler handled one 50 KB function
// far worse than the same code in a few smaller ones (3 layers, Node 20: 15.3 → 7.9 ms per
// step; the default link in Chromium: 1.50 → 1.17 ms). The arithmetic is the same either way,
// so the numbers are the same bits (e2e/native.test.mjs compares the page with the CLI).

/// Tasks per SIMD block (one per lane).
pub const LANES: usize = 16;
type V = [f32; LANES];
const Z: V = [0.0; LANES];

// Lane operations by value: the arrays stay in SIMD registers (by reference, the compiler could
// not rule out aliasing and fell back to scalar code).

/// acc + a·b, lane by lane.
#[inline(always)]
fn madd(mut acc: V, a: V, b: V) -> V {
    for lane in 0..LANES {
        acc[lane] += a[lane] * b[lane];
    }
    acc
}

/// acc + s·b, lane by lane.
#[inline(always)]
fn madds(mut acc: V, s: f32, b: V) -> V {
    for lane in 0..LANES {
        acc[lane] += s * b[lane];
    }
    acc
}

/// a + b, lane by lane.
#[inline(always)]
fn add(mut a: V, b: V) -> V {
    for lane in 0..LANES {
        a[lane] += b[lane];
    }
    a
}

/// a − b, lane by lane.
#[inline(always)]
fn sub(mut a: V, b: V) -> V {
    for lane in 0..LANES {
        a[lane] -= b[lane];
    }
    a
}

/// a·b, lane by lane.
#[inline(always)]
fn mul(mut a: V, b: V) -> V {
    for lane in 0..LANES {
        a[lane] *= b[lane];
    }
    a
}

/// s·a, lane by lane.
#[inline(always)]
fn scaled(mut a: V, s: f32) -> V {
    for x in a.iter_mut() {
        *x *= s;
    }
    a
}

// The gradient kernels' two accumulations. Each entry adds its terms in the same order as the
// loops they replace wrote out, so the bits do not depend on which kernel calls them.

/// acc += u vᵀ (acc is u.len() × v.len(), row-major), lane by lane.
#[inline(always)]
fn add_outer(acc: &mut [V], u: &[V], v: &[V]) {
    for (row, ur) in acc.chunks_exact_mut(v.len()).zip(u) {
        for (a, vc) in row.iter_mut().zip(v) {
            *a = madd(*a, *ur, *vc);
        }
    }
}

/// out += Mᵀ g (M is g.len() × out.len(), row-major), lane by lane: entry b adds
/// M[a][b]·g[a] for a = 0, 1, … in turn.
#[inline(always)]
fn add_transposed(out: &mut [V], m: &[f32], g: &[V]) {
    let cols = out.len();
    for (b, o) in out.iter_mut().enumerate() {
        let mut acc = *o;
        for (ma, ga) in m.chunks_exact(cols).zip(g) {
            acc = madds(acc, ma[b], *ga);
        }
        *o = acc;
    }
}

// The clip helpers work in place: by value, the compiler vectorised their callers' loops across
// tokens instead of across lanes.

/// Lays `LANES` tasks' tokens (`tokens`: each task's `size` numbers, one task after the other)
/// across the lanes: lane l of `e[p]` is number p of task l. Four tasks and four numbers at a
/// time, a 4 × 4 block moved in vector registers (`transpose4`): a wasm step at K = 1 moves a
/// quarter of a million numbers this way.
#[inline(always)]
fn transpose_in(tokens: &[f32], size: usize, e: &mut [V]) {
    debug_assert_eq!(tokens.len(), LANES * size);
    debug_assert_eq!(e.len(), size);
    for (g, rows) in tokens.chunks_exact(4 * size).enumerate() {
        let lanes = 4 * g..4 * g + 4;
        let (r01, r23) = rows.split_at(2 * size);
        let ((r0, r1), (r2, r3)) = (r01.split_at(size), r23.split_at(size));
        let quads = (r0.chunks_exact(4).zip(r1.chunks_exact(4)))
            .zip(r2.chunks_exact(4).zip(r3.chunks_exact(4)));
        let mut out4 = e.chunks_exact_mut(4);
        for (out, ((a, b), (c, d))) in (&mut out4).zip(quads) {
            let cols = transpose4([a, b, c, d].map(|r| r.try_into().unwrap()));
            for (v, col) in out.iter_mut().zip(cols) {
                v[lanes.clone()].copy_from_slice(&col);
            }
        }
        let done = size - size % 4;
        for (p, v) in (done..).zip(out4.into_remainder()) {
            v[lanes.clone()].copy_from_slice(&[r0[p], r1[p], r2[p], r3[p]]);
        }
    }
}

/// The columns of a 4 × 4 block given by its rows: in wasm eight shuffles of vector registers
/// (the compiler moved the numbers one at a time otherwise), elsewhere a plain transpose.
#[inline(always)]
fn transpose4(rows: [&[f32; 4]; 4]) -> [[f32; 4]; 4] {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        use core::arch::wasm32::*;
        // SAFETY: each row is four f32s (16 bytes); unaligned loads are allowed in wasm.
        let [a, b, c, d] = rows.map(|r| unsafe { v128_load(r.as_ptr().cast()) });
        let (ab01, ab23) = (
            i32x4_shuffle::<0, 4, 1, 5>(a, b),
            i32x4_shuffle::<2, 6, 3, 7>(a, b),
        );
        let (cd01, cd23) = (
            i32x4_shuffle::<0, 4, 1, 5>(c, d),
            i32x4_shuffle::<2, 6, 3, 7>(c, d),
        );
        let cols = [
            i64x2_shuffle::<0, 2>(ab01, cd01),
            i64x2_shuffle::<1, 3>(ab01, cd01),
            i64x2_shuffle::<0, 2>(ab23, cd23),
            i64x2_shuffle::<1, 3>(ab23, cd23),
        ];
        // SAFETY: v128 and [f32; 4] are 16 plain bytes each.
        cols.map(|v| unsafe { core::mem::transmute::<v128, [f32; 4]>(v) })
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        core::array::from_fn(|j| rows.map(|r| r[j]))
    }
}

/// Clip token values to ±TOKEN_CLIP, lane by lane.
#[inline(always)]
fn clip(v: &mut V) {
    for x in v.iter_mut() {
        *x = x.clamp(-TOKEN_CLIP, TOKEN_CLIP);
    }
}

/// Zero the lanes of `g` where the clipped output `out` sat at the clip (no gradient there).
#[inline(always)]
fn zero_where_clipped(g: &mut V, out: &V) {
    for lane in 0..LANES {
        if out[lane].abs() >= TOKEN_CLIP {
            g[lane] = 0.0;
        }
    }
}

/// Per-set, per-head products of the weights (shared by all tasks of a batch).
#[derive(Clone, Debug)]
struct Products {
    /// W_KQ and W_PV per (set, head), D×D row-major each.
    kq: Vec<f32>,
    pv: Vec<f32>,
}

/// Buffers for one block of LANES tasks, reused across blocks and steps.
#[derive(Clone, Debug)]
pub struct Batched {
    arch: Arch,
    w: usize,
    t: usize,
    keys: usize,
    prod: Products,
    /// The weights `prod` was formed from (the shards of a step share their weights, so each
    /// but the first skips forming the products again).
    prod_of: Vec<f32>,
    /// Layer inputs: e[layer] for layer = 0..K (T×D lanes each).
    e: Vec<Vec<V>>,
    /// Linear full layers (all but the last): C, A, and per head C·W_KQ.
    c: Vec<Vec<V>>,
    a: Vec<Vec<V>>,
    cw: Vec<Vec<V>>,
    /// Linear read-out: z_h (D lanes), a_hi, b_hi (S lanes each).
    z: Vec<V>,
    ra: Vec<V>,
    rb: Vec<V>,
    clipped_out: V,
    g: Vec<V>,
    g2: Vec<V>,
    g_a: Vec<V>,
    t1: Vec<V>,
    g_c: Vec<V>,
    sa: Vec<V>,
    /// Softmax layers' caches and scratch.
    soft: SoftCache,
    /// LayerNorm and MLP buffers and gradient accumulators (empty when off), and the weights
    /// of the batch (their kernels read them directly; attention reads the products).
    ext: Extras,
    params: Vec<f32>,
    /// Gradient accumulators of W_KQ and W_PV per (set, head), per lane.
    acc_kq: Vec<V>,
    acc_pv: Vec<V>,
    y: V,
    mask: V,
    /// Classic tokens: their layout, and one task's sequence laid out before it goes into its
    /// lane.
    layout: Option<crate::classic::Layout>,
    laid_out: Vec<f32>,
}

impl Batched {
    pub fn new(arch: &Arch) -> Self {
        let s = arch.shape();
        let (w, t, h, layers, keys) = (s.width, s.tokens, arch.heads, arch.layers, s.keys);
        let dd = w * w;
        let sh = arch.sets() * h;
        Batched {
            arch: *arch,
            w,
            t,
            keys,
            prod: Products {
                kq: vec![0.0; sh * dd],
                pv: vec![0.0; sh * dd],
            },
            prod_of: Vec::new(),
            e: vec![vec![Z; t * w]; layers + 1],
            c: vec![vec![Z; dd]; layers],
            a: vec![vec![Z; dd]; layers],
            cw: vec![vec![Z; h * dd]; layers],
            z: vec![Z; h * w],
            ra: vec![Z; h * keys],
            rb: vec![Z; h * keys],
            clipped_out: Z,
            g: vec![Z; t * w],
            g2: vec![Z; t * w],
            g_a: vec![Z; dd],
            t1: vec![Z; dd],
            g_c: vec![Z; dd],
            sa: vec![Z; w],
            soft: SoftCache::new(arch),
            ext: Extras::new(arch),
            params: Vec::new(),
            acc_kq: vec![Z; sh * dd],
            acc_pv: vec![Z; sh * dd],
            y: Z,
            mask: Z,
            layout: arch
                .classic()
                .then(|| crate::classic::Layout::new(arch.d, arch.n)),
            laid_out: vec![0.0; if arch.classic() { t * w } else { 0 }],
        }
    }

    /// Form W_KQ and W_PV for every set and head (unless `params` are, bit for bit, the weights
    /// they were formed from); clear the accumulators.
    fn prepare(&mut self, params: &[f32]) {
        let (shape, dd) = (self.arch.shape(), self.w * self.w);
        let formed = self.prod_of.len() == params.len()
            && (self.prod_of.iter().zip(params)).all(|(a, b)| a.to_bits() == b.to_bits());
        if !formed {
            for set in 0..self.arch.sets() {
                let p = self.arch.set_params(params, set);
                for h in 0..self.arch.heads {
                    let o = self.arch.set_head(set, h) * dd;
                    let (kq, pv) = (&mut self.prod.kq[o..o + dd], &mut self.prod.pv[o..o + dd]);
                    head_products(&shape, p, h, kq, pv);
                }
            }
            self.prod_of.clear();
            self.prod_of.extend_from_slice(params);
        }
        self.acc_kq.fill(Z);
        self.acc_pv.fill(Z);
        if self.arch.layernorm || self.arch.mlp > 0 {
            self.params.clear();
            self.params.extend_from_slice(params);
            self.ext.acc.fill(Z);
        }
    }

    /// Load block `blk` of `tasks` (tasks past the end are zero and masked out).
    fn load(&mut self, tasks: &Tasks, blk: usize) {
        let size = self.t * self.w;
        for lane in 0..LANES {
            let task = blk * LANES + lane;
            let live = task < tasks.count;
            self.mask[lane] = if live { 1.0 } else { 0.0 };
            self.y[lane] = if live { tasks.target(task) } else { 0.0 };
        }
        // A full block of tasks whose tokens the model reads as they are (all but the last
        // block of a training shard, unless the tokens are classic): a transpose.
        if self.layout.is_none() && (blk + 1) * LANES <= tasks.count {
            let tokens = tasks.tokens_of(blk * LANES..(blk + 1) * LANES);
            transpose_in(tokens, size, &mut self.e[0][..size]);
            return;
        }
        for lane in 0..LANES {
            let task = blk * LANES + lane;
            let tok = match (task < tasks.count, &self.layout) {
                (false, _) => None,
                (true, Some(layout)) => {
                    layout.lay_out(tasks.task_tokens(task), &mut self.laid_out);
                    Some(&self.laid_out[..])
                }
                (true, None) => Some(tasks.task_tokens(task)),
            };
            let e = &mut self.e[0][..size];
            match tok {
                Some(tokens) => {
                    for (v, &x) in e.iter_mut().zip(&tokens[..size]) {
                        v[lane] = x;
                    }
                }
                None => e.iter_mut().for_each(|v| v[lane] = 0.0),
            }
        }
    }

    /// Offset of head `h` of layer `layer` in the products and their accumulators.
    fn prod_offset(&self, layer: usize, h: usize) -> usize {
        prod_offset(&self.arch, layer, h)
    }

    /// Forward of one block: fills the caches and returns ŷ per lane.
    #[inline(always)]
    fn forward(&mut self) -> V {
        for layer in 0..self.arch.layers - 1 {
            self.forward_full(layer);
        }
        self.forward_readout()
    }

    /// A full layer (all but the last): e[layer + 1] from e[layer], clipped in deep stacks
    /// (after attention, and after the MLP if there is one).
    #[inline(always)]
    fn forward_full(&mut self, layer: usize) {
        let s = self.arch.shape();
        if self.arch.norm_before(layer) {
            let p = self.arch.layer_params(&self.params, layer);
            self.ext.norm_attn(&s, p, layer, &self.e[layer]);
        }
        if self.arch.layer_shape(layer).softmax {
            self.forward_full_softmax(layer);
        } else {
            self.forward_full_linear(layer);
        }
        let mlp = s.mlp > 0;
        if self.arch.clip_tokens {
            let attended = if mlp {
                &mut self.ext.h[layer]
            } else {
                &mut self.e[layer + 1]
            };
            for v in attended.iter_mut() {
                clip(v);
            }
        }
        if mlp {
            let p = self.arch.layer_params(&self.params, layer);
            let out = &mut self.e[layer + 1];
            self.ext.mlp_forward(&s, p, layer, 0..self.t, out);
        }
    }

    /// A full linear layer: e[layer + 1] = (I + A) e[layer]; with LayerNorm e + A x, C and A
    /// from x = LayerNorm(e); with an MLP into h[layer], the MLP's input. (Dense maths, one step
    /// after the other: C, then A head by head, then the map.)
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    fn forward_full_linear(&mut self, layer: usize) {
        let (w, t, keys) = (self.w, self.t, self.keys);
        let (done, rest) = self.e.split_at_mut(layer + 1);
        let e = &done[layer];
        let x: &[V] = if self.arch.norm_before(layer) {
            &self.ext.x[layer]
        } else {
            e
        };
        let out: &mut [V] = if self.arch.mlp > 0 {
            &mut self.ext.h[layer]
        } else {
            &mut rest[0]
        };
        // C = Σ_i x_i x_iᵀ (symmetric). Loops are ordered so every accumulator stays in a
        // register.
        let c = &mut self.c[layer];
        for a in 0..w {
            for b in a..w {
                let mut acc = Z;
                for xi in x.chunks_exact(w).take(keys) {
                    acc = madd(acc, xi[a], xi[b]);
                }
                c[a * w + b] = acc;
                c[b * w + a] = acc;
            }
        }
        // A = Σ_h W_PV,h (C W_KQ,h)
        let am = &mut self.a[layer];
        am.fill(Z);
        for h in 0..self.arch.heads {
            let o = prod_offset(&self.arch, layer, h);
            let (kq, pv) = (&self.prod.kq[o..o + w * w], &self.prod.pv[o..o + w * w]);
            let cw = &mut self.cw[layer][h * w * w..(h + 1) * w * w];
            for (cwa, ca) in cw.chunks_exact_mut(w).zip(c.chunks_exact(w)) {
                for (b, cell) in cwa.iter_mut().enumerate() {
                    let mut acc = Z;
                    for (kqx, &cax) in kq.chunks_exact(w).zip(ca) {
                        acc = madds(acc, kqx[b], cax);
                    }
                    *cell = acc;
                }
            }
            for (ama, pva) in am.chunks_exact_mut(w).zip(pv.chunks_exact(w)) {
                for (b, cell) in ama.iter_mut().enumerate() {
                    let mut acc = *cell;
                    for (&p, cwx) in pva.iter().zip(cw.chunks_exact(w)) {
                        acc = madds(acc, p, cwx[b]);
                    }
                    *cell = acc;
                }
            }
        }
        // e_j ← e_j + A x_j
        out.copy_from_slice(e);
        for (oj, xj) in out.chunks_exact_mut(w).zip(x.chunks_exact(w)).take(t) {
            for (cell, ar) in oj.iter_mut().zip(am.chunks_exact(w)) {
                let mut acc = *cell;
                for (&ab, &xb) in ar.iter().zip(xj) {
                    acc = madd(acc, ab, xb);
                }
                *cell = acc;
            }
        }
    }

    /// The read-out layer: ŷ = −(query's label entry after the last layer), clipped in deep
    /// stacks, per lane.
    #[inline(always)]
    fn forward_readout(&mut self) -> V {
        let last = self.arch.layers - 1;
        if self.arch.norm_before(last) {
            let p = self.arch.layer_params(&self.params, last);
            self.ext
                .norm_attn(&self.arch.shape(), p, last, &self.e[last]);
        }
        let out = if self.arch.layer_shape(last).softmax {
            self.readout_softmax()
        } else if self.arch.mlp > 0 {
            self.readout_linear_mlp()
        } else {
            self.readout_linear()
        };
        let mut yhat = Z;
        for lane in 0..LANES {
            let clipped = self.arch.clip_tokens && out[lane].abs() >= TOKEN_CLIP;
            self.clipped_out[lane] = if clipped { 0.0 } else { 1.0 };
            let o = if self.arch.clip_tokens {
                out[lane].clamp(-TOKEN_CLIP, TOKEN_CLIP)
            } else {
                out[lane]
            };
            yhat[lane] = -o;
        }
        yhat
    }

    /// The linear read-out: the query's label entry e_q[d] + Σ_h Σ_i a_hi b_hi per lane, with
    /// a_hi = u_h·x_i and b_hi = z_h·x_i, z_h = W_KQ,h x_q, where x = e, or LayerNorm(e)
    /// (unclipped); keeps z, a, b for the backward pass.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    fn readout_linear(&mut self) -> V {
        let (w, keys, last) = (self.w, self.keys, self.arch.layers - 1);
        let n = self.t - 1;
        let mut out = self.e[last][n * w + w - 1];
        let e: &[V] = if self.arch.norm_before(last) {
            &self.ext.x[last]
        } else {
            &self.e[last]
        };
        for h in 0..self.arch.heads {
            let o = self.prod_offset(last, h);
            let kq = &self.prod.kq[o..o + w * w];
            let u = &self.prod.pv[o + (w - 1) * w..o + w * w];
            let z = &mut self.z[h * w..(h + 1) * w];
            let eq = &e[n * w..(n + 1) * w];
            for (za, kqa) in z.iter_mut().zip(kq.chunks_exact(w)) {
                let mut acc = Z;
                for (&kqab, &eqb) in kqa.iter().zip(eq) {
                    acc = madds(acc, kqab, eqb);
                }
                *za = acc;
            }
            let ra = &mut self.ra[h * keys..(h + 1) * keys];
            let rb = &mut self.rb[h * keys..(h + 1) * keys];
            for ((ra_i, rb_i), ei) in ra.iter_mut().zip(rb.iter_mut()).zip(e.chunks_exact(w)) {
                let (mut ai, mut bi) = (Z, Z);
                for ((&uc, zc), eic) in u.iter().zip(z.iter()).zip(ei) {
                    ai = madds(ai, uc, *eic);
                    bi = madd(bi, *zc, *eic);
                }
                *ra_i = ai;
                *rb_i = bi;
                out = madd(out, ai, bi);
            }
        }
        out
    }

    /// Backward of one block from g = ∂L/∂ŷ per lane. Accumulates the product gradients when
    /// `weights`; leaves ∂L/∂(input tokens) in `self.g` when `input_grad`.
    #[inline(always)]
    fn backward(&mut self, g_yhat: V, weights: bool, input_grad: bool) {
        let layers = self.arch.layers;
        let mut g = Z;
        for lane in 0..LANES {
            g[lane] = -g_yhat[lane] * self.clipped_out[lane];
        }
        self.backward_readout(g, weights, layers > 1 || input_grad);
        for layer in (0..layers - 1).rev() {
            self.backward_full(layer, weights, layer > 0 || input_grad);
        }
    }

    /// Backward of the read-out from g = ∂L/∂(query label entry) per lane: accumulates the product
    /// gradients when `weights`; with `need_in`, writes ∂L/∂(read-out input) to `self.g`.
    #[inline(always)]
    fn backward_readout(&mut self, g: V, weights: bool, need_in: bool) {
        let last = self.arch.layers - 1;
        let norm = self.arch.norm_before(last);
        // LayerNorm's own gradient needs ∂L/∂x even where ∂L/∂e is not wanted.
        let need_x = need_in || (norm && weights);
        if self.arch.layer_shape(last).softmax {
            self.backward_readout_softmax(g, weights, need_in);
        } else if self.arch.mlp > 0 {
            self.backward_readout_linear_mlp(g, weights, need_x);
        } else {
            self.backward_readout_linear(g, weights, need_x);
        }
        if norm && need_x {
            let (s, n, w) = (self.arch.shape(), self.t - 1, self.w);
            let p = self.arch.layer_params(&self.params, last);
            let at = (last, acc_offset(&self.arch, last));
            self.ext.norm_attn_back(&s, p, at, &mut self.g, weights);
            // The residual path, which bypasses the normalisation: ∂L/∂h_q (kept in g2's query
            // row by the MLP's backward), or g at the query's label entry.
            if self.arch.mlp > 0 {
                for c in 0..w {
                    self.g[n * w + c] = add(self.g[n * w + c], self.g2[n * w + c]);
                }
            } else {
                self.g[n * w + w - 1] = add(self.g[n * w + w - 1], g);
            }
        }
    }

    /// `backward_readout` for linear attention. With LayerNorm, `self.g` gets ∂L/∂x without the
    /// residual path (the caller adds it after the normalisation's backward).
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    fn backward_readout_linear(&mut self, g: V, weights: bool, need_in: bool) {
        let (w, keys, last) = (self.w, self.keys, self.arch.layers - 1);
        let n = self.t - 1;
        let dd = w * w;
        let norm = self.arch.norm_before(last);
        let e: &[V] = if norm {
            &self.ext.x[last]
        } else {
            &self.e[last]
        };
        if need_in {
            self.g.fill(Z);
            if !norm {
                self.g[n * w + w - 1] = g;
            }
        }
        for h in 0..self.arch.heads {
            let o = self.prod_offset(last, h);
            let (ra, rb) = (
                &self.ra[h * keys..(h + 1) * keys],
                &self.rb[h * keys..(h + 1) * keys],
            );
            let mut sb = [Z; 64];
            let sb = &mut sb[..w];
            for (cix, (sa_c, sb_c)) in self.sa.iter_mut().zip(sb.iter_mut()).enumerate() {
                let (mut acc_a, mut acc_b) = (Z, Z);
                for ((ra_i, rb_i), ei) in ra.iter().zip(rb).zip(e.chunks_exact(w)) {
                    acc_a = madd(acc_a, *ra_i, ei[cix]);
                    acc_b = madd(acc_b, *rb_i, ei[cix]);
                }
                *sa_c = acc_a;
                *sb_c = acc_b;
            }
            // ∂z = g s_a ; ∂W_KQ += ∂z ⊗ e_q ; ∂u (label row of W_PV) += g s_b
            let mut gz = [Z; 64];
            let gz = &mut gz[..w];
            for (gza, sa) in gz.iter_mut().zip(&self.sa) {
                *gza = madd(Z, g, *sa);
            }
            let eq = &e[n * w..(n + 1) * w];
            if weights {
                let acc_kq = &mut self.acc_kq[o..o + dd];
                for (acc_a, gza) in acc_kq.chunks_exact_mut(w).zip(gz.iter()) {
                    for (acc, eqb) in acc_a.iter_mut().zip(eq) {
                        *acc = madd(*acc, *gza, *eqb);
                    }
                }
                let acc_u = &mut self.acc_pv[o + (w - 1) * w..o + dd];
                for (acc, sba) in acc_u.iter_mut().zip(sb.iter()) {
                    *acc = madd(*acc, g, *sba);
                }
            }
            if need_in {
                let kq = &self.prod.kq[o..o + dd];
                let u = &self.prod.pv[o + (w - 1) * w..o + dd];
                let z = &self.z[h * w..(h + 1) * w];
                let rows = self.g.chunks_exact_mut(w).zip(ra.iter().zip(rb));
                for (gi, (ra_i, rb_i)) in rows.take(keys) {
                    let (gb, ga) = (madd(Z, g, *rb_i), madd(Z, g, *ra_i));
                    for ((gic, &uc), zc) in gi.iter_mut().zip(u).zip(z) {
                        *gic = madd(madds(*gic, uc, gb), ga, *zc);
                    }
                }
                let gq = &mut self.g[n * w..(n + 1) * w];
                for (kqa, gza) in kq.chunks_exact(w).zip(gz.iter()) {
                    for (gqb, &kqab) in gq.iter_mut().zip(kqa) {
                        *gqb = madds(*gqb, kqab, *gza);
                    }
                }
            }
        }
    }

    /// Backward of full layer `layer` from ∂L/∂e[layer + 1] in `self.g`, which it replaces by
    /// ∂L/∂e[layer] (complete only with `need_in`). Accumulates the product gradients when
    /// `weights`.
    #[inline(always)]
    fn backward_full(&mut self, layer: usize, weights: bool, need_in: bool) {
        let s = self.arch.shape();
        let acc_at = acc_offset(&self.arch, layer);
        if s.mlp > 0 {
            // ∂L/∂e[layer + 1] → ∂L/∂h[layer] through the MLP and its residual connection.
            let p = self.arch.layer_params(&self.params, layer);
            let g_out = (&mut self.g[..], &self.e[layer + 1][..]);
            self.ext
                .mlp_backward(&s, p, (layer, acc_at), 0..self.t, g_out, weights);
            if self.arch.clip_tokens {
                mask_clipped(&mut self.g, &self.ext.h[layer]);
            }
        } else if self.arch.clip_tokens {
            for (gv, ov) in self.g.iter_mut().zip(&self.e[layer + 1]) {
                zero_where_clipped(gv, ov);
            }
        }
        let norm = self.arch.norm_before(layer);
        // LayerNorm's own gradient needs ∂L/∂x even where ∂L/∂e is not wanted.
        let need_x = need_in || (norm && weights);
        if self.arch.layer_shape(layer).softmax {
            self.backward_full_softmax(layer, weights, need_in);
        } else {
            self.backward_full_linear(layer, weights, need_x);
        }
        if norm && need_x {
            // g2 holds ∂L/∂x; the residual path adds ∂L/∂(layer output) = g after it.
            let p = self.arch.layer_params(&self.params, layer);
            self.ext
                .norm_attn_back(&s, p, (layer, acc_at), &mut self.g2, weights);
            for (a, b) in self.g2.iter_mut().zip(&self.g) {
                *a = add(*a, *b);
            }
        }
        std::mem::swap(&mut self.g, &mut self.g2);
    }

    /// Backward of full linear layer `layer` from ∂L/∂(its output) in `self.g` (clip mask
    /// applied): writes ∂L/∂e[layer] to `self.g2` (complete only with `need_in`; with LayerNorm
    /// ∂L/∂x, without the residual path) and accumulates the product gradients when `weights`.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    fn backward_full_linear(&mut self, layer: usize, weights: bool, need_in: bool) {
        let (w, t, keys) = (self.w, self.t, self.keys);
        let norm = self.arch.norm_before(layer);
        let e: &[V] = if norm {
            &self.ext.x[layer]
        } else {
            &self.e[layer]
        };
        let am = &self.a[layer];
        // G_A = Σ_j g_j e_jᵀ ; g_in_j = g_j + Aᵀ g_j
        let (gg, g2, g_a) = (&self.g, &mut self.g2, &mut self.g_a);
        for (a, g_aa) in g_a.chunks_exact_mut(w).enumerate() {
            for (b, cell) in g_aa.iter_mut().enumerate() {
                let mut acc = Z;
                for (gj, ej) in gg.chunks_exact(w).zip(e.chunks_exact(w)).take(t) {
                    acc = madd(acc, gj[a], ej[b]);
                }
                *cell = acc;
            }
        }
        for (g2j, gj) in g2.chunks_exact_mut(w).zip(gg.chunks_exact(w)).take(t) {
            for (b, cell) in g2j.iter_mut().enumerate() {
                let mut acc = if norm { Z } else { gj[b] };
                for (ar, &ga) in am.chunks_exact(w).zip(gj) {
                    acc = madd(acc, ar[b], ga);
                }
                *cell = acc;
            }
        }
        self.g_c.fill(Z);
        for h in 0..self.arch.heads {
            self.backward_full_head(layer, h, weights);
        }
        // C = Σ_i x_i x_iᵀ ⇒ ∂x_i += (G_C + G_Cᵀ) x_i
        if need_in {
            let e: &[V] = if norm {
                &self.ext.x[layer]
            } else {
                &self.e[layer]
            };
            for a in 0..w {
                for b in 0..=a {
                    let v = add(self.g_c[a * w + b], self.g_c[b * w + a]);
                    self.g_c[a * w + b] = v;
                    self.g_c[b * w + a] = v;
                }
            }
            let (g_c, g2) = (&self.g_c, &mut self.g2);
            for (g2i, ei) in g2.chunks_exact_mut(w).zip(e.chunks_exact(w)).take(keys) {
                for (cell, gca) in g2i.iter_mut().zip(g_c.chunks_exact(w)) {
                    let mut acc = *cell;
                    for (&gcab, &eib) in gca.iter().zip(ei) {
                        acc = madd(acc, gcab, eib);
                    }
                    *cell = acc;
                }
            }
        }
    }

    /// Head `h` of full layer `layer`, from G_A in `self.g_a`: adds W_PVᵀ G_A W_KQᵀ to
    /// `self.g_c` and, when `weights`, the head's product gradients to the accumulators.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    fn backward_full_head(&mut self, layer: usize, h: usize, weights: bool) {
        let w = self.w;
        let dd = w * w;
        let o = self.prod_offset(layer, h);
        let (kq, pv) = (&self.prod.kq[o..o + dd], &self.prod.pv[o..o + dd]);
        let cw = &self.cw[layer][h * dd..(h + 1) * dd];
        let c = &self.c[layer];
        let g_a = &self.g_a;
        // T1 = W_PVᵀ G_A serves both ∂W_KQ = (W_PV C)ᵀ G_A = C T1 (C is symmetric) and
        // ∂C = T1 W_KQᵀ.
        let t1 = &mut self.t1;
        for (x, t1x) in t1.chunks_exact_mut(w).enumerate() {
            for (b, cell) in t1x.iter_mut().enumerate() {
                let mut acc = Z;
                for (pva, g_aa) in pv.chunks_exact(w).zip(g_a.chunks_exact(w)) {
                    acc = madds(acc, pva[x], g_aa[b]);
                }
                *cell = acc;
            }
        }
        let t1 = &self.t1;
        if weights {
            let (acc_pv, acc_kq) = (&mut self.acc_pv[o..o + dd], &mut self.acc_kq[o..o + dd]);
            for (acc_a, g_aa) in acc_pv.chunks_exact_mut(w).zip(g_a.chunks_exact(w)) {
                for (out, cwc) in acc_a.iter_mut().zip(cw.chunks_exact(w)) {
                    let mut acc = *out;
                    for (&gab, &cwcb) in g_aa.iter().zip(cwc) {
                        acc = madd(acc, gab, cwcb);
                    }
                    *out = acc;
                }
            }
            for (acc_c, cc) in acc_kq.chunks_exact_mut(w).zip(c.chunks_exact(w)) {
                for (b, out) in acc_c.iter_mut().enumerate() {
                    let mut acc = *out;
                    for (&ccx, t1x) in cc.iter().zip(t1.chunks_exact(w)) {
                        acc = madd(acc, ccx, t1x[b]);
                    }
                    *out = acc;
                }
            }
        }
        // G_C += W_PVᵀ G_A W_KQᵀ = T1 W_KQᵀ
        for (g_cx, t1x) in self.g_c.chunks_exact_mut(w).zip(t1.chunks_exact(w)) {
            for (out, kqy) in g_cx.iter_mut().zip(kq.chunks_exact(w)) {
                let mut acc = *out;
                for (&kqyb, &t1xb) in kqy.iter().zip(t1x) {
                    acc = madds(acc, kqyb, t1xb);
                }
                *out = acc;
            }
        }
    }

    /// Sum the accumulated ∂W_KQ, ∂W_PV over the lanes and map them to the weights, adding to
    /// `grad`.
    fn finish(&self, params: &[f32], grad: &mut [f32]) {
        let shape = self.arch.shape();
        let (dd, np) = (self.w * self.w, shape.n_params());
        let lane_sum = |v: &V| v.iter().sum::<f32>();
        for set in 0..self.arch.sets() {
            let p = self.arch.set_params(params, set);
            let gp = &mut grad[set * np..(set + 1) * np];
            for h in 0..self.arch.heads {
                let o = self.arch.set_head(set, h) * dd;
                let gkq: Vec<f32> = self.acc_kq[o..o + dd].iter().map(lane_sum).collect();
                let gpv: Vec<f32> = self.acc_pv[o..o + dd].iter().map(lane_sum).collect();
                add_head_product_grads(&shape, p, h, &gkq, &gpv, gp);
            }
            // The LayerNorms' and the MLP's weights: their gradients, summed over the lanes.
            let n_ext = extras(&shape);
            let acc = &self.ext.acc[set * n_ext..(set + 1) * n_ext];
            for (g, a) in gp[shape.attn_params()..].iter_mut().zip(acc) {
                *g += lane_sum(a);
            }
        }
    }

    fn blocks(tasks: &Tasks) -> usize {
        tasks.count.div_ceil(LANES)
    }

    /// Mean ½-squared-error over `tasks`; adds its gradient to `grad`.
    pub fn loss_and_grad(&mut self, params: &[f32], tasks: &Tasks, grad: &mut [f32]) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if use_avx2() {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { self.loss_and_grad_avx2(params, tasks, grad) };
        }
        self.loss_and_grad_lanes(params, tasks, grad)
    }

    /// The same code compiled for AVX2: one 8-lane operation per instruction instead of two.
    /// No FMA is enabled, so every lane rounds exactly as without AVX2 (same numbers).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn loss_and_grad_avx2(
        &mut self,
        params: &[f32],
        tasks: &Tasks,
        grad: &mut [f32],
    ) -> f64 {
        self.loss_and_grad_lanes(params, tasks, grad)
    }

    #[inline(always)]
    fn loss_and_grad_lanes(&mut self, params: &[f32], tasks: &Tasks, grad: &mut [f32]) -> f64 {
        self.prepare(params);
        let inv_b = 1.0 / tasks.count as f32;
        let mut loss = 0.0f64;
        for blk in 0..Self::blocks(tasks) {
            self.load(tasks, blk);
            let yhat = self.forward();
            let mut g = Z;
            for lane in 0..LANES {
                let r = (yhat[lane] - self.y[lane]) * self.mask[lane];
                loss += 0.5 * (r as f64) * (r as f64);
                g[lane] = r * inv_b;
            }
            self.backward(g, true, false);
        }
        self.finish(params, grad);
        loss / tasks.count as f64
    }

    /// Predictions, and with `sens` also ∂ŷ/∂x_q (`count × d`).
    pub fn predict(&mut self, params: &[f32], tasks: &Tasks, sens: bool) -> (Vec<f32>, Vec<f32>) {
        #[cfg(target_arch = "x86_64")]
        if use_avx2() {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { self.predict_avx2(params, tasks, sens) };
        }
        self.predict_lanes(params, tasks, sens)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn predict_avx2(
        &mut self,
        params: &[f32],
        tasks: &Tasks,
        sens: bool,
    ) -> (Vec<f32>, Vec<f32>) {
        self.predict_lanes(params, tasks, sens)
    }

    #[inline(always)]
    fn predict_lanes(&mut self, params: &[f32], tasks: &Tasks, sens: bool) -> (Vec<f32>, Vec<f32>) {
        self.prepare(params);
        // The query's row: its first d entries are x_q in both layouts.
        let (d, n, w) = (self.arch.d, self.t - 1, self.w);
        let mut preds = Vec::with_capacity(tasks.count);
        let mut out = Vec::with_capacity(if sens { tasks.count * d } else { 0 });
        for blk in 0..Self::blocks(tasks) {
            self.load(tasks, blk);
            let yhat = self.forward();
            let live = (tasks.count - blk * LANES).min(LANES);
            preds.extend_from_slice(&yhat[..live]);
            if sens {
                self.backward([1.0; LANES], false, true);
                for lane in 0..live {
                    out.extend((0..d).map(|c| self.g[n * w + c][lane]));
                }
            }
        }
        (preds, out)
    }
}

/// Offset of head `h` of layer `layer` in the products and their accumulators (a free function
/// so it can be called while fields of `Batched` are borrowed).
#[inline(always)]
fn prod_offset(arch: &Arch, layer: usize, h: usize) -> usize {
    let w = arch.shape().width;
    arch.set_head(arch.set_of(layer), h) * w * w
}
