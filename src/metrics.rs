//! How closely the trained transformer matches gradient descent (docs/science.md, "Alignment
//! metrics"), averaged over the evaluation tasks:
//!   preds diff = mean |ŷ_model − ŷ_GD|
//!   model cos  = mean cos(∂ŷ_model/∂x_q, ∂ŷ_GD/∂x_q)   (scale-invariant: ≈ 1 for any η!)
//!   model diff = mean ‖∂ŷ_model/∂x_q − ∂ŷ_GD/∂x_q‖₂
//! and the weight view: W_KQ = W_Kᵀ W_Q and W_PV = P W_V rescaled by β (the mean of W_KQ's
//! first d diagonal entries), whose corner gives the learned step size η/N.

use crate::arch::head_products;
use crate::baselines::Predictions;
use crate::model::Model;
use serde::Serialize;

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Alignment {
    pub preds_diff: f64,
    pub model_cos: f64,
    pub model_diff: f64,
}

impl Alignment {
    /// Not measured (yet): NaN, null in JSON.
    pub fn nan() -> Alignment {
        Alignment {
            preds_diff: f64::NAN,
            model_cos: f64::NAN,
            model_diff: f64::NAN,
        }
    }
}

/// Alignment of a model's predictions `yhat` and sensitivities `sens` (count × d) with a
/// reference learner's.
pub fn alignment(yhat: &[f32], sens: &[f32], reference: &Predictions, d: usize) -> Alignment {
    let count = yhat.len().max(1) as f64;
    let mut a = Alignment::default();
    for (k, y) in yhat.iter().enumerate() {
        a.preds_diff += (*y as f64 - reference.yhat[k]).abs();
        let m = &sens[k * d..(k + 1) * d];
        let g = &reference.sens[k * d..(k + 1) * d];
        let (mut mg, mut mm, mut gg, mut diff) = (0.0, 0.0, 0.0, 0.0);
        for (mi, gi) in m.iter().zip(g) {
            let mi = *mi as f64;
            mg += mi * gi;
            mm += mi * mi;
            gg += gi * gi;
            diff += (mi - gi).powi(2);
        }
        // A zero sensitivity has no direction: it counts as cosine 0.
        if mm > 0.0 && gg > 0.0 {
            a.model_cos += mg / (mm.sqrt() * gg.sqrt());
        }
        a.model_diff += diff.sqrt();
    }
    a.preds_diff /= count;
    a.model_cos /= count;
    a.model_diff /= count;
    a
}

/// `model` with its MLP blocks switched off (W₂ = 0, so each adds nothing), or None when it has
/// no MLP: what the attention alone answers.
pub fn mlp_off(model: &Model) -> Option<Model> {
    let s = model.arch.shape();
    if s.mlp == 0 {
        return None;
    }
    let mut off = model.clone();
    for set in off.params.chunks_exact_mut(s.n_params()) {
        set[s.mlp_w2_offset()..].fill(0.0);
    }
    Some(off)
}

/// W_KQ / β and W_PV · β of one head of one layer, row-major (d+1)×(d+1).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WeightView {
    pub layer: usize,
    pub head: usize,
    pub beta: f64,
    pub w_kq: Vec<f64>,
    pub w_pv: Vec<f64>,
    /// −(W_PV · β)[d, d]: the step size per example the layer applies, to compare with η*/N.
    pub eta_over_n: f64,
    /// −(mean of the x-block diagonal of W_PV · β): how much the layer also moves the inputs,
    /// to compare with GD++'s γ (0 for the plain GD construction).
    pub gamma: f64,
    /// The largest |entry| of W_PV · β outside the entries the GD and GD++ constructions use
    /// (the corner and the x-block's diagonal), where both have 0: what the layer writes beyond
    /// them. With an MLP, for instance, it may copy its answer into the query's x entries,
    /// which only the MLP reads.
    pub pv_elsewhere: f64,
}

/// The products W_KQ = W_Kᵀ W_Q and W_PV = P_h W_V of head `head` in layer `layer`, in f64.
pub fn products(model: &Model, layer: usize, head: usize) -> (Vec<f64>, Vec<f64>) {
    let s = model.arch.shape();
    let mut kq = vec![0.0; s.dd()];
    let mut pv = vec![0.0; s.dd()];
    head_products(&s, model.layer_params(layer), head, &mut kq, &mut pv);
    (kq, pv)
}

pub fn weight_view(model: &Model, layer: usize, head: usize) -> WeightView {
    let (kq, pv) = products(model, layer, head);
    let (w, d) = (model.arch.d + 1, model.arch.d);
    let beta = (0..d).map(|i| kq[i * w + i]).sum::<f64>() / d as f64;
    // Only the products matter, up to W_KQ/s, W_PV·s; with β ≈ 0 there is nothing to rescale.
    let beta = if beta.abs() > 1e-12 { beta } else { 1.0 };
    let w_kq: Vec<f64> = kq.iter().map(|v| v / beta).collect();
    let w_pv: Vec<f64> = pv.iter().map(|v| v * beta).collect();
    let eta_over_n = -w_pv[d * w + d];
    let gamma = if d == 0 {
        0.0
    } else {
        -(0..d).map(|i| w_pv[i * w + i]).sum::<f64>() / d as f64
    };
    let pv_elsewhere = (0..w * w)
        .filter(|&e| e / w != e % w)
        .map(|e| w_pv[e].abs())
        .fold(0.0, f64::max);
    WeightView {
        pv_elsewhere,
        layer,
        head,
        beta,
        w_kq,
        w_pv,
        eta_over_n,
        gamma,
    }
}
