//! The paper's construction (appendix A.1): LSA weights that make each layer compute exactly one
//! step of gradient descent (or of GD++) on the context, so a K-layer stack computes K steps.
//!
//! GD:   W_K = W_Q = [[I_d, 0], [0, 0]],  W_V = [[0, 0], [0, −1]],  P = (η/N) I
//!       ⇒ W_KQ = W_Kᵀ W_Q = diag(1,…,1,0) and W_PV = P W_V = −η/N in the corner.
//! GD++: W_V = [[I_d, 0], [0, −1]],  P = [[−γ I_d, 0], [0, η/N]]  (same W_K, W_Q).
//! Each layer then maps y_j ← y_j − ΔW x_j (and x_j ← (I − γ XXᵀ) x_j for GD++).
//!
//! The switches of critique 1: an MLP block gets zero weights, so it adds nothing and the model
//! still computes GD exactly. With LayerNorm no weights make a layer a GD step (a normalised
//! token has lost its scale, which the GD step needs); its LayerNorms get scale 1 and offset 0,
//! as at initialisation, and the model is then *not* GD: only its W_KQ / W_PV products serve,
//! as the reference the learned products are drawn and measured against.

use crate::model::{Arch, Model};

/// A linear-attention model whose every layer is one GD++ step with (η, γ) (γ = 0: plain GD).
/// Heads other than the first are zero. Panics only on a softmax `arch` (not constructible).
pub fn gd_plus_plus_model(arch: Arch, eta: f64, gamma: f64) -> Model {
    assert!(!arch.softmax, "the construction is for linear attention");
    let s = arch.shape();
    let (w, d, n) = (s.width, arch.d, arch.n as f64);
    let mut params = vec![0.0f32; arch.n_params()];
    for set in params.chunks_exact_mut(s.n_params()) {
        let (oq, ok, ov) = (s.wq_offset(0), s.wk_offset(0), s.wv_offset(0));
        for i in 0..d {
            set[oq + i * w + i] = 1.0; // W_Q
            set[ok + i * w + i] = 1.0; // W_K
            set[ov + i * w + i] = if gamma != 0.0 { 1.0 } else { 0.0 }; // W_V x-block
        }
        set[ov + d * w + d] = -1.0; // W_V corner
        let (po, hd) = (s.p_offset(), s.p_stride());
        // GD: P = (η/N) I (its x-block meets the zero x-block of W_V); GD++: P's x-block is −γ I.
        let p_x = if gamma != 0.0 { -gamma } else { eta / n };
        for i in 0..d {
            set[po + i * hd + i] = p_x as f32;
        }
        set[po + d * hd + d] = (eta / n) as f32;
        if s.layernorm {
            set[s.norm_attn_offset()..][..w].fill(1.0);
            if s.mlp > 0 {
                set[s.norm_mlp_offset()..][..w].fill(1.0);
            }
        }
    }
    Model { arch, params }
}

/// The GD construction: every layer one GD step of size η.
pub fn gd_model(arch: Arch, eta: f64) -> Model {
    gd_plus_plus_model(arch, eta, 0.0)
}
