//! What a run is measured against, computed stage by stage on its evaluation tasks: every
//! baseline of `baselines.rs` (GD at η*, K-step GD, GD++ shared or per step, OLS / ridge,
//! preconditioned GD), the untrained model's evaluation, the learners after every step (the
//! per-layer read-out's references) and the baseline columns of the out-of-distribution table.
//!
//! One computation, `compute`, serves both ways of running (see `staged.rs`): the CLI runs it to
//! the end before training; the page's worker runs it a slice at a time between training chunks,
//! so training starts at once and each stage's numbers arrive (`Arrival`) as soon as they are
//! ready, cheapest first. Either way the same functions see the same tasks in the same order, so
//! the numbers are the same bit for bit.

use crate::baselines::{self, GdppStep, Predictions};
use crate::config::{Config, Tokens};
use crate::layerwise::{self, LayerRefs};
use crate::model::{Model, Workspace};
use crate::staged::{in_slices, Clock, Outbox};
use crate::task::{LazyTasks, Tasks};
use serde::Serialize;
use std::cell::Cell;
use std::rc::Rc;

/// The stages, each a part of the comparison that arrives on its own (the page names those
/// still being computed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// One GD step at its closed-form η*.
    Gd1,
    /// One step of preconditioned GD.
    Pgd,
    /// The untrained model's evaluation (with `init = construction`, the start itself).
    Untrained,
    /// η* of K-step GD (a line search from K = 2 on).
    EtaStar,
    /// The reference K-step GD at its η (η* unless `gd_eta` is set).
    Gd,
    /// OLS and ridge.
    Ols,
    /// Classic tokens only: GD with as many steps as layers, at its own η* (`GdSteps`; none for
    /// paired tokens, where that is the reference GD).
    GdLayers,
    /// GD++ with one tuned (η, γ).
    Gdpp,
    /// The GD++ the model is compared with (fitted per step for deep models).
    GdppSteps,
    /// Every learner after every step k = 1..K (the per-layer read-out's references).
    Layers,
    /// The baseline columns of the out-of-distribution table.
    Ood,
}

impl Stage {
    /// Every stage, in the order `compute` delivers them for a random start.
    pub const ALL: [Stage; 11] = [
        Stage::Gd1,
        Stage::Pgd,
        Stage::Untrained,
        Stage::EtaStar,
        Stage::Gd,
        Stage::Ols,
        Stage::GdLayers,
        Stage::Gdpp,
        Stage::GdppSteps,
        Stage::Layers,
        Stage::Ood,
    ];
}

/// One stage's numbers, as `compute` hands them over.
pub enum Arrival {
    Gd1 {
        eta: f64,
        loss: f64,
    },
    Pgd {
        eta: f64,
        loss: f64,
        preds: Predictions,
    },
    EtaStar(f64),
    /// The reference GD at `eta` (again when the page changed η while it was computed).
    Gd {
        eta: f64,
        loss: f64,
        preds: Predictions,
    },
    Ols {
        ols: f64,
        ridge: f64,
    },
    GdLayers(Option<GdSteps>),
    Gdpp {
        eta: f64,
        gamma: f64,
        loss: f64,
    },
    GdppSteps {
        steps: Vec<GdppStep>,
        per_step: bool,
        loss: f64,
        preds: Predictions,
    },
    /// The untrained model and its predictions and sensitivities on every evaluation task;
    /// `start`: it is the start from the construction, which training begins from.
    Untrained {
        model: Model,
        yhat: Vec<f32>,
        sens: Vec<f32>,
        start: bool,
    },
    Layers(LayerRefs),
    /// The OOD table's baseline rows, measured with the reference GD at `gd_eta`.
    Ood {
        gd_eta: f64,
        rows: Vec<OodRow>,
    },
}

/// K steps of GD at a step size η, and their loss.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct GdSteps {
    pub steps: usize,
    pub eta: f64,
    pub loss: f64,
}

/// One row of the out-of-distribution table.
#[derive(Clone, Debug, Serialize)]
pub struct OodRow {
    pub alpha: f64,
    pub model: f64,
    pub gd: f64,
    pub gdpp: f64,
    /// Least squares (minimum-norm), and ridge with λ = σ² (equal to OLS without noise).
    pub ols: f64,
    pub ridge: f64,
    pub zero: f64,
}

/// The α grid of the OOD read-out (docs/science.md: GD blows up at α = 2, OLS stays exact).
pub const OOD_ALPHAS: [f64; 11] = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0];

/// The stage `compute` is working on and how far through it it is, from 0 to 1 (NaN where its
/// work is not counted: the short stages), shared with the page, which shows it beside the
/// stage's name. Counted: the untrained model's evaluation (tasks done), the line searches for
/// η* (evaluations of their fixed 81), OLS and ridge (tasks solved), the GD++ search (iterations
/// of its fixed 110) and the OOD baselines (rows of α done). Reading it changes nothing that is
/// computed.
#[derive(Clone, Default)]
pub struct Underway(Rc<Cell<Option<(Stage, f64)>>>);

impl Underway {
    /// `stage` starts: at 0 when its work is `counted`, else not measured.
    fn begin(&self, stage: Stage, counted: bool) {
        self.0
            .set(Some((stage, if counted { 0.0 } else { f64::NAN })));
    }

    /// The current stage is `fraction` of the way through.
    fn at(&self, fraction: f64) {
        if let Some((stage, _)) = self.0.get() {
            self.0.set(Some((stage, fraction.clamp(0.0, 1.0))));
        }
    }

    /// The stage last begun and how far through it is (NaN: not counted).
    pub fn get(&self) -> Option<(Stage, f64)> {
        self.0.get()
    }
}

/// What `compute` works from.
pub struct Plan {
    pub cfg: Config,
    pub tasks: Rc<LazyTasks>,
    /// The model at initialisation (random; a start from the construction replaces it).
    pub model: Model,
    /// The reference GD's η asked for now (None: η*); the page may change it meanwhile.
    pub gd_eta: Rc<Cell<Option<f64>>>,
    /// Where the computation is (for the page).
    pub underway: Underway,
}

/// Every stage of `plan`, each handed to `out` as soon as it is ready (see the module doc).
/// Needed first: one GD step and the untrained model (and, for a start from the construction,
/// that start: training waits for it). The GD++ tuning, the costliest part, comes late.
pub async fn compute(plan: Plan, clock: Rc<Clock>, out: Outbox<Arrival>) {
    // The evaluation tasks, a slice at a time (the first training step did not wait for them).
    let lazy = &*plan.tasks;
    let per = clock.per_slice(4 * (lazy.dist.n + 1) * (lazy.dist.d + 1));
    in_slices(lazy.count, per, &clock, |r| {
        lazy.draw_some(r.len());
    })
    .await;
    let (cfg, tasks, clock) = (&plan.cfg, lazy.get(), &*clock);
    let at = &plan.underway;
    // The steps of the learner compared with: one per layer, one for classic tokens.
    let k = cfg.compared_steps();
    let ones = vec![1.0; tasks.dist.d];
    let from_construction = layerwise::starts_from_construction(cfg);

    // One GD step at its closed-form η*.
    at.begin(Stage::Gd1, false);
    let eta1 = one_step_eta(tasks, &ones, clock).await;
    let gd1 = gd(tasks, eta1, 1, &ones, clock).await;
    out.send(Arrival::Gd1 {
        eta: eta1,
        loss: gd1.loss(tasks),
    });

    // One preconditioned step at its closed-form η.
    at.begin(Stage::Pgd, false);
    let precond = baselines::input_preconditioner(tasks);
    let pgd_eta = one_step_eta(tasks, &precond, clock).await;
    let pgd = gd(tasks, pgd_eta, 1, &precond, clock).await;
    out.send(Arrival::Pgd {
        eta: pgd_eta,
        loss: pgd.loss(tasks),
        preds: pgd,
    });

    // The reference GD, already where its η is known without a line search.
    let eta_star = (k == 1).then_some(eta1);
    if let Some(e) = eta_star {
        out.send(Arrival::EtaStar(e));
    }
    let mut sent_gd = None;
    reference_gd(&plan, eta_star, &mut sent_gd, clock, &out).await;

    // The untrained model; a start from the construction of one GD step (K = 1) is known now.
    if !from_construction {
        untrained(plan.model.clone(), false, tasks, (clock, at), &out).await;
    } else if k == 1 {
        let eta = plan.gd_eta.get().unwrap_or(eta1);
        start(&plan, &[GdppStep { eta, gamma: 0.0 }], clock, &out).await;
    }

    // η* of K steps (line search on the tuning subset), and the reference GD at it.
    let sub = baselines::subset(tasks);
    let eta_star = match eta_star {
        Some(e) => e,
        None => {
            at.begin(Stage::EtaStar, true);
            let e = eta_star_of(&sub, k, clock, at).await;
            out.send(Arrival::EtaStar(e));
            e
        }
    };
    reference_gd(&plan, Some(eta_star), &mut sent_gd, clock, &out).await;

    // Least squares and ridge, one solve per task (ridge is OLS when λ = σ² = 0).
    let lambda = cfg.noise * cfg.noise;
    at.begin(Stage::Ols, true);
    let passes = if lambda == 0.0 { 1.0 } else { 2.0 };
    let ols = ridge(tasks, 0.0, clock, |f| at.at(f / passes))
        .await
        .loss(tasks);
    let ridge_loss = if lambda == 0.0 {
        ols
    } else {
        ridge(tasks, lambda, clock, |f| at.at((1.0 + f) / 2.0))
            .await
            .loss(tasks)
    };
    out.send(Arrival::Ols {
        ols,
        ridge: ridge_loss,
    });

    // Classic tokens: as many GD steps as layers, which the paper's model does not reach (its
    // first layer only copies); η* by the same line search on the tuning subset.
    let layers = (cfg.tokens == Tokens::Classic).then_some(cfg.layers);
    let gd_layers = match layers {
        None => None,
        Some(steps) => {
            at.begin(Stage::GdLayers, true);
            let eta = eta_star_of(&sub, steps, clock, at).await;
            let loss = gd(tasks, eta, steps, &ones, clock).await.loss(tasks);
            Some(GdSteps { steps, eta, loss })
        }
    };
    out.send(Arrival::GdLayers(gd_layers));

    // GD++ with one (η, γ), tuned on the subset from GD's η* there (K ≥ 2; one step is GD).
    at.begin(Stage::Gdpp, k > 1);
    let (eta, gamma) = if k <= 1 {
        (eta1, 0.0)
    } else {
        baselines::gdpp_search(
            &sub,
            eta_star,
            async |eta, gamma| {
                let all = vec![GdppStep { eta, gamma }; k];
                last(prefixes(&sub, &all, false, clock).await).loss(&sub)
            },
            |f| at.at(f),
        )
        .await
    };
    let shared = vec![GdppStep { eta, gamma }; k];
    let deep = k >= 2 && !cfg.recurrent;
    // Its read-outs after every step are the per-layer references too, unless deep models
    // compare with their own per-step fit (then its loss is all that is needed of it).
    let shared_prefixes = prefixes(tasks, &shared, !deep, clock).await;
    let gdpp_loss = shared_prefixes.last().map_or(f64::NAN, |p| p.loss(tasks));
    out.send(Arrival::Gdpp {
        eta,
        gamma,
        loss: gdpp_loss,
    });

    // The GD++ the model is compared with: per step for deep models.
    at.begin(Stage::GdppSteps, false);
    let (steps, gdpp_prefixes) = if deep {
        let steps = layerwise::fit_per_step_staged(tasks, k, eta, gamma, clock).await;
        let p = prefixes(tasks, &steps, true, clock).await;
        (steps, p)
    } else {
        (shared, shared_prefixes)
    };
    let preds = gdpp_prefixes.last().cloned().unwrap_or_default();
    out.send(Arrival::GdppSteps {
        steps: steps.clone(),
        per_step: deep,
        loss: preds.loss(tasks),
        preds,
    });
    if from_construction && k >= 2 {
        start(&plan, &steps, clock, &out).await;
    }

    // Every learner after every step, GD at the η asked for when it is computed.
    at.begin(Stage::Layers, false);
    let refs = loop {
        let eta = plan.gd_eta.get().unwrap_or(eta_star);
        let plain = vec![GdppStep { eta, gamma: 0.0 }; k];
        let gd = prefixes(tasks, &plain, true, clock).await;
        if plan.gd_eta.get().unwrap_or(eta_star) == eta {
            break LayerRefs {
                gd_eta: eta,
                gd,
                gdpp: gdpp_prefixes,
            };
        }
    };
    out.send(Arrival::Layers(refs));

    // The baseline columns of the OOD table, on the grid and at the chosen α.
    let mut alphas = OOD_ALPHAS.to_vec();
    if !alphas.contains(&cfg.alpha) {
        alphas.push(cfg.alpha);
        alphas.sort_by(f64::total_cmp);
    }
    let rows = loop {
        let gd_eta = plan.gd_eta.get().unwrap_or(eta_star);
        let learners = OodLearners {
            gd_eta,
            steps: &steps,
            ridge_lambda: lambda,
        };
        at.begin(Stage::Ood, true);
        let mut rows = Vec::with_capacity(alphas.len());
        for (i, &alpha) in alphas.iter().enumerate() {
            at.at(i as f64 / alphas.len() as f64);
            rows.push(ood_row(tasks, alpha, &learners, clock).await);
        }
        if plan.gd_eta.get().unwrap_or(eta_star) == gd_eta {
            break (gd_eta, rows);
        }
    };
    out.send(Arrival::Ood {
        gd_eta: rows.0,
        rows: rows.1,
    });
}

/// The reference GD at the η asked for now (`gd_eta`, else `eta_star` when known), sent unless
/// that one was already; asked again after computing it, in case the page changed η meanwhile.
async fn reference_gd(
    plan: &Plan,
    eta_star: Option<f64>,
    sent: &mut Option<f64>,
    clock: &Clock,
    out: &Outbox<Arrival>,
) {
    let tasks = plan.tasks.get();
    let ones = vec![1.0; tasks.dist.d];
    while let Some(eta) = plan.gd_eta.get().or(eta_star) {
        if *sent == Some(eta) {
            return;
        }
        plan.underway.begin(Stage::Gd, false);
        let g = gd(tasks, eta, plan.cfg.compared_steps(), &ones, clock).await;
        if plan.gd_eta.get().or(eta_star) == Some(eta) {
            *sent = Some(eta);
            out.send(Arrival::Gd {
                eta,
                loss: g.loss(tasks),
                preds: g,
            });
        }
    }
}

/// The start from the construction of `steps` (plus its noise, `layerwise::initial_construction`)
/// and its evaluation.
async fn start(plan: &Plan, steps: &[GdppStep], clock: &Clock, out: &Outbox<Arrival>) {
    let model = layerwise::initial_construction(&plan.cfg, steps, &plan.model)
        .unwrap_or(plan.model.clone());
    untrained(model, true, plan.tasks.get(), (clock, &plan.underway), out).await;
}

/// The untrained model's predictions and sensitivities, a block of tasks at a time.
async fn untrained(
    model: Model,
    start: bool,
    tasks: &Tasks,
    (clock, at): (&Clock, &Underway),
    out: &Outbox<Arrival>,
) {
    at.begin(Stage::Untrained, true);
    let mut ws = Workspace::new(&model.arch);
    let (mut yhat, mut sens) = (Vec::new(), Vec::new());
    // Whole blocks of the lane engine (16 tasks) per slice: the numbers do not depend on it.
    let (a, s) = (model.arch, model.arch.shape());
    let cost = a.layers * a.heads * s.tokens * s.width * (s.width + s.tokens) * 3;
    let per = clock.per_slice(cost).next_multiple_of(16);
    in_slices(tasks.count, per, clock, |r| {
        let (y, s) = model.predict_with_sensitivity(&tasks.range(r.clone()), &mut ws);
        yhat.extend_from_slice(&y);
        sens.extend_from_slice(&s);
        at.at(r.end as f64 / tasks.count as f64);
    })
    .await;
    out.send(Arrival::Untrained {
        model,
        yhat,
        sens,
        start,
    });
}

/// The learners an OOD row measures: the reference GD's η and K, the GD++ steps, ridge's λ.
pub struct OodLearners<'a> {
    pub gd_eta: f64,
    pub steps: &'a [GdppStep],
    pub ridge_lambda: f64,
}

/// The baseline columns of the OOD row at `alpha` (the evaluation `tasks` with inputs scaled by
/// α; step sizes as tuned at α = 1); `model` is left NaN.
pub async fn ood_row(tasks: &Tasks, alpha: f64, l: &OodLearners<'_>, clock: &Clock) -> OodRow {
    let tasks = tasks.scaled(alpha);
    let t = &tasks;
    let k = l.steps.len();
    let ones = vec![1.0; t.dist.d];
    let ols = ridge(t, 0.0, clock, |_| {}).await.loss(t);
    OodRow {
        alpha,
        model: f64::NAN,
        gd: gd(t, l.gd_eta, k, &ones, clock).await.loss(t),
        gdpp: last(prefixes(t, l.steps, false, clock).await).loss(t),
        ridge: if l.ridge_lambda == 0.0 {
            ols
        } else {
            ridge(t, l.ridge_lambda, clock, |_| {}).await.loss(t)
        },
        ols,
        zero: baselines::zero_loss(t),
    }
}

/// The last of a learner's read-outs (after all its steps).
fn last(mut p: Vec<Predictions>) -> Predictions {
    p.pop().unwrap_or_default()
}

/// Work per task of one GD++ step (multiply-adds), for the slice sizes.
fn step_cost(tasks: &Tasks) -> usize {
    (tasks.dist.n + 1) * tasks.dist.d * (tasks.dist.d + 2)
}

/// The closed-form η* of one (preconditioned) GD step.
async fn one_step_eta(tasks: &Tasks, precond: &[f64], clock: &Clock) -> f64 {
    let mut sums = [0.0; 2];
    let per = clock.per_slice(tasks.dist.n * tasks.dist.d);
    in_slices(tasks.count, per, clock, |r| {
        baselines::one_step_sums(tasks, r, precond, &mut sums)
    })
    .await;
    baselines::one_step_eta(tasks, sums)
}

/// η* of `steps` GD steps by the line search on the tuning subset `sub`; the stage under way
/// (`at`) counts its evaluations.
async fn eta_star_of(sub: &Tasks, steps: usize, clock: &Clock, at: &Underway) -> f64 {
    let ones = vec![1.0; sub.dist.d];
    let mut calls = 0;
    baselines::eta_search(async |eta| {
        calls += 1;
        at.at(calls as f64 / baselines::ETA_SEARCH_EVALS as f64);
        gd(sub, eta, steps, &ones, clock).await.loss(sub)
    })
    .await
}

/// `steps` steps of (preconditioned) GD at `eta`.
async fn gd(tasks: &Tasks, eta: f64, steps: usize, precond: &[f64], clock: &Clock) -> Predictions {
    let mut out = Predictions::default();
    let per = clock.per_slice(2 * tasks.dist.n * tasks.dist.d * steps);
    in_slices(tasks.count, per, clock, |r| {
        baselines::gd_preconditioned_into(tasks, r, eta, steps, precond, &mut out)
    })
    .await;
    out
}

/// GD++'s read-outs after every step of `steps` (`baselines::prefixes`).
async fn prefixes(
    tasks: &Tasks,
    steps: &[GdppStep],
    with_sens: bool,
    clock: &Clock,
) -> Vec<Predictions> {
    let mut out = vec![Predictions::default(); steps.len()];
    let sens = if with_sens { 2 } else { 1 };
    let per = clock.per_slice(step_cost(tasks) * steps.len() * sens);
    in_slices(tasks.count, per, clock, |r| {
        baselines::prefixes_into(tasks, r, steps, with_sens, &mut out)
    })
    .await;
    out
}

/// OLS (λ = 0) or ridge predictions; `done(f)` hears the fraction of the tasks solved.
async fn ridge(
    tasks: &Tasks,
    lambda: f64,
    clock: &Clock,
    mut done: impl FnMut(f64),
) -> Predictions {
    let mut out = Predictions::default();
    let (d, n) = (tasks.dist.d, tasks.dist.n);
    let per = clock.per_slice(n * d * d * 4);
    in_slices(tasks.count, per, clock, |r| {
        let end = r.end;
        baselines::ridge_into(tasks, r, lambda, &mut out);
        done(end as f64 / tasks.count as f64);
    })
    .await;
    out
}
