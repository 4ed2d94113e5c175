//! The Trainer: owns the model, the optimiser, the seeded streams and the fixed evaluation
//! tasks; advances training a chunk of steps at a time (so the page's worker stays responsive)
//! and records the metric history. Everything the page and the CLI show comes from here.

use crate::baselines::{self, Predictions};
use crate::config::Config;
use crate::metrics::{self, Alignment};
use crate::model::{Arch, Model, Workspace};
use crate::optim::Adam;
use crate::rng::{self, Rng, Stream};
use crate::task::{TaskDist, Tasks};
use serde::Serialize;

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Steps remain in the budget.
    Training,
    /// The step budget is spent.
    Done,
    /// The loss became non-finite or exploded; training stopped.
    Diverged,
}

/// A training loss above this many times the zero predictor's counts as diverged.
const DIVERGENCE_FACTOR: f64 = 1e4;

/// The reference learners on the evaluation tasks (computed once per run; `gd` again when the
/// reference η changes).
#[derive(Clone, Debug, Serialize)]
pub struct References {
    pub zero_loss: f64,
    /// η* of one GD step (closed form) and its loss.
    pub eta_star_1: f64,
    pub gd1_loss: f64,
    /// The K-step reference GD: its η (η* for K steps unless set by `gd_eta`), η* and loss.
    pub gd_steps: usize,
    pub gd_eta: f64,
    pub gd_eta_star: f64,
    pub gd_loss: f64,
    /// K-step GD++ with tuned (η, γ).
    pub gdpp_eta: f64,
    pub gdpp_gamma: f64,
    pub gdpp_loss: f64,
    pub ols_loss: f64,
    /// Ridge with λ = σ² (equal to OLS when σ = 0).
    pub ridge_lambda: f64,
    pub ridge_loss: f64,
    /// One step of GD preconditioned by the inverse input covariance, at its best η (equal to
    /// plain GD for isotropic inputs; critique 2 for anisotropic ones).
    pub pgd_eta: f64,
    pub pgd_loss: f64,
    /// The gradient-norm clip in force (`clip`, or the paper's rule when auto).
    pub clip_norm: f64,
    #[serde(skip)]
    pub gd: Predictions,
    #[serde(skip)]
    pub gdpp: Predictions,
    #[serde(skip)]
    pub pgd: Predictions,
}

/// Per-step and per-evaluation records (struct of arrays, ready for charts and CSV).
#[derive(Clone, Debug, Default, Serialize)]
pub struct History {
    pub train_loss: Vec<f32>,
    pub eval_step: Vec<u32>,
    pub eval_loss: Vec<f64>,
    pub preds_diff: Vec<f64>,
    pub model_cos: Vec<f64>,
    pub model_diff: Vec<f64>,
    pub eta_over_n: Vec<f64>,
}

/// The latest evaluation of the model.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Evaluation {
    pub step: usize,
    pub loss: f64,
    pub alignment: Alignment,
    /// Alignment with one step of preconditioned GD instead.
    pub alignment_pgd: Alignment,
    /// Alignment with K-step GD++ at its tuned (η, γ) (critique 3: deeper models track GD++).
    pub alignment_gdpp: Alignment,
    pub eta_over_n: f64,
    #[serde(skip)]
    pub yhat: Vec<f32>,
    #[serde(skip)]
    pub sens: Vec<f32>,
}

pub struct Trainer {
    pub cfg: Config,
    pub arch: Arch,
    pub model: Model,
    /// The model at initialisation: the reference row of every metric (critique 5).
    pub untrained: Model,
    pub eval_tasks: Tasks,
    pub refs: References,
    pub untrained_eval: Evaluation,
    pub latest: Evaluation,
    pub history: History,
    pub step: usize,
    pub status: Status,
    /// First evaluated step whose loss is within 1% of the reference GD's.
    pub first_within_1pct: Option<usize>,
    adam: Adam,
    train_rng: Rng,
    batch: Tasks,
    /// Baseline rows of the OOD table, per α: they never change during training.
    ood_baselines: Vec<OodRow>,
    grad: Vec<f32>,
    ws: Workspace,
}

impl Trainer {
    pub fn new(cfg: Config) -> Trainer {
        let arch = Arch::from_config(&cfg);
        let dist = TaskDist::from_config(&cfg);
        let model = initial_model(&cfg);
        let eval_tasks = Tasks::sample(
            dist,
            cfg.eval_tasks,
            &mut rng::stream(cfg.seed, Stream::Eval),
        );
        let mut train_rng = rng::stream(cfg.seed, Stream::Train);
        let batch = Tasks::sample(dist, cfg.batch, &mut train_rng);
        let refs = references(&eval_tasks, &cfg);
        let mut ws = Workspace::new(&arch);
        let untrained_eval = evaluate(&model, &eval_tasks, &refs, &mut ws, 0);
        let latest = untrained_eval.clone();
        let n = model.params.len();
        let mut t = Trainer {
            adam: Adam::new(n, cfg.lr, cfg.clip_norm()),
            untrained: model.clone(),
            cfg,
            arch,
            model,
            eval_tasks,
            refs,
            untrained_eval,
            latest,
            history: History::default(),
            step: 0,
            status: Status::Training,
            first_within_1pct: None,
            train_rng,
            batch,
            ood_baselines: Vec::new(),
            grad: vec![0.0; n],
            ws,
        };
        t.record_eval();
        t
    }

    /// Train up to `max_steps` more steps (fewer when the budget ends or the loss diverges).
    /// Returns the number of steps taken.
    pub fn advance(&mut self, max_steps: usize) -> usize {
        let mut done = 0;
        while done < max_steps && self.status == Status::Training {
            self.batch.resample(&mut self.train_rng);
            self.grad.fill(0.0);
            let loss = self
                .model
                .loss_and_grad(&self.batch, &mut self.grad, &mut self.ws);
            self.history.train_loss.push(loss as f32);
            if !loss.is_finite() || loss > DIVERGENCE_FACTOR * self.refs.zero_loss.max(1e-12) {
                self.status = Status::Diverged;
                break;
            }
            self.adam.step(&mut self.model.params, &mut self.grad);
            if self.model.params.iter().any(|p| !p.is_finite()) {
                self.status = Status::Diverged;
                break;
            }
            self.step += 1;
            done += 1;
            if self.step >= self.cfg.steps {
                self.status = Status::Done;
            }
            if self.step.is_multiple_of(self.cfg.eval_every) || self.status != Status::Training {
                self.evaluate_now();
            }
        }
        done
    }

    /// Evaluate the current model on the evaluation tasks and record it (unless this step was
    /// just recorded).
    pub fn evaluate_now(&mut self) {
        if self.history.eval_step.last() == Some(&(self.step as u32)) {
            return;
        }
        self.latest = evaluate(
            &self.model,
            &self.eval_tasks,
            &self.refs,
            &mut self.ws,
            self.step,
        );
        self.record_eval();
    }

    fn record_eval(&mut self) {
        let e = &self.latest;
        let h = &mut self.history;
        h.eval_step.push(e.step as u32);
        h.eval_loss.push(e.loss);
        h.preds_diff.push(e.alignment.preds_diff);
        h.model_cos.push(e.alignment.model_cos);
        h.model_diff.push(e.alignment.model_diff);
        h.eta_over_n.push(e.eta_over_n);
        if self.first_within_1pct.is_none() && e.step > 0 && e.loss <= 1.01 * self.refs.gd_loss {
            self.first_within_1pct = Some(e.step);
        }
    }

    /// Change the reference GD's step size (None = η*) without touching training: the GD
    /// baseline and the latest alignment are recomputed; the history keeps the old values.
    pub fn set_gd_eta(&mut self, eta: Option<f64>) {
        self.cfg.gd_eta = eta;
        let k = self.refs.gd_steps;
        self.refs.gd_eta = eta.unwrap_or(self.refs.gd_eta_star);
        self.refs.gd = baselines::gd(&self.eval_tasks, self.refs.gd_eta, k);
        self.refs.gd_loss = self.refs.gd.loss(&self.eval_tasks);
        self.ood_baselines.clear(); // their GD column used the old η
        let d = self.arch.d;
        for e in [&mut self.latest, &mut self.untrained_eval] {
            e.alignment = metrics::alignment(&e.yhat, &e.sens, &self.refs.gd, d);
        }
    }

    /// Model predictions (latest evaluation) and the reference GD's, for the first `count` tasks.
    pub fn prediction_pairs(&self, count: usize) -> (Vec<f32>, Vec<f64>, Vec<f32>) {
        let c = count.min(self.eval_tasks.count);
        let targets = (0..c).map(|k| self.eval_tasks.target(k)).collect();
        (
            self.latest.yhat[..c].to_vec(),
            self.refs.gd.yhat[..c].to_vec(),
            targets,
        )
    }

    /// Out-of-distribution losses: test inputs scaled by α (x ~ U(−α·r, α·r)) for the trained
    /// model, GD and GD++ with the step sizes tuned at α = 1, and OLS.
    /// The baselines are computed once per α and cached; only the model is evaluated anew.
    pub fn ood(&mut self, alphas: &[f64]) -> Vec<OodRow> {
        alphas
            .iter()
            .map(|&alpha| {
                let tasks = self.eval_tasks.scaled(alpha);
                let yhat: Vec<f64> = self
                    .model
                    .predict(&tasks, &mut self.ws)
                    .iter()
                    .map(|&v| v as f64)
                    .collect();
                let mut row = match self.ood_baselines.iter().find(|r| r.alpha == alpha) {
                    Some(r) => r.clone(),
                    None => {
                        let k = self.refs.gd_steps;
                        let r = OodRow {
                            alpha,
                            model: f64::NAN,
                            gd: baselines::gd(&tasks, self.refs.gd_eta, k).loss(&tasks),
                            gdpp: baselines::gd_plus_plus_loss(
                                &tasks,
                                self.refs.gdpp_eta,
                                self.refs.gdpp_gamma,
                                k,
                            ),
                            ols: baselines::ridge(&tasks, self.refs.ridge_lambda).loss(&tasks),
                            zero: baselines::zero_loss(&tasks),
                        };
                        self.ood_baselines.push(r.clone());
                        r
                    }
                };
                row.model = baselines::half_mse(&yhat, &tasks);
                row
            })
            .collect()
    }
}

/// One point of the η sweep: the current model against K-step GD with step size η.
#[derive(Clone, Debug, Serialize)]
pub struct SweepPoint {
    pub eta: f64,
    pub gd_loss: f64,
    pub preds_diff: f64,
    pub model_cos: f64,
    pub model_diff: f64,
}

impl Trainer {
    /// Alignment of the latest evaluated model with GD over a log grid of η around η*
    /// (critique 5: cosine stays flat, the L2 metrics have their minimum near η*).
    pub fn eta_sweep(&self, points: usize) -> Vec<SweepPoint> {
        let k = self.refs.gd_steps;
        let centre = self.refs.gd_eta_star;
        (0..points)
            .map(|i| {
                // From η*/10 to 4·η*, log-spaced (GD diverges soon above 2η*).
                let u = i as f64 / (points.max(2) - 1) as f64;
                let eta = centre * (0.1f64.ln() + u * (40f64).ln()).exp();
                let gd = baselines::gd(&self.eval_tasks, eta, k);
                let a = metrics::alignment(&self.latest.yhat, &self.latest.sens, &gd, self.arch.d);
                SweepPoint {
                    eta,
                    gd_loss: gd.loss(&self.eval_tasks),
                    preds_diff: a.preds_diff,
                    model_cos: a.model_cos,
                    model_diff: a.model_diff,
                }
            })
            .collect()
    }
}

/// One row of the out-of-distribution table.
#[derive(Clone, Debug, Serialize)]
pub struct OodRow {
    pub alpha: f64,
    pub model: f64,
    pub gd: f64,
    pub gdpp: f64,
    pub ols: f64,
    pub zero: f64,
}

/// The α grid of the OOD read-out (science.md: GD blows up at α = 2, OLS stays exact).
pub const OOD_ALPHAS: [f64; 11] = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0];

fn references(tasks: &Tasks, cfg: &Config) -> References {
    let k = cfg.layers;
    let eta_star_1 = baselines::eta_star_one_step(tasks);
    let gd1_loss = baselines::gd(tasks, eta_star_1, 1).loss(tasks);
    let gd_eta_star = if k == 1 {
        eta_star_1
    } else {
        baselines::eta_star(tasks, k)
    };
    let gd_eta = cfg.gd_eta.unwrap_or(gd_eta_star);
    let gd = baselines::gd(tasks, gd_eta, k);
    let (gdpp_eta, gdpp_gamma) = baselines::gdpp_star(tasks, k);
    let gdpp = baselines::gd_plus_plus(tasks, gdpp_eta, gdpp_gamma, k);
    let ridge_lambda = cfg.noise * cfg.noise;
    let precond = baselines::input_preconditioner(tasks);
    let pgd_eta = baselines::eta_star_one_step_preconditioned(tasks, &precond);
    let pgd = baselines::gd_preconditioned(tasks, pgd_eta, 1, &precond);
    References {
        zero_loss: baselines::zero_loss(tasks),
        eta_star_1,
        gd1_loss,
        gd_steps: k,
        gd_eta,
        gd_eta_star,
        gd_loss: gd.loss(tasks),
        gdpp_eta,
        gdpp_gamma,
        gdpp_loss: gdpp.loss(tasks),
        ols_loss: baselines::ridge(tasks, 0.0).loss(tasks),
        ridge_lambda,
        ridge_loss: baselines::ridge(tasks, ridge_lambda).loss(tasks),
        clip_norm: cfg.clip_norm(),
        pgd_eta,
        pgd_loss: pgd.loss(tasks),
        pgd,
        gd,
        gdpp,
    }
}

/// Loss, alignment with the reference GD (and preconditioned GD) and learned η/N of `model`.
pub fn evaluate(
    model: &Model,
    tasks: &Tasks,
    refs: &References,
    ws: &mut Workspace,
    step: usize,
) -> Evaluation {
    let (yhat, sens) = model.predict_with_sensitivity(tasks, ws);
    let y64: Vec<f64> = yhat.iter().map(|&v| v as f64).collect();
    Evaluation {
        step,
        loss: baselines::half_mse(&y64, tasks),
        alignment: metrics::alignment(&yhat, &sens, &refs.gd, model.arch.d),
        alignment_pgd: metrics::alignment(&yhat, &sens, &refs.pgd, model.arch.d),
        alignment_gdpp: metrics::alignment(&yhat, &sens, &refs.gdpp, model.arch.d),
        eta_over_n: metrics::weight_view(model, 0, 0).eta_over_n,
        yhat,
        sens,
    }
}

/// The model at its initial weights under `cfg` (the `Init` stream of its seed): where a run
/// starts, and the untrained model every comparison shows (also rebuilt from a saved run).
pub fn initial_model(cfg: &Config) -> Model {
    Model::init(
        Arch::from_config(cfg),
        &mut rng::stream(cfg.seed, Stream::Init),
    )
}
