//! Layer by layer: is there an optimiser inside? (issue 13)
//!
//! A network uses each weight once per forward pass; to run an iterative optimiser it needs the
//! same step at many stages. The paper's answer: one linear-attention layer can be one GD (GD++)
//! step, so K layers are K steps, with shared weights (recurrent) or without (deep). This file
//! makes that concrete on the model being trained:
//!
//! * the prediction after every layer k (ŷ_k = −label entry of the query after layer k) against
//!   k steps of the reference GD and of GD++ (`readout`);
//! * GD++ with its own (η_k, γ_k) per step, fitted for deep models (`fit_per_step`);
//! * the construction of the learner a model is compared with (`Baselines::compared_steps`,
//!   `construction`), its distance to the learned weights, and a start from it
//!   (`initial_construction`, setting `init = construction`).
//!
//! The per-step fit works in the spectral form of GD++ (derived here): with C = Σ_i x_i x_iᵀ over
//! the context, every GD++ step acts on the eigen-directions of C independently. Writing λ for an
//! eigenvalue, m_k(λ) for how much step k has shrunk the inputs along it (x ← (I − γ C_k) x, and
//! C_k = M_k C M_k), the prediction after K steps is ŷ = Σ_λ (Uᵀ Σ_i y_i x_i)_λ (Uᵀ x_q)_λ f(λ) with
//!   f = Σ_k (η_k/N) m_{k−1}² Π_{i<k} (1 − (η_i/N) λ m_{i−1}²),   m_k = m_{k−1} (1 − γ_k λ m_{k−1}²),
//! so once each task's eigen-decomposition is known a loss costs d·K operations per task instead
//! of a d²·N·K simulation. That makes a Levenberg–Marquardt fit of the 2K parameters (least
//! squares: its residuals are the prediction errors, so Gauss–Newton steps fit them in a few
//! dozen iterations, where plain gradient descent or Nelder–Mead in 2K dimensions needs
//! hundreds) take tens of milliseconds at K = 5 on all the evaluation tasks.

use crate::baselines::{self, Predictions};
use crate::config::{Config, Init};
use crate::construct;
use crate::metrics::{self, Alignment};
use crate::model::{Arch, Model, Workspace};
use crate::rng::{self, Stream};
use crate::staged::{block_on, checkpoint, in_slices, Clock};
use crate::task::Tasks;
use nalgebra::{DMatrix, DVector, SymmetricEigen};
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;

pub use crate::baselines::{prefixes, GdppStep};

/// Each task in the eigenbasis of its context's C = Σ x_i x_iᵀ: eigenvalues λ and weights
/// w_λ = (Uᵀ Σ y_i x_i)_λ (Uᵀ x_q)_λ, so that K GD++ steps predict Σ_λ w_λ f(λ).
pub struct Spectral {
    d: usize,
    n: usize,
    lam: Vec<f64>,
    w: Vec<f64>,
    target: Vec<f64>,
}

impl Spectral {
    /// Tasks `from`, `from + every`, … below `max` (and the task count).
    pub fn of(tasks: &Tasks, from: usize, every: usize, max: usize) -> Spectral {
        block_on(Spectral::of_staged(
            tasks,
            from,
            every,
            max,
            &Clock::unlimited(),
        ))
    }

    /// The same, a slice of tasks at a time on `clock`.
    pub async fn of_staged(
        tasks: &Tasks,
        from: usize,
        every: usize,
        max: usize,
        clock: &Clock,
    ) -> Spectral {
        let (d, n) = (tasks.dist.d, tasks.dist.n);
        let mut sp = Spectral {
            d,
            n,
            lam: Vec::new(),
            w: Vec::new(),
            target: Vec::new(),
        };
        let picked: Vec<usize> = (from..tasks.count.min(max)).step_by(every.max(1)).collect();
        let per = clock.per_slice(d * d * (n + 4 * d));
        in_slices(picked.len(), per, clock, |r| {
            for &k in &picked[r] {
                sp.push(tasks, k);
            }
        })
        .await;
        sp
    }

    /// Task `k`, decomposed.
    fn push(&mut self, tasks: &Tasks, k: usize) {
        let (d, n) = (self.d, self.n);
        let (xs, xq) = tasks.inputs(k);
        let ys = tasks.labels(k);
        let mut c = DMatrix::<f64>::zeros(d, d);
        let mut s = DVector::<f64>::zeros(d);
        for i in 0..n {
            let xi = &xs[i * d..(i + 1) * d];
            for a in 0..d {
                s[a] += ys[i] as f64 * xi[a] as f64;
                for b in 0..d {
                    c[(a, b)] += xi[a] as f64 * xi[b] as f64;
                }
            }
        }
        let q = DVector::from_iterator(d, xq.iter().map(|&v| v as f64));
        let e = SymmetricEigen::new(c);
        let a = e.eigenvectors.transpose() * s;
        let b = e.eigenvectors.transpose() * q;
        for i in 0..d {
            self.lam.push(e.eigenvalues[i]);
            self.w.push(a[i] * b[i]);
        }
        self.target.push(tasks.target(k) as f64);
    }

    /// Predictions of GD++ with `theta` = [η_1, γ_1, η_2, γ_2, …] into `out`.
    fn predict(&self, theta: &[f64], out: &mut [f64]) {
        let inv_n = 1.0 / self.n as f64;
        for (t, o) in out.iter_mut().enumerate() {
            let mut y = 0.0;
            for i in t * self.d..(t + 1) * self.d {
                let lam = self.lam[i];
                let (mut m2, mut r, mut f) = (1.0, 1.0, 0.0);
                for p in theta.chunks_exact(2) {
                    let a = p[0] * inv_n;
                    f += a * m2 * r;
                    r *= 1.0 - a * lam * m2;
                    let shrink = 1.0 - p[1] * lam * m2;
                    m2 *= shrink * shrink;
                }
                y += self.w[i] * f;
            }
            *o = y;
        }
    }

    /// Predictions after every step: `out[t * K + k]` is task t's after step k + 1.
    fn predict_prefixes(&self, theta: &[f64], out: &mut [f64]) {
        let inv_n = 1.0 / self.n as f64;
        let k_steps = theta.len() / 2;
        out.fill(0.0);
        for t in 0..self.target.len() {
            for i in t * self.d..(t + 1) * self.d {
                let lam = self.lam[i];
                let (mut m2, mut r, mut f) = (1.0, 1.0, 0.0);
                for (k, p) in theta.chunks_exact(2).enumerate() {
                    let a = p[0] * inv_n;
                    f += a * m2 * r;
                    r *= 1.0 - a * lam * m2;
                    let shrink = 1.0 - p[1] * lam * m2;
                    m2 *= shrink * shrink;
                    out[t * k_steps + k] += self.w[i] * f;
                }
            }
        }
    }

    /// ½ mean squared error of GD++ with `theta` (non-finite: ∞).
    pub fn loss(&self, theta: &[f64]) -> f64 {
        let mut p = vec![0.0; self.target.len()];
        self.predict(theta, &mut p);
        self.loss_of(&p)
    }

    fn loss_of(&self, p: &[f64]) -> f64 {
        let s: f64 = p
            .iter()
            .zip(&self.target)
            .map(|(a, b)| (a - b).powi(2))
            .sum();
        let l = 0.5 * s / self.target.len().max(1) as f64;
        if l.is_finite() {
            l
        } else {
            f64::INFINITY
        }
    }
}

/// Tasks the per-step fit uses at most (the losses are then reported on all).
pub const FIT_TASKS: usize = 4096;

/// Weight of the loss after each intermediate step in the per-step fit (the last step's has
/// weight 1). Fitting the last step alone finds steps that overshoot and cancel (losses in the
/// thousands after step 2 of 5, intermediate tokens beyond the ±10 token clip of K > 3), so
/// "k steps of GD++" would be no learner to compare layer k with; a small weight on every prefix
/// keeps each prefix a sensible learner at little cost to the final loss.
pub const PREFIX_WEIGHT: f64 = 0.1;

impl Spectral {
    /// Residuals after every step, intermediate ones scaled by √PREFIX_WEIGHT (task-major).
    fn residuals(&self, theta: &[f64], out: &mut [f64]) {
        let k_steps = theta.len() / 2;
        self.predict_prefixes(theta, out);
        let w = PREFIX_WEIGHT.sqrt();
        for (t, target) in self.target.iter().enumerate() {
            for k in 0..k_steps {
                let r = &mut out[t * k_steps + k];
                *r = (*r - target) * if k + 1 == k_steps { 1.0 } else { w };
            }
        }
    }

    /// The fit's objective: ½ mean over tasks of the weighted squared residuals.
    fn objective_of(&self, resid: &[f64]) -> f64 {
        let l = 0.5 * resid.iter().map(|r| r * r).sum::<f64>() / self.target.len().max(1) as f64;
        if l.is_finite() {
            l
        } else {
            f64::INFINITY
        }
    }

    fn objective(&self, theta: &[f64]) -> f64 {
        let mut r = vec![0.0; self.target.len() * theta.len() / 2];
        self.residuals(theta, &mut r);
        self.objective_of(&r)
    }
}

/// GD++ with its own (η_k, γ_k) per step, fitted on `tasks` by Levenberg–Marquardt from the
/// shared pair (`eta`, `gamma`). The even tasks are fitted and every step must also lower the
/// loss on the odd ones (early stopping): without that check the fit runs into steps that
/// cancel each other (η_k/N above 100) which are exact on the fitted tasks but blow up on the
/// rare task with a large input eigenvalue. It never ends above the shared version's loss on
/// either half.
pub fn fit_per_step(tasks: &Tasks, steps: usize, eta: f64, gamma: f64) -> Vec<GdppStep> {
    block_on(fit_per_step_staged(
        tasks,
        steps,
        eta,
        gamma,
        &Clock::unlimited(),
    ))
}

/// `fit_per_step`, a slice at a time on `clock` (the same computation: it may only stop
/// between tasks of the decomposition and between columns of the Jacobian).
pub async fn fit_per_step_staged(
    tasks: &Tasks,
    steps: usize,
    eta: f64,
    gamma: f64,
    clock: &Clock,
) -> Vec<GdppStep> {
    let sp = Spectral::of_staged(tasks, 0, 2, FIT_TASKS, clock).await;
    let check = Spectral::of_staged(tasks, 1, 2, FIT_TASKS, clock).await;
    let mut theta: Vec<f64> = (0..steps).flat_map(|_| [eta, gamma]).collect();
    let mut check_loss = check.objective(&theta);
    let (rows, cols) = (sp.target.len() * steps, theta.len());
    let mut pred = vec![0.0; rows];
    sp.residuals(&theta, &mut pred);
    let mut loss = sp.objective_of(&pred);
    let mut mu = 1e-3;
    let (mut plus, mut minus) = (vec![0.0; rows], vec![0.0; rows]);
    let mut jac = DMatrix::<f64>::zeros(rows, cols);
    for _ in 0..40 {
        for j in 0..cols {
            let h = 1e-6 * theta[j].abs().max(1e-2);
            let mut th = theta.clone();
            th[j] += h;
            sp.residuals(&th, &mut plus);
            th[j] -= 2.0 * h;
            sp.residuals(&th, &mut minus);
            for r in 0..rows {
                jac[(r, j)] = (plus[r] - minus[r]) / (2.0 * h);
            }
            checkpoint(clock).await;
        }
        let resid = DVector::from_column_slice(&pred);
        let a = jac.transpose() * &jac;
        let g = jac.transpose() * resid;
        let mut accepted = false;
        for _ in 0..12 {
            let mut m = a.clone();
            for j in 0..cols {
                m[(j, j)] += mu * a[(j, j)].max(1e-12);
            }
            let Some(ch) = m.cholesky() else {
                mu *= 4.0;
                continue;
            };
            let delta = ch.solve(&(-&g));
            let cand: Vec<f64> = theta.iter().zip(delta.iter()).map(|(t, d)| t + d).collect();
            sp.residuals(&cand, &mut plus);
            let l = sp.objective_of(&plus);
            let lc = if l < loss {
                check.objective(&cand)
            } else {
                f64::INFINITY
            };
            if l < loss && lc < check_loss {
                check_loss = lc;
                let gain = (loss - l) / loss.max(1e-300);
                theta = cand;
                std::mem::swap(&mut pred, &mut plus);
                loss = l;
                mu = (mu / 3.0).max(1e-12);
                accepted = gain > 1e-12;
                break;
            }
            mu *= 4.0;
        }
        if !accepted {
            break;
        }
    }
    theta
        .chunks_exact(2)
        .map(|p| GdppStep {
            eta: p[0],
            gamma: p[1],
        })
        .collect()
}

/// The construction of the GD++ `steps` for `arch` (linear attention; one head, others zero): every
/// weight set is the GD++ construction of its step (recurrent: of the first, all being equal).
pub fn construction(arch: Arch, steps: &[GdppStep]) -> Model {
    let mut one = arch;
    one.layers = 1;
    one.recurrent = true;
    one.softmax = false;
    let np = arch.shape().n_params();
    let mut params = vec![0.0f32; arch.n_params()];
    for set in 0..arch.sets() {
        let st = steps.get(set).copied().unwrap_or_default();
        let m = construct::gd_plus_plus_model(one, st.eta, st.gamma);
        params[set * np..(set + 1) * np].copy_from_slice(&m.params);
    }
    Model { arch, params }
}

/// Whether a run with `cfg` starts from the construction (`init = construction`; softmax
/// attention and LayerNorm have none and start at random whatever `init` says).
pub fn starts_from_construction(cfg: &Config) -> bool {
    let arch = Arch::from_config(cfg);
    cfg.init == Init::Construction && !arch.softmax && !arch.layernorm
}

/// With `init = construction` (linear attention without LayerNorm), the model a run starts
/// from: the construction of the learner it is compared with, plus `init_noise` × a standard
/// normal per weight from the `Init` stream. An MLP keeps the weights of `random` (the run's
/// random initialisation): with zero weights it would add nothing and never learn (its
/// gradients vanish). `None` for random starts, for softmax attention and for LayerNorm, where
/// no weights compute a GD step.
pub fn initial_construction(cfg: &Config, steps: &[GdppStep], random: &Model) -> Option<Model> {
    if !starts_from_construction(cfg) {
        return None;
    }
    let arch = Arch::from_config(cfg);
    let mut model = construction(arch, steps);
    let s = arch.shape();
    let (np, extras) = (s.n_params(), s.attn_params());
    for (set, from) in model
        .params
        .chunks_exact_mut(np)
        .zip(random.params.chunks_exact(np))
    {
        set[extras..].copy_from_slice(&from[extras..]);
    }
    if cfg.init_noise > 0.0 {
        let mut r = rng::stream(cfg.seed, Stream::Init);
        for p in &mut model.params {
            let z: f64 = StandardNormal.sample(&mut r);
            *p += (cfg.init_noise * z) as f32;
        }
    }
    Some(model)
}

/// Distances of the learned weights from the construction of their step, averaged over the
/// weight sets (head 1): ‖W_KQ/β − C_KQ‖ and ‖W_PV·β − C_PV‖ (Frobenius). NaN for softmax.
pub fn construction_distance(model: &Model, steps: &[GdppStep]) -> (f64, f64) {
    if model.arch.softmax {
        return (f64::NAN, f64::NAN);
    }
    let built = construction(model.arch, steps);
    let sets = model.arch.sets();
    let (mut kq, mut pv) = (0.0, 0.0);
    for set in 0..sets {
        let (a, b) = distance(model, &built, set);
        kq += a;
        pv += b;
    }
    (kq / sets as f64, pv / sets as f64)
}

fn distance(model: &Model, built: &Model, set: usize) -> (f64, f64) {
    let w = metrics::weight_view(model, set, 0);
    let c = metrics::weight_view(built, set, 0);
    let norm = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    (norm(&w.w_kq, &c.w_kq), norm(&w.w_pv, &c.w_pv))
}

/// The model cut after its first `k` layers (token clipping as in the whole model): its
/// prediction is the read-out after layer k.
pub fn truncated(model: &Model, k: usize) -> Model {
    let mut arch = model.arch;
    arch.layers = k;
    let np = arch.shape().n_params();
    Model {
        arch,
        params: model.params[..arch.sets() * np].to_vec(),
    }
}

/// The learners' read-outs after every step k = 1..K on the evaluation tasks: the reference GD
/// (its η) and the GD++ of the baselines (shared, or per step for deep models). Computed with
/// the references (`references.rs`) and kept by the `Comparison`; `gd` is recomputed when the
/// reference η changes.
#[derive(Clone, Debug, Default)]
pub struct LayerRefs {
    pub gd_eta: f64,
    pub gd: Vec<Predictions>,
    pub gdpp: Vec<Predictions>,
}

/// GD with step size `eta` after every step 1..K.
pub fn gd_prefixes(tasks: &Tasks, eta: f64, steps: usize) -> Vec<Predictions> {
    prefixes(tasks, &vec![GdppStep { eta, gamma: 0.0 }; steps], true)
}

/// One layer's row of the per-layer read-out.
#[derive(Clone, Debug, Serialize)]
pub struct LayerRow {
    /// k, from 1.
    pub layer: usize,
    /// The transformer's loss when read after layer k, and k steps of the reference GD and of
    /// GD++ (the steps of the learner the model is compared with).
    pub loss: f64,
    pub gd_loss: f64,
    pub gdpp_loss: f64,
    pub vs_gd: Alignment,
    pub vs_gdpp: Alignment,
    /// Read from layer k's weights (head 1): η_k/N, γ_k and the scale β.
    pub eta_over_n: f64,
    pub gamma: f64,
    pub beta: f64,
    /// The step layer k is compared with: η_k/N and γ_k of the compared learner.
    pub step_eta_over_n: f64,
    pub step_gamma: f64,
    /// ‖W_KQ/β − construction‖ and ‖W_PV·β − construction‖ of that step (Frobenius).
    pub dist_kq: f64,
    pub dist_pv: f64,
}

/// The per-layer read-out of the current model.
#[derive(Clone, Debug, Serialize)]
pub struct LayerReadout {
    pub step: usize,
    /// Whether GD++ has its own (η_k, γ_k) per step (deep models).
    pub per_step: bool,
    pub recurrent: bool,
    pub rows: Vec<LayerRow>,
}

/// Loss and alignment after every layer of `model` against k-step GD and GD++ (from
/// `refs`) on `tasks`, with every layer's learned step beside the compared one (`steps`, see
/// `Baselines::compared_steps`; `per_step`: whether GD++ has its own step per layer).
pub fn readout(
    model: &Model,
    tasks: &Tasks,
    (steps, per_step): (&[GdppStep], bool),
    refs: &LayerRefs,
    step: usize,
) -> LayerReadout {
    let arch = model.arch;
    // The learners' columns are NaN while their read-outs are still to come (`refs` empty).
    let built = (!arch.softmax && !steps.is_empty()).then(|| construction(arch, steps));
    let d = arch.d;
    let loss_of = |p: Option<&Predictions>| p.map_or(f64::NAN, |p| p.loss(tasks));
    let rows = (1..=arch.layers)
        .map(|k| {
            let m = truncated(model, k);
            let mut ws = Workspace::new(&m.arch);
            let (yhat, sens) = m.predict_with_sensitivity(tasks, &mut ws);
            let align_with = |p: Option<&Predictions>| {
                p.map_or_else(Alignment::nan, |p| metrics::alignment(&yhat, &sens, p, d))
            };
            let y64: Vec<f64> = yhat.iter().map(|&v| v as f64).collect();
            let set = arch.set_of(k - 1);
            let view = metrics::weight_view(model, set, 0);
            let (dist_kq, dist_pv) = match &built {
                Some(c) => distance(model, c, set),
                None => (f64::NAN, f64::NAN),
            };
            let st = steps.get(k - 1).copied().unwrap_or_default();
            let nan = |x: f64| if arch.softmax { f64::NAN } else { x };
            LayerRow {
                layer: k,
                loss: baselines::half_mse(&y64, tasks),
                gd_loss: loss_of(refs.gd.get(k - 1)),
                gdpp_loss: loss_of(refs.gdpp.get(k - 1)),
                vs_gd: align_with(refs.gd.get(k - 1)),
                vs_gdpp: align_with(refs.gdpp.get(k - 1)),
                eta_over_n: nan(view.eta_over_n),
                gamma: nan(view.gamma),
                beta: nan(view.beta),
                step_eta_over_n: st.eta / arch.n as f64,
                step_gamma: st.gamma,
                dist_kq,
                dist_pv,
            }
        })
        .collect();
    LayerReadout {
        step,
        per_step,
        recurrent: arch.recurrent,
        rows,
    }
}
