//! The architecture of a model, everything but the weights: its sizes and switches (`Arch`), the
//! shape of one layer (`LayerShape`), where each weight sits in the flat parameter vector, and the
//! products W_KQ = W_Kᵀ W_Q and W_PV = P_h W_V through which linear attention sees the weights.
//! Both engines (`lsa.rs`, the reference path, and `batched.rs`, the lane engine) and the
//! metrics read the weights through this file only.
//!
//! Parameter layout: one block of `LayerShape::n_params()` per weight set (1 set when recurrent,
//! K when deep); inside a set, per head h: W_Q,h, W_K,h, W_V,h (D×D row-major each), then
//! P (D × H·D row-major), whose h-th D×D column block is P_h. Then, only when switched on
//! (`layernorm`, `mlp`): the LayerNorm before attention (scale, offset: D each), the LayerNorm
//! before the MLP (D, D; with both switches), and the MLP's W_1 (M×D) and W_2 (D×M), M its width.

use crate::classic;
use crate::config::{Attn, Config, Tokens};
use std::iter::Sum;
use std::ops::Mul;

/// Token values are clipped to ±this in deep stacks (reference code, K > 3).
pub const TOKEN_CLIP: f32 = 10.0;

/// Architecture of a model (everything but the weights).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arch {
    pub d: usize,
    pub n: usize,
    pub layers: usize,
    pub recurrent: bool,
    pub heads: usize,
    /// Softmax attention: in every layer (paired tokens), or in the first (classic tokens,
    /// whose second layer is linear). Either way no GD construction applies.
    pub softmax: bool,
    pub query_in_keys: bool,
    pub clip_tokens: bool,
    /// How a task is laid out in tokens (paired, or classic: `classic.rs`).
    pub tokens: Tokens,
    /// A LayerNorm before attention (and before the MLP, if there is one): see `norm_before`.
    pub layernorm: bool,
    /// Whether the first layer's attention input is normalised too: yes when the weights are
    /// shared or K = 1; no in a deep stack, where the reference code normalises between layers
    /// only. (A field, not a rule on K, so a stack cut after its first layers keeps it.)
    pub norm_first: bool,
    /// Width M of the GELU MLP block after each attention layer (0 = none).
    pub mlp: usize,
}

impl Arch {
    pub fn from_config(cfg: &Config) -> Self {
        Arch {
            d: cfg.d,
            n: cfg.n,
            layers: cfg.layers,
            recurrent: cfg.recurrent,
            heads: cfg.heads,
            softmax: cfg.attn == Attn::Softmax,
            query_in_keys: cfg.query_in_keys,
            clip_tokens: cfg.clips_tokens(),
            tokens: cfg.tokens,
            layernorm: cfg.layernorm,
            norm_first: cfg.layernorm && (cfg.recurrent || cfg.layers == 1),
            mlp: cfg.mlp,
        }
    }
    /// Whether layer `layer` normalises its attention input (the paper's code: a recurrent
    /// model before every application, a deep one before every layer but the first).
    pub fn norm_before(&self, layer: usize) -> bool {
        self.layernorm && (layer > 0 || self.norm_first)
    }
    /// Which engine runs whole batches: the lane engine for linear attention (with or without
    /// LayerNorm and MLP) and for softmax attention alone; softmax with LayerNorm or an MLP runs
    /// on the reference path, one task at a time.
    pub fn engine(&self) -> Engine {
        if self.softmax && (self.layernorm || self.mlp > 0) {
            Engine::Reference
        } else {
            Engine::Lanes
        }
    }
    /// Whether tasks are laid out as classic tokens (x and y apart, `classic.rs`).
    pub fn classic(&self) -> bool {
        self.tokens == Tokens::Classic
    }
    /// The shape of a layer's parameters and tokens (that of layer 0 where layers differ).
    pub fn shape(&self) -> LayerShape {
        self.layer_shape(0)
    }
    /// The shape of layer `layer`: paired tokens are N + 1 tokens of width d + 1; classic ones
    /// 2N + 1 tokens of width d + the position code, with softmax in the first layer only.
    pub fn layer_shape(&self, layer: usize) -> LayerShape {
        let (width, tokens, softmax) = if self.classic() {
            (classic::width(self.d), 2 * self.n + 1, layer == 0)
        } else {
            (self.d + 1, self.n + 1, self.softmax)
        };
        LayerShape {
            width,
            tokens,
            // The context tokens come first and the query last, in both layouts.
            keys: if self.query_in_keys {
                tokens
            } else {
                tokens - 1
            },
            heads: self.heads,
            softmax,
            clip_tokens: self.clip_tokens,
            layernorm: self.layernorm,
            mlp: self.mlp,
        }
    }
    /// The query's token row: N (paired) or 2N (classic).
    pub fn query_row(&self) -> usize {
        self.shape().tokens - 1
    }
    /// Where the prediction is read in the token matrix after the last layer: ŷ = −(the query
    /// token's last entry), its label slot for paired tokens (see `classic.rs` for classic ones).
    pub fn readout_index(&self) -> usize {
        let s = self.shape();
        s.tokens * s.width - 1
    }
    /// Distinct weight sets: 1 when recurrent, K when deep.
    pub fn sets(&self) -> usize {
        if self.recurrent {
            1
        } else {
            self.layers
        }
    }
    pub fn n_params(&self) -> usize {
        self.sets() * self.shape().n_params()
    }
    /// Which weight set layer `layer` uses.
    pub fn set_of(&self, layer: usize) -> usize {
        if self.recurrent {
            0
        } else {
            layer
        }
    }
    /// The weights of set `set` inside the flat `params`.
    pub fn set_params<'a>(&self, params: &'a [f32], set: usize) -> &'a [f32] {
        let np = self.shape().n_params();
        &params[set * np..(set + 1) * np]
    }
    /// The weights layer `layer` uses inside the flat `params`.
    pub fn layer_params<'a>(&self, params: &'a [f32], layer: usize) -> &'a [f32] {
        self.set_params(params, self.set_of(layer))
    }
    /// Index of (set, head) in per-set, per-head tables such as the products of a batch.
    pub fn set_head(&self, set: usize, head: usize) -> usize {
        set * self.heads + head
    }
    /// First token row whose update layer `layer` must compute: only the query matters in the
    /// last.
    pub fn row0(&self, layer: usize) -> usize {
        if layer + 1 == self.layers {
            self.query_row()
        } else {
            0
        }
    }
}

/// Which engine runs whole batches (`model.rs`): the lane engine (`batched.rs`, 16 tasks per
/// SIMD block) or the reference path (`block.rs`, one task at a time).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Lanes,
    Reference,
}

/// Shapes and switches of one layer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerShape {
    /// Token width D = d+1.
    pub width: usize,
    /// Tokens T = N+1.
    pub tokens: usize,
    /// Key/value tokens S: N, or N+1 with the query in the keys.
    pub keys: usize,
    pub heads: usize,
    pub softmax: bool,
    /// Clip token values to [−10, 10] after the layer (paper, K > 3).
    pub clip_tokens: bool,
    /// The layer has LayerNorm parameters (before attention; before the MLP too if it has one).
    pub layernorm: bool,
    /// Width M of the MLP block (0 = none).
    pub mlp: usize,
}

impl LayerShape {
    /// Parameters of one layer: W_Q, W_K, W_V per head (D×D each) and P (D × H·D), then the
    /// LayerNorms' and the MLP's when switched on.
    pub fn n_params(&self) -> usize {
        self.mlp_w2_offset() + self.width * self.mlp
    }
    /// Parameters of the attention alone (W_Q, W_K, W_V, P): where the extras begin.
    pub fn attn_params(&self) -> usize {
        4 * self.heads * self.width * self.width
    }
    /// Offset of the pre-attention LayerNorm's scale (D entries; its offset follows).
    pub fn norm_attn_offset(&self) -> usize {
        self.attn_params()
    }
    /// Offset of the pre-MLP LayerNorm's scale (D entries; its offset follows).
    pub fn norm_mlp_offset(&self) -> usize {
        self.norm_attn_offset() + if self.layernorm { 2 * self.width } else { 0 }
    }
    /// Offset of the MLP's W_1 (M×D row-major).
    pub fn mlp_w1_offset(&self) -> usize {
        let norm = self.layernorm && self.mlp > 0;
        self.norm_mlp_offset() + if norm { 2 * self.width } else { 0 }
    }
    /// Offset of the MLP's W_2 (D×M row-major).
    pub fn mlp_w2_offset(&self) -> usize {
        self.mlp_w1_offset() + self.mlp * self.width
    }
    /// Entries of one D×D matrix.
    pub fn dd(&self) -> usize {
        self.width * self.width
    }
    /// Offsets of W_Q, W_K, W_V of head `h` inside a layer's parameters.
    pub fn wq_offset(&self, h: usize) -> usize {
        3 * h * self.dd()
    }
    pub fn wk_offset(&self, h: usize) -> usize {
        (3 * h + 1) * self.dd()
    }
    pub fn wv_offset(&self, h: usize) -> usize {
        (3 * h + 2) * self.dd()
    }
    /// Offset of P (D × H·D, row-major) inside a layer's parameters.
    pub fn p_offset(&self) -> usize {
        3 * self.heads * self.dd()
    }
    /// Row stride of P: H·D.
    pub fn p_stride(&self) -> usize {
        self.heads * self.width
    }
    pub fn wq<'a>(&self, p: &'a [f32], h: usize) -> &'a [f32] {
        &p[self.wq_offset(h)..self.wq_offset(h) + self.dd()]
    }
    pub fn wk<'a>(&self, p: &'a [f32], h: usize) -> &'a [f32] {
        &p[self.wk_offset(h)..self.wk_offset(h) + self.dd()]
    }
    pub fn wv<'a>(&self, p: &'a [f32], h: usize) -> &'a [f32] {
        &p[self.wv_offset(h)..self.wv_offset(h) + self.dd()]
    }
    /// P (D × H·D, row-major) of a layer's parameters.
    pub fn p<'a>(&self, p: &'a [f32]) -> &'a [f32] {
        &p[self.p_offset()..self.p_offset() + self.width * self.p_stride()]
    }
    /// Scale of the attention scores: 1/√D for softmax, 1 for linear attention.
    pub fn score_scale(&self) -> f32 {
        if self.softmax {
            1.0 / (self.width as f32).sqrt()
        } else {
            1.0
        }
    }
}

/// Writes W_KQ = W_Kᵀ W_Q and W_PV = P_h W_V of head `h` of the layer weights `p` into `kq` and
/// `pv` (D×D row-major each), with the products and sums taken in `T` (f32 for the lane engine,
/// f64 for the metrics; every f32 weight converts exactly).
pub fn head_products<T>(s: &LayerShape, p: &[f32], h: usize, kq: &mut [T], pv: &mut [T])
where
    T: Copy + From<f32> + Mul<Output = T> + Sum<T>,
{
    let (w, hd) = (s.width, s.p_stride());
    let (wq, wk, wv) = (s.wq(p, h), s.wk(p, h), s.wv(p, h));
    let pm = s.p(p);
    for a in 0..w {
        for b in 0..w {
            kq[a * w + b] = (0..w)
                .map(|c| T::from(wk[c * w + a]) * T::from(wq[c * w + b]))
                .sum();
            pv[a * w + b] = (0..w)
                .map(|c| T::from(pm[a * hd + h * w + c]) * T::from(wv[c * w + b]))
                .sum();
        }
    }
}

/// The chain rule through `head_products`: maps ∂W_KQ, ∂W_PV of head `h` to its weights, adding
/// to the layer gradient `grad`:
/// W_KQ = W_Kᵀ W_Q ⇒ ∂W_Q = W_K ∂W_KQ, ∂W_K = W_Q ∂W_KQᵀ;
/// W_PV = P_h W_V ⇒ ∂P_h = ∂W_PV W_Vᵀ, ∂W_V = P_hᵀ ∂W_PV.
pub fn add_head_product_grads(
    s: &LayerShape,
    p: &[f32],
    h: usize,
    g_kq: &[f32],
    g_pv: &[f32],
    grad: &mut [f32],
) {
    let (w, hd) = (s.width, s.p_stride());
    let (wq, wk, wv) = (s.wq(p, h), s.wk(p, h), s.wv(p, h));
    let (oq, ok, ov, po) = (s.wq_offset(h), s.wk_offset(h), s.wv_offset(h), s.p_offset());
    // A row of each gradient at a time: entry c of row r adds its w terms in x order from 0, as
    // one dot product per entry did, but the entries of a row are summed side by side (vector
    // lanes). It runs once per shard, 16 times in a step of batch 2048: in wasm at K = 1 it took
    // 7 % of the step one entry at a time, 3.6 % by rows. Two of the four read a matrix by
    // columns: their transposes are formed once.
    let transposed =
        |m: &[f32]| -> Vec<f32> { (0..w * w).map(|i| m[(i % w) * w + i / w]).collect() };
    let (g_kq_t, wv_t) = (transposed(g_kq), transposed(wv));
    let pm = &p[po..];
    for r in 0..w {
        let row = r * w..(r + 1) * w;
        add_row(
            &mut grad[oq + r * w..][..w],
            wk[row.clone()].iter().copied(),
            g_kq,
        );
        add_row(
            &mut grad[ok + r * w..][..w],
            wq[row.clone()].iter().copied(),
            &g_kq_t,
        );
        let p_col = (0..w).map(|x| pm[x * hd + h * w + r]);
        add_row(&mut grad[ov + r * w..][..w], p_col, g_pv);
        add_row(
            &mut grad[po + r * hd + h * w..][..w],
            g_pv[row].iter().copied(),
            &wv_t,
        );
    }
}

/// Σ_x coef_x·(row x of `m`) added to `to` (rows as long as `to`): each entry adds its terms in
/// x order from 0, the entries side by side.
fn add_row(to: &mut [f32], coef: impl Iterator<Item = f32>, m: &[f32]) {
    let w = to.len();
    let mut acc = [0.0f32; 64];
    let acc = &mut acc[..w];
    for (k, mx) in coef.zip(m.chunks_exact(w)) {
        for (a, v) in acc.iter_mut().zip(mx) {
            *a += k * v;
        }
    }
    for (t, a) in to.iter_mut().zip(acc.iter()) {
        *t += a;
    }
}
