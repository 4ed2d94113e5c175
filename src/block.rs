//! One layer of the transformer, forward and backward, for one task's token matrix E on the
//! reference path: attention (lsa.rs) with its residual connection, plus the two parts of a
//! standard transformer block that the paper's main experiments leave out (critique 1), each
//! switched on by its own setting:
//!
//!   x = LayerNorm(E) (norm.rs) when the layer normalises (`Arch::norm_before`), else x = E;
//!   H = E + Attn(x);
//!   out = H + MLP(u) (mlp.rs) when the MLP width M > 0, u = LayerNorm'(H) with `layernorm`,
//!   else u = H; otherwise out = H.
//!
//! The normalisation sits before each part ("pre-LN", as in the paper's code): the residual
//! stream itself is never normalised, so the prediction is still read from the query's raw label
//! entry. With both switches off this is the paper's layer, E ← E + Attn(E).

use crate::arch::LayerShape;
use crate::lsa::{self, LayerCache, Scratch};
use crate::mlp::{self, MlpCache};
use crate::norm::{self, NormCache};

/// What the forward pass of one layer keeps for its backward pass.
#[derive(Clone, Debug)]
pub struct BlockCache {
    /// Whether this layer normalises its attention input.
    norm: bool,
    /// The layer's input when it normalises (otherwise `attn.e_in` holds the input itself).
    input: Vec<f32>,
    norm_attn: NormCache,
    /// The attention: `e_in` = its input x, `e_out` = H.
    pub attn: LayerCache,
    /// The MLP's input u (LayerNorm'(H); only with `layernorm`), its normalisation and the MLP.
    u: Vec<f32>,
    norm_mlp: NormCache,
    mlp: Option<MlpCache>,
}

impl BlockCache {
    /// The buffers of a layer of shape `s`; `norm`: whether it normalises its attention input.
    pub fn new(s: &LayerShape, norm: bool) -> Self {
        let (t, w) = (s.tokens, s.width);
        let sized = |on: bool| if on { t * w } else { 0 };
        let mlp_norm = s.layernorm && s.mlp > 0;
        BlockCache {
            norm,
            input: vec![0.0; sized(norm)],
            norm_attn: NormCache::new(if norm { t } else { 0 }, w),
            attn: LayerCache::new(s),
            u: vec![0.0; sized(mlp_norm)],
            norm_mlp: NormCache::new(if mlp_norm { t } else { 0 }, w),
            mlp: (s.mlp > 0).then(|| MlpCache::new(s)),
        }
    }
    /// The layer's input tokens (T×D), to be filled before `forward`.
    pub fn input_mut(&mut self) -> &mut [f32] {
        if self.norm {
            &mut self.input
        } else {
            &mut self.attn.e_in
        }
    }
    /// The layer's output tokens (T×D) after `forward`.
    pub fn output(&self) -> &[f32] {
        match &self.mlp {
            Some(m) => &m.out,
            None => &self.attn.e_out,
        }
    }
}

/// Backward buffers (reused across layers and tasks).
#[derive(Clone, Debug)]
pub struct BlockScratch {
    lsa: Scratch,
    /// ∂L/∂H, ∂L/∂u, ∂L/∂x (T×D each), and a sink for a gradient nobody reads.
    g_h: Vec<f32>,
    g_u: Vec<f32>,
    g_x: Vec<f32>,
    sink: Vec<f32>,
}

impl BlockScratch {
    pub fn new(s: &LayerShape) -> Self {
        let tw = s.tokens * s.width;
        BlockScratch {
            lsa: Scratch::new(s),
            g_h: vec![0.0; tw],
            g_u: vec![0.0; tw],
            g_x: vec![0.0; tw],
            sink: vec![0.0; tw],
        }
    }
}

/// Forward of one layer with weights `p`, from `c.input_mut()` to `c.output()`; token rows
/// before `row0` only pass through (the last layer computes the query alone).
pub fn forward(s: &LayerShape, p: &[f32], row0: usize, c: &mut BlockCache) {
    let w = s.width;
    if c.norm {
        // Every row: the keys (rows before the query) and the queries (from row0) read x.
        let pn = &p[s.norm_attn_offset()..];
        norm::forward(w, 0, &c.input, pn, &mut c.attn.e_in, &mut c.norm_attn);
        lsa::forward(s, p, row0, &mut c.attn, Some(&c.input));
    } else {
        lsa::forward(s, p, row0, &mut c.attn, None);
    }
    if let Some(m) = &mut c.mlp {
        let h = &c.attn.e_out;
        let u = if s.layernorm {
            let pn = &p[s.norm_mlp_offset()..];
            norm::forward(w, row0, h, pn, &mut c.u, &mut c.norm_mlp);
            &c.u
        } else {
            h
        };
        mlp::forward(s, p, row0, u, h, m);
    }
}

/// Backward of one layer from `g_out` = ∂L/∂out (rows from `row0`; modified in place): adds
/// ∂L/∂p to `grad` (the layer's gradient) and, when `g_in` is given, writes ∂L/∂(layer input)
/// into it.
#[allow(clippy::too_many_arguments)] // the buffers are separate on purpose: no allocation per task
pub fn backward(
    s: &LayerShape,
    p: &[f32],
    row0: usize,
    c: &mut BlockCache,
    g_out: &mut [f32],
    grad: &mut [f32],
    g_in: Option<&mut [f32]>,
    sc: &mut BlockScratch,
) {
    let w = s.width;
    let BlockScratch {
        lsa: lsa_scratch,
        g_h,
        g_u,
        g_x,
        sink,
    } = sc;
    // The MLP: ∂L/∂H = ∂L/∂out (residual) + ∂L/∂u through the MLP's normalisation, if any.
    let g_h: &mut [f32] = match &mut c.mlp {
        Some(m) => {
            let u = if s.layernorm { &c.u } else { &c.attn.e_out };
            mlp::backward(s, p, row0, u, m, g_out, grad, g_u);
            g_h.copy_from_slice(g_out);
            if s.layernorm {
                let (o, pn) = (s.norm_mlp_offset(), &p[s.norm_mlp_offset()..]);
                norm::backward(w, row0, &c.norm_mlp, pn, g_u, &mut grad[o..], g_h);
            } else {
                for (g, gu) in g_h[row0 * w..].iter_mut().zip(&g_u[row0 * w..]) {
                    *g += gu;
                }
            }
            g_h
        }
        None => g_out,
    };
    if !c.norm {
        lsa::backward(s, p, row0, &c.attn, g_h, grad, g_in, true, lsa_scratch);
        return;
    }
    // The attention read x = LayerNorm(E): ∂L/∂E = ∂L/∂H (residual) + LayerNorm's backward of
    // ∂L/∂x. The normalisation's own gradient is needed even when ∂L/∂E is not.
    lsa::backward(
        s,
        p,
        row0,
        &c.attn,
        g_h,
        grad,
        Some(g_x),
        false,
        lsa_scratch,
    );
    let target = match g_in {
        Some(g_in) => {
            g_in.copy_from_slice(g_h);
            g_in
        }
        None => {
            sink.fill(0.0);
            sink.as_mut_slice()
        }
    };
    let (o, pn) = (s.norm_attn_offset(), &p[s.norm_attn_offset()..]);
    norm::backward(w, 0, &c.norm_attn, pn, g_x, &mut grad[o..], target);
}
