//! The learners the transformer is compared with, on the same tasks (docs/science.md, "Baselines"),
//! all in f64: K-step gradient descent from W₀ = 0 on L(W) = 1/(2N) Σ (W x_i − y_i)², its step
//! size η* (closed form for K = 1, line search otherwise), GD++ (inputs also transformed by
//! I − γ Σ x_i x_iᵀ every step) with tuned (η, γ), and OLS / ridge regression.

use crate::staged::block_on;
use crate::task::Tasks;
use nalgebra::{DMatrix, DVector};
use std::ops::Range;

/// Predictions ŷ of a learner on every task, and its sensitivities ∂ŷ/∂x_q (`count × d`).
#[derive(Clone, Debug, Default)]
pub struct Predictions {
    pub yhat: Vec<f64>,
    pub sens: Vec<f64>,
}

impl Predictions {
    /// ½ mean squared error against the query targets.
    pub fn loss(&self, tasks: &Tasks) -> f64 {
        half_mse(&self.yhat, tasks)
    }
}

/// ½ mean squared error of `yhat` against the query targets (NaN or ∞ becomes ∞).
pub fn half_mse(yhat: &[f64], tasks: &Tasks) -> f64 {
    let residuals = yhat
        .iter()
        .enumerate()
        .map(|(k, y)| y - tasks.target(k) as f64);
    half_mean_square(residuals, tasks.count)
}

/// ½ Σ r² / `count` (NaN or ∞ becomes ∞), the squares added in order.
fn half_mean_square(residuals: impl Iterator<Item = f64>, count: usize) -> f64 {
    let s: f64 = residuals.map(|r| r.powi(2)).sum();
    let l = 0.5 * s / count.max(1) as f64;
    if l.is_finite() {
        l
    } else {
        f64::INFINITY
    }
}

/// The loss of always predicting 0 (also the transformer's loss at initialisation, ≈ 0.42 for
/// the paper's setting).
pub fn zero_loss(tasks: &Tasks) -> f64 {
    half_mse(&vec![0.0; tasks.count], tasks)
}

/// `zero_loss` from the query targets alone (the same bits): ½ mean of y_q².
pub fn zero_loss_of(targets: &[f32]) -> f64 {
    half_mean_square(targets.iter().map(|&t| 0.0 - t as f64), targets.len())
}

fn task_data(tasks: &Tasks, k: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (xs, xq) = tasks.inputs(k);
    (
        xs.iter().map(|&v| v as f64).collect(),
        tasks.labels(k).iter().map(|&v| v as f64).collect(),
        xq.iter().map(|&v| v as f64).collect(),
    )
}

/// K steps of full-batch GD with step size η from W₀ = 0:
/// W ← W − (η/N) Σ_i (W x_i − y_i) x_iᵀ, then ŷ = W x_q (so ∂ŷ/∂x_q = W).
pub fn gd(tasks: &Tasks, eta: f64, steps: usize) -> Predictions {
    gd_preconditioned(tasks, eta, steps, &vec![1.0; tasks.dist.d])
}

/// The best diagonal preconditioner Γ for one step, ŷ = (η/N) x_qᵀ Γ Σ_i y_i x_i, under this
/// task distribution (w ~ N(0, I), independent uniform coordinates with variances σ_k², so
/// E[x_k⁴] = 1.8 σ_k⁴): Γ* = E[w ĉᵀ] E[ĉ ĉᵀ]⁻¹ with ĉ = (1/N) Σ y_i x_i works out to
/// Γ_k ∝ 1 / (σ_k² (1 − 0.2/N) + tr Σ / N). Not Σ⁻¹: with few examples the tr Σ / N term
/// damps the small coordinates less. A constant (plain GD) when the inputs are isotropic.
pub fn input_preconditioner(tasks: &Tasks) -> Vec<f64> {
    let (d, n) = (tasks.dist.d, tasks.dist.n as f64);
    let var: Vec<f64> = (0..d).map(|k| tasks.dist.coord_scale(k).powi(2)).collect();
    let trace: f64 = var.iter().sum();
    let g: Vec<f64> = var
        .iter()
        .map(|v| 1.0 / (v * (1.0 - 0.2 / n) + trace / n))
        .collect();
    // Normalised to mean 1 (η carries the scale), so isotropic inputs give exactly 1s.
    let mean = g.iter().sum::<f64>() / d as f64;
    g.iter()
        .map(|x| {
            if tasks.dist.aniso == 1.0 {
                1.0
            } else {
                x / mean
            }
        })
        .collect()
}

/// Preconditioned GD: W ← W − (η/N) (Σ_i (W x_i − y_i) x_iᵀ) Γ with a diagonal Γ. For
/// anisotropic inputs one trained attention layer matches this rather than plain GD
/// (critique 2: Ahn et al. 2023, Mahankali et al. 2023).
pub fn gd_preconditioned(tasks: &Tasks, eta: f64, steps: usize, precond: &[f64]) -> Predictions {
    let mut out = Predictions::default();
    gd_preconditioned_into(tasks, 0..tasks.count, eta, steps, precond, &mut out);
    out
}

/// `gd_preconditioned` on the tasks of `range`, appended to `out` (every task is computed on
/// its own, so a set computed a range at a time is the same, number for number).
pub fn gd_preconditioned_into(
    tasks: &Tasks,
    range: Range<usize>,
    eta: f64,
    steps: usize,
    precond: &[f64],
    out: &mut Predictions,
) {
    let start = vec![0.0; tasks.dist.d];
    gd_into(tasks, range, (eta, steps), precond, &start, out);
}

/// K steps of plain GD at `eta` from W₀ = `start` (the same for every task), not from 0: with
/// tasks whose teachers have mean μ, GD from their mean (test-time shifts, `shift.rs`).
pub fn gd_from(tasks: &Tasks, start: &[f64], eta: f64, steps: usize) -> Predictions {
    let mut out = Predictions::default();
    let ones = vec![1.0; tasks.dist.d];
    gd_into(tasks, 0..tasks.count, (eta, steps), &ones, start, &mut out);
    out
}

fn gd_into(
    tasks: &Tasks,
    range: Range<usize>,
    (eta, steps): (f64, usize),
    precond: &[f64],
    start: &[f64],
    out: &mut Predictions,
) {
    let (d, n) = (tasks.dist.d, tasks.dist.n);
    out.yhat.reserve(range.len());
    out.sens.reserve(range.len() * d);
    let mut w = vec![0.0; d];
    let mut g = vec![0.0; d];
    for k in range {
        let (xs, ys, xq) = task_data(tasks, k);
        w.copy_from_slice(start);
        for _ in 0..steps {
            g.fill(0.0);
            for i in 0..n {
                let xi = &xs[i * d..(i + 1) * d];
                let r = dot(&w, xi) - ys[i];
                g.iter_mut().zip(xi).for_each(|(gk, x)| *gk += r * x);
            }
            for k in 0..d {
                w[k] -= eta / n as f64 * g[k] * precond[k];
            }
        }
        out.yhat.push(dot(&w, &xq));
        out.sens.extend_from_slice(&w);
    }
}

/// η* of one GD step in closed form: ŷ = (η/N)·s with s = Σ_i y_i x_iᵀ x_q is linear in η, so
/// the loss is a parabola with minimum η*/N = Σ y_q s / Σ s².
pub fn eta_star_one_step(tasks: &Tasks) -> f64 {
    eta_star_one_step_preconditioned(tasks, &vec![1.0; tasks.dist.d])
}

/// The same for one preconditioned step, s = Σ_i y_i x_iᵀ Γ x_q.
pub fn eta_star_one_step_preconditioned(tasks: &Tasks, precond: &[f64]) -> f64 {
    let mut sums = [0.0; 2];
    one_step_sums(tasks, 0..tasks.count, precond, &mut sums);
    one_step_eta(tasks, sums)
}

/// The sums Σ y_q s and Σ s² of the closed-form η*, accumulated over the tasks of `range` into
/// `sums` (in task order: ranges taken in order give the same sums as all tasks at once).
pub fn one_step_sums(tasks: &Tasks, range: Range<usize>, precond: &[f64], sums: &mut [f64; 2]) {
    let d = tasks.dist.d;
    let [mut num, mut den] = *sums;
    let mut gx = vec![0.0; d];
    for k in range {
        let (xs, ys, xq) = task_data(tasks, k);
        for c in 0..d {
            gx[c] = precond[c] * xq[c];
        }
        let s: f64 = ys
            .iter()
            .enumerate()
            .map(|(i, y)| y * dot(&xs[i * d..(i + 1) * d], &gx))
            .sum();
        num += tasks.target(k) as f64 * s;
        den += s * s;
    }
    *sums = [num, den];
}

/// η* from the sums of `one_step_sums` over all tasks.
pub fn one_step_eta(tasks: &Tasks, [num, den]: [f64; 2]) -> f64 {
    if den > 0.0 {
        tasks.dist.n as f64 * num / den
    } else {
        1.0
    }
}

/// The step size that minimises the K-step GD loss on `tasks`.
pub fn eta_star(tasks: &Tasks, steps: usize) -> f64 {
    eta_star_preconditioned(tasks, steps, &vec![1.0; tasks.dist.d])
}

/// The step size that minimises the K-step preconditioned-GD loss on `tasks`.
pub fn eta_star_preconditioned(tasks: &Tasks, steps: usize, precond: &[f64]) -> f64 {
    if steps <= 1 {
        return eta_star_one_step_preconditioned(tasks, precond);
    }
    let sub = subset(tasks);
    block_on(eta_search(async |eta| {
        gd_preconditioned(&sub, eta, steps, precond).loss(&sub)
    }))
}

/// The line search of `eta_star` (K ≥ 2): the η in [1e-3, 100] minimising `loss(η)` (the loss
/// of K-step GD on the tuning subset; awaited, so a staged caller may compute it in slices).
pub async fn eta_search(mut loss: impl AsyncFnMut(f64) -> f64) -> f64 {
    libm::exp(minimise_log(async |log_eta| loss(libm::exp(log_eta)).await, 1e-3, 100.0).await)
}

/// GD++ (paper section 3): every step updates the labels' residuals as GD does and also
/// transforms all inputs x_j ← (I − γ Σ_i x_i x_iᵀ) x_j, both from the pre-step tokens.
/// This is the update the GD++ construction computes, written directly in token space.
pub fn gd_plus_plus(tasks: &Tasks, eta: f64, gamma: f64, steps: usize) -> Predictions {
    gd_plus_plus_impl(tasks, eta, gamma, steps, true)
}

/// The parameters of one GD++ step (γ = 0: a plain GD step).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct GdppStep {
    pub eta: f64,
    pub gamma: f64,
}

/// Predictions (with sensitivities ∂ŷ/∂x_q when `with_sens`) after every step k = 1..K of GD++
/// with per-step parameters `steps` (γ = 0 everywhere: GD). The same update as
/// `gd_plus_plus`, with the intermediate read-outs kept.
pub fn prefixes(tasks: &Tasks, steps: &[GdppStep], with_sens: bool) -> Vec<Predictions> {
    let mut out = vec![Predictions::default(); steps.len()];
    prefixes_into(tasks, 0..tasks.count, steps, with_sens, &mut out);
    out
}

/// `prefixes` on the tasks of `range`, appended to `out` (one per step).
pub fn prefixes_into(
    tasks: &Tasks,
    range: Range<usize>,
    steps: &[GdppStep],
    with_sens: bool,
    out: &mut [Predictions],
) {
    let (d, n) = (tasks.dist.d, tasks.dist.n);
    let t = n + 1;
    let plain = steps.iter().all(|s| s.gamma == 0.0);
    for o in out.iter_mut() {
        o.yhat.reserve(range.len());
        o.sens.reserve(if with_sens { range.len() * d } else { 0 });
    }
    let (mut xx, mut s, mut x_new, mut m_next) = (
        vec![0.0; d * d],
        vec![0.0; d],
        vec![0.0; d],
        vec![0.0; d * d],
    );
    for k in range {
        let (xs0, xq) = tasks.inputs(k);
        let mut xs: Vec<f64> = xs0.iter().chain(xq).map(|&v| v as f64).collect();
        let mut ys: Vec<f64> = tasks.labels(k).iter().map(|&v| v as f64).collect();
        ys.push(0.0);
        let mut m: Vec<f64> = (0..d * d)
            .map(|i| if i % (d + 1) == 0 { 1.0 } else { 0.0 })
            .collect();
        let mut lin = vec![0.0; d];
        for (step, p) in steps.iter().enumerate() {
            let a_eta = p.eta / n as f64;
            xx.fill(0.0);
            s.fill(0.0);
            for i in 0..n {
                let xi = &xs[i * d..(i + 1) * d];
                for a in 0..d {
                    s[a] += ys[i] * xi[a];
                    if !plain {
                        for b in 0..d {
                            xx[a * d + b] += xi[a] * xi[b];
                        }
                    }
                }
            }
            let last = step + 1 == steps.len();
            for j in 0..t {
                let xj = &xs[j * d..(j + 1) * d];
                ys[j] -= a_eta * dot(&s, xj);
                if plain || last {
                    continue;
                }
                for a in 0..d {
                    x_new[a] = xj[a] - p.gamma * dot(&xx[a * d..(a + 1) * d], xj);
                }
                xs[j * d..(j + 1) * d].copy_from_slice(&x_new);
            }
            out[step].yhat.push(-ys[n]);
            if !with_sens {
                continue;
            }
            for b in 0..d {
                lin[b] += a_eta * (0..d).map(|a| s[a] * m[a * d + b]).sum::<f64>();
            }
            out[step].sens.extend_from_slice(&lin);
            if !plain && !last {
                for a in 0..d {
                    for b in 0..d {
                        m_next[a * d + b] = m[a * d + b]
                            - p.gamma * (0..d).map(|c| xx[a * d + c] * m[c * d + b]).sum::<f64>();
                    }
                }
                std::mem::swap(&mut m, &mut m_next);
            }
        }
    }
}

/// GD++ with its own (η_k, γ_k) per step (deep models' comparison; see `layerwise`).
pub fn gd_plus_plus_steps(tasks: &Tasks, steps: &[GdppStep]) -> Predictions {
    prefixes(tasks, steps, true).pop().unwrap_or_default()
}

/// The K-step GD++ loss alone (skips the sensitivities).
pub fn gd_plus_plus_loss(tasks: &Tasks, eta: f64, gamma: f64, steps: usize) -> f64 {
    gd_plus_plus_impl(tasks, eta, gamma, steps, false).loss(tasks)
}

/// GD++ predictions with one shared (η, γ): the last read-out of `prefixes`. `with_sens` also
/// tracks ∂ŷ/∂x_q (a d×d product per step, skipped while tuning).
fn gd_plus_plus_impl(
    tasks: &Tasks,
    eta: f64,
    gamma: f64,
    steps: usize,
    with_sens: bool,
) -> Predictions {
    let all = vec![GdppStep { eta, gamma }; steps];
    prefixes(tasks, &all, with_sens)
        .pop()
        .unwrap_or_else(|| Predictions {
            // No step: the prediction of W₀ = 0.
            yhat: vec![0.0; tasks.count],
            sens: vec![
                0.0;
                if with_sens {
                    tasks.count * tasks.dist.d
                } else {
                    0
                }
            ],
        })
}

/// (η, γ) minimising the K-step GD++ loss: coordinate descent with golden-section searches
/// (γ, then log η), started from GD's η* and γ = 0. With one step γ cannot matter (the labels
/// are updated from the pre-step inputs), so GD++ is GD and γ = 0.
pub fn gdpp_star(tasks: &Tasks, steps: usize) -> (f64, f64) {
    if steps <= 1 {
        return (eta_star_one_step(tasks), 0.0);
    }
    let sub = subset(tasks);
    let eta = eta_star(&sub, steps);
    block_on(gdpp_search(
        &sub,
        eta,
        async |eta, gamma| gd_plus_plus_loss(&sub, eta, gamma, steps),
        |_| {},
    ))
}

/// The iterations of `gdpp_search`'s two Nelder–Mead runs (a fixed number: its progress).
const GDPP_ITERS: [usize; 2] = [70, 40];

/// The search of `gdpp_star` (K ≥ 2) on the tuning subset `sub`, from GD's η* on it: the (η, γ)
/// minimising `loss(η, γ)` (awaited, so a staged caller may compute it in slices);
/// `done(f)` hears the fraction of its iterations done.
pub async fn gdpp_search(
    sub: &Tasks,
    eta: f64,
    mut loss: impl AsyncFnMut(f64, f64) -> f64,
    mut done: impl FnMut(f64),
) -> (f64, f64) {
    // Inputs shrink by (1 − γλ) per step, λ ≈ N r²/3 the typical eigenvalue of Σ x xᵀ: that
    // sets the scale of γ. The loss valley in (log η, γ) is curved, which Nelder–Mead follows
    // where coordinate searches crawl; a restart from the best point polishes it.
    let lam = sub.dist.n as f64 * sub.dist.x_range.powi(2) / 3.0;
    let g0 = 0.1 / lam.max(1e-9);
    let mut f = async |v: [f64; 2]| loss(libm::exp(v[0]), v[1]).await;
    let total = (GDPP_ITERS[0] + GDPP_ITERS[1]) as f64;
    let mut iters = 0;
    let mut tick = || {
        iters += 1;
        done(iters as f64 / total);
    };
    let x0 = [libm::log(eta), 0.0];
    let mut best = nelder_mead(&mut f, x0, [0.3, g0], GDPP_ITERS[0], &mut tick).await;
    best = nelder_mead(&mut f, best, [0.05, g0 * 0.1], GDPP_ITERS[1], &mut tick).await;
    (libm::exp(best[0]), best[1])
}

/// Nelder–Mead minimisation in two dimensions from `x0` with initial steps `step`; `tick()`
/// after every iteration.
async fn nelder_mead(
    f: &mut impl AsyncFnMut([f64; 2]) -> f64,
    x0: [f64; 2],
    step: [f64; 2],
    iters: usize,
    tick: &mut impl FnMut(),
) -> [f64; 2] {
    let mut pts = [x0, [x0[0] + step[0], x0[1]], [x0[0], x0[1] + step[1]]];
    let mut vals = [f(pts[0]).await, f(pts[1]).await, f(pts[2]).await];
    let lerp =
        |a: [f64; 2], b: [f64; 2], t: f64| [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
    for _ in 0..iters {
        let mut idx = [0, 1, 2];
        idx.sort_by(|&i, &j| vals[i].total_cmp(&vals[j]));
        let (b, m, w) = (idx[0], idx[1], idx[2]);
        let centre = lerp(pts[b], pts[m], 0.5);
        let refl = lerp(pts[w], centre, 2.0);
        let fr = f(refl).await;
        if fr < vals[b] {
            let exp = lerp(pts[w], centre, 3.0);
            let fe = f(exp).await;
            (pts[w], vals[w]) = if fe < fr { (exp, fe) } else { (refl, fr) };
        } else if fr < vals[m] {
            (pts[w], vals[w]) = (refl, fr);
        } else {
            let con = lerp(pts[w], centre, 0.5);
            let fc = f(con).await;
            if fc < vals[w] {
                (pts[w], vals[w]) = (con, fc);
            } else {
                for i in [m, w] {
                    pts[i] = lerp(pts[b], pts[i], 0.5);
                    vals[i] = f(pts[i]).await;
                }
            }
        }
        tick();
    }
    let b = (0..3)
        .min_by(|&i, &j| vals[i].total_cmp(&vals[j]))
        .unwrap_or(0);
    pts[b]
}

/// Ridge regression per task, w = (XᵀX + λI)⁻¹ Xᵀy, or OLS (minimum-norm least squares, via
/// SVD) when λ = 0. With w ~ N(0, I) and noise σ, λ = σ² is the Bayes-optimal posterior mean.
pub fn ridge(tasks: &Tasks, lambda: f64) -> Predictions {
    let mut out = Predictions::default();
    ridge_into(tasks, 0..tasks.count, lambda, &mut out);
    out
}

/// `ridge` on the tasks of `range`, appended to `out`.
pub fn ridge_into(tasks: &Tasks, range: Range<usize>, lambda: f64, out: &mut Predictions) {
    let (d, n) = (tasks.dist.d, tasks.dist.n);
    out.yhat.reserve(range.len());
    out.sens.reserve(range.len() * d);
    for k in range {
        let (xs, ys, xq) = task_data(tasks, k);
        let x = DMatrix::from_row_slice(n, d, &xs);
        let y = DVector::from_vec(ys);
        let w = if lambda > 0.0 {
            let a = x.transpose() * &x + DMatrix::identity(d, d) * lambda;
            let b = x.transpose() * &y;
            a.cholesky()
                .map(|c| c.solve(&b))
                .unwrap_or_else(|| DVector::zeros(d))
        } else {
            // At N = d the context matrix is nearly singular; the SVD's cut-off keeps it stable.
            x.svd(true, true)
                .solve(&y, 1e-10)
                .unwrap_or_else(|_| DVector::zeros(d))
        };
        out.yhat.push(w.iter().zip(&xq).map(|(a, b)| a * b).sum());
        out.sens.extend(w.iter());
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Step sizes are tuned on at most this many tasks (the losses are then reported on all).
const TUNE_TASKS: usize = 512;

/// The tasks step sizes are tuned on: the first `TUNE_TASKS` (all when there are fewer).
pub fn subset(tasks: &Tasks) -> Tasks {
    tasks.range(0..tasks.count.min(TUNE_TASKS))
}

/// The grid intervals and golden-section iterations of `minimise_log`.
const ETA_GRID: usize = 48;
const GOLDEN_ITERS: usize = 30;

/// How many losses `eta_search` evaluates, always (its progress): the grid's points, then the
/// golden section's two starting points and one per iteration.
pub const ETA_SEARCH_EVALS: usize = ETA_GRID + 1 + 2 + GOLDEN_ITERS;

/// Minimise f(log η) for η in [lo, hi]: a log-spaced grid (robust to the divergence wall at large
/// η), then golden-section refinement around the best grid point. Returns log η.
async fn minimise_log(mut f: impl AsyncFnMut(f64) -> f64, lo: f64, hi: f64) -> f64 {
    let (a, b) = (libm::log(lo), libm::log(hi));
    let n = ETA_GRID;
    let xs: Vec<f64> = (0..=n).map(|i| a + (b - a) * i as f64 / n as f64).collect();
    let mut vals = Vec::with_capacity(xs.len());
    for &x in &xs {
        vals.push(f(x).await);
    }
    let best = (0..=n)
        .min_by(|&i, &j| vals[i].total_cmp(&vals[j]))
        .unwrap_or(0);
    let lo_i = best.saturating_sub(1);
    let hi_i = (best + 1).min(n);
    golden(&mut f, xs[lo_i], xs[hi_i], GOLDEN_ITERS).await
}

/// Golden-section search for the minimum of a unimodal f on [a, b].
async fn golden(f: &mut impl AsyncFnMut(f64) -> f64, mut a: f64, mut b: f64, iters: usize) -> f64 {
    let r = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - r * (b - a);
    let mut d = a + r * (b - a);
    let (mut fc, mut fd) = (f(c).await, f(d).await);
    for _ in 0..iters {
        if fc <= fd {
            b = d;
            d = c;
            fd = fc;
            c = b - r * (b - a);
            fc = f(c).await;
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + r * (b - a);
            fd = f(d).await;
        }
    }
    (a + b) / 2.0
}
