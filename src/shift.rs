//! Prompts unlike training (issue "assumptions", critique 1): the evaluation tasks with one
//! test-time shift each, training unchanged, and every learner recomputed on the shifted prompts.
//! - stretched inputs: coordinate k scaled by κ^(1/2 − k/(d−1)) (as `aniso`, at test only);
//! - correlated inputs: x ← C^{1/2} x with C = (1−ρ) I + ρ 1 1ᵀ, so every coordinate keeps its
//!   variance and every pair gets correlation ρ;
//! - a task mean: W ~ N(μ·1, I) instead of N(0, I). GD from W₀ = 0 (the paper's GD) is then
//!   compared with GD from W₀ = μ·1, which knows the mean: its error is the in-distribution one.
//!
//! The shifted tasks are the evaluation tasks transformed (same draws, same noise), so a row
//! differs from the in-distribution one only by its shift.

use crate::baselines::{self, GdppStep};
use crate::task::{TaskDist, Tasks};
use serde::Serialize;

/// The learners of one row, on one set of prompts.
#[derive(Clone, Debug, Serialize)]
pub struct ShiftRow {
    /// "none" (the training distribution), "stretched", "correlated" or "task_mean".
    pub shift: &'static str,
    /// The shift's strength: κ, ρ or μ (for "none": 0).
    pub value: f64,
    /// ½ MSE of the trained transformer.
    pub model: f64,
    /// The reference K-step GD (from W₀ = 0), at the η tuned on the training distribution.
    pub gd: f64,
    /// K-step GD from W₀ = μ·1 (task mean only; NaN in the other rows).
    pub gd_from_mean: f64,
    /// The learner the model is compared with (GD++ from two layers on; GD for one).
    pub compared: f64,
    /// Least squares (minimum-norm) and ridge with λ = σ².
    pub ols: f64,
    pub ridge: f64,
    pub zero: f64,
    /// mean |ŷ_model − ŷ_GD| on these prompts: does the model still do what GD does?
    pub preds_diff: f64,
}

/// The settings of the shifts (config keys `test_aniso`, `test_corr`, `task_mean`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shifts {
    pub kappa: f64,
    pub rho: f64,
    pub mu: f64,
}

impl Shifts {
    /// The shifts that are on (a neutral value — κ = 1, ρ = 0, μ = 0 — is off), each alone.
    pub fn active(&self) -> Vec<(&'static str, f64)> {
        let mut out = Vec::new();
        if self.kappa != 1.0 {
            out.push(("stretched", self.kappa));
        }
        if self.rho != 0.0 {
            out.push(("correlated", self.rho));
        }
        if self.mu != 0.0 {
            out.push(("task_mean", self.mu));
        }
        out
    }
}

/// The tasks with input coordinate k scaled by κ^(1/2 − k/(d−1)) (geometric mean 1): the scales
/// of `aniso` = κ ([`TaskDist::coord_scale`]), applied to the test inputs only.
pub fn stretched(tasks: &Tasks, kappa: f64) -> Tasks {
    let d = tasks.dist.d;
    let stretch = TaskDist {
        aniso: kappa,
        ..tasks.dist
    };
    let scale: Vec<f64> = (0..d).map(|k| stretch.coord_scale(k)).collect();
    let mut s = tasks.clone();
    for row in s.x.chunks_exact_mut(d) {
        for (x, c) in row.iter_mut().zip(&scale) {
            *x = (*x as f64 * c) as f32;
        }
    }
    s.refill();
    s
}

/// The tasks with every input mapped by C^{1/2}, C = (1−ρ) I + ρ 1 1ᵀ: for inputs with
/// independent coordinates of equal variance v, the result has variance v and correlation ρ
/// between any two coordinates. C^{1/2} = a I + b 1 1ᵀ with a = √(1−ρ) and
/// b = (√(1−ρ+dρ) − a)/d (the eigenvalues of C are 1−ρ, d−1 times, and 1−ρ+dρ along 1).
pub fn correlated(tasks: &Tasks, rho: f64) -> Tasks {
    let d = tasks.dist.d;
    let a = (1.0 - rho).sqrt();
    let b = ((1.0 - rho + d as f64 * rho).sqrt() - a) / d as f64;
    let mut s = tasks.clone();
    for row in s.x.chunks_exact_mut(d) {
        let sum: f64 = row.iter().map(|&x| x as f64).sum();
        for x in row.iter_mut() {
            *x = (a * *x as f64 + b * sum) as f32;
        }
    }
    s.refill();
    s
}

/// The tasks with every teacher moved by μ in each coordinate: W ~ N(μ·1, I).
pub fn with_task_mean(tasks: &Tasks, mu: f64) -> Tasks {
    let mut s = tasks.clone();
    for w in &mut s.w {
        *w = (*w as f64 + mu) as f32;
    }
    s.refill();
    s
}

/// The learners the rows compare (all tuned on the training distribution).
pub struct Learners<'a> {
    /// The reference GD's η and its number of steps K.
    pub gd_eta: f64,
    pub gd_steps: usize,
    /// The learner the model is compared with, step by step.
    pub compared: &'a [GdppStep],
    pub ridge_lambda: f64,
}

/// The learners' columns of one row on `tasks` (the shifted prompts), with the reference GD's
/// answers for the model's preds diff; `model` and `preds_diff` are NaN until `with_model`.
pub fn baseline_row(
    tasks: &Tasks,
    (shift, value): (&'static str, f64),
    l: &Learners,
) -> (ShiftRow, Vec<f64>) {
    let d = tasks.dist.d;
    let gd = baselines::gd_from(tasks, &vec![0.0; d], l.gd_eta, l.gd_steps);
    let gd_from_mean = if shift == "task_mean" {
        baselines::gd_from(tasks, &vec![value; d], l.gd_eta, l.gd_steps).loss(tasks)
    } else {
        f64::NAN
    };
    let compared = baselines::prefixes(tasks, l.compared, false)
        .pop()
        .unwrap_or_default();
    let ols = baselines::ridge(tasks, 0.0).loss(tasks);
    let row = ShiftRow {
        shift,
        value,
        model: f64::NAN,
        gd: gd.loss(tasks),
        gd_from_mean,
        compared: compared.loss(tasks),
        ridge: if l.ridge_lambda == 0.0 {
            ols
        } else {
            baselines::ridge(tasks, l.ridge_lambda).loss(tasks)
        },
        ols,
        zero: baselines::zero_loss(tasks),
        preds_diff: f64::NAN,
    };
    (row, gd.yhat)
}

/// `row` with the model's columns: `model` is its predictions on `tasks`, `gd` the reference
/// GD's (both on the shifted prompts).
pub fn with_model(mut row: ShiftRow, tasks: &Tasks, model: &[f64], gd: &[f64]) -> ShiftRow {
    row.model = baselines::half_mse(model, tasks);
    row.preds_diff = mean_abs_diff(model, gd);
    row
}

/// The tasks of one shift (`none`: the tasks as they are).
pub fn shifted(tasks: &Tasks, (shift, value): (&'static str, f64)) -> Tasks {
    match shift {
        "stretched" => stretched(tasks, value),
        "correlated" => correlated(tasks, value),
        "task_mean" => with_task_mean(tasks, value),
        _ => tasks.clone(),
    }
}

fn mean_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().max(1) as f64;
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>() / n
}
