//! The loss along the straight path from the trained weights to the construction (paper,
//! appendix A.3).
//!
//! The path runs in the space of the products W_KQ and W_PV, per layer and head, not in the
//! space of the parameters W_Q, W_K, W_V, P: linear attention sees the weights only through the
//! products, and a product has many factorisations (W_K → A W_K, W_Q → A⁻ᵀ W_Q for any invertible
//! A), so a straight line between two arbitrary factorisations measures the choice of
//! factors, not the function. The construction is defined up to the scale β (W_KQ/β, W_PV·β
//! compute the same function), so each trained head is first rescaled to the construction's
//! scale (mean x-diagonal of W_KQ = 1, as in the weight view); then point t of the path is
//! (1 − t)·(W_KQ/β, W_PV·β) + t·(construction), realised as W_Q = W_KQ(t), W_K = I, W_V = I,
//! P_h = W_PV(t). Heads beyond the first move to zero (the construction uses one head). An MLP's
//! weights move straight to the construction's, zero (an MLP that adds nothing). With LayerNorm
//! or softmax attention there is no path: no weights make such a layer a GD step.

use crate::layerwise::{self, GdppStep};
use crate::metrics;
use crate::model::{Model, Workspace};
use crate::task::Tasks;
use serde::Serialize;

/// Points on the path (t = 0: trained, t = 1: construction).
pub const POINTS: usize = 20;

#[derive(Clone, Copy, Debug, Serialize)]
pub struct PathPoint {
    pub t: f64,
    pub loss: f64,
}

/// The path and its summary numbers.
#[derive(Clone, Debug, Serialize)]
pub struct Interpolation {
    pub step: usize,
    /// "products": the path runs in the W_KQ / W_PV product space (see the module doc).
    pub space: &'static str,
    pub points: Vec<PathPoint>,
    pub trained: f64,
    pub construction: f64,
    /// The highest loss on the path and where (t).
    pub peak: f64,
    pub peak_t: f64,
}

/// The model at point `t` of the path from `model` to the construction of `steps`.
pub fn point(model: &Model, steps: &[GdppStep], t: f64) -> Model {
    let arch = model.arch;
    let s = arch.shape();
    let built = layerwise::construction(arch, steps);
    let (w, np, hd) = (s.width, s.n_params(), s.p_stride());
    let mut params = vec![0.0f32; arch.n_params()];
    for set in 0..arch.sets() {
        let out = &mut params[set * np..(set + 1) * np];
        for h in 0..arch.heads {
            let v = metrics::weight_view(model, set, h);
            let (ckq, cpv) = if h == 0 {
                let c = metrics::weight_view(&built, set, 0);
                (c.w_kq, c.w_pv)
            } else {
                (vec![0.0; s.dd()], vec![0.0; s.dd()])
            };
            for i in 0..w {
                out[s.wk_offset(h) + i * w + i] = 1.0;
                out[s.wv_offset(h) + i * w + i] = 1.0;
                for j in 0..w {
                    let e = i * w + j;
                    out[s.wq_offset(h) + e] = ((1.0 - t) * v.w_kq[e] + t * ckq[e]) as f32;
                    out[s.p_offset() + i * hd + h * w + j] =
                        ((1.0 - t) * v.w_pv[e] + t * cpv[e]) as f32;
                }
            }
        }
        let (from, to) = (
            &model.params[set * np..(set + 1) * np],
            &built.params[set * np..(set + 1) * np],
        );
        for k in s.attn_params()..np {
            out[k] = ((1.0 - t) * from[k] as f64 + t * to[k] as f64) as f32;
        }
    }
    Model { arch, params }
}

/// The loss at `POINTS` evenly spaced points of the path on `tasks` (linear attention without
/// LayerNorm only).
pub fn path(
    model: &Model,
    steps: &[GdppStep],
    tasks: &Tasks,
    step: usize,
) -> Option<Interpolation> {
    if model.arch.softmax || model.arch.layernorm {
        return None;
    }
    let mut ws = Workspace::new(&model.arch);
    let points: Vec<PathPoint> = (0..POINTS)
        .map(|i| {
            let t = i as f64 / (POINTS - 1) as f64;
            PathPoint {
                t,
                loss: point(model, steps, t).loss(tasks, &mut ws),
            }
        })
        .collect();
    let peak = points
        .iter()
        .copied()
        .max_by(|a, b| a.loss.total_cmp(&b.loss))
        .unwrap_or(PathPoint {
            t: 0.0,
            loss: f64::NAN,
        });
    Some(Interpolation {
        step,
        space: "products",
        trained: points[0].loss,
        construction: points[POINTS - 1].loss,
        peak: peak.loss,
        peak_t: peak.t,
        points,
    })
}
